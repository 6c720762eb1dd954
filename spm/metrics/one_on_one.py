"""The one-on-one view of one rep: KPI tiles against their own past and against the team."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from spm import store
from spm.metrics import kpis as k
from spm.periods import parse_period, shift

TILE_METRICS = ("bookings", "attainment", "won", "win_rate", "ads", "cycle_days", "coverage")
# Tiles are narrow: a few KPI labels get a shorter form there.
SHORT_LABELS = {"ads": "Deal size", "won": "Deals won"}


def rep_profile(con: duckdb.DuckDBPyConnection, rep: str) -> dict:
    """Return the rep's reps-file record (team, manager, role, hire date, ramp months) or {}."""
    frame = con.execute(
        "SELECT rep, team, manager, role, hire_date, ramp_months, end_date FROM reps WHERE rep = ?",
        [rep],
    ).df()
    return frame.iloc[0].to_dict() if len(frame) else {}


def ramp_month(profile: dict, on: date) -> int | None:
    """Return the month of tenure the rep is in on `on` (1 = hire month), or None if unknown."""
    hired = profile.get("hire_date")
    if hired is None or pd.isna(hired):
        return None
    hired = pd.Timestamp(hired)
    return (on.year - hired.year) * 12 + on.month - hired.month + 1


def kpi_tiles(
    con: duckdb.DuckDBPyConnection, rep: str, period: str, as_of: date | None = None
) -> pd.DataFrame:
    """Return per KPI: the rep's value, prior-period value, change, team median and percentile.

    The team is the rep's team from the reps file (all reps when unknown); the prior period is
    the fiscal period before `period`. Units follow kpis.METRICS.
    """
    start_month = store.get_settings(con)["fiscal_year_start_month"]
    team = rep_profile(con, rep).get("team")
    prior_label = shift(parse_period(period, start_month), -1, start_month).label
    # a rep's own row does not depend on who else the filter keeps: one query for both periods
    now, before = k.rep_kpis_by_period(con, [period, prior_label], as_of=as_of, team=team)
    prior = before[before["rep"] == rep]
    bench = k.kpi_benchmarks(now).set_index("metric")
    ranks = k.percentile_ranks(now).set_index("rep")
    mine = now[now["rep"] == rep]
    records = []
    for name in TILE_METRICS:
        value = float(mine[name].iloc[0]) if len(mine) else float("nan")
        before = float(prior[name].iloc[0]) if len(prior) else float("nan")
        metric = k.METRICS[name]
        records.append(
            {
                "metric": name,
                "label": SHORT_LABELS.get(name, metric.label),
                "unit": metric.unit,
                "description": metric.description,
                "higher_is_better": metric.higher_is_better,
                "value": value,
                "prior": before,
                "change": value - before,
                "team_median": float(bench.at[name, "median"]) if name in bench.index else None,
                "percentile": float(ranks.at[rep, name]) if rep in ranks.index else None,
            }
        )
    out = pd.DataFrame(records)
    out.attrs["prior_period"] = prior_label
    return out


def strengths_and_weaknesses(tiles: pd.DataFrame) -> pd.DataFrame:
    """Return KPIs with a percentile, labelled strength (≥ 75%), weakness (≤ 25%) or middle."""
    ranked = tiles.dropna(subset=["percentile"])[["metric", "label", "percentile"]]
    verdict = ranked["percentile"].map(
        lambda r: "strength" if r >= 0.75 else "weakness" if r <= 0.25 else "middle"
    )
    return ranked.assign(verdict=verdict).sort_values("percentile", ascending=False)
