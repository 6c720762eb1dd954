"""Pipeline health: coverage vs required, funnel, creation trend, hygiene, fluff and sandbagging
signals, concentration and velocity (SPEC §4 and §5 "Pipeline health").

Bookings, quota, win rates, ADS and cycle come from `rep_kpis.sql` (through `spm.metrics.kpis`),
hygiene flags from `spm.metrics.hygiene`; this module adds the pipeline views on top.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from datetime import date, timedelta

import altair as alt
import duckdb
import numpy as np
import pandas as pd

from spm import derived, sql, store
from spm.format import money
from spm.metrics import hygiene, kpis
from spm.periods import Period, add_months, parse_period, quarter_of, shift, trailing_quarters

NAN = math.nan
TRAILING_QUARTERS = 4
LATE_CATEGORIES = ("Best Case", "Commit")  # stage default categories that count as late stage
EARLY_CATEGORY = "Pipeline"

COVERAGE_COLUMNS = [
    "period",
    "level",
    "rep",
    "team",
    "quota",
    "bookings",
    "open_pipeline",
    "gap",
    "coverage",
    "required_coverage",
    "status",
    "pipeline_needed",
    "shortfall",
]
FUNNEL_COLUMNS = [
    "stage",
    "stage_order",
    "open_deals",
    "open_value",
    "next_stage",
    "advanced",
    "decided",
    "conversion",
    "median_days",
    "stays",
    "stalled_deals",
]
SIGNAL_COLUMNS = [
    "kind",
    "signal",
    "opportunity_id",
    "rep",
    "reason",
    "stage",
    "amount",
    "close_date",
]
HYGIENE_COUNT_COLUMNS = ["rep", "open_deals", *hygiene.FLAGS, "flagged_deals"]
VELOCITY_COLUMNS = ["rep", "open_deals", "win_rate", "ads", "cycle_days", "velocity"]
SIGNALS = {
    "early_close": ("fluff", "early stage, closing within {days} days"),
    "old_deal": ("fluff", "older than {factor:g}× the typical won cycle"),
    "late_after_period": ("sandbag", "late stage, dated after the period"),
    "wins_not_committed": ("sandbag", "won bookings mostly not in start-of-period Commit"),
}


# ---------------------------------------------------------------------------------------------
# shared helpers


def snapshot_date(con: duckdb.DuckDBPyConnection, as_of: date | None = None) -> date | None:
    """Return the as-of date A actually used: the latest snapshot on or before `as_of`."""
    return store.snapshot_on_or_before(con, as_of)


def _nan(value: object) -> float:
    """Return a float, NaN for None / NA."""
    return NAN if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


def _span_kpis(
    con: duckdb.DuckDBPyConnection,
    span: Period | list[Period],
    as_of: date | None,
    team: str | None,
    rep: str | None,
) -> pd.DataFrame:
    """Return rep_kpis.sql rows (levels 'rep' and 'total') for any date span, or several."""
    spans = span if isinstance(span, list) else [span]
    # several spans in one pass: the query's fixed cost is most of the work
    return sql.run(
        con, "rep_kpis", start=[p.start for p in spans], end=[p.end for p in spans],
        as_of=as_of, team=team, rep=rep,
    )  # fmt: skip


@dataclass(frozen=True)
class Required:
    """Required coverage (×) and where it comes from."""

    value: float  # NaN when there is no closed history and no override
    win_rate: float  # team win rate behind it over the trailing quarters (fraction)
    cycle_median_days: float  # team median won cycle over the same quarters (days)
    first_quarter: str | None
    last_quarter: str | None
    source: str  # setting | history | count history | no history

    def describe(self) -> str:
        """Return one sentence saying how the figure was set."""
        span = f"{self.first_quarter} to {self.last_quarter}"
        if self.source == "setting":
            return f"Required coverage {self.value:.1f}× is set in Settings."
        if self.source == "history":
            return (
                f"Required coverage {self.value:.1f}× = 1 / value win rate "
                f"{self.win_rate:.0%} of the team, {span}."
            )
        if self.source == "count history":
            return (
                f"Required coverage {self.value:.1f}× = 1 / win rate by count "
                f"{self.win_rate:.0%} of the team, {span}: lost deals carry no amount, so the "
                "value win rate would read 100%."
            )
        if self.first_quarter is None:
            return "Required coverage needs closed deals: load an opportunities export."
        return (
            f"No deals were closed {span} (the 4 quarters before the snapshot), so required "
            "coverage is unknown: load older snapshots or set it in Settings."
        )


def required_coverage(
    con: duckdb.DuckDBPyConnection, as_of: date | None = None, team: str | None = None
) -> Required:
    """Return 1 / team value win rate over the 4 fiscal quarters ended before A (or the setting).

    The team is every rep in the team filter: a rep filter narrows the rows shown, not the team
    whose win rate sets the bar, so each rep's row carries the same figure. When lost deals
    carry no amount (the Maven CRM export records 0), the value win rate is 100% by
    construction and the win rate by count stands in.
    """
    a = snapshot_date(con, as_of)
    override = store.get_settings(con).get("required_coverage_override")
    if a is None:
        first = last = None
        vwr = cycle = NAN
        lost_unvalued = False
    else:
        start_month = store.fiscal_start_month(con)
        span = trailing_quarters(a, TRAILING_QUARTERS, start_month)
        first = quarter_of(span.start, start_month).label
        last = quarter_of(span.last_day, start_month).label
        # the trailing year's KPIs (~60-100 ms, mostly planning rep_kpis.sql) are kept per
        # snapshot and state of the data; refresh stores the latest snapshot's
        key = {"start": span.start, "end": span.end, "snapshot": a, "team": team}
        total = derived.memo_frame(
            con, "trailing_kpis", key, lambda: _span_kpis(con, span, a, team, None)
        )
        total = total[total["level"] == "total"]
        row = total.iloc[0]
        vwr, cycle = _nan(row["value_win_rate"]), _nan(row["cycle_median_days"])
        # bookings / closed amount is 1 exactly when every lost deal is worth 0
        lost_unvalued = vwr == 1.0 and int(row["lost"]) > 0
        if lost_unvalued:
            vwr = _nan(row["win_rate"])
    if override is not None and float(override) > 0:
        return Required(float(override), vwr, cycle, first, last, "setting")
    if vwr > 0:
        source = "count history" if lost_unvalued else "history"
        return Required(1.0 / vwr, vwr, cycle, first, last, source)
    return Required(NAN, vwr, cycle, first, last, "no history")


def open_deals(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> pd.DataFrame:
    """Return open pipeline deals as of A (not closed, not Omitted), amount desc; age in days."""
    deals = sql.run(con, "pipeline_open_deals", as_of=as_of, team=team, rep=rep)
    # sorted here: the funnel reads the query's rows in no order
    return deals.sort_values(
        ["amount", "opportunity_id"], ascending=[False, True], na_position="last", ignore_index=True
    )


# ---------------------------------------------------------------------------------------------
# coverage


def rank_by_need(cov: pd.DataFrame) -> pd.DataFrame:
    """Return `coverage_outlook` rows neediest first: team rows, then per period (in order) the
    reps by shortfall, then quota gap, largest first."""
    order = {p: n for n, p in enumerate(dict.fromkeys(cov["period"]))}
    ranked = cov.assign(
        _rep=cov["level"] != "team",
        _n=cov["period"].map(order),
        _s=cov["shortfall"].astype(float).fillna(-1.0),
        _g=cov["gap"].astype(float).fillna(-1.0),
    ).sort_values(
        ["_rep", "_n", "_s", "_g", "rep"],
        ascending=[True, True, False, False, True],
        kind="stable",
    )
    return ranked[list(cov.columns)].reset_index(drop=True)


def neediest_reps(cov: pd.DataFrame, n: int) -> pd.DataFrame:
    """Return the rep rows of `coverage_outlook`, every period, of the `n` reps with the largest
    shortfall (then quota gap) in the first period, neediest first."""
    ranked = rank_by_need(cov)
    reps = ranked[ranked["level"] == "rep"]
    first = reps[reps["period"] == cov["period"].iloc[0]] if len(cov) else reps
    chosen = list(dict.fromkeys(first["rep"]))[:n]
    return reps[reps["rep"].isin(chosen)].reset_index(drop=True)


def _coverage(
    rows: pd.DataFrame, spans: list[Period], req: Required, rep: str | None
) -> pd.DataFrame:
    """Return `coverage` of each period in `spans` from its rep_kpis.sql rows, against `req`."""
    # per period the rep rows as kpis.rep_kpis orders them, then (without a rep filter) the
    # total row, which is what kpis.team_kpis returns: one query serves both
    team = rows["level"] == "total"
    if rep is None:
        r = rows.assign(
            level=rows["level"].where(~team, "team"), rep=rows["rep"].where(~team, "Team")
        )
    else:
        r = rows[~team]
    if r.empty:
        return pd.DataFrame(columns=COVERAGE_COLUMNS)
    position = {pd.Timestamp(p.start): n for n, p in enumerate(spans)}
    r = r.assign(_n=r["period_start"].map(position), _team=team).sort_values(
        ["_n", "_team", "bookings", "rep"], ascending=[True, True, False, True], ignore_index=True
    )
    quota, bookings = r["quota"].astype(float), r["bookings"].astype(float)
    pipeline, cov = r["open_pipeline"].astype(float), r["coverage"].astype(float)
    gap = (quota - bookings).clip(lower=0.0)  # NaN without a quota
    needed = (gap * req.value).where(gap != 0, 0.0)
    status = np.select(
        [quota.isna(), gap == 0, np.full(len(r), math.isnan(req.value)), cov < req.value],
        ["no quota", "covered", "no history", "under"],
        "over",
    )
    labels = pd.Series([p.label for p in spans], dtype=str).iloc[r["_n"]].reset_index(drop=True)
    columns = [labels, r["level"], r["rep"], r["team"], quota, bookings, pipeline, gap, cov]
    columns += [req.value, status, needed, (needed - pipeline).clip(lower=0.0)]
    return pd.DataFrame(dict(zip(COVERAGE_COLUMNS, columns, strict=True)))


def coverage(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> pd.DataFrame:
    """Return per rep (and a Team row without a rep filter) coverage of P vs required coverage.

    Money in currency, coverage and required coverage as multiples (×): gap = max(quota −
    bookings, 0); coverage = open pipeline / gap; pipeline needed = gap × required coverage;
    shortfall = max(needed − open pipeline, 0). Status: covered (gap 0), under / over required,
    no quota, or no history (no win rate to set the bar).
    """
    p = store.fiscal_period(con, period)
    rows = _span_kpis(con, p, as_of, team, rep)
    return _coverage(rows, [p], required_coverage(con, as_of, team), rep)


def coverage_outlook(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
    periods: int = 3,
    required: Required | None = None,
) -> pd.DataFrame:
    """Return `coverage` for P and the following `periods − 1` periods of the same grain.

    `required` is `required_coverage(con, as_of, team)` when the caller already has it.
    """
    start_month = store.fiscal_start_month(con)
    first = parse_period(period, start_month)
    req = required if required is not None else required_coverage(con, as_of, team)
    spans = [shift(first, n, start_month) for n in range(periods)]
    return _coverage(_span_kpis(con, spans, as_of, team, rep), spans, req, rep)


# ---------------------------------------------------------------------------------------------
# funnel

STALLED_COLUMNS = [
    "opportunity_id",
    "name",
    "rep",
    "stage",
    "amount",
    "close_date",
    "days_in_stage",
    "median_days",
]


def stage_runs(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> pd.DataFrame:
    """Return every stay of a deal in an open stage up to A, with its days and outcome."""
    runs = _runs(con, as_of, team, rep).order("opportunity_id, entered").df()
    return runs.assign(days=runs["days"].astype(float))


def _runs(
    con: duckdb.DuckDBPyConnection, as_of: date | None, team: str | None, rep: str | None
) -> duckdb.DuckDBPyRelation:
    """Return the stays as a relation: stored after the last load when A is the latest snapshot."""
    latest = derived.stage_runs_date(con)
    # asked after the check either way: its fetchall leaves no unfinished result on `con`,
    # which would block the relations built next
    a = snapshot_date(con, as_of)
    if latest is not None and a == latest:
        try:
            return con.sql(sql.sql_text("pipeline_stored_runs"), params=dict(team=team, rep=rep))
        except duckdb.BinderException:  # stored by a version without first_stay: go live
            pass
    live = con.sql(
        sql.sql_text("pipeline_stage_runs"), params=dict(as_of=as_of, team=team, rep=rep)
    )
    # computed once: the history scan takes seconds and callers read the stays twice
    return con.from_arrow(live.to_arrow_table())


def funnel_report(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (`funnel`, `stalled_deals`) from one read of the stage history (see both)."""
    runs = _runs(con, as_of, team, rep)
    deals = con.sql(
        sql.sql_text("pipeline_open_deals"), params=dict(as_of=as_of, team=team, rep=rep)
    )
    try:
        con.register("runs", runs)
        con.register("open_deals", deals)
        # kept as Arrow, read twice; summarised where they are: pandas gets a row per stage and
        # the stalled deals, not every open deal and half a million stays
        con.register(
            "funnel_deals", con.sql(sql.sql_text("pipeline_funnel_deals")).to_arrow_table()
        )
        stages = sql.run(con, "pipeline_funnel")
        known = stages.dropna(subset=["median_days"])
        stalled = sql.run(
            con,
            "pipeline_stalled_deals",
            stages=known["stage"].tolist(),
            medians=known["median_days"].tolist(),
        )
    finally:
        for name in ("runs", "open_deals", "funnel_deals"):
            con.unregister(name)
    stalled_counts = stalled.groupby("stage").size()
    records = []
    for s in stages.to_dict("records"):
        later = stages[stages["stage_order"] > s["stage_order"]]
        nxt = later[later["stage_order"] == later["stage_order"].min()]["stage"].tolist()
        advanced, decided = int(s["advanced"]), int(s["decided"])
        records.append(
            {
                "stage": s["stage"],
                "stage_order": int(s["stage_order"]),
                "open_deals": int(s["open_deals"]),
                "open_value": float(s["open_value"]),
                "next_stage": " / ".join(nxt) if nxt else "Won",
                "advanced": advanced,
                "decided": decided,
                "conversion": advanced / decided if decided else NAN,
                "median_days": _nan(s["median_days"]),
                "stays": int(s["stays"]),
                "stalled_deals": int(stalled_counts.get(s["stage"], 0)),
            }
        )
    return pd.DataFrame(records, columns=FUNNEL_COLUMNS), stalled[STALLED_COLUMNS]


def funnel(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> pd.DataFrame:
    """Return per open stage: open deals and value (currency) as of A, conversion and time.

    conversion = of deals seen in the stage whose fate after it is known, the share that later
    reached a higher stage or won (a fraction); median_days = median completed stay in days
    (stays already running when the first snapshot was taken are left out); stalled_deals =
    open deals in the stage for more than twice that median.
    """
    return funnel_report(con, as_of, team, rep)[0]


def stalled_deals(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> pd.DataFrame:
    """Return open deals in their stage for more than twice its median stay (days)."""
    return funnel_report(con, as_of, team, rep)[1]


# ---------------------------------------------------------------------------------------------
# creation trend


def _window(con: duckdb.DuckDBPyConnection, as_of: date | None, months: int) -> tuple[date, date]:
    """Return [first day of the month `months − 1` before A's month, first day after A's month)."""
    a = snapshot_date(con, as_of) or date.today()
    return add_months(a, -(months - 1)), add_months(a, 1)


def _created(
    con: duckdb.DuckDBPyConnection,
    span: tuple[date, date],
    as_of: date | None,
    team: str | None,
    rep: str | None,
) -> pd.DataFrame:
    """Return deals created in the months of `span`, as they stand at A."""
    start, end = span
    return sql.run(con, "pipeline_created", start=start, end=end, as_of=as_of, team=team, rep=rep)


def _needed(
    con: duckdb.DuckDBPyConnection,
    span: tuple[date, date],
    as_of: date | None,
    team: str | None,
    rep: str | None,
    req: Required | None = None,
) -> pd.DataFrame:
    """Return per month of `span` and rep the quota and the pipeline needed (currency)."""
    start, end = span
    quota = sql.run(con, "pipeline_quota_months", start=start, end=end, team=team, rep=rep)
    value = (req if req is not None else required_coverage(con, as_of, team)).value
    return quota.assign(needed=quota["quota"] * value)[["month", "rep", "team", "quota", "needed"]]


def created_deals(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
    months: int = 12,
) -> pd.DataFrame:
    """Return deals created in the `months` months up to A's month, as they stand at A."""
    return _created(con, _window(con, as_of, months), as_of, team, rep)


def creation_needed(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
    months: int = 12,
) -> pd.DataFrame:
    """Return per month and rep the quota and the pipeline needed: quota × required coverage.

    At the team's value win rate, creating quota × required coverage of pipeline each month is
    what sustains quota (currency).
    """
    return _needed(con, _window(con, as_of, months), as_of, team, rep)


def creation_split(created: pd.DataFrame, by: str = "lead_source") -> pd.DataFrame:
    """Return per month and `by` (lead_source or rep) of `created_deals` rows: deals, value."""
    if by not in ("lead_source", "rep"):
        raise ValueError("creation trend is by lead_source or rep")
    out = (
        created.groupby(["month", by], as_index=False)
        .agg(deals=("opportunity_id", "count"), amount=("amount", "sum"))
        .sort_values(["month", by])
        .reset_index(drop=True)
    )
    out["month"] = pd.to_datetime(out["month"])
    out["amount"] = out["amount"].astype(float)
    return out


def _vs_needed(
    by_rep: pd.DataFrame, needed: pd.DataFrame, start: date, months: int
) -> pd.DataFrame:
    """Return per month from `start` the value created (`creation_split` by rep) and needed."""
    month_list = pd.to_datetime([add_months(start, n) for n in range(months)])
    needed = needed.assign(month=pd.to_datetime(needed["month"]))
    frame = pd.DataFrame({"month": month_list})
    frame["created"] = frame["month"].map(by_rep.groupby("month")["amount"].sum()).fillna(0.0)
    frame["needed"] = frame["month"].map(needed.groupby("month")["needed"].sum(min_count=1))
    frame["needed"] = frame["needed"].astype(float)
    return frame


def _per_rep(by_rep: pd.DataFrame, needed: pd.DataFrame) -> pd.DataFrame:
    """Return per rep the deals and value created (`creation_split` by rep) and value needed."""
    made = by_rep.groupby("rep").agg(deals=("deals", "sum"), created=("amount", "sum"))
    need = needed.groupby("rep")["needed"].sum(min_count=1)
    out = made.join(need, how="outer").reset_index()
    out["deals"] = out["deals"].fillna(0).astype(int)
    out["created"] = out["created"].fillna(0.0).astype(float)
    out["needed"] = out["needed"].astype(float)
    out["created_vs_needed"] = out["created"] / out["needed"].where(out["needed"] > 0)
    return out.sort_values(["created", "rep"], ascending=[False, True]).reset_index(drop=True)


def creation_report(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
    months: int = 12,
    required: Required | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return (`created_deals`, `creation_vs_needed`, `creation_by_rep`) from one read of each.

    `required` is `required_coverage(con, as_of, team)` when the caller already has it.
    """
    span = _window(con, as_of, months)
    created = _created(con, span, as_of, team, rep)
    needed = _needed(con, span, as_of, team, rep, required)
    by_rep = creation_split(created, "rep")
    return created, _vs_needed(by_rep, needed, span[0], months), _per_rep(by_rep, needed)


def creation_trend(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
    months: int = 12,
    by: str = "lead_source",
) -> pd.DataFrame:
    """Return per month and `by` (lead_source or rep) the deals created and their value."""
    return creation_split(created_deals(con, as_of, team, rep, months), by)


def creation_vs_needed(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
    months: int = 12,
) -> pd.DataFrame:
    """Return per month the pipeline created and needed (currency); needed NaN without quotas."""
    return creation_report(con, as_of, team, rep, months)[1]


def creation_by_rep(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
    months: int = 12,
) -> pd.DataFrame:
    """Return per rep over the window: deals and value created, value needed, created / needed."""
    return creation_report(con, as_of, team, rep, months)[2]


# ---------------------------------------------------------------------------------------------
# hygiene


HYGIENE_DEAL_COLUMNS = [
    "opportunity_id",
    "rep",
    "flags",
    "name",
    "stage",
    "amount",
    "close_date",
    "pushes",
    "days_unchanged",
]


def hygiene_report(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (`hygiene_by_rep`, `hygiene_deals`) from one read of the deal flags (see both)."""
    with hygiene.flags_view(con, as_of, team, rep):
        # counted in DuckDB: pandas gets a row per rep and the flagged deals, not every deal
        counts = sql.run(con, "pipeline_hygiene_by_rep")
        flagged = sql.run(con, "pipeline_hygiene_deals")
    deals = flagged.assign(flags=hygiene.reasons_text(flagged))
    if counts.empty:
        return pd.DataFrame(columns=HYGIENE_COUNT_COLUMNS), deals[HYGIENE_DEAL_COLUMNS]
    return counts[HYGIENE_COUNT_COLUMNS], deals[HYGIENE_DEAL_COLUMNS]


def hygiene_by_rep(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> pd.DataFrame:
    """Return per rep the open deals, the deals raising each hygiene flag and any flag (counts)."""
    return hygiene_report(con, as_of, team, rep)[0]


def hygiene_deals(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> pd.DataFrame:
    """Return open deals raising at least one hygiene flag, with the flags spelled out."""
    return hygiene_report(con, as_of, team, rep)[1]


# ---------------------------------------------------------------------------------------------
# fluff and sandbagging


def commit_wins(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> pd.DataFrame:
    """Return deals won in P, each marked whether it was in Commit at the start of P."""
    p = store.fiscal_period(con, period)
    return sql.run(
        con, "pipeline_commit_wins", start=p.start, end=p.end, as_of=as_of, team=team, rep=rep
    )


def signals(
    con: duckdb.DuckDBPyConnection,
    period: str | None = None,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
    within_days: int = 30,
    age_factor: float = 2.0,
    mostly: float = 0.5,
) -> pd.DataFrame:
    """Return fluff and sandbagging signals, one row per deal (or rep) with the reason shown.

    Fluff: early-stage deals (stage default category Pipeline) dated to close within
    `within_days` of A; open deals older than `age_factor` × the team's median won cycle (4
    quarters before A). Sandbagging: late-stage deals (Best Case / Commit stages) dated after P
    while P is under way; reps whose won bookings in P were more than `mostly` not in their
    Commit at the start of P. P defaults to the fiscal quarter containing A. Amounts in currency.
    """
    return signals_report(con, period, as_of, team, rep, within_days, age_factor, mostly)[0]


def signals_report(
    con: duckdb.DuckDBPyConnection,
    period: str | None = None,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
    within_days: int = 30,
    age_factor: float = 2.0,
    mostly: float = 0.5,
    required: Required | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (`signals`, `commit_wins` of P) from one read of the won deals.

    `required` is `required_coverage(con, as_of, team)` when the caller already has it.
    """
    a = snapshot_date(con, as_of)
    if a is None:
        wins = commit_wins(con, period, as_of, team, rep) if period else pd.DataFrame()
        return pd.DataFrame(columns=SIGNAL_COLUMNS), wins
    p = store.fiscal_period(con, period) if period else quarter_of(a, store.fiscal_start_month(con))
    symbol = store.get_settings(con)["currency_symbol"]
    deals = open_deals(con, a, team, rep)
    rows: list[dict] = []

    def add(key: str, found: pd.DataFrame, reasons: pd.Series) -> None:
        """Append one signal record per deal in `found`, with its reason."""
        text = SIGNALS[key][1].format(days=within_days, factor=age_factor)
        found = found.assign(kind=SIGNALS[key][0], signal=text, reason=reasons)
        rows.extend(found[SIGNAL_COLUMNS].to_dict("records"))

    close = pd.to_datetime(deals["close_date"])
    day = close.dt.strftime("%Y-%m-%d")
    soon = (
        (deals["stage_category"] == EARLY_CATEGORY)
        & (close >= pd.Timestamp(a))
        & (close <= pd.Timestamp(a + timedelta(days=within_days)))
    )
    days_left = (close[soon] - pd.Timestamp(a)).dt.days.astype(str)
    add(
        "early_close",
        deals[soon],
        deals["stage"][soon] + " deal dated to close in " + days_left + " days (" + day[soon] + ")",
    )
    req = required if required is not None else required_coverage(con, a, team)
    typical = req.cycle_median_days
    if not math.isnan(typical):
        old = deals["age_days"].astype(float) > age_factor * typical
        age = deals["age_days"][old].astype(int).astype(str)
        add(
            "old_deal",
            deals[old],
            "open " + age + f" days; typical won cycle is {typical:.0f} days",
        )
    if a < p.end:
        late = deals["stage_category"].isin(LATE_CATEGORIES) & (close >= pd.Timestamp(p.end))
        why = deals["stage"][late] + " deal dated " + day[late] + f", after {p.label} ends"
        add("late_after_period", deals[late], why)
    wins = commit_wins(con, p.label, a, team, rep)
    if len(wins) and wins["s0_as_of"].notna().all():
        s0 = pd.Timestamp(wins["s0_as_of"].iloc[0])
        surprise = wins["amount"].where(~wins["in_start_commit"].astype(bool), 0.0)
        team_share = surprise.sum() / wins["amount"].sum() if wins["amount"].sum() else NAN
        booked = wins.groupby("rep", sort=True)["amount"].sum()
        outside = surprise.groupby(wins["rep"], sort=True).sum()
        text = SIGNALS["wins_not_committed"][1]
        for rep_name, b, o in zip(booked.index, booked.to_numpy(), outside.to_numpy(), strict=True):
            if b > 0 and o / b > mostly:
                rows.append(
                    {
                        "kind": SIGNALS["wins_not_committed"][0],
                        "signal": text.format(days=within_days, factor=age_factor),
                        "opportunity_id": None,
                        "rep": str(rep_name),
                        "stage": None,
                        "amount": float(o),
                        "close_date": pd.NaT,
                        "reason": f"{o / b:.0%} of {money(float(b), symbol)} won in {p.label} "
                        f"was not in Commit on {s0:%Y-%m-%d} (all reps: {team_share:.0%})",
                    }
                )
    out = pd.DataFrame(rows, columns=SIGNAL_COLUMNS)
    out["close_date"] = pd.to_datetime(out["close_date"])
    order = {text: i for i, text in enumerate(SIGNALS)}
    keys = {SIGNALS[k][1].format(days=within_days, factor=age_factor): order[k] for k in SIGNALS}
    out = out.assign(_o=out["signal"].map(keys), _a=out["amount"].fillna(-1.0))
    out = out.sort_values(["_o", "_a", "rep"], ascending=[True, False, True], kind="stable")
    out = out[SIGNAL_COLUMNS].reset_index(drop=True)
    ids = out["opportunity_id"].astype(object)
    return out.assign(opportunity_id=ids.where(ids.notna(), None)), wins


# ---------------------------------------------------------------------------------------------
# concentration and velocity


def _top(deals: pd.DataFrame, p: Period, n: int) -> pd.DataFrame:
    """Return the `n` largest of `open_deals` rows closing in `p`, with their share of them."""
    close = pd.to_datetime(deals["close_date"])
    inside = deals[(close >= pd.Timestamp(p.start)) & (close < pd.Timestamp(p.end))]
    total = float(inside["amount"].sum())
    top = inside.sort_values(["amount", "opportunity_id"], ascending=[False, True]).head(n)
    top = top.assign(share=top["amount"] / total if total > 0 else NAN)
    cols = ["opportunity_id", "name", "account", "rep", "stage", "amount", "close_date", "share"]
    return top[cols].reset_index(drop=True)


def top_deals(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
    n: int = 5,
) -> pd.DataFrame:
    """Return the `n` largest open pipeline deals closing in P, with their share of it."""
    return _top(open_deals(con, as_of, team, rep), store.fiscal_period(con, period), n)


def _top2(values: pd.Series, names: pd.Series) -> tuple[str, float]:
    """Return the two largest holders (ties by name) and their share of the total."""
    ranked = pd.DataFrame({"name": names, "v": values.astype(float)}).sort_values(
        ["v", "name"], ascending=[False, True]
    )
    total = float(ranked["v"].sum())
    top = ranked.head(2)
    return ", ".join(top["name"]), float(top["v"].sum()) / total if total > 0 else NAN


def _concentration(reps: pd.DataFrame, top: pd.DataFrame, p: Period) -> pd.DataFrame:
    """Return `concentration` from P's `kpis.rep_kpis` rows and its top-5 deals (`_top`)."""
    pipeline = float(reps["open_pipeline"].sum())
    by_bookings = _top2(reps["bookings"], reps["rep"])
    by_pipeline = _top2(reps["open_pipeline"], reps["rep"])
    return pd.DataFrame(
        [
            {
                "period": p.label,
                "open_pipeline": pipeline,
                "top5_deals_value": float(top["amount"].sum()),
                "top5_deals_share": float(top["amount"].sum()) / pipeline if pipeline else NAN,
                "bookings": float(reps["bookings"].sum()),
                "top2_bookings_reps": by_bookings[0],
                "top2_bookings_share": by_bookings[1],
                "top2_pipeline_reps": by_pipeline[0],
                "top2_pipeline_share": by_pipeline[1],
            }
        ]
    )


def concentration(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> pd.DataFrame:
    """Return one record: P's open pipeline, top-5 deals' share, top-2 reps' shares (fractions)."""
    return concentration_report(con, period, as_of, team, rep)[0]


def _velocity(
    con: duckdb.DuckDBPyConnection,
    deals: pd.DataFrame,
    as_of: date | None,
    team: str | None,
    rep: str | None,
) -> pd.DataFrame:
    """Return `velocity` for the `open_deals` rows as of A."""
    a = snapshot_date(con, as_of)
    if a is None:
        return pd.DataFrame(columns=VELOCITY_COLUMNS)
    span = trailing_quarters(a, TRAILING_QUARTERS, store.fiscal_start_month(con))
    hist = _span_kpis(con, span, a, team, rep)
    counts = deals.groupby("rep").size()
    reps = hist[hist["level"] == "rep"].set_index("rep")
    names = sorted(set(reps.index) | set(counts.index))
    frame = reps.reindex(names)[["win_rate", "ads", "cycle_days"]].astype(float)
    frame.insert(0, "open_deals", counts.reindex(names, fill_value=0).astype(int))
    if rep is None:
        total = hist[hist["level"] == "total"].iloc[0]
        team_row = [int(counts.sum()), *(_nan(total[c]) for c in ["win_rate", "ads", "cycle_days"])]
        frame = pd.concat([frame, pd.DataFrame([team_row], index=["Team"], columns=frame.columns)])
    cycle = frame["cycle_days"]
    # a cycle of 0 days or unknown gives no velocity
    speed = (frame["open_deals"] * frame["win_rate"] * frame["ads"] / cycle).where(cycle != 0)
    columns = [frame.index, *(frame[c] for c in ["open_deals", "win_rate", "ads"]), cycle, speed]
    out = pd.DataFrame(
        [dict(zip(VELOCITY_COLUMNS, values, strict=True)) for values in zip(*columns, strict=True)],
        columns=VELOCITY_COLUMNS,
    )
    is_team = pd.Series([rep is None and i == len(out) - 1 for i in range(len(out))])
    # reps with neither open deals nor closed history have nothing to measure
    idle = (out["open_deals"] == 0) & out["win_rate"].isna()
    body = out[~is_team & ~idle].sort_values(
        ["velocity", "rep"], ascending=[False, True], na_position="last"
    )
    return pd.concat([body, out[is_team]], ignore_index=True)


def velocity(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> pd.DataFrame:
    """Return per rep (and Team without a rep filter) velocity in currency per day.

    velocity = open deals as of A × win rate × ADS / mean sales cycle (days), where win rate,
    ADS and cycle come from the 4 fiscal quarters ended before A.
    """
    return _velocity(con, open_deals(con, as_of, team, rep), as_of, team, rep)


def concentration_report(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return (`concentration`, `top_deals`, `velocity`) from one read of the open deals."""
    p = store.fiscal_period(con, period)
    deals = open_deals(con, as_of, team, rep)
    reps = kpis.rep_kpis(con, period, as_of=as_of, team=team, rep=rep)
    top = _top(deals, p, 5)
    return _concentration(reps, top, p), top, _velocity(con, deals, as_of, team, rep)


# ---------------------------------------------------------------------------------------------
# charts (pure: DataFrame → Altair chart, tooltips on every mark)

STATUS_COLOURS = {
    "under": "#dc2626",
    "over": "#16a34a",
    "covered": "#2563eb",
    "no quota": "#9ca3af",
    "no history": "#f59e0b",
}


def coverage_chart(cov: pd.DataFrame, symbol: str = "$") -> alt.FacetChart:
    """Return open pipeline vs pipeline needed per rep, one panel per period (bars vs ticks)."""
    data = cov[cov["level"] == "rep"]
    tooltip = [
        alt.Tooltip("rep:N"),
        alt.Tooltip("period:N"),
        alt.Tooltip("status:N"),
        alt.Tooltip("open_pipeline:Q", title=f"Open pipeline ({symbol})", format=",.0f"),
        alt.Tooltip("gap:Q", title=f"Quota gap ({symbol})", format=",.0f"),
        alt.Tooltip("coverage:Q", title="Coverage (×)", format=".2f"),
        alt.Tooltip("required_coverage:Q", title="Required (×)", format=".2f"),
        alt.Tooltip("pipeline_needed:Q", title=f"Needed ({symbol})", format=",.0f"),
        alt.Tooltip("shortfall:Q", title=f"Shortfall ({symbol})", format=",.0f"),
    ]
    base = alt.Chart().encode(y=alt.Y("rep:N", title=None, sort=None), tooltip=tooltip)
    bars = base.mark_bar().encode(
        x=alt.X("open_pipeline:Q", title=f"Open pipeline vs needed ({symbol})"),
        color=alt.Color(
            "status:N",
            scale=alt.Scale(domain=list(STATUS_COLOURS), range=list(STATUS_COLOURS.values())),
            title="Coverage",
            legend=alt.Legend(orient="bottom"),
        ),
    )
    ticks = base.mark_tick(color="black", thickness=3, size=18).encode(x="pipeline_needed:Q")
    return (
        alt.layer(bars, ticks, data=data)
        .properties(width=230, height=alt.Step(22))
        .facet(column=alt.Column("period:N", title=None, sort=None))
    )


def funnel_chart(fun: pd.DataFrame, symbol: str = "$") -> alt.Chart:
    """Return open value by stage in stage order, with deals, conversion and time in tooltips."""
    return (
        alt.Chart(fun)
        .mark_bar(color="#2563eb")
        .encode(
            y=alt.Y("stage:N", title=None, sort=fun["stage"].tolist()),
            x=alt.X("open_value:Q", title=f"Open value ({symbol})"),
            tooltip=[
                alt.Tooltip("stage:N"),
                alt.Tooltip("open_deals:Q", title="Open deals"),
                alt.Tooltip("open_value:Q", title=f"Open value ({symbol})", format=",.0f"),
                alt.Tooltip("next_stage:N", title="Next stage"),
                alt.Tooltip("conversion:Q", title="Conversion to next", format=".0%"),
                alt.Tooltip("median_days:Q", title="Median days in stage", format=".0f"),
                alt.Tooltip("stalled_deals:Q", title="Stalled deals"),
            ],
        )
        .properties(height=alt.Step(28))
    )


def creation_chart(
    trend: pd.DataFrame, needed: pd.DataFrame, by: str = "lead_source", symbol: str = "$"
) -> alt.LayerChart:
    """Return stacked bars of value created per month by `by`, with a line for what is needed."""
    bars = (
        alt.Chart(trend)
        .mark_bar()
        .encode(
            x=alt.X("yearmonth(month):O", title=None),
            y=alt.Y("sum(amount):Q", title=f"Pipeline created ({symbol})"),
            color=alt.Color(f"{by}:N", title=by.replace("_", " ")),
            tooltip=[
                alt.Tooltip("yearmonth(month):O", title="Month"),
                alt.Tooltip(f"{by}:N", title=by.replace("_", " ")),
                alt.Tooltip("deals:Q", title="Deals created"),
                alt.Tooltip("sum(amount):Q", title=f"Created ({symbol})", format=",.0f"),
            ],
        )
    )
    line = (
        alt.Chart(needed.dropna(subset=["needed"]))
        .mark_line(color="black", strokeDash=[4, 3], point=True)
        .encode(
            x=alt.X("yearmonth(month):O"),
            y=alt.Y("needed:Q"),
            tooltip=[
                alt.Tooltip("yearmonth(month):O", title="Month"),
                alt.Tooltip("created:Q", title=f"Created ({symbol})", format=",.0f"),
                alt.Tooltip("needed:Q", title=f"Needed ({symbol})", format=",.0f"),
            ],
        )
    )
    return alt.layer(bars, line).properties(height=300)


def velocity_chart(vel: pd.DataFrame, symbol: str = "$") -> alt.Chart:
    """Return velocity (currency per day) per rep as bars."""
    data = vel[vel["rep"] != "Team"]
    return (
        alt.Chart(data)
        .mark_bar(color="#2563eb")
        .encode(
            y=alt.Y("rep:N", title=None, sort=None),
            x=alt.X("velocity:Q", title=f"Velocity ({symbol} per day)"),
            tooltip=[
                alt.Tooltip("rep:N"),
                alt.Tooltip("open_deals:Q", title="Open deals"),
                alt.Tooltip("win_rate:Q", title="Win rate", format=".0%"),
                alt.Tooltip("ads:Q", title=f"ADS ({symbol})", format=",.0f"),
                alt.Tooltip("cycle_days:Q", title="Cycle (days)", format=".0f"),
                alt.Tooltip("velocity:Q", title=f"Velocity ({symbol}/day)", format=",.0f"),
            ],
        )
        .properties(height=alt.Step(22))
    )


# ---------------------------------------------------------------------------------------------
# command line


def _report_coverage(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> pd.DataFrame:
    from spm.cli import UserError

    if not args.period:
        raise UserError("report pipeline-coverage needs --period, e.g. --period 2026-Q3")
    cov = coverage(con, args.period, as_of=args.as_of, team=args.team, rep=args.rep)
    keys = ["rep", "quota", "bookings", "open_pipeline", "gap", "coverage", "required_coverage"]
    return cov[cov["level"] == "rep"][keys].reset_index(drop=True)


def _report_funnel(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> pd.DataFrame:
    return funnel(con, as_of=args.as_of, team=args.team, rep=args.rep)


def _report_signals(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> pd.DataFrame:
    return signals(con, args.period, as_of=args.as_of, team=args.team, rep=args.rep)


def _report_velocity(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> pd.DataFrame:
    return velocity(con, as_of=args.as_of, team=args.team, rep=args.rep)


CLI_REPORTS = {
    "pipeline-coverage": _report_coverage,
    "pipeline-funnel": _report_funnel,
    "pipeline-signals": _report_signals,
    "pipeline-velocity": _report_velocity,
}
