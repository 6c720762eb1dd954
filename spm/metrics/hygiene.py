"""Deal hygiene: past due, pushed, stale and incomplete open deals (SPEC §4)."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from spm import sql, store

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


def deal_flags(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> pd.DataFrame:
    """Return open deals as of `as_of` with push count, days unchanged and each hygiene flag."""
    settings = store.get_settings(con)
    return sql.run(
        con,
        "deal_flags",
        as_of=as_of,
        team=team,
        rep=rep,
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
    big = set(deals.nlargest(largest, "amount")["opportunity_id"])
    reasons = []
    for row in deals.to_dict("records"):
        why = flag_reasons(row)
        if row["opportunity_id"] in big:
            why.append("large deal")
        reasons.append(", ".join(why))
    out = deals.assign(reason=reasons)
    return out[out["reason"] != ""].reset_index(drop=True)
