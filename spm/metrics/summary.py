"""What is loaded: the summary record, the snapshot list and row counts per kind."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from spm import derived, sql, store
from spm.periods import quarter_of


def summary(
    con: duckdb.DuckDBPyConnection, period: str | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """Return one record: snapshots, as_of, opportunities, open, won, lost, won_amount, win_rate."""
    start = end = None
    if period:
        p = store.fiscal_period(con, period)
        start, end = p.start, p.end
    # kept per snapshot read and state of the data: Home opens on two of these (~25 ms each)
    key = {"start": start, "end": end, "snapshot": store.snapshot_on_or_before(con, as_of)}
    return derived.memo_frame(
        con, "summary", key, lambda: sql.run(con, "summary", as_of=as_of, start=start, end=end)
    )


def snapshot_list(con: duckdb.DuckDBPyConnection, limit: int | None = None) -> pd.DataFrame:
    """Return the newest `limit` snapshots (all by default): as_of, deals, open, open amount."""
    # every snapshot's totals (~200 ms on 18M rows) are kept per state of the data; refresh
    # stores them after a load, so Home's last 12 and the Data page's list are a read
    rows = derived.memo_frame(
        con, "snapshot_list", {}, lambda: sql.run(con, "snapshot_list", since=None)
    )
    return rows.head(limit).reset_index(drop=True) if limit else rows


def loaded_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Return the number of rows loaded per kind."""
    return sql.run(con, "loaded_counts")


def snapshot_dates(con: duckdb.DuckDBPyConnection) -> list[date]:
    """Return the loaded snapshot dates, newest first."""
    return list(reversed(store.snapshot_dates(con)))


def close_date_span(con: duckdb.DuckDBPyConnection) -> tuple[date | None, date | None]:
    """Return the earliest and latest close date over all snapshots."""
    row = con.execute(
        "SELECT min(close_date), max(close_date) FROM opportunity_snapshot_rows"
        " WHERE as_of = (SELECT max(as_of) FROM snapshot_dates)"
    ).fetchone()
    return (row[0], row[1]) if row else (None, None)


def rep_directory(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Return every rep with their team (deal owners missing from the reps file: '(no team)')."""
    return sql.run(con, "rep_directory")


def warm(con: duckdb.DuckDBPyConnection, latest: date) -> None:
    """Store what Home opens on: the snapshot list, the all-time and the quarter's summaries."""
    snapshot_list(con)
    summary(con, as_of=latest)
    summary(con, period=quarter_of(latest, store.fiscal_start_month(con)).label, as_of=latest)
