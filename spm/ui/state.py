"""The app's shared state: one cached connection, query caching keyed on the data version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from spm import derived, store


@st.cache_resource(show_spinner=False)
def _database(path: str) -> duckdb.DuckDBPyConnection:
    return store.connect(path)


def db_path() -> str:
    """Return the database file the app uses ($SPM_DB, else data/spm.duckdb)."""
    return str(store.default_path())


def connection() -> duckdb.DuckDBPyConnection:
    """Return a cursor on the app's database (one per script run; DuckDB cursors are cheap)."""
    return _database(db_path()).cursor()


_REGISTRY: dict[str, Callable[..., Any]] = {}


@st.cache_data(show_spinner=False, max_entries=512)
def _run_cached(name: str, version: int, path: str, args: tuple, kwargs: tuple) -> Any:
    return _REGISTRY[name](connection(), *args, **dict(kwargs))


def cached(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an spm function `fn(con, ...)` so its result is cached until the data changes."""
    name = f"{fn.__module__}.{fn.__qualname__}"
    _REGISTRY[name] = fn

    def call(*args: Any, **kwargs: Any) -> Any:
        version = store.data_version(connection())
        return _run_cached(name, version, db_path(), args, tuple(sorted(kwargs.items())))

    return call


def refresh(con: duckdb.DuckDBPyConnection) -> None:
    """Bring the pre-aggregated tables up to date after a write, with a spinner while it runs."""
    with st.spinner("Updating history and forecast tables…"):
        try:
            derived.refresh(con)
        except duckdb.Error:
            pass  # not fatal: pages rebuild what they read when they find it stale


def settings() -> dict[str, Any]:
    """Return the stored settings (fiscal year start, currency symbol, …)."""
    return store.get_settings(connection())


def has_snapshots() -> bool:
    """Return True when at least one opportunities snapshot is loaded."""
    row = connection().execute("SELECT count(*) FROM opportunity_snapshot_rows").fetchone()
    return bool(row and row[0])


def frame_or_empty(frame: pd.DataFrame | None) -> pd.DataFrame:
    """Return the frame, or an empty one for None."""
    return frame if frame is not None else pd.DataFrame()
