"""SPM Dashboard domain package: store, ingest, metrics, plans and forecasts (no Streamlit)."""

__version__ = "0.1.0"
