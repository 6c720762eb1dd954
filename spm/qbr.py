"""QBR rear-view: attainment with its diagnosis, surprises, win/loss, accounts, plan vs actual,
forecast accuracy, the export pack (HTML + CSV zip) and the `report` CLI twins.

The waterfall itself lives in `spm.waterfall`; forecast accuracy and trend come from
`spm.forecast` when that module is installed.
"""

from __future__ import annotations

import argparse
import html
import io
import secrets
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import altair as alt
import duckdb
import pandas as pd

from spm import derived, sql, store, waterfall
from spm.export import html_page, safe_csv
from spm.format import money, pct
from spm.metrics import kpis
from spm.periods import add_months, quarter_of, shift, trailing_quarters

PRICE_CALLOUT = "price is often a symptom — check value selling"
FORECAST_MISSING = "forecast accuracy appears once the forecast module is installed"
NOTE_MAX = 2000

# Slides in presentation order: (key, title). "accounts" shows only when accounts are loaded.
SECTIONS: list[tuple[str, str]] = [
    ("attainment", "Bookings vs quota"),
    ("waterfall", "Pipeline waterfall"),
    ("forecast", "Forecast accuracy"),
    ("surprises", "Surprises"),
    ("win_loss", "Win / loss"),
    ("accounts", "Accounts"),
    ("plan", "Plan vs actual"),
]


def default_period(con: duckdb.DuckDBPyConnection) -> str:
    """Return the label of the last fiscal quarter that closed before the latest snapshot."""
    start_month = store.get_settings(con)["fiscal_year_start_month"]
    # max over the rows, not over store.snapshot_dates: DuckDB reads it off row-group statistics
    latest = con.execute("SELECT max(as_of) FROM opportunity_snapshot_rows").fetchone()[0]
    return shift(quarter_of(latest or date.today(), start_month), -1, start_month).label


def warm(con: duckdb.DuckDBPyConnection) -> None:
    """Store the analyses of the QBR's default view (last closed quarter, whole company)."""
    period = default_period(con)
    p = store.fiscal_period(con, period)
    latest = store.snapshot_on_or_before(con, None)
    if latest is None or latest < p.end:
        return
    for analysis in (waterfall.waterfall_tables, surprise_tables, attainment_tables, win_loss,
                     losses, accounts_health):  # fmt: skip
        try:
            analysis(con, period, latest)
        except ValueError:  # e.g. no snapshot before the quarter: the page explains it
            pass


def snapshot_choices(
    con: duckdb.DuckDBPyConnection, period: str, as_of: date | None = None
) -> dict[str, Any]:
    """Return the snapshots a waterfall may start from (newest first, up to s1) and SPEC's s0."""
    try:
        w = waterfall.window(con, period, as_of)
    except waterfall.WaterfallError:
        return {"dates": [], "s0": None}
    dates = [d for d in reversed(store.snapshot_dates(con)) if d <= w.s1]
    return {"dates": dates, "s0": w.s0}


# --- surprises -------------------------------------------------------------------------------


def _surprise_rows(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None,
    team: str | None,
    rep: str | None,
    start: date | None,
) -> tuple[pd.DataFrame, waterfall.Window]:
    """Return the rows of qbr_surprises.sql and the waterfall window they were read for."""
    w = waterfall.window(con, period, as_of, start)
    return _surprise_query(con, w, team, rep), w


def _surprise_query(
    con: duckdb.DuckDBPyConnection, w: waterfall.Window, team: str | None, rep: str | None
) -> pd.DataFrame:
    """Return the rows of qbr_surprises.sql for the window `w`."""
    return sql.run(
        con, "qbr_surprises", start=w.period.start, end=w.period.end, s0=w.s0, s1=w.s1,
        team=team, rep=rep,
    )  # fmt: skip


def _surprise_reps(rows: pd.DataFrame, w: waterfall.Window) -> pd.DataFrame:
    """Return the per-rep rows of qbr_surprises.sql as `surprises_by_rep` shows them."""
    cols = ["rep", "team", "bookings", "surprise_bookings", "surprise_share", "won_deals"]
    out = rows[rows["level"] == "rep"][[*cols, "surprise_deals"]].reset_index(drop=True)
    out.attrs.update(s0=w.s0, s1=w.s1)
    return out


def _surprise_total(rows: pd.DataFrame, w: waterfall.Window) -> pd.DataFrame:
    """Return the total row of qbr_surprises.sql as `surprises` shows it."""
    total = rows[rows["level"] == "total"]
    cols = ["bookings", "surprise_bookings", "surprise_share", "surprise_deals"]
    if total.empty or pd.isna(total["bookings"].iloc[0]):
        out = pd.DataFrame([{"bookings": 0.0, "surprise_bookings": 0.0,
                             "surprise_share": float("nan"), "surprise_deals": 0}])  # fmt: skip
    else:
        out = total[cols].reset_index(drop=True)
    out.attrs.update(s0=w.s0, s1=w.s1)
    return out[cols]


def surprises_by_rep(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
    start: date | None = None,
) -> pd.DataFrame:
    """Return per rep with wins: bookings, surprise bookings (currency), share, deal counts."""
    return _surprise_reps(*_surprise_rows(con, period, as_of, team, rep, start))


def surprises(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
    start: date | None = None,
) -> pd.DataFrame:
    """Return one record: bookings, surprise_bookings (currency), surprise_share, surprise_deals."""
    return _surprise_total(*_surprise_rows(con, period, as_of, team, rep, start))


def surprise_tables(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
    start: date | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (`surprises`, `surprises_by_rep`) from one query."""
    w = waterfall.window(con, period, as_of, start)

    def compute() -> tuple[pd.DataFrame, pd.DataFrame]:
        rows = _surprise_query(con, w, team, rep)
        return _surprise_total(rows, w), _surprise_reps(rows, w)

    key = {"s0": w.s0, "team": team, "rep": rep}
    return derived.memo_closed(con, "surprise_tables", w.period, w.s1, key, compute)


# --- attainment ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Diagnosis:
    """The seeds' reading of team vs individual attainment: case key, headline, explanation."""

    case: str  # both | team_only | reps_only | neither | no_quota
    headline: str
    text: str


def diagnose(team_attainment: float | None, rep_attainments: list[float]) -> Diagnosis:
    """Return the diagnosis for a team attainment and the reps' (fractions; NaN = no quota)."""
    reps = [a for a in rep_attainments if a is not None and not pd.isna(a)]
    if team_attainment is None or pd.isna(team_attainment) or not reps:
        return Diagnosis(
            "no_quota",
            "No quota to compare with",
            "Load a quotas file to compare bookings with budget and individual quotas.",
        )
    made = sum(a >= 1.0 for a in reps)
    most = made * 2 > len(reps)
    team_made = team_attainment >= 1.0
    tally = f"{made} of {len(reps)} reps made quota; the team is at {pct(team_attainment)}."
    if team_made and not most:
        return Diagnosis(
            "team_only",
            "Team made budget, most reps did not",
            f"{tally} Individual quotas are probably too high, or too concentrated: the number "
            "rests on a few reps. Review how quota is spread before next quarter.",
        )
    if most and not team_made:
        return Diagnosis(
            "reps_only",
            "Most reps made quota, the team did not",
            f"{tally} Quotas are under-assigned: individual goals add up to too little, or are "
            "too easy, to carry the budget.",
        )
    if team_made:
        return Diagnosis(
            "both",
            "Team and most reps made their numbers",
            f"{tally} Quotas were attainable; check they were aggressive enough.",
        )
    return Diagnosis(
        "neither",
        "Neither the team nor most reps made their numbers",
        f"{tally} Look at pipeline, win rate and capacity before quota setting.",
    )


def _rep_attainment(reps: pd.DataFrame) -> pd.DataFrame:
    """Return the attainment view of `kpis.rep_kpis` rows, best attainment first."""
    out = reps[["rep", "team", "won", "bookings", "quota", "attainment"]].copy()
    out["attainment"] = out["attainment"].astype(float)
    out["made_quota"] = out["attainment"] >= 1.0
    return out.sort_values(["attainment", "rep"], ascending=[False, True], na_position="last")


def _team_attainment(team_row: pd.DataFrame) -> pd.DataFrame:
    """Return the attainment view of the `kpis.team_kpis` record."""
    return team_row[["team", "bookings", "quota", "attainment", "top2_share", "won", "lost"]]


def attainment(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> pd.DataFrame:
    """Return per rep: bookings and quota (currency), attainment (fraction), made_quota."""
    return _rep_attainment(kpis.rep_kpis(con, period, as_of=as_of, team=team, rep=rep))


def team_attainment(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
) -> pd.DataFrame:
    """Return one record: bookings, quota (currency), attainment, top2_share (fractions)."""
    return _team_attainment(kpis.team_kpis(con, period, as_of=as_of, team=team))


def attainment_tables(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (`team_attainment`, `attainment`) from one query; `rep` filters the reps only."""

    def compute() -> tuple[pd.DataFrame, pd.DataFrame]:
        reps, team_row = kpis.kpi_tables(con, period, as_of=as_of, team=team)
        if rep is not None:  # a rep's own row does not depend on who else the filter keeps
            reps = reps[reps["rep"] == rep].reset_index(drop=True)
        return _team_attainment(team_row), _rep_attainment(reps)

    return _kept(con, "attainment_tables", period, as_of, {"team": team, "rep": rep}, compute)


def _kept(
    con: duckdb.DuckDBPyConnection,
    name: str,
    period: str,
    as_of: date | None,
    key: dict[str, Any],
    compute: Callable[[], Any],
) -> Any:
    """Return `compute()` (frames), kept once the period has closed (spm.derived.memo_closed)."""
    p = store.fiscal_period(con, period)
    snap = store.snapshot_on_or_before(con, as_of)
    return derived.memo_closed(con, name, p, snap, key, compute)


# --- win / loss ------------------------------------------------------------------------------


def _snapshot_query(
    con: duckdb.DuckDBPyConnection,
    name: str,
    period: str,
    as_of: date | None,
    team: str | None,
    rep: str | None,
) -> pd.DataFrame:
    p = store.fiscal_period(con, period)

    def compute() -> tuple[pd.DataFrame]:
        return (sql.run(con, name, start=p.start, end=p.end, as_of=as_of, team=team, rep=rep),)

    return _kept(con, name, period, as_of, {"team": team, "rep": rep}, compute)[0]


def win_loss(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> pd.DataFrame:
    """Return won vs lost (counts, currency, fractions, cycle days) in total, by product, by rep."""
    return _snapshot_query(con, "qbr_win_loss", period, as_of, team, rep)


def losses(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> pd.DataFrame:
    """Return lost deals by reason and by competitor: deals, amount (currency), shares."""
    return _snapshot_query(con, "qbr_losses", period, as_of, team, rep)


def price_callout(loss_rows: pd.DataFrame) -> str | None:
    """Return the sentence about losses on price (None when nothing was lost)."""
    reasons = loss_rows[loss_rows["dimension"] == "reason"]
    total = int(reasons["deals"].sum()) if len(reasons) else 0
    if total == 0:
        return None
    price = reasons[reasons["value"].str.contains("pric", case=False)]
    deals = int(price["deals"].sum())
    if deals == 0:
        return (
            f"None of {total} losses were on price: we are probably priced too low."
            if total >= 10
            else None
        )
    share_n = deals / total
    share_v = float(price["share_of_value"].sum())
    lead = f"Price: {pct(share_n)} of losses ({pct(share_v)} of lost value) — {PRICE_CALLOUT}."
    if deals == total:
        lead += " Every loss was on price: we are priced too high or not showing value."
    return lead


# --- accounts --------------------------------------------------------------------------------


def present_sections(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Return the QBR sections to show: the accounts section only when accounts are loaded."""
    has_accounts = bool(con.execute("SELECT count(*) FROM accounts").fetchone()[0])
    return [s for s in SECTIONS if s[0] != "accounts" or has_accounts]


def accounts_health(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> pd.DataFrame:
    """Return per measure for accounts new in the year to P's end and older ones: counts, share."""
    if not con.execute("SELECT count(*) FROM accounts").fetchone()[0]:
        return pd.DataFrame(columns=["group", "measure", "accounts", "yes", "unknown", "share"])
    p = store.fiscal_period(con, period)

    def compute() -> tuple[pd.DataFrame]:
        rows = sql.run(
            con, "qbr_accounts", start=p.start, end=p.end, year_start=add_months(p.end, -12),
            as_of=as_of, team=team, rep=rep,
        )  # fmt: skip
        rows["share"] = rows["yes"] / rows["accounts"].where(rows["accounts"] > 0)
        return (rows,)

    return _kept(con, "accounts_health", period, as_of, {"team": team, "rep": rep}, compute)[0]


# --- plan vs actual and notes ----------------------------------------------------------------


def plan_vs_actual(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> pd.DataFrame:
    """Return per bucket (product, region, type, rep): plan, actual, variance (currency), note."""
    p = store.fiscal_period(con, period)
    start_month = store.get_settings(con)["fiscal_year_start_month"]
    hist = trailing_quarters(p.start, 4, start_month)
    return sql.run(
        con, "qbr_plan_actual", start=p.start, end=p.end, hist_start=hist.start,
        hist_end=min(hist.end, p.start), as_of=as_of, team=team, rep=rep, period=p.label,
    )  # fmt: skip


def save_note(con: duckdb.DuckDBPyConnection, period: str, bucket: str, note: str) -> None:
    """Save a corrective-action note for a plan bucket of a period (the latest one counts)."""
    text = (note or "").strip()
    if not text:
        raise ValueError("write the corrective action first")
    if len(text) > NOTE_MAX:
        raise ValueError(f"keep the note under {NOTE_MAX} characters")
    if not (bucket or "").strip():
        raise ValueError("pick a bucket for the note")
    label = store.fiscal_period(con, period).label
    with store.transaction(con):
        con.execute(
            "INSERT INTO qbr_notes VALUES (?, ?, ?, ?)", [label, bucket, text, datetime.now()]
        )
        store.bump_version(con)


def notes(con: duckdb.DuckDBPyConnection, period: str) -> pd.DataFrame:
    """Return every note saved for the period, newest first."""
    label = store.fiscal_period(con, period).label
    return con.execute(
        "SELECT bucket, note, saved_at FROM qbr_notes WHERE period = ? ORDER BY saved_at DESC",
        [label],
    ).df()


# --- forecast accuracy -----------------------------------------------------------------------


def forecast_calls(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
) -> pd.DataFrame:
    """Return the manager calls saved for the period beside the outcome (currency, fractions)."""
    p = store.fiscal_period(con, period)
    return sql.run(
        con, "qbr_calls", start=p.start, end=p.end, as_of=as_of, team=team, period=p.label
    )


@dataclass(frozen=True)
class ForecastView:
    """Forecast trend and accuracy from spm.forecast, with a note when accuracy is unavailable."""

    trend: pd.DataFrame
    accuracy: pd.DataFrame
    note: str | None = None


def forecast_views(
    con: duckdb.DuckDBPyConnection, period: str, team: str | None = None
) -> ForecastView | None:
    """Return the week-by-week trend and accuracy from spm.forecast; None when not installed."""
    try:
        from spm import forecast  # another module's work; optional until it lands
    except ImportError:
        return None
    trend_fn = getattr(forecast, "forecast_trend", None)
    accuracy_fn = getattr(forecast, "forecast_accuracy", None)
    if trend_fn is None or accuracy_fn is None:
        return None
    try:
        trend = trend_fn(con, period, team=team)
    except ValueError as exc:  # e.g. too little snapshot history
        return ForecastView(pd.DataFrame(), pd.DataFrame(), str(exc))
    try:
        return ForecastView(trend, accuracy_fn(con, period, team=team))
    except ValueError as exc:  # e.g. the period has not closed yet
        return ForecastView(trend, pd.DataFrame(), str(exc))


# --- charts (pure: DataFrame -> Altair) ------------------------------------------------------


def attainment_chart(reps: pd.DataFrame) -> alt.LayerChart:
    """Return bars of each rep's attainment with the 100% line (columns as `attainment`)."""
    data = reps.dropna(subset=["attainment"]).assign(
        result=lambda d: d["made_quota"].map({True: "made quota", False: "missed"})
    )
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("rep:N", sort="-x", title=None, axis=alt.Axis(labelLimit=200)),
            x=alt.X("attainment:Q", title="Attainment", axis=alt.Axis(format="%")),
            color=alt.Color(
                "result:N",
                scale=alt.Scale(domain=["made quota", "missed"], range=["#16a34a", "#dc2626"]),
                legend=alt.Legend(title=None, orient="top"),
            ),
            tooltip=[
                alt.Tooltip("rep:N"),
                alt.Tooltip("attainment:Q", format=".0%"),
                alt.Tooltip("bookings:Q", format=",.0f"),
                alt.Tooltip("quota:Q", format=",.0f"),
            ],
        )
    )
    rule = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(strokeDash=[4, 3]).encode(x="x:Q")
    return (bars + rule).properties(height=alt.Step(28))


def win_loss_chart(rows: pd.DataFrame, dimension: str = "product") -> alt.Chart:
    """Return won and lost amounts per value of a dimension of `win_loss` rows."""
    part = rows[rows["dimension"] == dimension]
    long = part.melt(
        id_vars=["value", "won", "lost"], value_vars=["won_amount", "lost_amount"],
        var_name="outcome", value_name="amount",
    )  # fmt: skip
    long["outcome"] = long["outcome"].map({"won_amount": "won", "lost_amount": "lost"})
    long["deals"] = long["won"].where(long["outcome"] == "won", long["lost"])
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("value:N", title=None, sort=part["value"].tolist()),
            x=alt.X("amount:Q", title="Amount", axis=alt.Axis(format="~s")),
            yOffset="outcome:N",
            color=alt.Color(
                "outcome:N",
                scale=alt.Scale(domain=["won", "lost"], range=["#16a34a", "#dc2626"]),
                legend=alt.Legend(title=None, orient="top"),
            ),
            tooltip=["value:N", "outcome:N", "deals:Q", alt.Tooltip("amount:Q", format=",.0f")],
        )
        .properties(height=alt.Step(16))
    )


def losses_chart(rows: pd.DataFrame, dimension: str = "reason") -> alt.Chart:
    """Return bars of lost deals per reason or competitor, price highlighted."""
    part = rows[rows["dimension"] == dimension].assign(
        is_price=lambda d: d["value"].str.contains("pric", case=False)
    )
    return (
        alt.Chart(part)
        .mark_bar()
        .encode(
            y=alt.Y("value:N", sort="-x", title=None),
            x=alt.X("share_of_deals:Q", title="Share of lost deals", axis=alt.Axis(format="%")),
            color=alt.condition("datum.is_price", alt.value("#dc2626"), alt.value("#9ca3af")),
            tooltip=[
                alt.Tooltip("value:N", title=dimension),
                "deals:Q",
                alt.Tooltip("amount:Q", format=",.0f"),
                alt.Tooltip("share_of_deals:Q", format=".0%"),
                alt.Tooltip("share_of_value:Q", format=".0%"),
            ],
        )
        .properties(height=alt.Step(24))
    )


def surprise_chart(by_rep: pd.DataFrame) -> alt.Chart:
    """Return stacked bookings per rep: in the start pipeline vs surprise (`surprises_by_rep`)."""
    data = by_rep.assign(forecasted=by_rep["bookings"] - by_rep["surprise_bookings"])
    long = data.melt(
        id_vars=["rep", "surprise_share"], value_vars=["forecasted", "surprise_bookings"],
        var_name="kind", value_name="amount",
    )  # fmt: skip
    long["kind"] = long["kind"].map(
        {"forecasted": "in the start pipeline", "surprise_bookings": "surprise"}
    )
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("rep:N", sort="-x", title=None, axis=alt.Axis(labelLimit=200)),
            x=alt.X("amount:Q", stack=True, title="Bookings", axis=alt.Axis(format="~s")),
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(
                    domain=["in the start pipeline", "surprise"], range=["#2563eb", "#f59e0b"]
                ),
                legend=alt.Legend(title=None, orient="top"),
            ),
            tooltip=[
                "rep:N",
                "kind:N",
                alt.Tooltip("amount:Q", format=",.0f"),
                alt.Tooltip("surprise_share:Q", format=".0%", title="surprise share"),
            ],
        )
        .properties(height=alt.Step(26))
    )


def trend_chart(trend: pd.DataFrame) -> alt.Chart:
    """Return the week-by-week forecast lines (as_of × closed, commit, best case, P50, quota)."""
    names = {"closed": "Closed", "commit": "Commit", "best_case": "Best case",
             "stat_p50": "Statistical P50", "quota": "Quota"}  # fmt: skip
    keep = [c for c in names if c in trend]
    long = trend.melt(id_vars=["as_of"], value_vars=keep, var_name="series", value_name="amount")
    long["series"] = long["series"].map(names)
    return (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("as_of:T", title="Snapshot"),
            y=alt.Y("amount:Q", title="Amount", axis=alt.Axis(format="~s")),
            color=alt.Color("series:N", title=None, legend=alt.Legend(orient="top")),
            strokeDash=alt.condition(
                alt.datum.series == "Quota", alt.value([5, 4]), alt.value([1, 0])
            ),
            tooltip=[alt.Tooltip("as_of:T"), "series:N", alt.Tooltip("amount:Q", format=",.0f")],
        )
        .properties(height=300)
    )


def plan_chart(rows: pd.DataFrame, dimension: str) -> alt.Chart:
    """Return actual vs plan bars (plan as a tick) for one dimension of `plan_vs_actual`."""
    part = rows[rows["dimension"] == dimension]
    base = alt.Chart(part).encode(y=alt.Y("value:N", sort=part["value"].tolist(), title=None))
    tips = [
        "value:N",
        alt.Tooltip("plan:Q", format=",.0f"),
        alt.Tooltip("actual:Q", format=",.0f"),
        alt.Tooltip("variance:Q", format=",.0f"),
        alt.Tooltip("variance_pct:Q", format="+.0%"),
    ]
    bars = base.mark_bar(color="#2563eb").encode(
        x=alt.X("actual:Q", title="Actual (bar) vs plan (tick)", axis=alt.Axis(format="~s")),
        tooltip=tips,
    )
    ticks = base.mark_tick(color="#111", thickness=3, size=22).encode(x="plan:Q", tooltip=tips)
    return (bars + ticks).properties(height=alt.Step(30))


# --- export pack -----------------------------------------------------------------------------


@dataclass
class Pack:
    """The export pack: one self-contained HTML page and the tables behind it."""

    title: str
    html: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def svg_bars(
    items: list[tuple[str, float, float, str]], fmt: Callable[[float], str] = money
) -> str:
    """Return an inline SVG of horizontal bars, each (label, from, to, colour); text escaped."""
    if not items:
        return ""
    lo = min(0.0, *(min(a, b) for _, a, b, _ in items))
    hi = max(0.0, *(max(a, b) for _, a, b, _ in items)) or 1.0
    left, width, row = 170, 520, 26
    scale = width / (hi - lo) if hi > lo else 1.0
    parts = []
    for i, (label, a, b, colour) in enumerate(items):
        y = 10 + i * row
        x0 = left + (min(a, b) - lo) * scale
        w = max(abs(b - a) * scale, 1.0)
        parts.append(
            f'<text x="{left - 8}" y="{y + 16}" text-anchor="end">{html.escape(label)}</text>'
            f'<rect x="{x0:.1f}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" '
            f'fill="{colour}"><title>{html.escape(label)}: {html.escape(fmt(abs(b - a)))}</title>'
            f'</rect><text x="{x0 + w + 6:.1f}" y="{y + 16}">{html.escape(fmt(abs(b - a)))}</text>'
        )
    height = 20 + len(items) * row
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{left + width + 110}" '
        f'height="{height}" font-family="system-ui, sans-serif" font-size="12">'
        + "".join(parts)
        + "</svg>"
    )


def _shown(frame: pd.DataFrame, money_cols: tuple[str, ...], pct_cols: tuple[str, ...],
           symbol: str) -> pd.DataFrame:  # fmt: skip
    """Return a display copy: money with the currency symbol, fractions as percentages."""
    out = frame.copy()
    for c in money_cols:
        if c in out:
            out[c] = out[c].map(lambda v: money(v, symbol))
    for c in pct_cols:
        if c in out:
            out[c] = out[c].map(pct)
    for c in ("cycle_days", "cycle_median_days"):
        if c in out:
            out[c] = out[c].astype(float).round(1)
    return out


MONEY_COLS = (
    "bookings", "quota", "surprise_bookings", "won_amount", "lost_amount", "amount", "plan",
    "actual", "variance", "amount_s0", "amount_s1", "commit_call", "best_case_call", "commit",
    "best_case", "statistical", "closed", "stat_p50", "stat_p10", "stat_p90", "stat_expected",
    "pipeline",
)  # fmt: skip
PCT_COLS = (
    "attainment", "surprise_share", "win_rate", "value_win_rate", "share_of_deals",
    "share_of_value", "variance_pct", "share", "top2_share", "commit_error", "best_case_error",
    "statistical_error",
)  # fmt: skip
# Runs one spm query for the export pack: fetch(fn, *args, **kwargs) -> fn(con, *args, **kwargs).
Fetch = Callable[..., Any]
# The HTML page shows these deal columns; the CSV keeps them all.
PACK_DEAL_COLUMNS = [
    "bucket", "opportunity_id", "name", "account", "owner", "amount", "close_date_s0",
    "close_date_s1", "stage_s1",
]  # fmt: skip


def build_pack(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
    start: date | None = None,
    fetch: Fetch | None = None,
) -> Pack:
    """Return the export pack for a period: every QBR section as HTML and as tables.

    Each query runs as `fetch(fn, period, as_of=..., ...)`, by default `fn(con, ...)`: a page
    passes its cache so the pack reuses the results it already shows.
    """
    run = fetch or (lambda fn, *args, **kwargs: fn(con, *args, **kwargs))
    symbol = store.get_settings(con)["currency_symbol"]
    p = store.fiscal_period(con, period)
    token = secrets.token_hex(8)  # chart placeholders no loaded text can guess
    charts: dict[str, str] = {}
    tables: dict[str, pd.DataFrame] = {}
    sections: list[tuple[str, object]] = []

    def chart(svg: str) -> str:
        key = f"qbrchart{token}{len(charts)}"
        charts[key] = svg
        return key

    def add(
        heading: str,
        body: object,
        name: str | None = None,
        money_cols: tuple[str, ...] = MONEY_COLS,
        columns: list[str] | None = None,
    ) -> None:
        if isinstance(body, pd.DataFrame):
            if name:
                tables[name] = body
            body = _shown(body[columns] if columns else body, money_cols, PCT_COLS, symbol)
        sections.append((heading, body))

    # Bookings vs quota and the diagnosis
    team_row, reps = run(attainment_tables, p.label, as_of=as_of, team=team, rep=rep)
    t = team_row.iloc[0]
    verdict = diagnose(t["attainment"], reps["attainment"].tolist())
    add("Bookings vs quota", f"{verdict.headline}. {verdict.text}")
    add("Bookings vs quota: team", team_row, "team_attainment")
    add("Bookings vs quota: reps", reps, "rep_attainment")
    bars = [
        (r.rep, 0.0, float(r.attainment), "#16a34a" if r.made_quota else "#dc2626")
        for r in reps.dropna(subset=["attainment"]).itertuples()
    ]
    if bars:
        add("Attainment by rep", chart(svg_bars(bars, fmt=pct)))
    add("Attainment spread", kpis.attainment_distribution(reps), "attainment_spread")

    # Pipeline waterfall
    try:
        totals, deals = run(
            waterfall.waterfall_tables, p.label, as_of=as_of, team=team, rep=rep, start=start
        )
        s = waterfall.steps(totals)
        colours = {"pipeline": "#2563eb", "added": "#16a34a", "taken out": "#dc2626"}
        add(
            "Pipeline waterfall",
            f"From the snapshot of {totals.attrs['s0']} to that of {totals.attrs['s1']}: "
            f"start {money(float(totals['start'].iloc[0]), symbol)}, "
            f"end {money(float(totals['end'].iloc[0]), symbol)}.",
        )
        add(
            "Pipeline waterfall: chart",
            chart(
                svg_bars(
                    [(r.label, r.base, r.top, colours[r.kind]) for r in s.itertuples()],
                    fmt=lambda v: money(v, symbol),
                )
            ),
        )
        add("Pipeline waterfall: buckets", totals, "waterfall", tuple(waterfall.COLUMNS))
        add("Pipeline waterfall: deals", deals, "waterfall_deals", columns=PACK_DEAL_COLUMNS)
        surprise, by_rep = run(
            surprise_tables, p.label, as_of=as_of, team=team, rep=rep, start=start
        )
        add("Surprises", surprise, "surprises")
        add("Surprises by rep", by_rep, "surprises_by_rep")
    except waterfall.WaterfallError as exc:
        add("Pipeline waterfall", str(exc))
        add("Surprises", str(exc))

    # Forecast accuracy
    views = run(forecast_views, p.label, team=team)
    if views is None:
        add("Forecast accuracy", FORECAST_MISSING)
    else:
        add("Forecast accuracy", views.note or views.accuracy, "forecast_accuracy")
        add("Forecast trend week by week", views.trend, "forecast_trend")
    calls = run(forecast_calls, p.label, as_of=as_of, team=team)
    add("Forecast calls vs actual", calls, "forecast_calls")

    # Win / loss
    wl = run(win_loss, p.label, as_of=as_of, team=team, rep=rep)
    add("Win / loss", wl[wl["dimension"] == "total"], "win_loss")
    add("Win / loss by product", wl[wl["dimension"] == "product"], "win_loss_by_product")
    add("Win / loss by rep", wl[wl["dimension"] == "rep"], "win_loss_by_rep")
    lost = run(losses, p.label, as_of=as_of, team=team, rep=rep)
    callout = price_callout(lost)
    if callout:
        add("Loss reasons: price", callout)
    add("Loss reasons", lost[lost["dimension"] == "reason"], "loss_reasons")
    add("Competitors", lost[lost["dimension"] == "competitor"], "competitors")
    cycle = wl[wl["dimension"] == "product"][["value", "won", "cycle_days", "cycle_median_days"]]
    add("Sales cycle by product", cycle.rename(columns={"value": "product"}), "cycle_by_product")

    # Accounts
    acc = run(accounts_health, p.label, as_of=as_of, team=team, rep=rep)
    if len(acc):
        add("Accounts", acc, "accounts")

    # Plan vs actual
    plan = run(plan_vs_actual, p.label, as_of=as_of, team=team, rep=rep)
    add("Plan vs actual", plan, "plan_vs_actual")

    scope = " · ".join(x for x in (team and f"team {team}", rep and f"rep {rep}") if x)
    title = f"QBR {p.label}"
    page = html_page(
        title,
        sections,
        subtitle=f"{p.start} to {p.last_day}"
        + (f" · {scope}" if scope else "")
        + f" · generated {date.today()}",
    )
    for key, svg in charts.items():
        page = page.replace(f"<p>{key}</p>", f"<figure>{svg}</figure>")
    return Pack(title=title, html=page, tables=tables)


def pack_zip(tables: dict[str, pd.DataFrame]) -> bytes:
    """Return a zip of one CSV per table, formula-like cells neutralised."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, frame in tables.items():
            z.writestr(f"{name}.csv", safe_csv(frame))
    return buf.getvalue()


def write_pack(pack: Pack, out_dir: str | Path) -> list[Path]:
    """Write the pack's HTML file and CSV zip into `out_dir`; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = pack.title.lower().replace(" ", "_")
    page, archive = out / f"{stem}.html", out / f"{stem}_tables.zip"
    page.write_text(pack.html, encoding="utf-8")
    archive.write_bytes(pack_zip(pack.tables))
    return [page, archive]


# --- command line ----------------------------------------------------------------------------


def _date_arg(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-07-01") from None


def _user_error(message: str) -> Exception:
    from spm.cli import UserError  # lazy: spm.cli imports this module while it loads

    return UserError(message)


def _args(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> dict[str, Any]:
    return {
        "period": args.period or default_period(con),
        "as_of": args.as_of,
        "team": args.team,
        "rep": args.rep,
    }


def _cli_waterfall(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> pd.DataFrame:
    a = _args(con, args)
    try:
        if getattr(args, "by_deal", False):
            return waterfall.waterfall_deals(con, start=args.from_date, **a)
        return waterfall.waterfall(con, start=args.from_date, **a)
    except waterfall.WaterfallError as exc:
        raise _user_error(str(exc)) from None


def _cli_surprises(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> pd.DataFrame:
    try:
        return surprises(con, start=args.from_date, **_args(con, args))
    except waterfall.WaterfallError as exc:
        raise _user_error(str(exc)) from None


def _cli_win_loss(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> pd.DataFrame:
    return win_loss(con, **_args(con, args))


def _cli_qbr(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> pd.DataFrame:
    if not args.out:
        raise _user_error("report qbr writes the export pack: give --out DIR")
    pack = build_pack(con, start=args.from_date, **_args(con, args))
    try:
        paths = write_pack(pack, args.out)
    except OSError as exc:
        raise _user_error(f"cannot write to {args.out}: {exc.strerror or exc}") from None
    return pd.DataFrame([{"file": str(p), "bytes": p.stat().st_size} for p in paths])


CLI_REPORTS = {
    "waterfall": _cli_waterfall,
    "surprises": _cli_surprises,
    "win-loss": _cli_win_loss,
    "qbr": _cli_qbr,
}
CLI_OPTIONS = [
    (
        "--from",
        {
            "dest": "from_date",
            "type": _date_arg,
            "default": None,
            "help": "waterfall / surprises: start snapshot on or before this date "
            "(default: the period's first day)",
        },
    ),
    ("--by-deal", {"action": "store_true", "help": "waterfall: one row per deal and bucket"}),
    ("--out", {"default": None, "help": "qbr: folder to write the export pack into"}),
]
