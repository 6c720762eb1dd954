"""SPM Dashboard: the Streamlit entry point (page config, navigation, shared frame)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

st.set_page_config(page_title="SPM Dashboard", page_icon="📈", layout="wide")

HERE = Path(__file__).parent
# (file, title, icon, url path); only pages whose file exists are registered.
PAGES = [
    ("views/home.py", "Home", ":material/home:", None),
    ("views/forecast.py", "Forecast", ":material/trending_up:", "forecast"),
    ("views/pipeline.py", "Pipeline health", ":material/filter_alt:", "pipeline"),
    ("views/reps.py", "Rep KPIs", ":material/groups:", "reps"),
    ("views/plans.py", "Plans", ":material/event_note:", "plans"),
    ("views/qbr.py", "QBR", ":material/slideshow:", "qbr"),
    ("views/data.py", "Data", ":material/database:", "data"),
]
pages = [
    st.Page(path, title=title, icon=icon, url_path=url, default=url is None)
    for path, title, icon, url in PAGES
    if (HERE / path).exists()
]
st.navigation(pages).run()
