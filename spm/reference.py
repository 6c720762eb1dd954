"""Plain-pandas reference versions of a few metrics, written the way a notebook would.

Not used by the app. The benchmark times them against the SQL path (the speed baseline), and the
tests compare their answers with the SQL definitions (an independent correctness check).
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from spm import store
from spm.periods import parse_period


def load_tables(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    """Return the snapshot, reps and quotas tables as DataFrames (the notebook's first cell)."""
    return {
        "snapshots": con.execute(
            "SELECT as_of, opportunity_id, owner, amount, close_date, is_closed, is_won,"
            " forecast_category FROM opportunity_snapshots"
        ).df(),
        "reps": con.execute("SELECT * FROM reps").df(),
        "quotas": con.execute("SELECT * FROM quotas").df(),
    }


def _snapshot(snapshots: pd.DataFrame, as_of: date | None) -> pd.DataFrame:
    dates = snapshots["as_of"]
    if as_of is not None:
        dates = dates[dates <= pd.Timestamp(as_of)]
    return snapshots[snapshots["as_of"] == dates.max()]


def summary(tables: dict[str, pd.DataFrame], period: str | None = None) -> dict:
    """Return the summary record (snapshots, opportunities, open, won, lost, won_amount)."""
    snaps = tables["snapshots"]
    deals = _snapshot(snaps, None)
    if period:
        p = parse_period(period)
        inside = (deals["close_date"] >= pd.Timestamp(p.start)) & (
            deals["close_date"] < pd.Timestamp(p.end)
        )
    else:
        inside = pd.Series(True, index=deals.index)
    won = deals[deals["is_won"] & inside]
    lost = deals[deals["is_closed"] & ~deals["is_won"] & inside]
    return {
        "snapshots": snaps["as_of"].nunique(),
        "opportunities": len(deals),
        "open": int((~deals["is_closed"]).sum()),
        "won": len(won),
        "lost": len(lost),
        "won_amount": float(won["amount"].astype(float).sum()),
    }


def rep_kpis(
    tables: dict[str, pd.DataFrame], period: str, as_of: date | None = None
) -> pd.DataFrame:
    """Return per rep: won, lost, bookings, win_rate, ads, quota, attainment, open_pipeline."""
    p = parse_period(period)
    start, end = pd.Timestamp(p.start), pd.Timestamp(p.end)
    deals = _snapshot(tables["snapshots"], as_of).copy()
    deals["amount"] = deals["amount"].astype(float)
    inside = (deals["close_date"] >= start) & (deals["close_date"] < end)
    rows = []
    for rep, mine in deals.groupby("owner"):
        in_p = inside.loc[mine.index]
        won = mine[mine["is_won"] & in_p]
        lost = mine[mine["is_closed"] & ~mine["is_won"] & in_p]
        open_ = mine[~mine["is_closed"] & in_p & (mine["forecast_category"] != "Omitted")]
        rows.append(
            {
                "rep": rep,
                "won": len(won),
                "lost": len(lost),
                "bookings": won["amount"].sum(),
                "open_pipeline": open_["amount"].sum(),
            }
        )
    out = pd.DataFrame(rows)
    quotas = tables["quotas"]
    quotas = quotas[
        (quotas["month"] >= start) & (quotas["month"] < end) & (quotas["type"] == "total")
    ]
    quota = quotas.groupby("rep")["amount"].sum().astype(float)
    out["quota"] = out["rep"].map(quota)
    closed = out["won"] + out["lost"]
    out["win_rate"] = (out["won"] / closed).where(closed > 0)
    out["ads"] = (out["bookings"] / out["won"]).where(out["won"] > 0)
    out["attainment"] = (out["bookings"] / out["quota"]).where(out["quota"] > 0)
    return out.sort_values("rep").reset_index(drop=True)


def store_tables(path: str) -> dict[str, pd.DataFrame]:
    """Return the reference tables read from a database file (read-only)."""
    con = store.connect(path, read_only=True)
    try:
        return load_tables(con)
    finally:
        con.close()
