"""Pipeline waterfall between two snapshots (SPEC §4): bucket totals, per-deal rows, the chart.

s0 is the latest snapshot on or before the first day of the period (or on or before `start`);
s1 the latest on or before `as_of` (default: the latest). Ownership is read in each snapshot, so
with a team or rep filter a deal handed to someone else leaves the filter as "removed" and enters
the new owner's waterfall as "pulled in"; the identity holds for every filter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import altair as alt
import duckdb
import numpy as np
import pandas as pd

from spm import derived, sql, store
from spm.periods import Period

# Buckets in chart order with the sign each carries in the identity.
BUCKETS: list[tuple[str, str, int]] = [
    ("start", "Start", 1),
    ("created", "Created", 1),
    ("pulled_in", "Pulled in", 1),
    ("increased", "Increased", 1),
    ("decreased", "Decreased", -1),
    ("won", "Won", -1),
    ("lost", "Lost", -1),
    ("pushed_out", "Pushed out", -1),
    ("removed", "Removed", -1),
    ("end", "End", 1),
]
COLUMNS = [name for name, _, _ in BUCKETS]
LABELS = {name: label for name, label, _ in BUCKETS}
DESCRIPTIONS = {
    "start": "Open (not Omitted) in the start snapshot with a close date in the period.",
    "created": "New since the start snapshot; open, won or lost in the period now.",
    "pulled_in": "In the start snapshot but not in its pipeline (other period, other owner, "
    "closed or Omitted then); in the period now.",
    "increased": "Start-pipeline deals still in the period (open or won) whose amount went up.",
    "decreased": "Start-pipeline deals still in the period (open or won) whose amount went down.",
    "won": "Won with a close date in the period (at the amount won).",
    "lost": "Lost: start-pipeline deals whatever their close date, others closing in the period.",
    "pushed_out": "Start-pipeline deals now dated (or won) outside the period.",
    "removed": "Start-pipeline deals gone from the end snapshot, reassigned away or set Omitted.",
    "end": "Open (not Omitted) in the end snapshot with a close date in the period.",
}
DEAL_COLUMNS = [
    "bucket",
    "opportunity_id",
    "name",
    "account",
    "owner",
    "team",
    "amount",
    "amount_s0",
    "amount_s1",
    "close_date_s0",
    "close_date_s1",
    "stage_s0",
    "stage_s1",
    "category_s0",
    "category_s1",
]


class WaterfallError(ValueError):
    """The snapshots needed for a waterfall are not loaded."""


@dataclass(frozen=True)
class Window:
    """The period and the two snapshot dates a waterfall compares."""

    period: Period
    s0: date
    s1: date


def _latest_on_or_before(con: duckdb.DuckDBPyConnection, day: date | None) -> date | None:
    # max over the rows, not over store.snapshot_dates: DuckDB reads it off row-group statistics
    row = con.execute(
        "SELECT max(as_of) FROM opportunity_snapshot_rows"
        " WHERE CAST(? AS DATE) IS NULL OR as_of <= CAST(? AS DATE)",
        [day, day],
    ).fetchone()
    return row[0] if row else None


def window(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    start: date | None = None,
) -> Window:
    """Return the period and the snapshots s0 (start) and s1 (end) as SPEC §4 picks them."""
    p = store.fiscal_period(con, period)
    s1 = _latest_on_or_before(con, as_of)
    if s1 is None:
        where = f" on or before {as_of}" if as_of else ""
        raise WaterfallError(f"no opportunities snapshot{where}: load an opportunities export")
    anchor = start or p.start
    s0 = _latest_on_or_before(con, anchor)
    if s0 is None:
        raise WaterfallError(
            f"the waterfall needs two snapshots: none is loaded on or before {anchor} "
            f"(the first is {store.snapshot_dates(con)[0]}); load an earlier export or pick a "
            "later start"
        )
    if s0 > s1:
        raise WaterfallError(f"the start snapshot {s0} is after the end snapshot {s1}")
    return Window(p, s0, s1)


def _rows(
    con: duckdb.DuckDBPyConnection, w: Window, team: str | None, rep: str | None
) -> pd.DataFrame:
    return sql.run(
        con, "waterfall", start=w.period.start, end=w.period.end, s0=w.s0, s1=w.s1,
        team=team, rep=rep,
    )  # fmt: skip


def totals_exact(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
    start: date | None = None,
) -> dict[str, Decimal]:
    """Return the bucket totals as exact Decimals (currency), keyed as COLUMNS."""
    w = window(con, period, as_of, start)
    text = sql.sql_text("waterfall")
    params = {
        "start": w.period.start, "end": w.period.end, "s0": w.s0, "s1": w.s1,
        "team": team, "rep": rep,
    }  # fmt: skip
    cur = con.execute(text, {k: v for k, v in params.items() if f"${k}" in text})
    names = [d[0] for d in cur.description]
    total = next(r for r in cur.fetchall() if r[0] == "total")
    record = dict(zip(names, total, strict=True))
    return {c: Decimal(record[c]) for c in COLUMNS}


def _totals(rows: pd.DataFrame, w: Window) -> pd.DataFrame:
    """Return the one-record bucket totals of the query's rows."""
    out = rows[rows["level"] == "total"][COLUMNS].astype(float).reset_index(drop=True)
    out.attrs.update(s0=w.s0, s1=w.s1, period=w.period.label)
    return out


def _deals(rows: pd.DataFrame, w: Window) -> pd.DataFrame:
    """Return one row per deal and bucket from the query's rows, in bucket order."""
    amounts = rows[COLUMNS].to_numpy(dtype=float)
    is_deal = (rows["level"] == "deal").to_numpy()
    row, bucket = np.nonzero(~np.isnan(amounts) & is_deal[:, None])
    amount = amounts[row, bucket]
    id_rank = rows["opportunity_id"].rank(method="first").to_numpy()
    # bucket order, then amount descending, then id: one take instead of a melt of every column
    order = np.lexsort((id_rank[row], -amount, bucket))
    keep = [c for c in DEAL_COLUMNS if c not in ("bucket", "amount")]
    out = rows[keep].iloc[row[order]].reset_index(drop=True)
    out.insert(0, "bucket", pd.Series(COLUMNS).take(bucket[order]).reset_index(drop=True))
    out.insert(DEAL_COLUMNS.index("amount"), "amount", amount[order])
    out.attrs.update(s0=w.s0, s1=w.s1, period=w.period.label)
    return out


def waterfall(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
    start: date | None = None,
) -> pd.DataFrame:
    """Return one record of bucket totals (currency, non-negative); attrs hold s0 and s1."""
    w = window(con, period, as_of, start)
    return _totals(_rows(con, w, team, rep), w)


def waterfall_deals(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
    start: date | None = None,
) -> pd.DataFrame:
    """Return one row per deal and bucket it falls in; `amount` is its non-negative share."""
    w = window(con, period, as_of, start)
    return _deals(_rows(con, w, team, rep), w)


def waterfall_tables(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
    start: date | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (`waterfall`, `waterfall_deals`) from one run of the query: totals and deals."""
    w = window(con, period, as_of, start)

    def compute() -> tuple[pd.DataFrame, pd.DataFrame]:
        rows = _rows(con, w, team, rep)
        return _totals(rows, w), _deals(rows, w)

    # a closed quarter's waterfall (the QBR's) is kept until the data changes: ~200 ms of query
    key = {"s0": w.s0, "team": team, "rep": rep}
    return derived.memo_closed(con, "waterfall_tables", w.period, w.s1, key, compute)


def steps(totals: pd.DataFrame) -> pd.DataFrame:
    """Return the chart's bars from a totals record: bucket, label, amount, signed, base, top."""
    record = totals.iloc[0]
    out, level = [], 0.0
    for name, label, sign in BUCKETS:
        amount = float(record[name])
        if name in ("start", "end"):
            base, top = 0.0, amount
            level = amount
        else:
            base, top = level, level + sign * amount
            level = top
        out.append(
            {
                "bucket": name,
                "label": label,
                "amount": amount,
                "signed": sign * amount if name not in ("start", "end") else amount,
                "base": min(base, top),
                "top": max(base, top),
                "kind": "pipeline"
                if name in ("start", "end")
                else "added"
                if sign > 0
                else "taken out",
            }
        )
    return pd.DataFrame(out)


def chart(totals: pd.DataFrame, symbol: str = "$", selected: str | None = None) -> alt.Chart:
    """Return the waterfall as floating bars (start and end from zero), a bucket selectable."""
    data = steps(totals).assign(description=lambda d: d["bucket"].map(DESCRIPTIONS))
    data["is_selected"] = data["bucket"].eq(selected) if selected else False
    pick = alt.selection_point(name="bucket_pick", fields=["bucket"], on="click")
    colour = alt.Color(
        "kind:N",
        scale=alt.Scale(
            domain=["pipeline", "added", "taken out"], range=["#2563eb", "#16a34a", "#dc2626"]
        ),
        legend=alt.Legend(title=None, orient="top"),
    )
    return (
        alt.Chart(data)
        .mark_bar(stroke="#111")
        .encode(
            x=alt.X(
                "label:N", sort=data["label"].tolist(), title=None, axis=alt.Axis(labelAngle=0)
            ),
            y=alt.Y("base:Q", title=f"Pipeline ({symbol})", axis=alt.Axis(format="~s")),
            y2="top:Q",
            color=colour,
            strokeWidth=alt.condition("datum.is_selected", alt.value(2.5), alt.value(0)),
            tooltip=[
                alt.Tooltip("label:N", title="Bucket"),
                alt.Tooltip("amount:Q", title=f"Amount ({symbol})", format=",.0f"),
                alt.Tooltip("description:N", title="What"),
            ],
        )  # fmt: skip
        .add_params(pick)
        .properties(height=340)
    )
