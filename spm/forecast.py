"""Forecast: rollup, stage win rates, statistical forecast (Monte Carlo), trend, accuracy,
what changed, manager forecast calls and must-win deals (SPEC §4 "forecast rollup",
"statistical forecast", "forecast accuracy").

Money is float in the currency of the data; probabilities and errors are fractions.
"""

from __future__ import annotations

import argparse
import math
from datetime import date, datetime
from typing import Any

import altair as alt
import duckdb
import numpy as np
import pandas as pd

from spm import derived, sql, store
from spm.metrics.hygiene import deal_flags, flag_reasons, flags_view
from spm.periods import Period, quarter_of, shift

DRAWS = 10_000
ODDS_SCALE = 65_536  # Monte Carlo odds resolution: 16-bit uniforms
MIN_CLOSED_DEALS = 20  # closed deals a stage needs before its learned rate replaces the default
NEEDS_HISTORY = (
    "This needs snapshot history: only one opportunities snapshot is loaded. Load weekly "
    "exports with different as-of dates (or an opportunity_history file) on the Data page."
)
ROLLUP_MONEY = ("quota", "closed", "commit", "best_case", "pipeline")
GAPS = ("gap_closed", "gap_commit", "gap_best_case", "gap_pipeline")
CHANGE_TYPES = (
    "new",
    "pushed",
    "pulled in",
    "amount up",
    "amount down",
    "stage moved",
    "category moved",
    "won",
    "lost",
)
BLUE, GREY, RED, GREEN, AMBER, PURPLE = (
    "#2563eb",
    "#6b7280",
    "#dc2626",
    "#16a34a",
    "#d97706",
    "#7c3aed",
)


class ForecastError(ValueError):
    """A forecast question the loaded data cannot answer (e.g. an open period's accuracy)."""


def snapshot_on_or_before(con: duckdb.DuckDBPyConnection, day: date | None) -> date | None:
    """Return the latest snapshot date on or before `day` (None = the latest overall)."""
    return store.snapshot_on_or_before(con, day)


def history_note(con: duckdb.DuckDBPyConnection) -> str | None:
    """Return the "needs snapshot history" message when fewer than two snapshots are loaded."""
    return NEEDS_HISTORY if len(store.snapshot_dates(con)) < 2 else None


# --- rollup -----------------------------------------------------------------------------------


def _with_gaps(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the frame with money as float and gap_* = quota − each figure (NaN without quota)."""
    out = frame.copy()
    for col in ROLLUP_MONEY:
        out[col] = out[col].astype(float)
    for gap, col in zip(GAPS, ("closed", "commit", "best_case", "pipeline"), strict=True):
        out[gap] = out["quota"] - out[col]
    return out


def _rollups(
    con: duckdb.DuckDBPyConnection,
    p: Period,
    first: date | None,
    last: date | None,
    team: str | None,
    rep: str | None,
) -> pd.DataFrame:
    """Return the rollup rows (with as_of) of every snapshot dated in [first, last]."""
    rows = sql.run(
        con,
        "forecast_rollup",
        start=p.start,
        end=p.end,
        first=first,
        last=last,
        team=team,
        rep=rep,
    )
    return _with_gaps(rows)


def forecast_rollup(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> pd.DataFrame:
    """Return one row per rep: quota, closed, commit, best_case, pipeline and gaps (currency)."""
    p = store.fiscal_period(con, period)
    snap = snapshot_on_or_before(con, as_of)

    def compute() -> pd.DataFrame:
        return _rollups(con, p, snap, snap, team, rep).drop(columns="as_of").reset_index(drop=True)

    # Home and the Forecast page open on this quarter's (~40 ms): refresh stores it
    key = {"period": p.label, "snapshot": snap, "team": team, "rep": rep}
    return derived.memo_frame(con, "forecast_rollup", key, compute)


def rollup_by_manager(rollup: pd.DataFrame) -> pd.DataFrame:
    """Return the rollup summed per team and manager, plus a 'Total' row (currency)."""
    keys = ["team", "manager"]
    frame = rollup.assign(manager=rollup["manager"].fillna("(none)"))
    sums = frame.groupby(keys, sort=True)[list(ROLLUP_MONEY)].sum(min_count=1).reset_index()
    counts = frame.groupby(keys, sort=True)["rep"].count().reset_index(name="reps")
    grouped = counts.merge(sums, on=keys)
    total = {"team": "Total", "manager": "", "reps": int(len(frame))}
    total.update({c: frame[c].sum(min_count=1) for c in ROLLUP_MONEY})
    out = pd.concat([grouped, pd.DataFrame([total])], ignore_index=True)
    for col in ROLLUP_MONEY:
        out[col] = out[col].astype(float)
    return _with_gaps(out)


# --- stage win rates and the statistical forecast ---------------------------------------------


RATE_COLUMNS = [
    "stage",
    "stage_order",
    "deals_seen",
    "closed",
    "won",
    "history_rate",
    "default_probability",
    "probability",
    "source",
]


def _stage_rates(
    con: duckdb.DuckDBPyConnection, cutoffs: list[date], min_deals: int
) -> dict[date, pd.DataFrame]:
    """Return stage win rates as known at each cutoff date (one SQL pass for all of them)."""
    if not cutoffs:
        return {}
    derived.ensure_stage_history(con)
    counts = sql.run(con, "forecast_stage_rates", cutoffs=list(cutoffs))
    counts["cutoff"] = pd.to_datetime(counts["cutoff"]).dt.date
    # derived for every cutoff at once, then split: per-cutoff pandas steps cost ~20 ms each
    rates = _rates_from(counts, min_deals)
    by_cutoff = {c: part[RATE_COLUMNS] for c, part in rates.groupby("cutoff", sort=False)}
    empty = rates[RATE_COLUMNS].iloc[0:0]
    return {c: by_cutoff.get(c, empty).reset_index(drop=True) for c in cutoffs}


def _rates_from(rows: pd.DataFrame, min_deals: int) -> pd.DataFrame:
    """Return per-stage counts with the learned rate, used once `min_deals` have closed."""
    rows = rows.copy()
    rows[["deals_seen", "closed", "won"]] = rows[["deals_seen", "closed", "won"]].astype(int)
    rows["default_probability"] = rows["default_probability"].astype(float)
    rows["history_rate"] = (rows["won"] / rows["closed"].where(rows["closed"] > 0)).astype(float)
    learned = rows["closed"] >= max(min_deals, 1)
    rows["probability"] = rows["history_rate"].where(learned, rows["default_probability"])
    rows["source"] = np.where(learned, "history", "default")
    return rows.sort_values(["cutoff", "stage_order", "stage"]).reset_index(drop=True)


def stage_win_rates(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    min_deals: int = MIN_CLOSED_DEALS,
) -> pd.DataFrame:
    """Return per stage: deals seen, closed, won, learned and default win rate, probability used.

    From snapshot history up to the snapshot as of `as_of`: of the deals seen open in a stage
    that have closed, the share won (`history_rate`). `probability` is that rate when at least
    `min_deals` of them closed, else the stage mapping's default (`source` says which).
    """
    snap = snapshot_on_or_before(con, as_of)
    if snap is None:
        return pd.DataFrame(columns=RATE_COLUMNS)
    return _stage_rates(con, [snap], min_deals)[snap]


def simulate(
    amounts: np.ndarray, probabilities: np.ndarray, draws: int = DRAWS, seed: int = 7
) -> np.ndarray:
    """Return `draws` simulated totals (currency) of independent deals won with given odds."""
    amounts = np.asarray(amounts, dtype=float)
    odds = np.rint(np.clip(np.asarray(probabilities, dtype=float), 0.0, 1.0) * ODDS_SCALE)
    out = np.full(draws, float(amounts[odds == ODDS_SCALE].sum()))
    live = (odds > 0) & (odds < ODDS_SCALE)
    amounts, thresholds = amounts[live], odds[live].astype(np.uint16)
    n = len(amounts)
    if n == 0:
        return out
    # A deal is won when a 16-bit uniform falls below round(p × 65,536): odds exact to 1/65,536
    # (0.0015 points), and each raw 64-bit output of the generator serves four deals, which is
    # 2-3x faster than drawing a double per deal. Sure wins and sure losses take no draws.
    # Blocks of ~256k cells keep the work in the CPU cache; the stream does not depend on them.
    bits = np.random.PCG64(seed)
    step = min(draws, max(1, 262_144 // n))
    won = np.empty((step, n), dtype=bool)
    as_float = np.empty((step, n))
    for lo in range(0, draws, step):
        k = min(draws, lo + step) - lo
        cells = k * n
        uniform = bits.random_raw(-(-cells // 4)).view(np.uint16)[:cells].reshape(k, n)
        np.less(uniform, thresholds, out=won[:k])
        as_float[:k] = won[:k]
        out[lo : lo + k] += as_float[:k] @ amounts
    return out


def _deal_probabilities(deals: pd.DataFrame, rates: pd.DataFrame) -> pd.DataFrame:
    """Return the open deals with `probability` and `source` from the stage rates."""
    learned = rates[rates["source"] == "history"]
    by_stage = dict(zip(learned["stage"].str.lower(), learned["history_rate"], strict=True))
    stage = deals["stage"].str.lower()
    has = stage.isin(by_stage.keys())
    return deals.assign(
        probability=np.where(has, stage.map(by_stage), deals["default_probability"]).astype(float),
        source=np.where(has, "history", "default"),
    )


def _period_deals(
    con: duckdb.DuckDBPyConnection,
    p: Period,
    first: date | None,
    last: date | None,
    team: str | None,
    rep: str | None,
) -> pd.DataFrame:
    """Return open (non-Omitted) and won deals closing in `p` in snapshots dated [first, last]."""
    deals = sql.run(
        con,
        "forecast_open_deals",
        start=p.start,
        end=p.end,
        first=first,
        last=last,
        team=team,
        rep=rep,
    )
    deals["as_of"] = pd.to_datetime(deals["as_of"])
    return deals


def _statistical(deals: pd.DataFrame, rates: pd.DataFrame, seed: int, draws: int) -> dict[str, Any]:
    """Return expected, p10, p50, p90 and the fallback stages for one snapshot's deals."""
    closed = float(deals.loc[deals["is_won"], "amount"].sum())
    open_deals = _deal_probabilities(deals[~deals["is_closed"]], rates)
    amounts = open_deals["amount"].to_numpy(dtype=float)
    probs = open_deals["probability"].to_numpy(dtype=float)
    totals = closed + simulate(amounts, probs, draws=draws, seed=seed)
    p10, p50, p90 = np.percentile(totals, [10, 50, 90])
    fallback = sorted(set(open_deals.loc[open_deals["source"] == "default", "stage"]))
    return {
        "closed": closed,
        "expected": closed + float(amounts @ probs),
        "p10": float(p10),
        "p50": float(p50),
        "p90": float(p90),
        "open_deals": int(len(open_deals)),
        "open_amount": float(amounts.sum()),
        "fallback_stages": fallback,
    }


def statistical_forecast(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
    seed: int = 7,
    draws: int = DRAWS,
    rep: str | None = None,
    min_deals: int = MIN_CLOSED_DEALS,
) -> dict[str, Any]:
    """Return the statistical forecast (currency): expected, p10, p50, p90, closed, quota, notes.

    Expected = closed + Σ p × amount over open non-Omitted deals closing in the period, p from
    stage win rates learned up to the snapshot; P10/P50/P90 from `draws` seeded Monte Carlo
    draws of independent deal outcomes. `fallback_stages` lists the stages of those open deals
    that used the stage mapping's default probability (thin history).
    """
    if draws < 1:
        raise ForecastError("draws must be at least 1")
    p = store.fiscal_period(con, period)
    snap = snapshot_on_or_before(con, as_of)
    if snap is None:
        none = pd.DataFrame(columns=RATE_COLUMNS)
        result = _statistical(_period_deals(con, p, None, None, team, rep), none, seed, draws)
    else:
        result = _stat_points(con, p, [snap], team, rep, seed, draws, min_deals)[snap]
    quota = _rollups(con, p, snap, snap, team, rep)["quota"].sum(min_count=1)
    note = None
    if len(store.snapshot_dates(con)) < 2:
        note = NEEDS_HISTORY + " Every stage uses the stage mapping's default probability."
    elif result["fallback_stages"]:
        note = (
            f"Fewer than {min_deals} closed deals were seen in "
            + ", ".join(result["fallback_stages"])
            + ": those stages use the stage mapping's default probability."
        )
    return {
        "period": p.label,
        "as_of": snap,
        **result,
        "quota": float(quota) if pd.notna(quota) else None,
        "draws": draws,
        "seed": seed,
        "note": note,
    }


def _stat_points(
    con: duckdb.DuckDBPyConnection,
    p: Period,
    snaps: list[date],
    team: str | None,
    rep: str | None,
    seed: int,
    draws: int,
    min_deals: int,
) -> dict[date, dict[str, Any]]:
    """Return the statistical forecast of `p` at each snapshot date (see `_statistical`).

    Each is simulated once per state of the data and kept in forecast_points (spm.derived):
    the seeded simulation is deterministic, so a stored point equals a recomputed one.
    """
    fp = derived.ensure_stage_history(con)
    key = {"period": p.label, "team": team, "rep": rep, "seed": seed, "draws": draws,
           "min_deals": min_deals}  # fmt: skip
    points = derived.stored_points(con, fp, key) if snaps else {}
    missing = [s for s in snaps if s not in points]
    if missing:
        rates = _stage_rates(con, missing, min_deals)
        deals = _period_deals(con, p, min(missing), max(missing), team, rep)
        by_date = dict(list(deals.groupby(deals["as_of"].dt.date, sort=False)))
        empty = deals.iloc[0:0]
        new = {s: _statistical(by_date.get(s, empty), rates[s], seed, draws) for s in missing}
        derived.store_points(con, fp, key, new)
        points.update(new)
    return {s: points[s] for s in snaps}


CALIBRATION_BUCKETS = [f"{10 * i}–{10 * (i + 1)}%" for i in range(10)]


def calibration(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    min_deals: int = MIN_CLOSED_DEALS,
) -> pd.DataFrame:
    """Return predicted-probability bucket vs realised win rate on closed history (fractions).

    One observation per closed deal and stage it was seen open in. Model "statistical" predicts
    with the stage's win rate known when the deal entered the stage (deals closed by then only,
    default below `min_deals`); "stage mapping" with the mapping's default probability.
    """
    snap = snapshot_on_or_before(con, as_of)
    cols = ["model", "bucket", "observations", "predicted", "realised"]
    if snap is None:
        return pd.DataFrame(columns=cols)
    derived.ensure_stage_history(con)
    rows = sql.run(con, "forecast_calibration", last=snap, min_deals=min_deals)
    rows["bucket"] = [CALIBRATION_BUCKETS[i] for i in rows["bucket_index"]]
    rows["observations"] = rows["observations"].astype(int)
    return rows[cols].reset_index(drop=True)


# --- trend and accuracy -----------------------------------------------------------------------


def _snapshots_in(con: duckdb.DuckDBPyConnection, p: Period) -> list[date]:
    """Return the snapshot dates inside the period, oldest first."""
    return [d for d in store.snapshot_dates(con) if p.contains(d)]


def _history_in(
    con: duckdb.DuckDBPyConnection,
    p: Period,
    team: str | None,
    rep: str | None,
) -> tuple[list[date], pd.DataFrame]:
    """Return the snapshots inside `p` with the rollups of each."""
    snaps = _snapshots_in(con, p)
    first, last = (snaps[0], snaps[-1]) if snaps else (None, None)
    rollups = _rollups(con, p, first, last, team, rep)
    rollups["as_of"] = pd.to_datetime(rollups["as_of"])
    return snaps, rollups


def forecast_trend(
    con: duckdb.DuckDBPyConnection,
    period: str,
    team: str | None = None,
    seed: int = 7,
    rep: str | None = None,
    draws: int = DRAWS,
    min_deals: int = MIN_CLOSED_DEALS,
) -> pd.DataFrame:
    """Return per snapshot inside the period: closed, commit, best_case, stat_p50, quota, ...

    Extra columns after quota: stat_p10, stat_p90, stat_expected, pipeline (all currency). Each
    snapshot's statistical forecast uses only the history known at its date.
    """
    p = store.fiscal_period(con, period)
    # every snapshot's rollup in the period (~200 ms on 18M rows): kept per state of the data
    key = {"period": p.label, "team": team, "rep": rep, "seed": seed, "draws": draws,
           "min_deals": min_deals}  # fmt: skip
    return derived.memo_frame(
        con, "forecast_trend", key, lambda: _trend(con, p, team, rep, seed, draws, min_deals)
    )


def _trend(
    con: duckdb.DuckDBPyConnection,
    p: Period,
    team: str | None,
    rep: str | None,
    seed: int,
    draws: int,
    min_deals: int,
) -> pd.DataFrame:
    """Return `forecast_trend` computed from the snapshots and the stored statistical points."""
    snaps, rollups = _history_in(con, p, team, rep)
    stats = _stat_points(con, p, snaps, team, rep, seed, draws, min_deals)
    records = []
    for snap in snaps:
        t = pd.Timestamp(snap)
        roll = rollups[rollups["as_of"] == t]
        stat = stats[snap]
        quota = roll["quota"].sum(min_count=1)
        records.append(
            {
                "as_of": t,
                "closed": float(roll["closed"].sum()),
                "commit": float(roll["commit"].sum()),
                "best_case": float(roll["best_case"].sum()),
                "stat_p50": stat["p50"],
                "quota": float(quota) if pd.notna(quota) else np.nan,
                "stat_p10": stat["p10"],
                "stat_p90": stat["p90"],
                "stat_expected": stat["expected"],
                "pipeline": float(roll["pipeline"].sum()),
            }
        )
    cols = ["as_of", "closed", "commit", "best_case", "stat_p50", "quota"]
    cols += ["stat_p10", "stat_p90", "stat_expected", "pipeline"]
    return pd.DataFrame(records, columns=cols)


def warm(con: duckdb.DuckDBPyConnection, latest: date) -> None:
    """Store the all-company trend of `latest`'s quarter and the one before, the previous
    quarter's accuracy and this quarter's changes since the snapshot before `latest`.

    These are what Home, the Forecast page and the QBR (last closed quarter) open on.
    """
    start_month = store.fiscal_start_month(con)
    current = quarter_of(latest, start_month)
    previous = shift(current, -1, start_month)
    for p in (current, previous):
        forecast_trend(con, p.label)
    forecast_rollup(con, current.label, as_of=latest)
    required_coverage(con, as_of=latest)
    if latest >= previous.end:
        forecast_accuracy_by_rep(con, previous.label)
    try:
        what_changed(con, current.label, as_of=latest)
    except ForecastError:  # a single snapshot: nothing to compare with
        pass


def _require_closed(con: duckdb.DuckDBPyConnection, p: Period) -> None:
    """Raise ForecastError unless a snapshot on or after the period's end is loaded."""
    latest = snapshot_on_or_before(con, None)
    if latest is None:
        raise ForecastError("no opportunities snapshot is loaded")
    if latest < p.end:
        raise ForecastError(
            f"{p.label} is not closed yet: forecast accuracy needs a snapshot on or after "
            f"{p.end:%Y-%m-%d} (the latest is {latest:%Y-%m-%d})"
        )


def _week(p: Period, snap: date) -> int:
    """Return the week of the period a date falls in (1 = its first seven days)."""
    return (snap - p.start).days // 7 + 1


def _errors(frame: pd.DataFrame) -> pd.DataFrame:
    """Add (forecast − actual) / actual for commit, best case and statistical (NaN: actual 0)."""
    actual = frame["actual"].where(frame["actual"] != 0)
    out = frame.copy()
    for col in ("commit", "best_case", "statistical"):
        out[f"{col}_error"] = ((frame[col] - actual) / actual).astype(float)
    return out


ACCURACY_COLUMNS = [
    "week",
    "as_of",
    "actual",
    "commit",
    "best_case",
    "statistical",
    "commit_error",
    "best_case_error",
    "statistical_error",
]


def _weekly_snapshots(con: duckdb.DuckDBPyConnection, p: Period) -> list[tuple[int, date]]:
    """Return (week, snapshot) for the last snapshot of each week inside the period."""
    last: dict[int, date] = {}
    for snap in _snapshots_in(con, p):
        last[_week(p, snap)] = snap
    return sorted(last.items())


def forecast_accuracy(
    con: duckdb.DuckDBPyConnection,
    period: str,
    team: str | None = None,
    rep: str | None = None,
    min_deals: int = MIN_CLOSED_DEALS,
) -> pd.DataFrame:
    """Return per week of a closed period: actual, each forecast (currency) and its error.

    Statistical = the expected value known at that snapshot; error = (forecast − actual) /
    actual as a fraction. Actual = bookings in the latest snapshot.
    """
    by_rep = forecast_accuracy_by_rep(con, period, team=team, rep=rep, min_deals=min_deals)
    if by_rep.empty:
        return pd.DataFrame(columns=ACCURACY_COLUMNS)
    money = ["actual", "commit", "best_case", "statistical"]
    sums = by_rep.groupby(["week", "as_of"], sort=True)[money].sum().reset_index()
    return _errors(sums)[ACCURACY_COLUMNS]


def forecast_accuracy_by_rep(
    con: duckdb.DuckDBPyConnection,
    period: str,
    team: str | None = None,
    rep: str | None = None,
    min_deals: int = MIN_CLOSED_DEALS,
) -> pd.DataFrame:
    """Return per rep and week of a closed period: actual, forecasts (currency), errors."""
    p = store.fiscal_period(con, period)
    _require_closed(con, p)
    # reads the period's deals in each of its weekly snapshots (~1 s on 18M rows): kept per
    # state of the data, and refresh stores the last closed quarter's (the QBR's default)
    key = {"period": p.label, "team": team, "rep": rep, "min_deals": min_deals}
    return derived.memo_frame(
        con, "forecast_accuracy_by_rep", key, lambda: _accuracy_by_rep(con, p, team, rep, min_deals)
    )


def _accuracy_by_rep(
    con: duckdb.DuckDBPyConnection,
    p: Period,
    team: str | None,
    rep: str | None,
    min_deals: int,
) -> pd.DataFrame:
    """Return `forecast_accuracy_by_rep` computed from the snapshots."""
    actual = forecast_rollup(con, p.label, team=team, rep=rep)[["rep", "closed"]]
    actual = actual.rename(columns={"closed": "actual"})
    snaps, rollups = _history_in(con, p, team, rep)
    deals = _period_deals(con, p, snaps[0], snaps[-1], team, rep) if snaps else None
    weeks = _weekly_snapshots(con, p)
    rates = _stage_rates(con, [snap for _, snap in weeks], min_deals)
    frames = []
    for week, snap in weeks:
        t = pd.Timestamp(snap)
        roll = rollups[rollups["as_of"] == t]
        now = deals[(deals["as_of"] == t) & ~deals["is_closed"]]
        open_deals = _deal_probabilities(now, rates[snap])
        weighted = (open_deals["amount"] * open_deals["probability"]).groupby(open_deals["rep"])
        frame = roll[["rep", "closed", "commit", "best_case"]].copy()
        frame["statistical"] = frame["closed"] + frame["rep"].map(weighted.sum()).fillna(0.0)
        frame.insert(0, "week", week)
        frame.insert(1, "as_of", t)
        frames.append(frame.drop(columns="closed"))
    cols = ["rep", *ACCURACY_COLUMNS]
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True).merge(actual, on="rep", how="left")
    out["actual"] = out["actual"].fillna(0.0)
    return _errors(out)[cols].sort_values(["rep", "week"]).reset_index(drop=True)


def accuracy_summary(by_rep: pd.DataFrame) -> pd.DataFrame:
    """Return per rep the actual (currency) and mean absolute error of each forecast (fractions)."""
    cols = ["rep", "actual", "weeks", "commit_mae", "best_case_mae", "statistical_mae"]
    if by_rep.empty:
        return pd.DataFrame(columns=cols)
    g = by_rep.groupby("rep", sort=True)
    out = pd.DataFrame(
        {
            "actual": g["actual"].first(),
            "weeks": g["week"].count(),
            "commit_mae": g["commit_error"].apply(lambda s: s.abs().mean()),
            "best_case_mae": g["best_case_error"].apply(lambda s: s.abs().mean()),
            "statistical_mae": g["statistical_error"].apply(lambda s: s.abs().mean()),
        }
    ).reset_index()
    return out[cols]


# --- what changed -----------------------------------------------------------------------------


CHANGE_COLUMNS = [
    "change",
    "opportunity_id",
    "name",
    "account",
    "rep",
    "team",
    "stage_before",
    "stage_after",
    "category_before",
    "category_after",
    "amount_before",
    "amount_after",
    "close_before",
    "close_after",
    "in_period_before",
    "in_period_after",
    "value",
]


def comparison_snapshots(
    con: duckdb.DuckDBPyConnection, as_of: date | None = None, since: date | None = None
) -> tuple[date, date]:
    """Return (s0, s1): the snapshot as of `as_of` and the one to compare it with.

    s0 = the latest snapshot on or before `since`, else the snapshot just before s1.
    """
    dates = store.snapshot_dates(con)
    s1 = snapshot_on_or_before(con, as_of)
    if s1 is None:
        raise ForecastError("no opportunities snapshot is loaded")
    if since is None:
        earlier = [d for d in dates if d < s1]
        s0 = earlier[-1] if earlier else None
    else:
        s0 = snapshot_on_or_before(con, since)
        if s0 is None:
            s0 = dates[0]
    if s0 is None or s0 >= s1:
        raise ForecastError(
            NEEDS_HISTORY if len(dates) < 2 else "pick a comparison date before the as-of date"
        )
    return s0, s1


def what_changed(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    since: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> pd.DataFrame:
    """Return deal-level changes for deals closing in the period between two snapshots.

    One row per deal and change type (new, pushed, pulled in, amount up/down, stage moved,
    category moved, won, lost); `value` is the amount in question (currency). The compared
    snapshots are in `attrs["s0"]` and `attrs["s1"]`.
    """
    p = store.fiscal_period(con, period)
    s0, s1 = comparison_snapshots(con, as_of, since)

    def compute() -> pd.DataFrame:
        rows = sql.run(
            con, "forecast_changes", s0=s0, s1=s1, start=p.start, end=p.end, team=team, rep=rep
        )
        for col in ("amount_before", "amount_after", "value"):
            rows[col] = rows[col].astype(float)
        out = rows[CHANGE_COLUMNS].reset_index(drop=True)
        out.attrs.update({"s0": s0, "s1": s1})
        return out

    # two full snapshots joined (~100 ms on 18M rows); refresh stores the latest week's changes
    key = {"period": p.label, "s0": s0, "s1": s1, "team": team, "rep": rep}
    return derived.memo_frame(con, "what_changed", key, compute)


def change_totals(changes: pd.DataFrame) -> pd.DataFrame:
    """Return deals and summed value (currency) per change type, in CHANGE_TYPES order."""
    g = changes.groupby("change")
    deals = g["opportunity_id"].count()
    value = g["value"].sum()
    records = [
        {"change": c, "deals": int(deals.get(c, 0)), "value": float(value.get(c, 0.0))}
        for c in CHANGE_TYPES
    ]
    return pd.DataFrame(records, columns=["change", "deals", "value"])


# --- forecast calls ---------------------------------------------------------------------------


def save_forecast_call(
    con: duckdb.DuckDBPyConnection,
    period: str,
    manager: str,
    commit: float,
    best_case: float,
    called_on: date | None = None,
    note: str | None = None,
) -> None:
    """Store a manager's commit and best-case call (currency); one call per manager and day."""
    p = store.fiscal_period(con, period)
    who = (manager or "").strip()
    if not who:
        raise ForecastError("say whose call this is (the manager)")
    for label, value in (("commit", commit), ("best case", best_case)):
        if value is None or not np.isfinite(float(value)) or float(value) < 0:
            raise ForecastError(f"the {label} must be an amount of 0 or more")
    if float(best_case) < float(commit):
        raise ForecastError("the best case cannot be below the commit")
    day = called_on or date.today()
    with store.transaction(con):
        con.execute(
            "DELETE FROM forecast_calls WHERE period = ? AND manager = ? AND called_on = ?",
            [p.label, who, day],
        )
        con.execute(
            "INSERT INTO forecast_calls VALUES (?, ?, ?, ?, ?, ?, ?)",
            [p.label, who, day, float(commit), float(best_case), note or None, datetime.now()],
        )


def forecast_calls(
    con: duckdb.DuckDBPyConnection, period: str, team: str | None = None
) -> pd.DataFrame:
    """Return the period's calls with the outcome: actual bookings and errors once it closed.

    Actual = bookings of the reps the manager manages (everyone when the name manages nobody).
    """
    p = store.fiscal_period(con, period)
    calls = con.execute(
        "SELECT manager, called_on, CAST(commit_amount AS DOUBLE) AS commit,"
        " CAST(best_case_amount AS DOUBLE) AS best_case, note FROM forecast_calls"
        " WHERE period = ? ORDER BY called_on, manager",
        [p.label],
    ).df()
    cols = ["manager", "called_on", "commit", "best_case", "note", "actual", "period_closed"]
    cols += ["commit_error", "best_case_error"]
    roll = forecast_rollup(con, period)
    if team is not None:
        managers = set(roll.loc[roll["team"] == team, "manager"].dropna()) | {team}
        calls = calls[calls["manager"].isin(managers)]
    latest = snapshot_on_or_before(con, None)
    closed = latest is not None and latest >= p.end
    actual = []
    for manager in calls["manager"]:
        mine = roll[roll["manager"] == manager]
        actual.append(float((mine if len(mine) else roll)["closed"].sum()))
    out = calls.assign(actual=actual, period_closed=closed)
    base = out["actual"].where((out["actual"] != 0) & closed)
    out["commit_error"] = ((out["commit"] - base) / base).astype(float)
    out["best_case_error"] = ((out["best_case"] - base) / base).astype(float)
    if len(out):
        out["called_on"] = pd.to_datetime(out["called_on"])
    return out[cols].reset_index(drop=True)


def managers(con: duckdb.DuckDBPyConnection, team: str | None = None) -> list[str]:
    """Return the managers named in the reps file (in the team when given), sorted."""
    rows = con.execute(
        "SELECT DISTINCT manager FROM reps WHERE manager IS NOT NULL"
        " AND (CAST(? AS VARCHAR) IS NULL OR team = CAST(? AS VARCHAR)) ORDER BY 1",
        [team, team],
    ).fetchall()
    return [r[0] for r in rows]


# --- must-win deals ---------------------------------------------------------------------------


MUST_WIN_COLUMNS = [
    "opportunity_id",
    "name",
    "account",
    "rep",
    "stage",
    "forecast_category",
    "amount",
    "close_date",
    "risk",
    "suggested",
    "marked",
]


def _risk(row: dict) -> str:
    """Return the deal's risk flags as text (empty when none)."""
    why = flag_reasons(row)
    if str(row["forecast_category"]).replace(" ", "").lower() != "commit":
        why.append("not in commit")
    return ", ".join(why)


def _marked(con: duckdb.DuckDBPyConnection, label: str) -> set[str]:
    rows = con.execute("SELECT opportunity_id FROM must_win WHERE period = ?", [label]).fetchall()
    return {r[0] for r in rows}


def must_win_candidates(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> pd.DataFrame:
    """Return open non-Omitted deals closing in the period, largest first, with risk flags.

    `suggested` marks the largest deals whose amounts add up to the gap (quota − closed; the
    five largest when there is no quota, none when the quota is made); `marked` = saved choice.
    """
    p = store.fiscal_period(con, period)
    flags = deal_flags(con, as_of=as_of, team=team, rep=rep)
    close = pd.to_datetime(flags["close_date"])
    category = flags["forecast_category"].fillna("").str.replace(" ", "").str.lower()
    inside = (close >= pd.Timestamp(p.start)) & (close < pd.Timestamp(p.end))
    deals = flags[inside & (category != "omitted")].copy()
    deals["amount"] = deals["amount"].astype(float)
    deals = deals.sort_values(["amount", "opportunity_id"], ascending=[False, True])
    roll = forecast_rollup(con, period, as_of=as_of, team=team, rep=rep)
    quota = roll["quota"].sum(min_count=1)
    if pd.isna(quota):
        suggested = np.arange(len(deals)) < 5
    else:
        gap = float(quota) - float(roll["closed"].sum())
        before = deals["amount"].fillna(0).cumsum() - deals["amount"].fillna(0)
        suggested = (before < gap).to_numpy()  # include the deal that crosses the gap
    deals["suggested"] = suggested
    deals["risk"] = [_risk(r) for r in deals.to_dict("records")]
    deals["marked"] = deals["opportunity_id"].isin(_marked(con, p.label))
    return deals[MUST_WIN_COLUMNS].reset_index(drop=True)


def save_must_win(
    con: duckdb.DuckDBPyConnection, period: str, marked: list[str], shown: list[str]
) -> None:
    """Remember the must-win choice for the period: `marked` among the `shown` deal ids."""
    p = store.fiscal_period(con, period)
    unknown = set(marked) - set(shown)
    if unknown:
        raise ForecastError(f"deal(s) not in the list: {', '.join(sorted(unknown))}")
    now = datetime.now()
    with store.transaction(con):
        for opp in shown:
            con.execute(
                "DELETE FROM must_win WHERE period = ? AND opportunity_id = ?", [p.label, opp]
            )
        for opp in marked:
            con.execute("INSERT INTO must_win VALUES (?, ?, ?)", [opp, p.label, now])


def must_win_deals(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> pd.DataFrame:
    """Return the marked deals (else the suggestion) with risk flags and `status`."""
    deals = must_win_candidates(con, period, as_of=as_of, team=team, rep=rep)
    p = store.fiscal_period(con, period)
    marked = _marked(con, p.label)
    chosen = deals[deals["marked"]] if marked else deals[deals["suggested"]]
    out = chosen.assign(status=np.where(chosen["marked"], "marked", "suggested"))
    # marked deals that left the open list: say what happened to them
    gone = sorted(marked - set(deals["opportunity_id"]))
    if gone:
        snap = snapshot_on_or_before(con, as_of)
        rows = con.execute(
            "SELECT opportunity_id, name, account, owner AS rep, stage, forecast_category,"
            " CAST(amount AS DOUBLE) AS amount, close_date, is_closed, is_won"
            " FROM opportunity_snapshots WHERE as_of = ? AND list_contains(?, opportunity_id)"
            " ORDER BY opportunity_id",
            [snap, gone],
        ).df()
        if team is not None or rep is not None:
            keep = set(forecast_rollup(con, period, as_of=as_of, team=team, rep=rep)["rep"])
            rows = rows[rows["rep"].isin(keep)]
        status = np.where(
            rows["is_won"],
            "won",
            np.where(rows["is_closed"], "lost", "moved out of the period or omitted"),
        )
        extra = rows.drop(columns=["is_closed", "is_won"]).assign(
            risk="", suggested=False, marked=True, status=status
        )
        out = pd.concat([out, extra], ignore_index=True) if len(extra) else out
    return out.reset_index(drop=True)


# --- the quarter at a glance (Home) -----------------------------------------------------------


def required_coverage(
    con: duckdb.DuckDBPyConnection, as_of: date | None = None, team: str | None = None
) -> float | None:
    """Return the required coverage (×) of spm.pipeline, or None without history or setting."""
    from spm.pipeline import required_coverage as pipeline_required

    value = pipeline_required(con, as_of=as_of, team=team).value
    return None if math.isnan(value) else value


def deals_at_risk(
    con: duckdb.DuckDBPyConnection,
    start: date,
    end: date,
    as_of: date | None = None,
    team: str | None = None,
) -> tuple[int, float]:
    """Return the number and amount (currency) of open deals at risk closing in [start, end)."""
    with flags_view(con, as_of=as_of, team=team):
        row = sql.run(con, "forecast_at_risk", start=start, end=end).iloc[0]
    return int(row["deals"]), float(row["amount"])


def quarter_glance(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
    seed: int = 7,
) -> dict[str, Any]:
    """Return the quarter at a glance: bookings vs quota, forecasts, coverage, risk, changes."""
    p = store.fiscal_period(con, period)
    roll = forecast_rollup(con, period, as_of=as_of, team=team)
    snap = snapshot_on_or_before(con, as_of)
    if snap is None:
        stat = statistical_forecast(con, period, as_of=as_of, team=team, seed=seed)
    else:  # the simulation only: statistical_forecast would re-run the rollup for its quota
        point = _stat_points(con, p, [snap], team, None, seed, DRAWS, MIN_CLOSED_DEALS)[snap]
        stat = {"as_of": snap, **point}
    quota = roll["quota"].sum(min_count=1)
    quota = float(quota) if pd.notna(quota) else None
    bookings = float(roll["closed"].sum())
    pipeline = float(roll["pipeline"].sum())
    gap = max(quota - bookings, 0.0) if quota is not None else None
    at_risk = deals_at_risk(con, p.start, p.end, as_of=as_of, team=team)
    try:
        changes = what_changed(con, period, as_of=as_of, team=team)
    except ForecastError:
        changes = pd.DataFrame(columns=CHANGE_COLUMNS)
    biggest = changes["value"].abs().sort_values(ascending=False, kind="stable").index
    top = changes.reindex(biggest).drop_duplicates("opportunity_id").head(5)
    top = top.reset_index(drop=True)
    top.attrs = {}
    return {
        "period": p.label,
        "as_of": stat["as_of"],
        "bookings": bookings,
        "quota": quota,
        "attainment": bookings / quota if quota else None,
        "commit": float(roll["commit"].sum()),
        "best_case": float(roll["best_case"].sum()),
        "statistical": stat["expected"],
        "p10": stat["p10"],
        "p90": stat["p90"],
        "pipeline": pipeline,
        "coverage": pipeline / gap if gap else None,
        "covered": gap == 0,
        "required_coverage": required_coverage(con, as_of=as_of, team=team),
        "at_risk_deals": at_risk[0],
        "at_risk_amount": at_risk[1],
        "changes": change_totals(changes),
        "top_changes": top,
        "compared_with": changes.attrs.get("s0"),
    }


# --- charts (pure: data → Altair) -------------------------------------------------------------


def band_chart(
    stat: dict[str, Any], rollup_total: dict[str, float], symbol: str = "$"
) -> alt.LayerChart:
    """Return bars for closed, commit and best case, the statistical P10–P90 band with its P50
    and expected value, and quota as a dashed rule (currency)."""
    order = ["Closed", "Commit", "Best case", "Statistical"]
    bars = pd.DataFrame(
        {
            "what": order[:3],
            "amount": [stat["closed"], rollup_total.get("commit"), rollup_total.get("best_case")],
        }
    )
    band = pd.DataFrame(
        [
            {
                "what": "Statistical",
                "p10": stat["p10"],
                "p50": stat["p50"],
                "p90": stat["p90"],
                "expected": stat["expected"],
            }
        ]
    )
    fmt = ",.0f"
    y = alt.Y("what:N", sort=order, title=None)
    x_title = f"Amount ({symbol})"
    layers: list[alt.Chart] = [
        alt.Chart(bars)
        .mark_bar(height=22)
        .encode(
            x=alt.X("amount:Q", title=x_title, axis=alt.Axis(format="~s")),
            y=y,
            color=alt.Color(
                "what:N", scale=alt.Scale(domain=order[:3], range=[GREY, BLUE, PURPLE]), legend=None
            ),
            tooltip=[alt.Tooltip("what:N", title="Forecast"), alt.Tooltip("amount:Q", format=fmt)],
        ),
        alt.Chart(band)
        .mark_bar(height=22, color="#86efac")
        .encode(
            x="p10:Q",
            x2="p90:Q",
            y=y,
            tooltip=[
                alt.Tooltip("p10:Q", title=f"P10 ({symbol})", format=fmt),
                alt.Tooltip("p50:Q", title=f"P50 ({symbol})", format=fmt),
                alt.Tooltip("p90:Q", title=f"P90 ({symbol})", format=fmt),
                alt.Tooltip("expected:Q", title=f"Expected ({symbol})", format=fmt),
            ],
        ),
        alt.Chart(band)
        .mark_tick(color=GREEN, thickness=3, size=30)
        .encode(x="p50:Q", y=y, tooltip=[alt.Tooltip("p50:Q", title="P50", format=fmt)]),
        alt.Chart(band)
        .mark_point(color=AMBER, filled=True, size=70, shape="diamond")
        .encode(
            x="expected:Q", y=y, tooltip=[alt.Tooltip("expected:Q", title="Expected", format=fmt)]
        ),
    ]
    if stat.get("quota") is not None:
        quota = pd.DataFrame([{"quota": stat["quota"]}])
        layers.append(
            alt.Chart(quota)
            .mark_rule(color=RED, strokeDash=[6, 4], size=2)
            .encode(x="quota:Q", tooltip=[alt.Tooltip("quota:Q", title="Quota", format=fmt)])
        )
    return alt.layer(*layers).properties(height=170)


def trend_chart(
    trend: pd.DataFrame, calls: pd.DataFrame | None = None, symbol: str = "$"
) -> alt.LayerChart:
    """Return the week-by-week forecast lines, the P10–P90 band, quota line and manager calls."""
    names = {
        "closed": "Closed",
        "commit": "Commit",
        "best_case": "Best case",
        "stat_p50": "Statistical P50",
    }
    colours = [GREY, BLUE, PURPLE, GREEN]
    long = trend.melt(id_vars=["as_of"], value_vars=list(names), var_name="series")
    long["series"] = long["series"].map(names)
    fmt = ",.0f"
    y = alt.Y("value:Q", title=f"Amount ({symbol})", axis=alt.Axis(format="~s"))
    x = alt.X("as_of:T", title="Snapshot")
    band = (
        alt.Chart(trend)
        .mark_area(opacity=0.18, color=GREEN)
        .encode(
            x=x,
            y=alt.Y("stat_p10:Q", title=f"Amount ({symbol})"),
            y2="stat_p90:Q",
            tooltip=[
                alt.Tooltip("as_of:T", title="Snapshot"),
                alt.Tooltip("stat_p10:Q", title=f"P10 ({symbol})", format=fmt),
                alt.Tooltip("stat_p90:Q", title=f"P90 ({symbol})", format=fmt),
            ],
        )
    )
    lines = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=list(names.values()), range=colours),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("as_of:T", title="Snapshot"),
                alt.Tooltip("series:N", title="Forecast"),
                alt.Tooltip("value:Q", title=symbol, format=fmt),
            ],
        )
    )
    quota = (
        alt.Chart(trend.dropna(subset=["quota"]))
        .mark_rule(color=RED, strokeDash=[6, 4])
        .encode(
            y="mean(quota):Q", tooltip=[alt.Tooltip("mean(quota):Q", title="Quota", format=fmt)]
        )
    )
    layers = [band, lines, quota]
    if calls is not None and len(calls):
        called = calls.melt(
            id_vars=["manager", "called_on"],
            value_vars=["commit", "best_case"],
            var_name="call",
            value_name="value",
        )
        called["call"] = called["call"].map(
            {"commit": "call: commit", "best_case": "call: best case"}
        )
        layers.append(
            alt.Chart(called)
            .mark_point(shape="diamond", size=120, filled=True, color=AMBER)
            .encode(
                x=alt.X("called_on:T"),
                y="value:Q",
                tooltip=[
                    alt.Tooltip("manager:N"),
                    alt.Tooltip("called_on:T", title="Called on"),
                    alt.Tooltip("call:N"),
                    alt.Tooltip("value:Q", title=symbol, format=fmt),
                ],
            )
        )
    return alt.layer(*layers).properties(height=320)


def accuracy_chart(accuracy: pd.DataFrame) -> alt.Chart:
    """Return the error (fraction) of each forecast by week of the period."""
    names = {
        "commit_error": "Commit",
        "best_case_error": "Best case",
        "statistical_error": "Statistical",
    }
    long = accuracy.melt(id_vars=["week", "as_of"], value_vars=list(names), var_name="forecast")
    long["forecast"] = long["forecast"].map(names)
    lines = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("week:O", title="Week of the period"),
            y=alt.Y("value:Q", title="(forecast − actual) / actual", axis=alt.Axis(format="%")),
            color=alt.Color(
                "forecast:N",
                scale=alt.Scale(domain=list(names.values()), range=[BLUE, PURPLE, GREEN]),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("week:O"),
                alt.Tooltip("as_of:T", title="Snapshot"),
                alt.Tooltip("forecast:N"),
                alt.Tooltip("value:Q", title="Error", format=".1%"),
            ],
        )
    )
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color=GREY).encode(y="y:Q")
    return alt.layer(zero, lines).properties(height=280)


def calibration_chart(table: pd.DataFrame) -> alt.LayerChart:
    """Return predicted vs realised win rate per bucket and model, with the diagonal."""
    diagonal = (
        alt.Chart(pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0]}))
        .mark_line(color=GREY, strokeDash=[4, 4])
        .encode(x="x:Q", y="y:Q")
    )
    points = (
        alt.Chart(table)
        .mark_line(point=True)
        .encode(
            x=alt.X("predicted:Q", title="Predicted win probability", axis=alt.Axis(format="%"),
                    scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("realised:Q", title="Realised win rate", axis=alt.Axis(format="%"),
                    scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("model:N", legend=alt.Legend(title=None, orient="bottom")),
            tooltip=[
                alt.Tooltip("model:N"),
                alt.Tooltip("bucket:N"),
                alt.Tooltip("observations:Q"),
                alt.Tooltip("predicted:Q", format=".0%"),
                alt.Tooltip("realised:Q", format=".0%"),
            ],
        )
    )  # fmt: skip
    return alt.layer(diagonal, points).properties(height=280)


# --- command line -----------------------------------------------------------------------------


def _user_error(exc: Exception) -> Exception:
    """Return the CLI's UserError for a forecast error (imported late: the CLI imports us)."""
    from spm.cli import UserError

    return UserError(str(exc))


def _need_period(args: argparse.Namespace, name: str) -> str:
    if not args.period:
        raise _user_error(ValueError(f"report {name} needs --period, e.g. --period 2026-Q3"))
    return str(args.period)


def _cli_forecast(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> pd.DataFrame:
    period = _need_period(args, "forecast")
    frame = forecast_rollup(con, period, as_of=args.as_of, team=args.team, rep=args.rep)
    return frame[["rep", *ROLLUP_MONEY, *GAPS]]


def _cli_stat_forecast(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> pd.DataFrame:
    period = _need_period(args, "stat-forecast")
    try:
        stat = statistical_forecast(
            con, period, as_of=args.as_of, team=args.team, rep=args.rep, seed=args.seed
        )
    except ForecastError as exc:
        raise _user_error(exc) from None
    return pd.DataFrame([{k: stat[k] for k in ("expected", "p10", "p50", "p90")}])


def _cli_accuracy(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> pd.DataFrame:
    period = _need_period(args, "forecast-accuracy")
    try:
        return forecast_accuracy(con, period, team=args.team, rep=args.rep)
    except ForecastError as exc:
        raise _user_error(exc) from None


def _cli_changes(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> pd.DataFrame:
    period = _need_period(args, "changes")
    try:
        return what_changed(
            con, period, as_of=args.as_of, since=args.since, team=args.team, rep=args.rep
        )
    except ForecastError as exc:
        raise _user_error(exc) from None


def _cli_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-09-30") from None


CLI_REPORTS = {
    "forecast": _cli_forecast,
    "stat-forecast": _cli_stat_forecast,
    "forecast-accuracy": _cli_accuracy,
    "changes": _cli_changes,
}
CLI_OPTIONS = [
    ("--seed", {"type": int, "default": 7, "help": "random seed for simulations (default 7)"}),
    (
        "--since",
        {"type": _cli_date, "help": "changes: compare with the snapshot on or before this date"},
    ),
]
