"""Plans: hunter/farmer business plans by reverse funnel, run rate vs goal, quota scenarios.

Business plan per rep and offering (product): target → deals needed (target / ADS) → proposals
needed (deals / win rate) → opportunities needed (proposals / proposal rate) → prospects needed
(opportunities / qualification rate). The rates come from the rep's closed deals in the trailing
four fiscal quarters ("last year"), read along the stages each deal was seen in:

* prospects = decided deals (won + lost); opportunities = those seen open at the second open
  stage or later (qualified); proposals = those seen open at the proposal stage or later; won.
* win rate = won / proposals (the SPEC's won / (won + lost), counted over deals that got a
  proposal, so that deals / win rate gives proposals); proposal rate = proposals /
  opportunities; qualification rate = opportunities / prospects. With these, last year's funnel
  reproduces itself exactly: won / win rate / proposal rate / qualification rate = prospects.

Quota scenarios turn a budget into quotas that add up, in cents, to budget × (1 + over-
assignment), by one of four methods, with manual overrides and the rest re-spread (largest-
remainder rounding), phased by month, and judged by a seeded bootstrap of each rep's quarterly
bookings. Money is in the currency of the data (floats), rates are fractions.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from typing import Any, NamedTuple

import duckdb
import numpy as np
import pandas as pd

from spm import derived, sql, store
from spm.metrics.kpis import rep_kpis, rep_kpis_by_period
from spm.periods import (
    Period,
    add_months,
    fiscal_year_of,
    parse_period,
    quarter_of,
    shift,
    trailing_quarters,
)


class PlanError(ValueError):
    """A planning input that cannot be used (unknown method, negative budget, bad rate, ...)."""


METHODS = ("even", "history", "capacity", "pipeline")
METHOD_LABELS = {
    "even": "Even split",
    "history": "By last year's bookings",
    "capacity": "By ramp-adjusted capacity",
    "pipeline": "By open pipeline",
}
PHASINGS = ("history", "even")
MIN_DEALS = 5  # decided deals before a rep's own rates for an offering are trusted
MIN_QUARTERS = 4  # full-ramp quarters before a rep's own quarterly bookings are sampled
FULL_RAMP = 0.5  # quarters below this ramp fraction say too little about full-ramp bookings
SIMULATIONS = 10_000
DRAW_BLOCK = 2**16  # draws per block of simulations: a few arrays that stay in cache
MAX_THREADS = 4  # threads the simulations are drawn on, at most one per core
SHARES_PER_THREAD = 4  # parts of the simulations per thread, taken in turn
HISTORY_QUARTERS = 8
COUNTS = ["prospects", "opportunities", "proposals", "won", "lost", "bookings"]
INPUT_COLUMNS = ["offering", "target", "ads", "win_rate", "proposal_rate", "qualify_rate"]
NEEDED_COLUMNS = ["deals_needed", "proposals_needed", "opportunities_needed", "prospects_needed"]
DRIVERS = {
    "deals": ("deals_needed", "won"),
    "ads": ("ads", "ads"),
    "win_rate": ("win_rate", "win_rate"),
    "opportunities": ("opportunities_needed", "opportunities"),
}
FLAGS = (
    "aggressive but attainable",
    "stretch",
    "below last year",
    "in line with last year",
    "no history",
)


# --- calendar and roster helpers ---------------------------------------------------------------


def _fsm(con: duckdb.DuckDBPyConnection) -> int:
    return int(store.get_settings(con)["fiscal_year_start_month"])


def _anchor(con: duckdb.DuckDBPyConnection, as_of: date | None) -> date:
    """Return the as-of date, else the latest snapshot date, else today."""
    if as_of is not None:
        return as_of
    snaps = store.snapshot_dates(con)
    return _day(snaps[-1]) if snaps else date.today()


def _day(value: Any) -> date | None:
    """Return a date from a date, Timestamp or string; None for missing values."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date()


def fiscal_year(con: duckdb.DuckDBPyConnection, year: str) -> Period:
    """Return the fiscal-year Period for a label like FY2027 (PlanError for anything else)."""
    try:
        p = parse_period(str(year), _fsm(con))
    except ValueError as exc:
        raise PlanError(f"year '{year}' is not a fiscal year like FY2027") from exc
    if p.grain != "year":
        raise PlanError(f"'{year}' is a {p.grain}; plans need a fiscal year like FY2027")
    return p


def planning_years(con: duckdb.DuckDBPyConnection, as_of: date | None = None) -> list[str]:
    """Return the current and the next fiscal year labels (the 24 months a plan covers)."""
    fy = fiscal_year_of(_anchor(con, as_of), _fsm(con))
    return [f"FY{fy}", f"FY{fy + 1}"]


def history_window(con: duckdb.DuckDBPyConnection, year: Period, as_of: date | None) -> Period:
    """Return "last year": the 4 fiscal quarters that ended on or before min(as-of, year start)."""
    before = min(_anchor(con, as_of), year.start)
    return trailing_quarters(before, 4, _fsm(con))


def _history_quarters(con: duckdb.DuckDBPyConnection, window: Period, n: int) -> list[Period]:
    """Return the `n` fiscal quarters ending with the window's last quarter, oldest first."""
    fsm = _fsm(con)
    last = quarter_of(window.last_day, fsm)
    return [shift(last, -k, fsm) for k in range(n - 1, -1, -1)]


def ramp_fraction(
    hire: date | None, ramp_months: Any, end_date: date | None, start: date, end: date
) -> float:
    """Return a rep's ramp fraction for [start, end): whole months hired by `end` / ramp, ≤ 1.

    The same rule as revenue per head in rep_kpis.sql: 0 when the rep left before the period
    or joins after it, 1 without a hire date or ramp.
    """
    rep = pd.DataFrame({"hire_date": [hire], "ramp_months": [ramp_months], "end_date": [end_date]})
    return float(_rep_ramps(rep, [(start, end)])[0, 0])


def roster(
    con: duckdb.DuckDBPyConnection, year: str, as_of: date | None = None, team: str | None = None
) -> pd.DataFrame:
    """Return the reps who can carry quota in the fiscal year: rep, team, role, hire/ramp/end."""
    fy = fiscal_year(con, year)
    window = history_window(con, fy, as_of)

    def compute() -> pd.DataFrame:
        out = sql.run(
            con, "plans_roster", start=fy.start, end=fy.end, history_start=window.start, team=team
        )
        return out.reset_index(drop=True)

    # scans every snapshot row for owners missing from the reps file (~50 ms): kept per state
    # of the data, and refresh stores the one the Plans page opens on
    key = {"year": fy.label, "history_start": window.start, "team": team}
    return derived.memo_frame(con, "plans_roster", key, compute)


def _rep_ramps(reps: pd.DataFrame, periods: list[tuple[date, date]]) -> np.ndarray:
    """Return reps × periods ramp fractions (ramp_fraction's rule, a column per period)."""
    hire = pd.to_datetime(reps["hire_date"]).to_numpy().astype("datetime64[D]")
    left = pd.to_datetime(reps["end_date"]).to_numpy()
    ramp = np.trunc(pd.to_numeric(reps["ramp_months"]).astype(float).fillna(0.0).to_numpy())
    unknown = np.isnat(hire)
    month = hire.astype("datetime64[M]")
    # year × 12 + month and day of month of the hire date, NaN without one
    hired = np.where(unknown, np.nan, month.astype(np.int64) + (1970 * 12 + 1))
    day = np.where(unknown, np.nan, (hire - month).astype(np.int64) + 1)
    no_ramp = unknown | (ramp <= 0)
    out = np.zeros((len(reps), len(periods)))
    for j, (start, end) in enumerate(periods):
        months = (end.year * 12 + end.month) - hired - (end.day < day)
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(no_ramp, 1.0, np.minimum(1.0, np.maximum(0.0, months / ramp)))
        gone = (left < np.datetime64(start)) | (hire >= np.datetime64(end))
        out[:, j] = np.where(gone, 0.0, frac)
    return out


def _months(p: Period) -> list[tuple[date, date]]:
    return [(m, add_months(m, 1)) for m in p.months()]


# --- rounding ----------------------------------------------------------------------------------


def spread(total_cents: int, weights: Any) -> np.ndarray:
    """Return whole cents proportional to `weights` that sum exactly to `total_cents`.

    Largest-remainder rounding; all-zero weights spread evenly.
    """
    w = np.asarray(weights, dtype=float)
    total = int(total_cents)
    if total < 0:
        raise PlanError("an amount to spread cannot be negative")
    if len(w) == 0:
        if total:
            raise PlanError("there is nobody to spread the amount over")
        return np.zeros(0, dtype=np.int64)
    if not np.isfinite(w).all() or (w < 0).any():
        raise PlanError("weights must be finite and not negative")
    return _spread_rows(np.array([total], dtype=np.int64), w[None, :])[0]


def _spread_rows(totals: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Return spread() of each row's total over that row's weights (checked), cents."""
    w = np.where((weights.sum(axis=1) <= 0)[:, None], 1.0, weights)
    raw = totals[:, None] * (w / w.sum(axis=1, keepdims=True))
    out = np.floor(raw).astype(np.int64)
    short = totals - out.sum(axis=1)
    # the `short` largest remainders (ties: leftmost first) get a cent each
    order = np.argsort(-(raw - out), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(w.shape[1]), w.shape), axis=1)
    out += rank < short[:, None]
    # float error can leave a cent or two either way on huge totals: the largest share absorbs it
    out[np.arange(len(out)), np.argmax(w, axis=1)] += totals - out.sum(axis=1)
    return out


def cents(amount: float) -> int:
    """Return an amount in whole cents (half away from zero)."""
    return int(math.floor(abs(float(amount)) * 100 + 0.5)) * (1 if amount >= 0 else -1)


def phase(amount: float, weights: Any) -> np.ndarray:
    """Return `amount` phased over periods by `weights`, in currency, summing exactly in cents."""
    return spread(cents(amount), weights) / 100


def allocate(
    target_cents: int,
    reps: list[str],
    weights: Any,
    overrides: dict[str, int] | None = None,
) -> np.ndarray:
    """Return cents per rep: manual overrides kept, the rest of the target spread by weights."""
    overrides = overrides or {}
    unknown = sorted(set(overrides) - set(reps))
    if unknown:
        raise PlanError(f"manual quota for unknown rep(s): {', '.join(unknown)}")
    if any(v < 0 for v in overrides.values()):
        raise PlanError("manual quotas cannot be negative")
    fixed = np.array([r in overrides for r in reps], dtype=bool)
    fixed_total = sum(int(v) for v in overrides.values())
    if fixed_total > target_cents:
        raise PlanError(
            f"manual quotas add up to {fixed_total / 100:,.2f}, "
            f"more than the {target_cents / 100:,.2f} to allocate"
        )
    out = np.zeros(len(reps), dtype=np.int64)
    for i, r in enumerate(reps):
        if r in overrides:
            out[i] = int(overrides[r])
    rest = target_cents - fixed_total
    if (~fixed).any():
        out[~fixed] = spread(rest, np.asarray(weights, dtype=float)[~fixed])
    elif rest:
        raise PlanError(
            f"every rep has a manual quota and they add up to {fixed_total / 100:,.2f}, "
            f"not the {target_cents / 100:,.2f} to allocate"
        )
    return out


# --- history -----------------------------------------------------------------------------------


def stage_orders(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Return (qualified order, proposal order) from the open stages the data shows."""
    derived.ensure_stage_history(con)
    stages = sql.run(con, "plans_open_stages")
    orders = sorted({int(o) for o in stages["stage_order"]})
    if not orders:
        return 0, 0
    named = stages[stages["stage"].str.contains("proposal|quote", case=False, regex=True)]
    proposal = int(named["stage_order"].min()) if len(named) else orders[-1]
    qualified = orders[1] if len(orders) > 1 else orders[0]
    return min(qualified, proposal), proposal


def funnel_history(
    con: duckdb.DuckDBPyConnection,
    window: Period,
    as_of: date | None = None,
    team: str | None = None,
) -> pd.DataFrame:
    """Return last year's funnel counts and bookings per rep, offering, lead source and type."""
    return _funnel(con, window, as_of, team, stage_orders(con))


def _funnel(
    con: duckdb.DuckDBPyConnection,
    window: Period,
    as_of: date | None,
    team: str | None,
    orders: tuple[int, int],
) -> pd.DataFrame:
    """Return funnel_history() given stage_orders() (which makes deal_stage_history current)."""
    return _funnels(con, [window], as_of, team, orders)[0]


def _funnels(
    con: duckdb.DuckDBPyConnection,
    windows: list[Period],
    as_of: date | None,
    team: str | None,
    orders: tuple[int, int],
) -> list[pd.DataFrame]:
    """Return _funnel() for each window, in order, from one query."""
    qualified, proposal = orders
    out = sql.run(
        con,
        "plans_funnel_history",
        start=[w.start for w in windows],
        end=[w.end for w in windows],
        as_of=as_of,
        team=team,
        qualified_order=qualified,
        proposal_order=proposal,
    )
    for c in COUNTS:
        out[c] = out[c].astype(float)
    number = out.pop("window").to_numpy()
    parts = [out[number == k].reset_index(drop=True) for k in range(len(windows))]
    # an empty window as a query of its own gives it: text columns of object dtype
    text = {c: object for c in ("rep", "offering", "lead_source", "type")}
    return [p.astype(text) if p.empty else p for p in parts]


def rates(counts: pd.DataFrame) -> pd.DataFrame:
    """Return ads, win_rate, proposal_rate, qualify_rate from summed funnel counts (NaN if 0/0)."""
    c = {k: counts[k].to_numpy(dtype=float) for k in COUNTS if k != "lost"}

    def ratio(a: str, b: str) -> np.ndarray:
        return c[a] / np.where(c[b] > 0, c[b], np.nan)

    return pd.DataFrame(
        {
            "ads": ratio("bookings", "won"),
            "win_rate": ratio("won", "proposals"),
            "proposal_rate": ratio("proposals", "opportunities"),
            "qualify_rate": ratio("opportunities", "prospects"),
        },
        index=counts.index,
    )


def _team_of(con: duckdb.DuckDBPyConnection, rep: str) -> str | None:
    row = con.execute("SELECT team FROM reps WHERE rep = ?", [rep]).fetchone()
    return str(row[0]) if row and row[0] is not None else None


def _role_of(con: duckdb.DuckDBPyConnection, rep: str) -> str | None:
    row = con.execute("SELECT lower(role) FROM reps WHERE rep = ?", [rep]).fetchone()
    return str(row[0]) if row and row[0] is not None else None


def _first_text(values: pd.Series) -> str | None:
    """Return the first value as text, None when there is none or it is missing."""
    return None if values.empty or pd.isna(values.iloc[0]) else str(values.iloc[0])


def _known_rep(con: duckdb.DuckDBPyConnection, rep: str) -> None:
    row = con.execute(
        "SELECT count(*) FROM (SELECT rep FROM reps WHERE rep = ? "
        "UNION ALL SELECT owner FROM opportunity_snapshots WHERE owner = ? LIMIT 1)",
        [rep, rep],
    ).fetchone()
    if not row or not row[0]:
        raise PlanError(f"unknown rep '{rep}': not in the reps file and owns no deals")


# --- business plan -----------------------------------------------------------------------------


def rep_target(
    con: duckdb.DuckDBPyConnection, rep: str, year: str, as_of: date | None = None
) -> float:
    """Return the rep's quota for the fiscal year (currency); last year's bookings without one."""
    fy = fiscal_year(con, year)
    return _rep_targets(con, rep, [fy], as_of)[fy.label]


def _rep_targets(
    con: duckdb.DuckDBPyConnection, rep: str, years: list[Period], as_of: date | None
) -> dict[str, float]:
    """Return rep_target() for each fiscal year, by label (the quotas from one query)."""
    kpis = rep_kpis_by_period(con, [fy.label for fy in years], as_of=as_of, rep=rep)
    out = {}
    for fy, k in zip(years, kpis, strict=True):
        quota = float(pd.to_numeric(k["quota"]).iloc[0]) if len(k) else float("nan")
        if math.isnan(quota):
            window = history_window(con, fy, as_of)
            quota = float(span_bookings(con, window, as_of, rep=rep).get(rep, 0.0))
        out[fy.label] = quota
    return out


def span_bookings(
    con: duckdb.DuckDBPyConnection,
    window: Period,
    as_of: date | None,
    team: str | None = None,
    rep: str | None = None,
) -> pd.Series:
    """Return bookings per rep (currency) summed over the fiscal quarters of a span."""
    monthly = _span_months(con, window, 4, as_of, team, rep)
    return monthly.groupby("rep", sort=False)["bookings"].sum().astype(float)


def _span_months(
    con: duckdb.DuckDBPyConnection,
    window: Period,
    quarters: int,
    as_of: date | None,
    team: str | None = None,
    rep: str | None = None,
) -> pd.DataFrame:
    """Return plans_monthly_bookings over the `quarters` fiscal quarters up to the window's end."""
    qs = _history_quarters(con, window, quarters)
    return sql.run(con, "plans_monthly_bookings", start=qs[0].start, end=qs[-1].end, as_of=as_of,
                   team=team, rep=rep)  # fmt: skip


def rep_history(
    con: duckdb.DuckDBPyConnection, rep: str, year: str, as_of: date | None = None
) -> pd.DataFrame:
    """Return funnel_history of the rep's team over the year's "last year" (counts, currency)."""
    fy = fiscal_year(con, year)
    return funnel_history(con, history_window(con, fy, as_of), as_of, team=_team_of(con, rep))


def plan_defaults(
    con: duckdb.DuckDBPyConnection,
    rep: str,
    year: str,
    as_of: date | None = None,
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return default plan inputs per offering from history (target in currency, rates).

    `history` is rep_history() for the rep and year when the caller has it already.
    """
    _known_rep(con, rep)
    fy = fiscal_year(con, year)
    hist = rep_history(con, rep, fy.label, as_of) if history is None else history
    return _defaults(rep, hist, rep_target(con, rep, year, as_of))


def _defaults(rep: str, hist: pd.DataFrame, target: float) -> pd.DataFrame:
    """Return plan_defaults() from the rep's rep_history() and rep_target()."""
    if hist.empty:
        row = {c: float("nan") for c in INPUT_COLUMNS}
        row.update(offering="(all offerings)", target=target, basis="no history")
        return pd.DataFrame([row], columns=[*INPUT_COLUMNS, "basis"])
    by_rep = hist.groupby(["rep", "offering"])[COUNTS].sum()
    by_offering = hist.groupby("offering")[COUNTS].sum()
    offerings = by_offering.sort_values("bookings", ascending=False, kind="stable").index
    mine = by_rep.xs(rep, level="rep") if rep in by_rep.index.get_level_values("rep") else None
    mine = (mine if mine is not None else by_offering.iloc[0:0]).reindex(offerings).fillna(0.0)
    own_mix = mine["won"].sum() >= MIN_DEALS and mine["bookings"].sum() > 0
    mix = (mine if own_mix else by_offering.reindex(offerings))["bookings"]
    per_rep = rates(by_rep)
    enough = by_rep["prospects"] >= MIN_DEALS
    team_median = per_rep[enough].groupby(level="offering").median()
    pooled = rates(by_offering)
    own = rates(mine)
    rows = []
    targets = phase(target, mix.to_numpy()) if target > 0 else np.zeros(len(offerings))
    for o, t in zip(offerings, targets, strict=True):
        if mine.at[o, "prospects"] >= MIN_DEALS and mine.at[o, "won"] >= 1:
            r, basis = own.loc[o], "own history"
        elif o in team_median.index and team_median.loc[o].notna().all():
            r, basis = team_median.loc[o], "team median"
        else:
            r, basis = pooled.loc[o], "team total"
        rows.append({"offering": o, "target": float(t), **r.to_dict(), "basis": basis})
    return pd.DataFrame(rows, columns=[*INPUT_COLUMNS, "basis"])


def reverse_funnel(inputs: pd.DataFrame) -> pd.DataFrame:
    """Return the inputs with deals, proposals, opportunities and prospects needed (counts).

    Missing inputs give missing outputs; impossible ones (ADS ≤ 0, a rate outside (0, 1],
    negative target) raise PlanError naming the offering.
    """
    missing = [c for c in INPUT_COLUMNS if c not in inputs.columns]
    if missing:
        raise PlanError(f"plan inputs lack column(s): {', '.join(missing)}")
    out = inputs.copy().reset_index(drop=True)
    for c in INPUT_COLUMNS[1:]:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    for r in out.itertuples(index=False):
        name = r.offering
        if not pd.isna(r.target) and r.target < 0:
            raise PlanError(f"{name}: the target cannot be negative")
        if not pd.isna(r.ads) and r.ads <= 0:
            raise PlanError(f"{name}: average deal size must be above 0")
        for label, v in (
            ("win rate", r.win_rate),
            ("proposal rate", r.proposal_rate),
            ("qualification rate", r.qualify_rate),
        ):
            if not pd.isna(v) and not 0 < v <= 1:
                raise PlanError(f"{name}: {label} must be above 0% and at most 100%")
    out["deals_needed"] = out["target"] / out["ads"]
    out["proposals_needed"] = out["deals_needed"] / out["win_rate"]
    out["opportunities_needed"] = out["proposals_needed"] / out["proposal_rate"]
    out["prospects_needed"] = out["opportunities_needed"] / out["qualify_rate"]
    return out


def plan_total(plan: pd.DataFrame) -> dict[str, Any]:
    """Return the plan's total row: sums of targets and counts, ratios recomputed from them."""
    t = plan[["target", *NEEDED_COLUMNS]].astype(float).sum(min_count=1)
    return {
        "offering": "Total",
        "target": t["target"],
        "ads": _ratio(t["target"], t["deals_needed"]),
        "win_rate": _ratio(t["deals_needed"], t["proposals_needed"]),
        "proposal_rate": _ratio(t["proposals_needed"], t["opportunities_needed"]),
        "qualify_rate": _ratio(t["opportunities_needed"], t["prospects_needed"]),
        **{c: t[c] for c in NEEDED_COLUMNS},
    }


def _ratio(a: float, b: float) -> float:
    return float(a) / float(b) if b and not pd.isna(b) and not pd.isna(a) else float("nan")


def saved_plan(con: duckdb.DuckDBPyConnection, rep: str, year: str) -> pd.DataFrame | None:
    """Return the saved plan inputs for a rep and fiscal year, or None when none is saved."""
    rows = con.execute(
        "SELECT offering, inputs FROM plans WHERE rep = ? AND fiscal_year = ? ORDER BY rowid",
        [rep, str(year).upper()],
    ).fetchall()
    if not rows:
        return None
    records = [{"offering": o, **json.loads(i)} for o, i in rows]
    out = pd.DataFrame(records)
    for c in INPUT_COLUMNS[1:]:
        out[c] = pd.to_numeric(out.get(c), errors="coerce").astype(float)
    out["basis"] = "saved"
    return out[[*INPUT_COLUMNS, "basis"]]


def save_plan(con: duckdb.DuckDBPyConnection, rep: str, year: str, inputs: pd.DataFrame) -> None:
    """Store a rep's plan inputs for a fiscal year (replacing any earlier save)."""
    fy = fiscal_year(con, year)
    _known_rep(con, rep)
    checked = reverse_funnel(inputs)
    if (
        checked["offering"].isna().any()
        or (checked["offering"].astype(str).str.strip() == "").any()
    ):
        raise PlanError("every plan row needs an offering name")
    if checked["offering"].duplicated().any():
        raise PlanError("each offering may appear only once in a plan")
    now = datetime.now()
    with store.transaction(con):
        con.execute("DELETE FROM plans WHERE rep = ? AND fiscal_year = ?", [rep, fy.label])
        for r in checked.itertuples(index=False):
            values = {c: (None if pd.isna(getattr(r, c)) else float(getattr(r, c)))
                      for c in INPUT_COLUMNS[1:]}  # fmt: skip
            con.execute(
                "INSERT INTO plans VALUES (?, ?, ?, ?, ?)",
                [rep, fy.label, str(r.offering), json.dumps(values), now],
            )
        store.bump_version(con)


def delete_plan(con: duckdb.DuckDBPyConnection, rep: str, year: str) -> None:
    """Forget a rep's saved plan for a fiscal year (back to the defaults from history)."""
    with store.transaction(con):
        con.execute("DELETE FROM plans WHERE rep = ? AND fiscal_year = ?", [rep, str(year).upper()])
        store.bump_version(con)


def business_plan(
    con: duckdb.DuckDBPyConnection,
    rep: str,
    year: str,
    as_of: date | None = None,
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return a rep's plan per offering: inputs (saved, else defaults) and the reverse funnel.

    `history` as in plan_defaults.
    """
    fy = fiscal_year(con, year)
    inputs = saved_plan(con, rep, fy.label)
    if inputs is None:
        inputs = plan_defaults(con, rep, fy.label, as_of, history)
    window = history_window(con, fy, as_of)
    return _plan_frame(inputs, rep, fy, _role_of(con, rep), window)


def _plan_frame(
    inputs: pd.DataFrame, rep: str, fy: Period, role: str | None, window: Period
) -> pd.DataFrame:
    """Return business_plan() from the plan inputs (saved, else defaults)."""
    out = reverse_funnel(inputs)
    out.attrs.update(rep=rep, year=fy.label, role=role, window=window.label)
    return out[[*INPUT_COLUMNS, *NEEDED_COLUMNS, "basis"]]


def flag(plan: float, last_year: float, team_best: float) -> str:
    """Return the seeds' verdict on a plan driver against own history and the team's best."""
    if pd.isna(plan):
        return ""
    tol = 1e-9 * max(1.0, abs(plan))
    beyond = not pd.isna(team_best) and plan > team_best + tol
    if pd.isna(last_year):
        return "stretch" if beyond else "no history"
    if plan < last_year - tol:
        return "below last year"
    if beyond:
        return "stretch"
    if plan > last_year + tol:
        return "aggressive but attainable"
    return "in line with last year"


def drivers_vs_last_year(
    con: duckdb.DuckDBPyConnection,
    rep: str,
    year: str,
    as_of: date | None = None,
    plan: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return per offering and driver: plan, last year, the team's best and the flag.

    `plan` is a reverse funnel being edited; without it, the rep's saved plan (or defaults).
    `history` as in plan_defaults.
    """
    fy = fiscal_year(con, year)
    hist = rep_history(con, rep, fy.label, as_of) if history is None else history
    if plan is None:
        plan = business_plan(con, rep, fy.label, as_of, hist)
    by_rep = hist.groupby(["rep", "offering"])[COUNTS].sum()
    actual = pd.concat([by_rep, rates(by_rep)], axis=1)
    # a rate from a handful of deals is not something "seen on the team"
    ranked = actual.copy()
    ranked.loc[ranked["prospects"] < MIN_DEALS, ["win_rate", "proposal_rate"]] = np.nan
    best = ranked.groupby(level="offering")[["won", "ads", "win_rate", "opportunities"]].max()
    rows = []
    for p in plan.itertuples(index=False):
        key = (rep, p.offering)
        mine = actual.loc[key] if key in actual.index else None
        for driver, (plan_col, hist_col) in DRIVERS.items():
            value = float(getattr(p, plan_col))
            last = float(mine[hist_col]) if mine is not None else float("nan")
            top = float(best.at[p.offering, hist_col]) if p.offering in best.index else math.nan
            rows.append(
                {
                    "offering": p.offering,
                    "driver": driver,
                    "plan": value,
                    "last_year": last,
                    "team_best": top,
                    "flag": flag(value, last, top),
                }
            )
    return pd.DataFrame(rows, columns=["offering", "driver", "plan", "last_year", "team_best",
                                       "flag"])  # fmt: skip


def lead_source_plan(
    con: duckdb.DuckDBPyConnection,
    rep: str,
    year: str,
    as_of: date | None = None,
    plan: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return where the plan's prospects come from: lead source, share, target, counts needed.

    Shares are the rep's last-year prospects (and bookings, for the target) by lead source, the
    team's when the rep decided fewer than MIN_DEALS deals. `plan` and `history` as in
    drivers_vs_last_year.
    """
    fy = fiscal_year(con, year)
    hist = rep_history(con, rep, fy.label, as_of) if history is None else history
    if plan is None:
        plan = business_plan(con, rep, fy.label, as_of, hist)
    total = plan_total(plan)
    mine = hist[hist["rep"] == rep]
    src = mine if mine["prospects"].sum() >= MIN_DEALS else hist
    by = src.groupby("lead_source")[["prospects", "bookings"]].sum()
    if by.empty:
        return pd.DataFrame(columns=["lead_source", "share", "target", "prospects_needed",
                                     "opportunities_needed"])  # fmt: skip
    share = by["prospects"] / by["prospects"].sum()
    targets = phase(total["target"], by["bookings"].to_numpy()) if total["target"] > 0 else 0.0
    return pd.DataFrame(
        {
            "lead_source": by.index,
            "share": share.to_numpy(),
            "target": targets,
            "prospects_needed": share.to_numpy() * total["prospects_needed"],
            "opportunities_needed": share.to_numpy() * total["opportunities_needed"],
        }
    ).reset_index(drop=True)


def month_shape(
    con: duckdb.DuckDBPyConnection,
    year: str,
    as_of: date | None = None,
    team: str | None = None,
    phasing: str = "history",
) -> np.ndarray:
    """Return 12 month weights for the fiscal year: last year's team bookings by month, or even."""
    if phasing not in PHASINGS:
        raise PlanError(f"unknown phasing '{phasing}': use {' or '.join(PHASINGS)}")
    fy = fiscal_year(con, year)
    if phasing == "even":
        return np.ones(12)
    window = history_window(con, fy, as_of)
    monthly = sql.run(
        con, "plans_monthly_bookings", start=window.start, end=window.end, as_of=as_of,
        team=team, rep=None,
    )  # fmt: skip
    return _shape(monthly, fy, window, team)


def _shape(monthly: pd.DataFrame, fy: Period, window: Period, team: str | None) -> np.ndarray:
    """Return month_shape()'s weights from plans_monthly_bookings rows covering the window."""
    month = pd.to_datetime(monthly["month"])
    keep = (month >= pd.Timestamp(window.start)) & (month < pd.Timestamp(window.end))
    if team is not None:
        keep &= monthly["team"] == team
    by_month = monthly[keep].groupby(month[keep].dt.month)["bookings"].sum()
    shape = np.array([float(by_month.get(m.month, 0.0)) for m in fy.months()])
    return shape if shape.sum() > 0 and (shape >= 0).all() else np.ones(12)


def monthly_plan(
    con: duckdb.DuckDBPyConnection,
    rep: str,
    as_of: date | None = None,
    phasing: str = "history",
) -> pd.DataFrame:
    """Return 24 monthly plans (current and next fiscal year): targets, counts, actuals so far.

    Each year's target is phased by the team's monthly shape (or evenly) times the rep's ramp
    in that month, in whole cents; the counts follow the year's funnel ratios.
    """
    monthly = rep_plans(con, rep, as_of).monthly
    if phasing not in PHASINGS:
        raise PlanError(f"unknown phasing '{phasing}': use {' or '.join(PHASINGS)}")
    return monthly[phasing]


class RepPlans(NamedTuple):
    """A rep's plans for both planning years (current and next fiscal year)."""

    history: dict[str, pd.DataFrame]  # rep_history() by fiscal-year label
    plans: dict[str, pd.DataFrame]  # business_plan() by fiscal-year label
    monthly: dict[str, pd.DataFrame]  # monthly_plan() by phasing


def rep_plans(con: duckdb.DuckDBPyConnection, rep: str, as_of: date | None = None) -> RepPlans:
    """Return rep_history, business_plan (per planning year) and monthly_plan (per phasing).

    What the Plans page shows for a rep, with one read of each source for both years: the
    team's funnels, the rep's quotas and the team's monthly bookings.
    """
    anchor = _anchor(con, as_of)
    reps = con.execute(
        "SELECT team, lower(role) AS role, hire_date, ramp_months, end_date FROM reps "
        "WHERE rep = ?",
        [rep],
    ).df()
    team, role = _first_text(reps["team"]), _first_text(reps["role"])  # _team_of, _role_of
    years = [fiscal_year(con, label) for label in planning_years(con, as_of)]
    windows = [history_window(con, fy, as_of) for fy in years]
    first, last = years[0].start, years[-1].end
    # one read of the snapshot: both years' monthly shapes (the rep's team) and the rep's actuals
    booked_months = sql.run(
        con, "plans_monthly_bookings", start=min(first, *(w.start for w in windows)),
        end=max(last, *(w.end for w in windows)), as_of=as_of, team=team, rep=None,
    )  # fmt: skip
    histories = _funnels(con, windows, as_of, team, stage_orders(con))
    saved = {fy.label: saved_plan(con, rep, fy.label) for fy in years}
    todo = [fy for fy in years if saved[fy.label] is None]
    targets = {}
    if todo:
        if reps.empty:  # a rep in the reps file is known
            _known_rep(con, rep)
        targets = _rep_targets(con, rep, todo, as_of)
    plans = {}
    for fy, window, hist in zip(years, windows, histories, strict=True):
        inputs = saved[fy.label]
        if inputs is None:
            inputs = _defaults(rep, hist, targets[fy.label])
        plans[fy.label] = _plan_frame(inputs, rep, fy, role, window)
    monthly = _monthly_plans(rep, reps, years, windows, plans, booked_months, team, anchor)
    return RepPlans(dict(zip(plans, histories, strict=True)), plans, monthly)


def _monthly_plans(
    rep: str,
    reps: pd.DataFrame,
    years: list[Period],
    windows: list[Period],
    plans: dict[str, pd.DataFrame],
    booked_months: pd.DataFrame,
    team: str | None,
    anchor: date,
) -> dict[str, pd.DataFrame]:
    """Return monthly_plan() per phasing from the years' plans and the team's monthly bookings.

    `reps` holds the rep's reps row (hire_date, ramp_months, end_date), if any.
    """
    first, last = years[0].start, years[-1].end
    month = pd.to_datetime(booked_months["month"])
    mine = booked_months[(booked_months["rep"] == rep) & (month >= pd.Timestamp(first))
                         & (month < pd.Timestamp(last))]  # fmt: skip
    booked = {(_day(m)): float(b) for m, b in zip(mine["month"], mine["bookings"], strict=True)}
    # the rep's ramp in each of the 24 months (no reps row: no ramp)
    ramps = _rep_ramps(reps, [m for fy in years for m in _months(fy)]) if len(reps) else None
    totals = {label: plan_total(plan) for label, plan in plans.items()}
    out = {}
    for phasing in PHASINGS:
        frames = []
        for k, (fy, window) in enumerate(zip(years, windows, strict=True)):
            shape = _shape(booked_months, fy, window, team) if phasing == "history" else None
            ramp = None if ramps is None else ramps[0, 12 * k : 12 * (k + 1)]
            frames.append(_plan_months(totals[fy.label], fy, shape, ramp))
        frame = pd.concat(frames, ignore_index=True)
        started = [m <= anchor for m in frame["month"]]
        frame["actual"] = [booked.get(m, 0.0) if s else np.nan
                           for m, s in zip(frame["month"], started, strict=True)]  # fmt: skip
        frame["variance"] = frame["actual"] - frame["target"]
        frame["month"] = pd.to_datetime(frame["month"])
        out[phasing] = frame
    return out


def _plan_months(
    total: dict[str, Any], fy: Period, shape: np.ndarray | None, ramp: np.ndarray | None
) -> pd.DataFrame:
    """Return a year's 12 monthly targets (currency) and counts from its plan_total().

    The target is phased by `shape` (None: evenly) times the rep's monthly `ramp` (None: no
    ramp), in whole cents.
    """
    months = _months(fy)
    weights = shape if shape is not None else np.ones(12)
    if ramp is not None:
        weights = weights * ramp if (weights * ramp).sum() > 0 else weights
    target = phase(total["target"], weights) if total["target"] > 0 else np.zeros(12)
    frame = pd.DataFrame({"fiscal_year": fy.label, "month": [m for m, _ in months],
                          "target": target})  # fmt: skip
    for c in NEEDED_COLUMNS:
        frame[c] = target * _ratio(total[c], total["target"])
    return frame


# --- team view and run rate --------------------------------------------------------------------


def _new_shares(
    con: duckdb.DuckDBPyConnection,
    reps: pd.DataFrame,
    fy: Period,
    history: Callable[[], pd.DataFrame],
) -> pd.Series:
    """Return each rep's share of quota that is new business (typed quota, role, history, ½).

    `history` returns funnel_history rows; it is called only for reps that need it.
    """
    typed = sql.run(con, "plans_quota_types", start=fy.start, end=fy.end).set_index("rep")
    names = reps["rep"]
    new, old = (typed[t].reindex(names).astype(float).fillna(0.0) for t in ("new", "existing"))
    both = (new + old).to_numpy()
    role = reps["role"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(both > 0, new.to_numpy() / both, 0.5)
    out[~(both > 0) & (role == "hunter")] = 1.0
    out[~(both > 0) & (role == "farmer")] = 0.0
    rest = np.flatnonzero(~(both > 0) & (role != "hunter") & (role != "farmer"))
    if len(rest):
        booked = history().groupby(["rep", "type"])["bookings"].sum().unstack(fill_value=0.0)
        for k in rest:
            rep = names.iloc[k]
            if rep in booked.index and booked.loc[rep].sum() > 0:
                out[k] = float(booked.loc[rep].get("new", 0.0) / booked.loc[rep].sum())
    return pd.Series(out, index=names.to_numpy(), dtype=float)


TEAM_COLUMNS = [
    "segment",
    "goal",
    "ads",
    "deals_needed",
    "last_year_bookings",
    "last_year_deals",
    "contracted",
    "weighted_pipeline",
    "run_rate",
    "run_rate_pct",
]


def team_plan(
    con: duckdb.DuckDBPyConnection,
    year: str,
    as_of: date | None = None,
    team: str | None = None,
    reps: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return existing / new / total: goal, deals × size to get there, and run rate vs goal.

    Goal = the reps' quotas for the year split into new and existing business; size = last
    year's ADS of that kind; run rate = contracted (won in the year) + open pipeline in the year
    weighted by probability; run_rate_pct = run rate / goal. `reps` is roster() for the year
    and team when the caller has it already.
    """
    fy = fiscal_year(con, year)
    reps = roster(con, fy.label, as_of, team) if reps is None else reps
    window = history_window(con, fy, as_of)
    hist = funnel_history(con, window, as_of, team)
    kpis = rep_kpis(con, fy.label, as_of=as_of, team=team)
    quota = kpis.set_index("rep")["quota"].astype(float).reindex(reps["rep"]).fillna(0.0)
    share = _new_shares(con, reps, fy, lambda: hist).reindex(reps["rep"]).fillna(0.5)
    goal = {"new": float((quota * share).sum()), "existing": float((quota * (1 - share)).sum())}
    last = hist.groupby("type")[["bookings", "won"]].sum()
    run = sql.run(con, "plans_run_rate", start=fy.start, end=fy.end, as_of=as_of, team=team)
    run = run.groupby("type")[["contracted", "weighted_pipeline"]].sum()
    rows = []
    for seg in ("existing", "new"):
        lb = float(last.at[seg, "bookings"]) if seg in last.index else 0.0
        lw = float(last.at[seg, "won"]) if seg in last.index else 0.0
        contracted = float(run.at[seg, "contracted"]) if seg in run.index else 0.0
        weighted = float(run.at[seg, "weighted_pipeline"]) if seg in run.index else 0.0
        rows.append(
            {"segment": seg, "goal": goal[seg], "ads": _ratio(lb, lw),
             "last_year_bookings": lb, "last_year_deals": lw,
             "contracted": contracted, "weighted_pipeline": weighted}
        )  # fmt: skip
    out = pd.DataFrame(rows)
    total = out[["goal", "last_year_bookings", "last_year_deals", "contracted",
                 "weighted_pipeline"]].sum()  # fmt: skip
    out = pd.concat(
        [out, pd.DataFrame([{"segment": "total", **total.to_dict(),
                             "ads": _ratio(total["last_year_bookings"],
                                           total["last_year_deals"])}])],
        ignore_index=True,
    )  # fmt: skip
    out["deals_needed"] = out["goal"] / out["ads"]
    out["run_rate"] = out["contracted"] + out["weighted_pipeline"]
    out["run_rate_pct"] = out["run_rate"] / out["goal"].where(out["goal"] > 0)
    out.attrs.update(year=fy.label, window=window.label)
    return out[TEAM_COLUMNS]


def team_sentences(plan: pd.DataFrame, symbol: str = "$") -> list[str]:
    """Return the seeds' two sentences: "X from existing = Y deals × Z size; A from new = …"."""
    from spm.format import money

    out = []
    for seg, who in (("existing", "existing accounts"), ("new", "new accounts")):
        r = plan[plan["segment"] == seg]
        if r.empty:
            continue
        r = r.iloc[0]
        deals = "–" if pd.isna(r["deals_needed"]) else f"{r['deals_needed']:,.0f}"
        out.append(
            f"{money(r['goal'], symbol, compact=True)} from {who} = {deals} deals × "
            f"{money(r['ads'], symbol, compact=True)} average size"
        )
    return out


DRIVER_UNITS = {"deals": "count", "ads": "money", "win_rate": "fraction", "opportunities": "count"}


def format_drivers(drivers: pd.DataFrame, symbol: str = "$") -> pd.DataFrame:
    """Return the drivers table with plan / last year / team best as text in each driver's unit."""
    from spm.format import by_unit

    out = drivers.copy()
    for col in ("plan", "last_year", "team_best"):
        out[col] = [
            f"{v:,.1f}" if DRIVER_UNITS[d] == "count" and not pd.isna(v)
            else by_unit(v, DRIVER_UNITS[d], symbol, compact=False)
            for d, v in zip(out["driver"], out[col], strict=True)
        ]  # fmt: skip
    out["driver"] = out["driver"].map(
        {"deals": "deals", "ads": "average deal size", "win_rate": "win rate",
         "opportunities": "opportunities"}
    )  # fmt: skip
    return out


# --- quota scenarios ---------------------------------------------------------------------------


def scenario_inputs(
    year: str,
    budget: float,
    over_assign: float = 0.0,
    method: str = "even",
    new_share: float | None = None,
    phasing: str = "history",
    overrides: dict[str, float] | None = None,
    seed: int = 7,
    team: str | None = None,
) -> dict[str, Any]:
    """Return checked scenario inputs as a JSON-ready dict (PlanError on a bad value)."""
    try:
        budget = float(budget)
        over_assign = float(over_assign)
    except (TypeError, ValueError):
        raise PlanError("budget and over-assignment must be numbers") from None
    if not math.isfinite(budget) or budget < 0:
        raise PlanError(f"the budget must be a positive amount, not {budget:,.2f}")
    if not math.isfinite(over_assign) or not 0 <= over_assign <= 1:
        raise PlanError("over-assignment must be a fraction from 0 to 1 (0.1 = 10%)")
    if method not in METHODS:
        raise PlanError(f"unknown allocation method '{method}': use one of {', '.join(METHODS)}")
    if phasing not in PHASINGS:
        raise PlanError(f"unknown phasing '{phasing}': use {' or '.join(PHASINGS)}")
    if new_share is not None and (pd.isna(new_share) or not 0 <= float(new_share) <= 1):
        raise PlanError("the new-business share must be a fraction from 0 to 1")
    clean = {}
    for rep, amount in (overrides or {}).items():
        if amount is None or pd.isna(amount):
            continue
        if float(amount) < 0:
            raise PlanError(f"manual quota for {rep} cannot be negative")
        clean[str(rep)] = float(amount)
    return {
        "year": str(year).upper(),
        "budget": budget,
        "over_assign": over_assign,
        "method": method,
        "new_share": None if new_share is None else float(new_share),
        "phasing": phasing,
        "overrides": clean,
        "seed": int(seed),
        "team": team,
    }


def default_budget(
    con: duckdb.DuckDBPyConnection,
    year: str,
    as_of: date | None = None,
    team: str | None = None,
) -> float:
    """Return a starting budget: the year's quotas, else last year's bookings + 10%, to $100k."""
    fy = fiscal_year(con, year)

    def compute() -> pd.DataFrame:
        kpis = rep_kpis(con, fy.label, as_of=as_of, team=team)
        quota = float(pd.to_numeric(kpis["quota"]).sum()) if len(kpis) else 0.0
        if quota <= 0:
            window = history_window(con, fy, as_of)
            quota = float(span_bookings(con, window, as_of, team).sum()) * 1.1
        return pd.DataFrame({"budget": [float(max(round(quota / 100_000), 1) * 100_000)]})

    # all of rep_kpis for the year's quotas (~55 ms): kept like the roster
    key = {"year": fy.label, "as_of": as_of, "team": team}
    return float(derived.memo_frame(con, "default_budget", key, compute)["budget"].iloc[0])


def _history(
    con: duckdb.DuckDBPyConnection, reps: pd.DataFrame, fy: Period, as_of: date | None
) -> tuple[np.ndarray, np.ndarray, list[Period]]:
    """Return reps × quarters bookings and ramp fractions over the last HISTORY_QUARTERS."""
    window = history_window(con, fy, as_of)
    quarters = _history_quarters(con, window, HISTORY_QUARTERS)
    monthly = _span_months(con, window, HISTORY_QUARTERS, as_of)
    return _quarter_bookings(monthly, reps, quarters), _quarter_ramps(reps, quarters), quarters


def _quarter_bookings(
    monthly: pd.DataFrame, reps: pd.DataFrame, quarters: list[Period]
) -> np.ndarray:
    """Return reps × quarters bookings (currency) from plans_monthly_bookings rows."""
    month = pd.to_datetime(monthly["month"])
    quarter = sum((month >= pd.Timestamp(q.start)).astype(int) for q in quarters[1:])
    sums = monthly.groupby([monthly["rep"], quarter])["bookings"].sum().unstack(fill_value=0.0)
    sums = sums.reindex(index=reps["rep"], columns=range(len(quarters)), fill_value=0.0)
    return sums.fillna(0.0).to_numpy(dtype=float)


def _quarter_ramps(reps: pd.DataFrame, quarters: list[Period]) -> np.ndarray:
    """Return reps × quarters ramp fractions."""
    return _rep_ramps(reps, [(q.start, q.end) for q in quarters])


_Take = Callable[[int, np.ndarray], None]  # takes simulations lo, lo + 1, ... as rows


def simulate_bookings(
    booked: np.ndarray,
    hist_ramp: np.ndarray,
    plan_ramp: np.ndarray,
    seed: int = 7,
    n: int = SIMULATIONS,
) -> np.ndarray:
    """Return n × reps simulated bookings for the plan year (currency).

    Each plan quarter draws one of the rep's full-ramp historical quarters (bookings / ramp
    fraction, quarters at ≥ FULL_RAMP only), or from the team's pool when the rep has fewer
    than MIN_QUARTERS, scaled by the rep's ramp fraction in that plan quarter.
    """
    out = np.empty((n, len(plan_ramp)))

    def keep(lo: int, block: np.ndarray) -> None:
        out[lo : lo + len(block)] = block

    _simulate(booked, hist_ramp, plan_ramp, seed, n, lambda: keep)
    return out


def _simulate(
    booked: np.ndarray,
    hist_ramp: np.ndarray,
    plan_ramp: np.ndarray,
    seed: int,
    n: int,
    sink: Callable[[], _Take],
) -> None:
    """Hand simulate_bookings()'s rows, a block at a time, to takers made by `sink`.

    Each share of the simulations (see _draw) gets a taker of its own, and a share is drawn
    on one thread: a taker that adds up needs no lock.
    """
    usable = hist_ramp >= FULL_RAMP
    full = np.where(usable, booked / np.maximum(hist_ramp, 1e-9), np.nan)
    team_pool = full[usable]
    if team_pool.size == 0:
        team_pool = np.zeros(1)
    # one array of values: the team's pool, then each rep's own; a rep draws from its slice,
    # which is followed by a copy of its last value, for ⌊u × size⌋ rounding up to size
    counts = usable.sum(axis=1)
    own = counts >= MIN_QUARTERS
    size = np.where(own, counts, team_pool.size).astype(np.int64)
    ends = np.cumsum(size[own])
    own_values = full[own][usable[own]]
    flat = np.concatenate([team_pool, team_pool[-1:],
                           np.insert(own_values, ends, own_values[ends - 1])])  # fmt: skip
    offset = np.zeros(len(size), dtype=np.int64)
    offset[own] = team_pool.size + 1 + ends - size[own] + np.arange(own.sum())
    table = _DrawTable(flat, size, offset, plan_ramp)
    _draw(table, np.random.default_rng(seed), n, sink)


class _DrawTable(NamedTuple):
    """What each simulated quarter is drawn from: flat[offset + ⌊u × size⌋] × plan ramp."""

    flat: np.ndarray  # currency; each rep's slice ends with a copy of its last value
    size: np.ndarray  # per rep: how many values it draws from
    offset: np.ndarray  # per rep: where its slice starts
    plan_ramp: np.ndarray  # reps × plan quarters ramp fractions

    def fill(self, rng: np.random.Generator, lo: int, hi: int, step: int, take: _Take) -> None:
        """Hand simulations [lo, hi) to `take`, `step` at a time, drawing from `rng`."""
        reps, quarters = self.plan_ramp.shape
        shape = (reps, quarters)
        sizes = np.ascontiguousarray(np.broadcast_to(self.size.astype(float)[:, None], shape))
        offsets = np.ascontiguousarray(np.broadcast_to(self.offset[:, None], shape))
        # x × 1.0 is x: only reps ramping in the plan year need the multiplication, one by one
        # while they are few (a rep's slice is a cheap view), all at once otherwise
        ramping = np.flatnonzero((self.plan_ramp != 1.0).any(axis=1))
        one_by_one = [(r, self.plan_ramp[r]) for r in ramping] if 8 * len(ramping) < reps else []
        u = np.empty((step, reps, quarters))
        idx = np.empty(u.shape, dtype=np.int64)
        values = np.empty(u.shape)
        sums = np.empty((step, reps))
        for s in range(lo, hi, step):
            k = min(step, hi - s)
            uk, ik, vk, block = u[:k], idx[:k], values[:k], sums[:k]
            rng.random(out=uk)
            np.multiply(uk, sizes, out=ik, casting="unsafe")  # truncates: ⌊u × size⌋
            ik += offsets
            np.take(self.flat, ik, out=vk, mode="clip")  # never clipped: see _simulate
            if one_by_one:
                for r, ramp in one_by_one:
                    vk[:, r] *= ramp
            elif len(ramping):
                vk *= self.plan_ramp
            # left to right, as numpy sums a short axis: ((q0 + q1) + q2) + q3
            if quarters == 1:
                np.copyto(block, vk[..., 0])
            else:
                np.add(vk[..., 0], vk[..., 1], out=block)
            for q in range(2, quarters):
                block += vk[..., q]
            take(s, block)


def _draw(table: _DrawTable, rng: np.random.Generator, n: int, sink: Callable[[], _Take]) -> None:
    """Hand n simulations of summed plan quarters, in blocks, to takers made by `sink`.

    Draws u in blocks of whole simulations: the same stream as one (n, reps, quarters) draw,
    without arrays of n × reps × quarters (320 MB for 1,000 reps) or numpy's slow sum over a
    short last axis. The blocks are shared out over the machine's cores (numpy releases the
    GIL), each share from its own copy of the generator advanced to its first draw, so the
    numbers are those of one pass.
    """
    reps, quarters = table.plan_ramp.shape
    if reps == 0 or quarters == 0:
        sink()(0, np.zeros((n, reps)))
        return
    step = max(1, DRAW_BLOCK // (reps * quarters))
    threads = min(os.cpu_count() or 1, MAX_THREADS)
    if n * reps * quarters < 2 * DRAW_BLOCK:
        threads = 1
    # a few shares per thread: a thread slowed by other work on the machine holds up less
    shares = threads * SHARES_PER_THREAD if threads > 1 else 1
    per = -(-n // shares)
    per = -(-per // step) * step  # simulations per share, in whole blocks
    jobs = []
    for lo in range(0, n, per):
        bits = type(rng.bit_generator)()
        bits.state = rng.bit_generator.state
        bits.advance(lo * reps * quarters)
        jobs.append((np.random.Generator(bits), lo, min(n, lo + per), step, sink()))
    if threads == 1:
        for job in jobs:
            table.fill(*job)
        return
    with ThreadPoolExecutor(threads) as pool:
        for done in [pool.submit(table.fill, *job) for job in jobs]:
            done.result()


def attainment_odds(
    con: duckdb.DuckDBPyConnection,
    reps: pd.DataFrame,
    fy: Period,
    quotas: np.ndarray,
    budget: float,
    as_of: date | None = None,
    seed: int = 7,
) -> tuple[np.ndarray, float, np.ndarray]:
    """Return (P(rep books ≥ quota) per rep, P(team books ≥ budget), last 4 quarters' bookings)."""
    booked, ramps, _ = _history(con, reps, fy, as_of)
    p_rep, p_team = _odds(booked, ramps, reps, fy, quotas, budget, seed)
    return p_rep, p_team, booked[:, -4:].sum(axis=1)


def _odds(
    booked: np.ndarray,
    ramps: np.ndarray,
    reps: pd.DataFrame,
    fy: Period,
    quotas: np.ndarray,
    budget: float,
    seed: int,
) -> tuple[np.ndarray, float]:
    """Return P(rep books ≥ quota) per rep and P(team books ≥ budget) from the simulation."""
    plan_q = [(q, add_months(q, 3)) for q in fy.months()[::3]]
    q = np.asarray(quotas, dtype=float)
    # half a cent of slack: quotas are whole cents, simulated bookings are floats
    rep_bar, team_bar = q - 0.005, budget - 0.005
    tallies: list[list] = []  # per thread: [simulations ≥ quota per rep, ≥ budget for the team]

    def tally() -> _Take:
        mine = [np.zeros(len(q), dtype=np.int64), 0]
        tallies.append(mine)

        def take(_lo: int, block: np.ndarray) -> None:
            mine[0] += (block >= rep_bar).sum(axis=0)
            mine[1] += int((block.sum(axis=1) >= team_bar).sum())

        return take

    _simulate(booked, ramps, _rep_ramps(reps, plan_q), seed, SIMULATIONS, tally)
    hits = sum((t[0] for t in tallies), np.zeros(len(q), dtype=np.int64))
    p_rep = np.where(q > 0, hits / SIMULATIONS, np.nan)
    p_team = sum(t[1] for t in tallies) / SIMULATIONS if len(q) else float("nan")
    return p_rep, p_team


SCENARIO_COLUMNS = [
    "rep",
    "role",
    "weight",
    "manual",
    "quota",
    "quota_new",
    "quota_existing",
    "last_year_bookings",
    "growth",
    "p_attain",
    "p_team_budget",
]


def _weights(
    con: duckdb.DuckDBPyConnection,
    method: str,
    reps: pd.DataFrame,
    fy: Period,
    last_year: np.ndarray | None,
    as_of: date | None,
    team: str | None,
) -> np.ndarray:
    """Return each rep's allocation weight under the method (`last_year` needed by history)."""
    if method == "even":
        return np.ones(len(reps))
    if method == "history":
        return np.clip(last_year, 0, None)
    if method == "capacity":
        return _rep_ramps(reps, _months(fy)).sum(axis=1)
    run = sql.run(con, "plans_run_rate", start=fy.start, end=fy.end, as_of=as_of, team=team)
    pipe = run.groupby("rep")["open_pipeline"].sum()
    return pipe.reindex(reps["rep"]).fillna(0.0).clip(lower=0).to_numpy()


class _Allocation(NamedTuple):
    """A scenario's quotas per rep, in cents, with what they were computed from."""

    fy: Period
    window: Period
    reps: pd.DataFrame
    monthly: pd.DataFrame | None  # plans_monthly_bookings over the quarters, when read
    quarters: list[Period]  # the last HISTORY_QUARTERS fiscal quarters
    booked: np.ndarray | None  # reps × quarters bookings (currency), when read
    weights: np.ndarray
    manual: dict[str, int]
    target: int
    quota: np.ndarray
    new: np.ndarray


def _allocate_scenario(
    con: duckdb.DuckDBPyConnection,
    i: dict[str, Any],
    as_of: date | None,
    history: bool,
    reps: pd.DataFrame | None,
) -> _Allocation:
    """Return the scenario's allocation from checked inputs (`history`: read the bookings)."""
    fy = fiscal_year(con, i["year"])
    reps = roster(con, fy.label, as_of, i["team"]) if reps is None else reps
    if reps.empty:
        raise PlanError(
            f"no reps can carry quota in {fy.label}: load a reps file or opportunities first"
        )
    names = reps["rep"].tolist()
    window = history_window(con, fy, as_of)
    target = cents(i["budget"] * (1 + i["over_assign"]))
    quarters = _history_quarters(con, window, HISTORY_QUARTERS)
    monthly = _span_months(con, window, HISTORY_QUARTERS, as_of) if history else None
    booked = None if monthly is None else _quarter_bookings(monthly, reps, quarters)
    last_year = None if booked is None else booked[:, -4:].sum(axis=1)
    weights = _weights(con, i["method"], reps, fy, last_year, as_of, i["team"])
    manual = {r: cents(v) for r, v in i["overrides"].items()}
    quota_c = allocate(target, names, weights, manual)
    if i["new_share"] is None:
        # last year's funnel is read only for reps without typed quotas or a role
        share = _new_shares(con, reps, fy, lambda: funnel_history(con, window, as_of, i["team"]))
        share = share.reindex(names).fillna(0.5).to_numpy()
        new_c = np.rint(quota_c * share).astype(np.int64)
    else:
        # the team's new business, spread over the reps in proportion to their quota
        new_c = spread(cents(target / 100 * i["new_share"]), quota_c)
    new_c = np.minimum(new_c, quota_c)
    return _Allocation(fy, window, reps, monthly, quarters, booked, weights, manual, target,
                       quota_c, new_c)  # fmt: skip


def _scenario_frame(a: _Allocation, i: dict[str, Any]) -> pd.DataFrame:
    """Return per rep and a Team row: quota (currency), split, last year, growth, P(attain)."""
    names = a.reps["rep"].tolist()
    last_year = a.booked[:, -4:].sum(axis=1)
    quota = a.quota / 100
    old_c = a.quota - a.new
    ramps = _quarter_ramps(a.reps, a.quarters)
    p_rep, p_team = _odds(a.booked, ramps, a.reps, a.fy, quota, i["budget"], i["seed"])
    out = pd.DataFrame(
        {
            "rep": names,
            "role": a.reps["role"].to_numpy(),
            "weight": a.weights,
            "manual": [r in a.manual for r in names],
            "quota": quota,
            "quota_new": a.new / 100,
            "quota_existing": old_c / 100,
            "last_year_bookings": last_year,
            "p_attain": p_rep,
        }
    )
    out["growth"] = (
        out["quota"] / out["last_year_bookings"].where(out["last_year_bookings"] > 0) - 1
    )
    out["p_team_budget"] = np.nan
    total_last = float(last_year.sum())
    team_row = {
        "rep": "Team", "role": None, "weight": float(a.weights.sum()), "manual": bool(a.manual),
        "quota": a.target / 100, "quota_new": a.new.sum() / 100,
        "quota_existing": old_c.sum() / 100, "last_year_bookings": total_last,
        "growth": a.target / 100 / total_last - 1 if total_last > 0 else np.nan,
        "p_attain": np.nan, "p_team_budget": p_team,
    }  # fmt: skip
    out = pd.concat([out, pd.DataFrame([team_row])], ignore_index=True)[SCENARIO_COLUMNS]
    out.attrs.update(year=a.fy.label, target=a.target / 100, budget=i["budget"],
                     window=a.window.label)  # fmt: skip
    return out


def _monthly_quotas(a: _Allocation, phasing: str, team: str | None) -> pd.DataFrame:
    """Return monthly quota rows: rep, month, type (new/existing/total), amount (currency).

    Each rep's new and existing quota is phased by the shape times the rep's monthly ramp.
    """
    months = _months(a.fy)
    shape = _shape(a.monthly, a.fy, a.window, team) if phasing == "history" else np.ones(12)
    weights = shape[None, :] * _rep_ramps(a.reps, months)
    weights = np.where((weights.sum(axis=1) > 0)[:, None], weights, shape[None, :])
    new = _spread_rows(a.new, weights)
    old = _spread_rows(a.quota - a.new, weights)
    # rows in (rep, month, type) order: reps sorted by name, types alphabetical
    names = a.reps["rep"].to_numpy()
    order = np.argsort(names, kind="stable")
    parts = np.stack([old, new, new + old], axis=2)[order]  # rep × month × type
    n = len(a.reps)
    starts = pd.to_datetime([m for m, _ in months]).to_numpy()
    return pd.DataFrame(
        {
            "rep": np.repeat(names[order], 36),
            "month": np.tile(np.repeat(starts, 3), n),
            "type": np.tile(["existing", "new", "total"], 12 * n),
            "amount": parts.reshape(-1) / 100,
        }
    )


def run_scenario(
    con: duckdb.DuckDBPyConnection,
    year: str,
    budget: float,
    over_assign: float = 0.0,
    method: str = "even",
    new_share: float | None = None,
    phasing: str = "history",
    overrides: dict[str, float] | None = None,
    as_of: date | None = None,
    team: str | None = None,
    seed: int = 7,
    reps: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return per rep and a Team row: quota (currency), split, last year, growth, P(attain).

    `reps` is roster() for the year and team when the caller has it already.
    """
    i = scenario_inputs(year, budget, over_assign, method, new_share, phasing, overrides, seed,
                        team)  # fmt: skip
    return _scenario_frame(_allocate_scenario(con, i, as_of, True, reps), i)


def scenario_months(
    con: duckdb.DuckDBPyConnection,
    inputs: dict[str, Any],
    as_of: date | None = None,
    reps: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return the scenario's monthly quotas: rep, month, type (new/existing/total), amount.

    `reps` as in run_scenario.
    """
    i = scenario_inputs(**inputs)
    history = i["method"] == "history" or i["phasing"] == "history"
    a = _allocate_scenario(con, i, as_of, history, reps)
    return _monthly_quotas(a, i["phasing"], i["team"])


def scenario_tables(
    con: duckdb.DuckDBPyConnection,
    inputs: dict[str, Any],
    as_of: date | None = None,
    reps: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (run_scenario(), scenario_months()) for the inputs, from one allocation.

    `reps` as in run_scenario.
    """
    i = scenario_inputs(**inputs)

    def compute() -> tuple[pd.DataFrame, pd.DataFrame]:
        a = _allocate_scenario(con, i, as_of, True, reps)
        return _scenario_frame(a, i), _monthly_quotas(a, i["phasing"], i["team"])

    # the seeded simulation (~300 ms for 1,000 reps) depends only on the inputs and the data:
    # kept, and refresh stores the default scenario the tab opens on
    roster_hash = None if reps is None else int(pd.util.hash_pandas_object(reps).sum())
    key = {"inputs": i, "as_of": as_of, "reps": roster_hash}
    return derived.memo_frames(con, "scenario_tables", key, compute)


DEFAULT_OVER_ASSIGN_PCT = 10.0  # the scenario tab's starting over-assignment (percent)


def warm(con: duckdb.DuckDBPyConnection, latest: date) -> None:
    """Store what the Quota scenarios tab opens on: next year's roster, budget and scenario."""
    year = planning_years(con, latest)[1]  # the Plans page opens on the next fiscal year
    reps = roster(con, year, as_of=latest)
    if reps.empty:
        return
    budget = default_budget(con, year, as_of=latest)
    over = DEFAULT_OVER_ASSIGN_PCT / 100  # as the tab divides its percent input
    inputs = scenario_inputs(year, budget, over, METHODS[0], None, PHASINGS[0], {})
    scenario_tables(con, inputs, as_of=latest, reps=reps)


def _check_name(name: str) -> str:
    text = (name or "").strip()
    if not text:
        raise PlanError("give the scenario a name")
    if len(text) > 80:
        raise PlanError("scenario names are limited to 80 characters")
    return text


def save_scenario(
    con: duckdb.DuckDBPyConnection,
    name: str,
    inputs: dict[str, Any],
    as_of: date | None = None,
) -> pd.DataFrame:
    """Store a scenario's inputs and monthly quotas under `name` (replacing it); return quotas."""
    name = _check_name(name)
    clean = scenario_inputs(**inputs)
    monthly = scenario_months(con, clean, as_of)
    applied = con.execute("SELECT applied_load_id FROM scenarios WHERE name = ?", [name]).fetchone()
    if applied and applied[0] is not None and _load_active(con, int(applied[0])):
        raise PlanError(
            f"scenario '{name}' is applied as load #{applied[0]}: undo that load before "
            "changing it, or save under another name"
        )
    with store.transaction(con):
        con.execute("DELETE FROM scenario_quotas WHERE scenario = ?", [name])
        con.execute("DELETE FROM scenarios WHERE name = ?", [name])
        con.execute(
            "INSERT INTO scenarios VALUES (?, ?, ?, NULL)",
            [name, json.dumps(clean, sort_keys=True), datetime.now()],
        )
        con.register("_spm_scenario", monthly.assign(scenario=name))
        try:
            con.execute(
                "INSERT INTO scenario_quotas SELECT scenario, rep, CAST(month AS DATE), type, "
                "amount FROM _spm_scenario"
            )
        finally:
            con.unregister("_spm_scenario")
        store.bump_version(con)
    return monthly


def _load_active(con: duckdb.DuckDBPyConnection, load_id: int) -> bool:
    row = con.execute("SELECT status FROM loads WHERE load_id = ?", [load_id]).fetchone()
    return bool(row and row[0] == "active")


def load_scenario(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, Any]:
    """Return a saved scenario's inputs."""
    row = con.execute("SELECT inputs FROM scenarios WHERE name = ?", [name]).fetchone()
    if row is None:
        raise PlanError(f"there is no saved scenario '{name}'")
    return dict(json.loads(row[0]))


def saved_quotas(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    """Return a saved scenario's monthly quotas: rep, month, type, amount (currency)."""
    load_scenario(con, name)
    return con.execute(
        "SELECT rep, CAST(month AS TIMESTAMP) AS month, type, CAST(amount AS DOUBLE) AS amount "
        "FROM scenario_quotas WHERE scenario = ? ORDER BY rep, month, type",
        [name],
    ).df()


def list_scenarios(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Return saved scenarios: name, year, budget, over-assignment, method, quota, applied load."""
    rows = con.execute(
        "SELECT s.name, s.inputs, s.saved_at, s.applied_load_id, l.status, "
        "(SELECT sum(CAST(amount AS DOUBLE)) FROM scenario_quotas q "
        " WHERE q.scenario = s.name AND q.type = 'total') AS total_quota "
        "FROM scenarios s LEFT JOIN loads l ON l.load_id = s.applied_load_id "
        "ORDER BY s.saved_at DESC, s.name"
    ).fetchall()
    records = []
    for name, inputs, saved_at, load_id, status, total in rows:
        i = json.loads(inputs)
        records.append(
            {
                "name": name,
                "year": i["year"],
                "budget": i["budget"],
                "over_assign": i["over_assign"],
                "method": i["method"],
                "total_quota": total,
                "saved_at": saved_at,
                "applied_load_id": load_id if status == "active" else None,
            }
        )
    cols = ["name", "year", "budget", "over_assign", "method", "total_quota", "saved_at",
            "applied_load_id"]  # fmt: skip
    return pd.DataFrame(records, columns=cols)


def delete_scenario(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Forget a saved scenario (its applied load, if any, stays until undone)."""
    with store.transaction(con):
        con.execute("DELETE FROM scenario_quotas WHERE scenario = ?", [name])
        con.execute("DELETE FROM scenarios WHERE name = ?", [name])
        store.bump_version(con)


def compare_scenarios(
    con: duckdb.DuckDBPyConnection, names: list[str], as_of: date | None = None
) -> pd.DataFrame:
    """Return saved scenarios side by side per rep: quota, growth and P(attain) for each.

    Quotas are the saved ones; last year and the odds come from the data as it is now. The
    Team row carries the total quota and, in the P(attain) column, P(team makes budget).
    """
    out: pd.DataFrame | None = None
    for name in names:
        i = load_scenario(con, name)
        fy = fiscal_year(con, i["year"])
        quotas = saved_quotas(con, name)
        per_rep = quotas[quotas["type"] == "total"].groupby("rep")["amount"].sum()
        reps = roster(con, fy.label, as_of, i["team"])
        reps = reps[reps["rep"].isin(per_rep.index)].reset_index(drop=True)
        q = per_rep.reindex(reps["rep"]).to_numpy()
        p_rep, p_team, last = attainment_odds(con, reps, fy, q, i["budget"], as_of, i["seed"])
        frame = pd.DataFrame({"rep": reps["rep"], "last_year_bookings": last,
                              f"{name}: quota": q, f"{name}: P(attain)": p_rep})  # fmt: skip
        team = {"rep": "Team", "last_year_bookings": last.sum(), f"{name}: quota": q.sum(),
                f"{name}: P(attain)": p_team}  # fmt: skip
        frame = pd.concat([frame, pd.DataFrame([team])], ignore_index=True)
        lyb = frame["last_year_bookings"].where(frame["last_year_bookings"] > 0)
        frame.insert(3, f"{name}: growth", frame[f"{name}: quota"] / lyb - 1)
        if out is None:
            out = frame
        else:
            frame = frame.drop(columns="last_year_bookings")
            out = out.merge(frame, on="rep", how="outer", sort=False)
    if out is None:
        return pd.DataFrame(columns=["rep", "last_year_bookings"])
    is_team = out["rep"] == "Team"
    return pd.concat([out[~is_team], out[is_team]], ignore_index=True)


def apply_scenario(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """Load a saved scenario's monthly quotas into `quotas` as one undoable load; return its id."""
    quotas = saved_quotas(con, name)
    if quotas.empty:
        raise PlanError(f"scenario '{name}' has no quotas to apply")
    applied = con.execute("SELECT applied_load_id FROM scenarios WHERE name = ?", [name]).fetchone()
    if applied and applied[0] is not None and _load_active(con, int(applied[0])):
        raise PlanError(f"scenario '{name}' is already applied as load #{applied[0]}")
    frame = quotas.assign(month=quotas["month"].dt.date)[["rep", "month", "type", "amount"]]
    digest = hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()
    with store.transaction(con):
        load_id = store.register_load(
            con, "quotas", f"scenario:{name}", digest, None, len(frame), 0
        )
        store.insert_frame(con, "quota_rows", frame.assign(load_id=np.int32(load_id)))
        con.execute("UPDATE scenarios SET applied_load_id = ? WHERE name = ?", [load_id, name])
        store.bump_version(con)
    return load_id


def months_wide(monthly: pd.DataFrame) -> pd.DataFrame:
    """Return total monthly quotas as one row per rep and one column per month, plus the year."""
    total = monthly[monthly["type"] == "total"]
    wide = total.pivot_table(
        index="rep", columns="month", values="amount", aggfunc="sum", sort=True
    )
    wide.columns = [f"{pd.Timestamp(c):%Y-%m}" for c in wide.columns]
    wide["year"] = wide.sum(axis=1)
    return wide.reset_index()


# --- charts ------------------------------------------------------------------------------------
# Vega-Lite specs drawn with st.vega_lite_chart: the page then never imports Altair (a quarter
# of a second on its first visit) nor validates a spec against its schema on every run.


class Chart(NamedTuple):
    """A Vega-Lite chart: its rows and its spec (the spec names fields of the rows)."""

    data: pd.DataFrame
    spec: dict[str, Any]


_CONFIG = {"view": {"continuousWidth": 300, "continuousHeight": 300}}


# Money axes read 40M, not 40,000,000 (the title names the currency), as the other pages' charts.
AXIS = {"format": "~s"}


def _field(name: str, kind: str, **more: Any) -> dict[str, Any]:
    """Return a Vega-Lite field definition (kind: nominal, ordinal or quantitative)."""
    return {"field": name, "type": kind, **more}


def monthly_chart(monthly: pd.DataFrame, symbol: str = "$") -> Chart:
    """Return monthly target bars with actual bookings as points (currency)."""
    fmt = ",.0f"
    month = {"field": "month", "timeUnit": "yearmonth", "type": "ordinal"}
    tips = [
        {**month, "title": "Month"},
        _field("fiscal_year", "nominal", title="Fiscal year"),
        _field("target", "quantitative", title=f"Target ({symbol})", format=fmt),
        _field("actual", "quantitative", title=f"Actual ({symbol})", format=fmt),
        _field("deals_needed", "quantitative", title="Deals needed", format=".1f"),
        _field("prospects_needed", "quantitative", title="Prospects needed", format=".1f"),
    ]
    x = {**month, "title": None}
    y = _field("target", "quantitative", title=f"Target and actual ({symbol})", axis=AXIS)
    bars = {
        "mark": {"type": "bar", "color": "#93c5fd"},
        "encoding": {"x": x, "y": y, "tooltip": tips},
    }
    points = {
        "mark": {"type": "point", "color": "#1d4ed8", "filled": True, "size": 70},
        "encoding": {"x": x, "y": _field("actual", "quantitative"), "tooltip": tips},
    }
    return Chart(monthly, {"config": _CONFIG, "layer": [bars, points], "height": 260})


def run_rate_chart(team: pd.DataFrame, symbol: str = "$") -> Chart:
    """Return per segment the goal beside contracted + weighted pipeline, stacked (currency)."""
    rows = team[team["segment"] != "total"]
    parts = {"goal": ("Goal", "Goal"), "contracted": ("Run rate", "Contracted"),
             "weighted_pipeline": ("Run rate", "Weighted pipeline")}  # fmt: skip
    long = rows.melt(id_vars=["segment", "run_rate_pct"], value_vars=list(parts), var_name="key")
    long["series"] = long["key"].map(lambda k: parts[k][0])
    long["part"] = long["key"].map(lambda k: parts[k][1])
    color = _field(
        "part",
        "nominal",
        scale={"domain": ["Goal", "Contracted", "Weighted pipeline"],
               "range": ["#cbd5e1", "#1d4ed8", "#93c5fd"]},
        legend={"orient": "bottom", "title": None},
    )  # fmt: skip
    encoding = {
        "y": _field("segment", "nominal", title=None),
        "yOffset": _field("series", "nominal", sort=["Goal", "Run rate"]),
        "x": _field("value", "quantitative", title=f"Amount ({symbol})", stack="zero", axis=AXIS),
        "color": color,
        "tooltip": [
            _field("segment", "nominal", title="Business"),
            _field("part", "nominal", title="Part"),
            _field("value", "quantitative", title=f"Amount ({symbol})", format=",.0f"),
            _field("run_rate_pct", "quantitative", title="Run rate % of goal", format=".0%"),
        ],
    }
    spec = {"config": _CONFIG, "mark": {"type": "bar"}, "encoding": encoding,
            "height": {"step": 28}}  # fmt: skip
    return Chart(long, spec)


def scenario_chart(result: pd.DataFrame, symbol: str = "$") -> Chart:
    """Return each rep's scenario quota beside last year's bookings (currency), P in tooltips."""
    reps = result[result["rep"] != "Team"]
    long = reps.melt(
        id_vars=["rep", "p_attain", "growth"],
        value_vars=["quota", "last_year_bookings"],
        var_name="measure",
    )
    long["measure"] = long["measure"].map(
        {"quota": "Quota", "last_year_bookings": "Last year's bookings"}
    )
    encoding = {
        "y": _field("rep", "nominal", title=None, sort=None),
        "x": _field("value", "quantitative", title=f"Amount ({symbol})", axis=AXIS),
        "yOffset": _field("measure", "nominal"),
        "color": _field("measure", "nominal", legend={"orient": "bottom", "title": None}),
        "tooltip": [
            _field("rep", "nominal", title="Rep"),
            _field("measure", "nominal", title="Measure"),
            _field("value", "quantitative", title=symbol, format=",.0f"),
            _field("growth", "quantitative", title="Growth", format="+.0%"),
            _field("p_attain", "quantitative", title="P(attain ≥ 100%)", format=".0%"),
        ],
    }
    spec = {"config": _CONFIG, "mark": {"type": "bar"}, "encoding": encoding,
            "height": {"step": 14}}  # fmt: skip
    return Chart(long, spec)


# --- command line ------------------------------------------------------------------------------


def _user_error(exc: Exception) -> Exception:
    """Return the CLI's UserError (imported late: the CLI imports this module)."""
    from spm.cli import UserError

    return UserError(str(exc))


def _cli_year(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> str:
    year = getattr(args, "year", None)
    return str(year) if year else planning_years(con, args.as_of)[1]


def _cli_plan(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> pd.DataFrame:
    if not args.rep:
        raise _user_error(PlanError("report plan needs --rep, e.g. --rep 'Maria Alvarez'"))
    try:
        plan = business_plan(con, args.rep, _cli_year(con, args), as_of=args.as_of)
    except PlanError as exc:
        raise _user_error(exc) from None
    cols = ["offering", "target", "ads", "win_rate", "deals_needed", "proposals_needed",
            "opportunities_needed"]  # fmt: skip
    return plan[cols]


def _cli_scenario(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> pd.DataFrame:
    if getattr(args, "budget", None) is None:
        raise _user_error(PlanError("report scenario needs --budget, e.g. --budget 12000000"))
    try:
        frame = run_scenario(
            con,
            _cli_year(con, args),
            args.budget,
            over_assign=args.over_assign,
            method=args.method,
            as_of=args.as_of,
            team=args.team,
            seed=args.seed,
        )
    except PlanError as exc:
        raise _user_error(exc) from None
    return frame[["rep", "quota", "last_year_bookings", "growth", "p_attain", "p_team_budget"]]


CLI_REPORTS = {"plan": _cli_plan, "scenario": _cli_scenario}
CLI_OPTIONS = [
    ("--year", {"help": "plan / scenario: fiscal year, e.g. FY2027 (default: next year)"}),
    ("--budget", {"type": float, "help": "scenario: the budget to allocate (currency)"}),
    (
        "--over-assign",
        {"type": float, "default": 0.0, "help": "scenario: over-assignment, 0.1 = 10%"},
    ),
    (
        "--method",
        {"default": "even", "help": "scenario: even, history, capacity or pipeline"},
    ),
    ("--seed", {"type": int, "default": 7, "help": "random seed for simulations (default 7)"}),
]
