"""Start the Streamlit app with its libraries already imported.

Streamlit imports nothing of the app until the first visitor's script run, so that visitor
waits 1.5-2 s for pandas, pyarrow, duckdb, Altair and spm to import. Importing them here,
before the server listens, moves that wait to the server's start.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# What the pages import on their first run (measured: the modules a server holds after one
# visit of every page, less those it holds before any visit).
PRELOAD = (
    "numpy",
    "pandas",
    "pyarrow",
    "duckdb",
    "altair",
    "spm.charts",
    "spm.export",
    "spm.forecast",
    "spm.ingest",
    "spm.metrics.coaching",
    "spm.metrics.hygiene",
    "spm.metrics.kpis",
    "spm.metrics.one_on_one",
    "spm.metrics.summary",
    "spm.pipeline",
    "spm.plans",
    "spm.qbr",
    "spm.templates",
    "spm.ui.state",
    "spm.ui.widgets",
    "spm.waterfall",
    "streamlit.dataframe.lazy_df_adapters",
    "streamlit.material_icon_names",
)


def preload() -> None:
    """Import the modules the pages need, and load the parts of libraries imported lazily."""
    for name in PRELOAD:
        importlib.import_module(name)
    # datetime.strptime imports _strptime on first use; Altair loads its JSON schema on first
    # validation.
    import datetime

    import altair as alt
    import pandas as pd

    datetime.datetime.strptime("2026-01-01", "%Y-%m-%d")
    alt.Chart(pd.DataFrame({"a": [1]})).mark_bar().encode(x="a:Q").to_dict()


def serve(db: str | None, streamlit_args: list[str]) -> int:
    """Run `streamlit run app.py` in this process after `preload`; return its exit code."""
    if db:
        os.environ["SPM_DB"] = str(Path(db).resolve())
    preload()
    from streamlit.web import cli

    try:
        cli.main(args=["run", str(ROOT / "app.py"), *streamlit_args], prog_name="streamlit")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0
