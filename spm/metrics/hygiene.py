"""Deal hygiene: past due, pushed, stale and incomplete open deals (SPEC §4)."""

from __future__ import annotations

from datetime import date
from string import Formatter

import duckdb
import numpy as np
import pandas as pd

from spm import derived, sql, store

FLAGS = ("past_due", "pushed", "stale", "missing_amount", "missing_close_date")


_REASONS = {
    "past_due": "past due",
    "pushed": "pushed {pushes}×",
    "stale": "no change for {days_unchanged} days",
    "missing_amount": "no amount",
    "missing_close_date": "no close date",
}


def flag_reasons(row: dict) -> list[str]:
    """Return the raised hygiene flags of one deal_flags record, in words."""
    values = {k: int(v) if k in ("pushes", "days_unchanged") else v for k, v in row.items()}
    return [text.format(**values) for flag, text in _REASONS.items() if row.get(flag)]


def _open_id_span(
    con: duckdb.DuckDBPyConnection, as_of: date | None, rep: str | None
) -> tuple[str | None, str | None]:
    """Return the lowest and highest id of the deals open in the snapshot as of `as_of`."""
    # Constants the history scan compares with each row group's id range: where ids grow over
    # time (CRM ids do), snapshots holding only older deals are skipped. A superset is enough.
    row = con.execute(
        "SELECT min(opportunity_id), max(opportunity_id) FROM opportunity_snapshots"
        " WHERE as_of = (SELECT max(as_of) FROM opportunity_snapshot_rows"
        "                WHERE CAST(? AS DATE) IS NULL OR as_of <= CAST(? AS DATE))"
        " AND NOT is_closed AND (CAST(? AS VARCHAR) IS NULL OR owner = CAST(? AS VARCHAR))",
        [as_of, as_of, rep, rep],
    ).fetchone()
    return (row[0], row[1]) if row else (None, None)


def deal_flags(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> pd.DataFrame:
    """Return open deals as of `as_of` with push count, days unchanged and each hygiene flag."""
    latest = derived.deal_flags_date(con)
    if latest is not None and store.snapshot_on_or_before(con, as_of) == latest:
        return sql.run(con, "deal_flags_stored", team=team, rep=rep)
    return deal_flags_live(con, as_of, team, rep)


def deal_flags_live(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> pd.DataFrame:
    """Return `deal_flags` computed from the snapshot history (what spm.derived stores)."""
    settings = store.get_settings(con)
    id_lo, id_hi = _open_id_span(con, as_of, rep)
    return sql.run(
        con,
        "deal_flags",
        as_of=as_of,
        team=team,
        rep=rep,
        id_lo=id_lo,
        id_hi=id_hi,
        pushed_times=int(settings["pushed_times"]),
        stale_days=int(settings["stale_days"]),
    )


def hygiene(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> pd.DataFrame:
    """Return one row per (deal, flag) raised: opportunity_id, rep, flag, amount, close_date."""
    deals = deal_flags(con, as_of=as_of, team=team, rep=rep)
    long = deals.melt(
        id_vars=["opportunity_id", "rep", "amount", "close_date"],
        value_vars=list(FLAGS),
        var_name="flag",
        value_name="raised",
    )
    long = long[long["raised"].astype(bool)].drop(columns="raised")
    order = {f: i for i, f in enumerate(FLAGS)}
    long = long.assign(_o=long["flag"].map(order)).sort_values(["opportunity_id", "_o"])
    return long[["opportunity_id", "rep", "flag", "amount", "close_date"]].reset_index(drop=True)


def _joined(parts: list[pd.Series]) -> pd.Series:
    """Return the non-empty strings of each row of `parts` joined by ', '."""
    out = parts[0]
    for part in parts[1:]:
        out = out + np.where((out != "") & (part != ""), ", ", "") + part
    return out


def _worded(deals: pd.DataFrame, flag: str) -> pd.Series:
    """Return the words for `flag` where deal_flags rows raise it, '' elsewhere."""
    text = pd.Series("", index=deals.index, dtype=object)
    for literal, field, _, _ in Formatter().parse(_REASONS[flag]):
        text = text + literal
        if field:
            text = text + deals[field].astype(int).astype(str)
    return text.where(deals[flag].astype(bool), "")


def deals_needing_attention(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    rep: str | None = None,
    largest: int = 5,
) -> pd.DataFrame:
    """Return open deals that are flagged or among the `largest` by amount, with a reason."""
    deals = deal_flags(con, as_of=as_of, rep=rep)
    if deals.empty:
        return deals.assign(reason=pd.Series(dtype=str))
    big = deals["opportunity_id"].isin(deals.nlargest(largest, "amount")["opportunity_id"])
    large = pd.Series("large deal", index=deals.index, dtype=object).where(big, "")
    # column by column, not row by row: thousands of deals on a whole team
    reasons = _joined([*(_worded(deals, flag) for flag in _REASONS), large])
    out = deals.assign(reason=reasons.astype(str))
    return out[out["reason"] != ""].reset_index(drop=True)
