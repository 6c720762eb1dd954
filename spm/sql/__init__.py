"""Named metric queries: one .sql file per metric, run with bound parameters only."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import duckdb
import pandas as pd


@cache
def sql_text(name: str) -> str:
    """Return the text of `spm/sql/<name>.sql`."""
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a query name: {name}")
    return resources.files(__package__).joinpath(f"{name}.sql").read_text(encoding="utf-8")


def run(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> pd.DataFrame:
    """Run the named query with `$param` bindings and return its rows as a DataFrame."""
    text = sql_text(name)
    used = {k: v for k, v in params.items() if f"${k}" in text}
    return con.execute(text, used).df()
