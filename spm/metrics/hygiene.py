"""Deal hygiene: past due, pushed, stale and incomplete open deals (SPEC §4)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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
    if _stored(con, as_of):
        return _stored_rows(con, team, rep).order("amount DESC NULLS LAST, opportunity_id").df()
    return deal_flags_live(con, as_of, team, rep)


def _stored(con: duckdb.DuckDBPyConnection, as_of: date | None) -> bool:
    """Return whether deal_flags_latest holds the flags as of `as_of` (else compute them)."""
    latest = derived.deal_flags_date(con)
    # asked after the check either way: its fetchall leaves no unfinished result on `con`,
    # which would block a relation built next
    a = store.snapshot_on_or_before(con, as_of)
    return latest is not None and a == latest


def flag_rows(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> duckdb.DuckDBPyRelation:
    """Return `deal_flags` as a relation, for callers that summarise it in DuckDB."""
    if _stored(con, as_of):
        return _stored_rows(con, team, rep)
    return con.from_df(deal_flags_live(con, as_of, team, rep))


@contextmanager
def flags_view(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> Iterator[None]:
    """Make `deal_flags` readable as the view `flags` on `con` for the queries in the block."""
    con.register("flags", flag_rows(con, as_of, team, rep))
    try:
        yield
    finally:
        con.unregister("flags")


def _stored_rows(
    con: duckdb.DuckDBPyConnection, team: str | None, rep: str | None
) -> duckdb.DuckDBPyRelation:
    """Return the rows of deal_flags_latest in the team / rep filter, in no order."""
    return con.sql(sql.sql_text("deal_flags_stored"), params=dict(team=team, rep=rep))


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


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """Return the non-empty strings of each row of `parts` (object arrays) joined by ', '."""
    out = parts[0]
    for part in parts[1:]:
        out = out + np.where((out != "") & (part != ""), ", ", "") + part
    return out


def _worded(deals: pd.DataFrame, flag: str) -> np.ndarray:
    """Return the words for `flag` where deal_flags rows raise it, '' elsewhere (objects)."""
    text = np.full(len(deals), "", dtype=object)
    for literal, field, _, _ in Formatter().parse(_REASONS[flag]):
        text = text + literal
        if field:
            text = text + deals[field].to_numpy(dtype=np.int64).astype(str).astype(object)
    return np.where(deals[flag].to_numpy(dtype=bool), text, "")


def reasons_text(deals: pd.DataFrame) -> pd.Series:
    """Return per deal_flags row its raised flags in words, joined by ', ' ('' when none)."""
    # column by column on numpy objects, not row by row: thousands of deals on a whole team
    words = _joined([_worded(deals, flag) for flag in _REASONS])
    return pd.Series(words, index=deals.index, dtype=str)


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
    large = np.where(big.to_numpy(), "large deal", "").astype(object)
    reasons = _joined([reasons_text(deals).to_numpy(dtype=object), large])
    out = deals.assign(reason=pd.Series(reasons, index=deals.index, dtype=str))
    return out[out["reason"] != ""].reset_index(drop=True)
