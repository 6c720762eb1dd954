"""What is loaded: the summary record, the snapshot list and row counts per kind."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from spm import sql, store
from spm.periods import parse_period


def summary(
    con: duckdb.DuckDBPyConnection, period: str | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """Return one record: snapshots, as_of, opportunities, open, won, lost, won_amount, win_rate."""
    start = end = None
    if period:
        p = parse_period(period, store.get_settings(con)["fiscal_year_start_month"])
        start, end = p.start, p.end
    return sql.run(con, "summary", as_of=as_of, start=start, end=end)


def snapshot_list(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Return each snapshot's as-of date with its deal count, open deals and open amount."""
    return sql.run(con, "snapshot_list")


def loaded_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Return the number of rows loaded per kind."""
    return sql.run(con, "loaded_counts")
