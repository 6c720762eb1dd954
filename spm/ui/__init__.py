"""Streamlit-only helpers: cached connection, shared sidebar filters and widgets."""
