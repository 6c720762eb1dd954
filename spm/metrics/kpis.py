"""Rep KPIs: per-rep and team figures, benchmarks, percentile ranks, trends, attainment spread."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from spm import sql, store
from spm.periods import Period, quarter_of, shift


@dataclass(frozen=True)
class Metric:
    """A KPI as the page shows it: key, label, unit, one-line description, better direction."""

    name: str
    label: str
    unit: str  # money | count | fraction | days
    description: str
    higher_is_better: bool


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("won", "Deals won", "count", "Deals won with close date in the period.", True),
        Metric("lost", "Deals lost", "count", "Deals lost with close date in the period.", False),
        Metric("win_rate", "Win rate", "fraction", "Won / (won + lost), by deal count.", True),
        Metric(
            "value_win_rate",
            "Value win rate",
            "fraction",
            "Won amount / (won + lost amount).",
            True,
        ),
        Metric(
            "bookings",
            "Bookings",
            "money",
            "Amount of deals won with close date in the period.",
            True,
        ),
        Metric("ads", "Average deal size", "money", "Bookings / deals won.", True),
        Metric(
            "cycle_days",
            "Sales cycle",
            "days",
            "Mean days from created date to close date over won deals.",
            False,
        ),
        Metric(
            "cycle_median_days",
            "Median sales cycle",
            "days",
            "Median days from created date to close date over won deals.",
            False,
        ),
        # a target, not a result: never ranked or benchmarked
        Metric("quota", "Quota", "money", "Sum of monthly quotas in the period.", False),
        Metric("attainment", "Attainment", "fraction", "Bookings / quota.", True),
        Metric(
            "open_pipeline",
            "Open pipeline",
            "money",
            "Open deals closing in the period, forecast category not Omitted.",
            True,
        ),
        Metric(
            "coverage",
            "Coverage",
            "fraction",
            "Open pipeline / quota still to win (blank when covered or no quota).",
            True,
        ),
        Metric(
            "revenue_per_head",
            "Revenue per head",
            "money",
            "Bookings / active reps, ramping reps counted by ramp fraction.",
            True,
        ),
        Metric(
            "heads",
            "Heads",
            "count",
            "Active reps in the period, ramping reps counted by ramp fraction.",
            True,
        ),
        Metric(
            "top2_share",
            "Top-2 dependency",
            "fraction",
            "Share of bookings from the two highest-booking reps.",
            False,
        ),
    )
}

REP_COLUMNS = [
    "rep",
    "team",
    "won",
    "lost",
    "win_rate",
    "value_win_rate",
    "bookings",
    "ads",
    "cycle_days",
    "cycle_median_days",
    "quota",
    "attainment",
    "open_pipeline",
    "coverage",
    "covered",
]
TEAM_COLUMNS = ["team", *REP_COLUMNS[2:], "revenue_per_head", "heads", "top2_share"]
BENCHMARKED = ["won", "win_rate", "bookings", "ads", "cycle_days", "attainment", "coverage"]
TREND_METRICS = [c for c in REP_COLUMNS[2:] if c != "covered"]
ATTAINMENT_BUCKETS = [
    ("<50%", None, 0.5),
    ("50–75%", 0.5, 0.75),
    ("75–100%", 0.75, 1.0),
    ("100–125%", 1.0, 1.25),
    ("≥125%", 1.25, None),
]


def _kpi_rows(
    con: duckdb.DuckDBPyConnection,
    periods: list[Period],
    as_of: date | None,
    team: str | None,
    rep: str | None,
) -> pd.DataFrame:
    """Return the rep rows and the total rows of rep_kpis.sql for each period, in one pass."""
    return sql.run(
        con, "rep_kpis", start=[p.start for p in periods], end=[p.end for p in periods],
        as_of=as_of, team=team, rep=rep,
    )  # fmt: skip


def _in_period(rows: pd.DataFrame, p: Period) -> pd.DataFrame:
    """Return the rows of period `p` from a multi-period `_kpi_rows` result."""
    return rows[rows["period_start"] == pd.Timestamp(p.start)]


def _rep_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Return the rep-level rows in REP_COLUMNS, sorted by bookings desc then rep."""
    reps = rows[rows["level"] == "rep"].sort_values(["bookings", "rep"], ascending=[False, True])
    return reps[REP_COLUMNS].reset_index(drop=True)


def _team_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Return the total row in TEAM_COLUMNS."""
    return rows[rows["level"] == "total"][TEAM_COLUMNS].reset_index(drop=True)


def rep_kpis(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> pd.DataFrame:
    """Return one row per rep: counts, money (currency), rates (fractions), cycle (days)."""
    return _rep_rows(_kpi_rows(con, [store.fiscal_period(con, period)], as_of, team, rep))


def team_kpis(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
) -> pd.DataFrame:
    """Return one row for the filter: sums, ratios of sums, revenue per head (currency), heads."""
    return _team_rows(_kpi_rows(con, [store.fiscal_period(con, period)], as_of, team, None))


def kpi_tables(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None = None,
    team: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (`rep_kpis`, `team_kpis`) for the filter from one query."""
    rows = _kpi_rows(con, [store.fiscal_period(con, period)], as_of, team, None)
    return _rep_rows(rows), _team_rows(rows)


def rep_kpis_by_period(
    con: duckdb.DuckDBPyConnection,
    periods: list[str],
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> list[pd.DataFrame]:
    """Return `rep_kpis` for each period label, in order, from one query."""
    parsed = [store.fiscal_period(con, label) for label in periods]
    rows = _kpi_rows(con, parsed, as_of, team, rep)
    return [_rep_rows(_in_period(rows, p)) for p in parsed]


def kpi_benchmarks(kpis: pd.DataFrame) -> pd.DataFrame:
    """Return per KPI the team median and top quartile (the better 25%), in the KPI's unit."""
    records = []
    for name in BENCHMARKED:
        values = kpis[name].astype(float).dropna()
        top = 0.75 if METRICS[name].higher_is_better else 0.25
        records.append(
            {
                "metric": name,
                "median": float(values.median()) if len(values) else float("nan"),
                "top_quartile": float(values.quantile(top)) if len(values) else float("nan"),
            }
        )
    return pd.DataFrame(records, columns=["metric", "median", "top_quartile"])


def trend_quartiles(trend: pd.DataFrame) -> pd.DataFrame:
    """Return per period and KPI of `kpi_trend` rows: reps, 25th percentile, median, 75th.

    Values in the KPI's unit; reps without a value that quarter are left out. A chart of a
    thousand reps' lines says less than the team's middle half, and draws 100x faster.
    """
    values = trend.dropna(subset=["value"]).assign(value=lambda d: d["value"].astype(float))
    g = values.groupby(["period", "metric"], sort=True)["value"]
    out = pd.DataFrame(
        {
            "reps": g.count(),
            "p25": g.quantile(0.25),
            "median": g.median(),
            "p75": g.quantile(0.75),
        }
    ).reset_index()
    return out[["period", "metric", "reps", "p25", "median", "p75"]]


def percentile_ranks(kpis: pd.DataFrame) -> pd.DataFrame:
    """Return rep × KPI percentile ranks as fractions 0..1 (1 = best; NaN: no value or peers)."""
    out = pd.DataFrame({"rep": kpis["rep"].to_numpy()})
    for name in BENCHMARKED:
        values = kpis[name].astype(float).reset_index(drop=True)
        n = int(values.notna().sum())
        ranks = values.rank(method="average", ascending=METRICS[name].higher_is_better)
        # (rank − 1) / (n − 1): the worst rep 0, the best 1, ties share the average
        out[name] = (ranks - 1) / (n - 1) if n > 1 else float("nan")
    return out


def kpi_trend(
    con: duckdb.DuckDBPyConnection,
    periods: int = 8,
    as_of: date | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> pd.DataFrame:
    """Return long rows (period, rep, metric, value) for the last `periods` fiscal quarters."""
    start_month = store.get_settings(con)["fiscal_year_start_month"]
    # max over the rows, not over store.snapshot_dates: DuckDB reads it off row-group statistics
    latest = con.execute("SELECT max(as_of) FROM opportunity_snapshot_rows").fetchone()[0]
    last = quarter_of(as_of or latest or date.today(), start_month)
    quarters = [shift(last, -back, start_month) for back in range(periods - 1, -1, -1)]
    rows = _kpi_rows(con, quarters, as_of, team, rep)
    position = {pd.Timestamp(q.start): k for k, q in enumerate(quarters)}
    reps = rows[rows["level"] == "rep"].sort_values(
        ["period_start", "bookings", "rep"], ascending=[True, False, True]
    )
    quarter = reps["period_start"].map(position).to_numpy(dtype=int)
    values = reps[TREND_METRICS].to_numpy(dtype=float)
    row, metric = np.divmod(np.arange(values.size), len(TREND_METRICS))
    # quarter by quarter, metric by metric, reps by bookings: what melting each quarter gave
    order = np.lexsort((row, metric, quarter[row]))
    row, metric = row[order], metric[order]
    labels = pd.Series([q.label for q in quarters])
    return pd.DataFrame(
        {
            "period": labels.take(quarter[row]).reset_index(drop=True),
            "rep": reps["rep"].take(row).reset_index(drop=True),
            "metric": pd.Series(TREND_METRICS).take(metric).reset_index(drop=True),
            "value": values[row, metric],
        }
    )


def attainment_distribution(kpis: pd.DataFrame) -> pd.DataFrame:
    """Return the count of reps per attainment bucket (reps without a quota are left out)."""
    attainment = kpis["attainment"].astype(float).dropna()
    counts = []
    for label, low, high in ATTAINMENT_BUCKETS:
        inside = pd.Series(True, index=attainment.index)
        if low is not None:
            inside &= attainment >= low
        if high is not None:
            inside &= attainment < high
        counts.append({"bucket": label, "reps": int(inside.sum())})
    return pd.DataFrame(counts, columns=["bucket", "reps"])
