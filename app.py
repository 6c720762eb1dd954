"""SPM Dashboard: the Streamlit entry point (page config, navigation, shared frame)."""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="SPM Dashboard", page_icon=":material/monitoring:", layout="wide")

pages = [
    st.Page("views/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("views/reps.py", title="Rep KPIs", icon=":material/groups:", url_path="reps"),
    st.Page("views/data.py", title="Data", icon=":material/database:", url_path="data"),
]
st.navigation(pages).run()
