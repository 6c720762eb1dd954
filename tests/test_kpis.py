"""Rep KPIs: per-rep and team figures on a hand-made database, benchmarks, ranks, trend."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spm import store
from spm.metrics import kpis
from spm.periods import PeriodError

NA = math.nan
S1, S2 = date(2026, 2, 15), date(2026, 3, 31)

# (as_of, id, owner, amount, stage, close_date, created_date, forecast_category)
DEALS = [
    # snapshot S1: the state in mid-February
    (S1, "A1", "ana", 100, "Closed Won", "2026-01-31", "2025-12-01", None),
    (S1, "A2", "ana", 60, "Negotiation/Review", "2026-03-03", "2026-02-01", None),
    (S1, "A3", "ana", 40, "Proposal/Price Quote", "2026-02-20", "2026-01-15", None),
    (S1, "B1", "ben", 70, "Closed Won", "2026-02-09", "2026-01-10", None),
    (S1, "C1", "cat", 120, "Value Proposition", "2026-03-20", "2026-01-05", None),
    (S1, "C2", "cat", 10, "Closed Won", "2026-02-11", "2026-02-01", None),
    # snapshot S2: quarter end
    (S2, "A1", "ana", 100, "Closed Won", "2026-01-31", "2025-12-01", None),  # 61 days
    (S2, "A2", "ana", 60, "Closed Won", "2026-03-03", "2026-02-01", None),  # 30 days
    (S2, "A3", "ana", 40, "Closed Lost", "2026-02-20", "2026-01-15", None),
    (S2, "A4", "ana", 200, "Negotiation/Review", "2026-03-25", "2026-02-10", None),
    (S2, "A5", "ana", 500, "Prospecting", "2026-05-10", "2026-03-01", None),  # outside P
    (S2, "A6", "ana", 80, "Qualification", "2026-03-15", "2026-02-01", "Omitted"),
    (S2, "B1", "ben", 70, "Closed Won", "2026-02-09", "2026-01-10", None),  # 30 days
    (S2, "B2", "ben", 30, "Closed Lost", "2026-03-10", "2026-01-20", None),
    (S2, "B3", "ben", 25, "Proposal/Price Quote", "2026-03-28", "2026-03-01", None),
    (S2, "C1", "cat", 90, "Closed Won", "2026-03-20", "2026-01-05", None),  # 74 days
    (S2, "C2", "cat", 10, "Closed Won", "2026-02-11", "2026-02-01", None),  # 10 days
    (S2, "C3", "cat", 50, "Closed Won", "2026-03-31", "2026-03-01", None),  # 30 days
    (S2, "Z1", "zoe", 40, "Prospecting", "2026-02-28", "2026-02-01", None),  # not in reps
    (S2, "D1", "dan", 300, "Closed Won", "2025-12-10", "2025-11-01", None),  # before P
]

# (rep, team, hire_date, ramp_months, end_date)
REPS = [
    ("ana", "East", "2020-01-01", 3, None),
    ("ben", "East", "2025-12-01", 6, None),  # 4 of 6 ramp months done by 2026-04-01
    ("cat", "West", "2019-05-01", None, None),
    ("dan", "East", "2018-01-01", 3, "2025-12-15"),  # left before 2026-Q1
]

# (rep, month, type, amount)
QUOTAS = [
    ("ana", "2025-12-01", "total", 100),  # outside P
    ("ana", "2026-01-01", "total", 100),
    ("ana", "2026-01-01", "new", 999),  # ignored: January has a 'total' row
    ("ana", "2026-02-01", "total", 100),
    ("ana", "2026-03-01", "total", 100),
    ("ben", "2026-02-01", "new", 20),
    ("ben", "2026-03-01", "new", 20),
    ("ben", "2026-03-01", "existing", 10),
    ("cat", "2026-01-01", "total", 0),
    ("cat", "2026-02-01", "total", 0),
    ("cat", "2026-03-01", "total", 0),
]


def _load(con) -> None:
    con.executemany(
        "INSERT INTO opportunity_snapshot_rows (load_id, as_of, opportunity_id, owner, amount,"
        " stage, close_date, created_date, forecast_category) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
        DEALS,
    )
    con.executemany(
        "INSERT INTO rep_rows (load_id, rep, team, hire_date, ramp_months, end_date)"
        " VALUES (1, ?, ?, ?, ?, ?)",
        REPS,
    )
    con.executemany("INSERT INTO quota_rows VALUES (1, ?, ?, ?, ?)", QUOTAS)


@pytest.fixture
def db(con):
    _load(con)
    return con


def _records(df: pd.DataFrame) -> list[dict]:
    return df.to_dict("records")


def _approx(rows: list[dict]) -> list:
    return [pytest.approx(r, nan_ok=True) for r in rows]


ANA = {
    "rep": "ana", "team": "East", "won": 2, "lost": 1, "win_rate": 2 / 3,
    "value_win_rate": 160 / 200, "bookings": 160.0, "ads": 80.0, "cycle_days": 45.5,
    "cycle_median_days": 45.5, "quota": 300.0, "attainment": 160 / 300,
    "open_pipeline": 200.0, "coverage": 200 / 140, "covered": False,
}  # fmt: skip
CAT = {
    "rep": "cat", "team": "West", "won": 3, "lost": 0, "win_rate": 1.0,
    "value_win_rate": 1.0, "bookings": 150.0, "ads": 50.0, "cycle_days": 38.0,
    "cycle_median_days": 30.0, "quota": 0.0, "attainment": NA,
    "open_pipeline": 0.0, "coverage": NA, "covered": True,
}  # fmt: skip
BEN = {
    "rep": "ben", "team": "East", "won": 1, "lost": 1, "win_rate": 0.5,
    "value_win_rate": 0.7, "bookings": 70.0, "ads": 70.0, "cycle_days": 30.0,
    "cycle_median_days": 30.0, "quota": 50.0, "attainment": 1.4,
    "open_pipeline": 25.0, "coverage": NA, "covered": True,
}  # fmt: skip
ZOE = {
    "rep": "zoe", "team": "(no team)", "won": 0, "lost": 0, "win_rate": NA,
    "value_win_rate": NA, "bookings": 0.0, "ads": NA, "cycle_days": NA,
    "cycle_median_days": NA, "quota": NA, "attainment": NA,
    "open_pipeline": 40.0, "coverage": NA, "covered": False,
}  # fmt: skip


def test_rep_kpis_latest_snapshot(db):
    df = kpis.rep_kpis(db, "2026-Q1")
    assert list(df.columns) == kpis.REP_COLUMNS
    # dan left before the quarter and has no deals in it; A5 (May), A6 (Omitted) not pipeline
    assert _records(df) == _approx([ANA, CAT, BEN, ZOE])


def test_rep_kpis_as_of_picks_the_earlier_snapshot(db):
    df = kpis.rep_kpis(db, "2026-Q1", as_of=date(2026, 3, 1))
    assert _records(df) == _approx(
        [
            {
                "rep": "ana", "team": "East", "won": 1, "lost": 0, "win_rate": 1.0,
                "value_win_rate": 1.0, "bookings": 100.0, "ads": 100.0, "cycle_days": 61.0,
                "cycle_median_days": 61.0, "quota": 300.0, "attainment": 100 / 300,
                "open_pipeline": 100.0, "coverage": 0.5, "covered": False,
            },
            {
                "rep": "ben", "team": "East", "won": 1, "lost": 0, "win_rate": 1.0,
                "value_win_rate": 1.0, "bookings": 70.0, "ads": 70.0, "cycle_days": 30.0,
                "cycle_median_days": 30.0, "quota": 50.0, "attainment": 1.4,
                "open_pipeline": 0.0, "coverage": NA, "covered": True,
            },
            {
                "rep": "cat", "team": "West", "won": 1, "lost": 0, "win_rate": 1.0,
                "value_win_rate": 1.0, "bookings": 10.0, "ads": 10.0, "cycle_days": 10.0,
                "cycle_median_days": 10.0, "quota": 0.0, "attainment": NA,
                "open_pipeline": 120.0, "coverage": NA, "covered": True,
            },
        ]
    )  # fmt: skip


def test_rep_kpis_team_and_rep_filters(db):
    assert _records(kpis.rep_kpis(db, "2026-Q1", team="East")) == _approx([ANA, BEN])
    assert _records(kpis.rep_kpis(db, "2026-Q1", team="(no team)")) == _approx([ZOE])
    assert _records(kpis.rep_kpis(db, "2026-Q1", rep="ben")) == _approx([BEN])
    assert kpis.rep_kpis(db, "2026-Q1", team="West", rep="ana").empty


def test_rep_who_left_shows_in_a_period_they_worked(db):
    df = kpis.rep_kpis(db, "2025-Q4", rep="dan")
    assert _records(df) == _approx(
        [
            {
                "rep": "dan", "team": "East", "won": 1, "lost": 0, "win_rate": 1.0,
                "value_win_rate": 1.0, "bookings": 300.0, "ads": 300.0, "cycle_days": 39.0,
                "cycle_median_days": 39.0, "quota": NA, "attainment": NA,
                "open_pipeline": 0.0, "coverage": NA, "covered": False,
            }
        ]
    )  # fmt: skip


def test_team_kpis_whole_org(db):
    df = kpis.team_kpis(db, "2026-Q1")
    # heads: ana 1 + ben 4/6 + cat 1 (no ramp_months) + zoe 1 (no hire date); dan 0
    assert _records(df) == _approx(
        [
            {
                "team": "(all teams)", "won": 6, "lost": 2, "win_rate": 0.75,
                "value_win_rate": 380 / 450, "bookings": 380.0, "ads": 380 / 6,
                "cycle_days": 235 / 6, "cycle_median_days": 30.0, "quota": 350.0,
                "attainment": 380 / 350, "open_pipeline": 265.0, "coverage": NA,
                "covered": True, "revenue_per_head": 380 / (3 + 4 / 6),
                "heads": 3 + 4 / 6, "top2_share": (160 + 150) / 380,
            }
        ]
    )  # fmt: skip


def test_team_kpis_one_team(db):
    df = kpis.team_kpis(db, "2026-Q1", team="East")
    assert _records(df) == _approx(
        [
            {
                "team": "East", "won": 3, "lost": 2, "win_rate": 0.6,
                "value_win_rate": 230 / 300, "bookings": 230.0, "ads": 230 / 3,
                "cycle_days": 121 / 3, "cycle_median_days": 30.0, "quota": 350.0,
                "attainment": 230 / 350, "open_pipeline": 225.0, "coverage": 225 / 120,
                "covered": False, "revenue_per_head": 230 / (1 + 4 / 6),
                "heads": 1 + 4 / 6, "top2_share": 1.0,
            }
        ]
    )  # fmt: skip


def test_team_kpis_without_bookings(db):
    df = kpis.team_kpis(db, "2026-Q1", team="(no team)")
    assert _records(df) == _approx(
        [
            {
                "team": "(no team)", "won": 0, "lost": 0, "win_rate": NA,
                "value_win_rate": NA, "bookings": 0.0, "ads": NA, "cycle_days": NA,
                "cycle_median_days": NA, "quota": NA, "attainment": NA,
                "open_pipeline": 40.0, "coverage": NA, "covered": False,
                "revenue_per_head": 0.0, "heads": 1.0, "top2_share": NA,
            }
        ]
    )  # fmt: skip


def test_new_hire_after_the_period_counts_no_head(db):
    # ben was hired 2025-12-01: no head in 2025-Q3, and in 2025-Q4 one month of six
    assert kpis.team_kpis(db, "2025-Q3", team="East")["heads"].tolist() == [2.0]
    assert kpis.team_kpis(db, "2025-Q4", team="East")["heads"].tolist() == pytest.approx(
        [2 + 1 / 6]
    )


def test_bad_period_label(db):
    with pytest.raises(PeriodError, match="not a month"):
        kpis.rep_kpis(db, "Q5-2026")


BENCH_INPUT = pd.DataFrame(
    {
        "rep": ["a", "b", "c", "d"],
        "won": [1, 2, 3, 4],
        "win_rate": [0.2, 0.4, NA, 0.6],
        "bookings": [100.0, 200.0, 300.0, 400.0],
        "ads": [100.0, 100.0, 100.0, 100.0],
        "cycle_days": [10.0, 20.0, 30.0, 40.0],
        "attainment": [0.5, 1.0, NA, NA],
        "coverage": [NA, NA, NA, NA],
    }
)


def test_kpi_benchmarks():
    assert _records(kpis.kpi_benchmarks(BENCH_INPUT)) == _approx(
        [
            {"metric": "won", "median": 2.5, "top_quartile": 3.25},
            {"metric": "win_rate", "median": 0.4, "top_quartile": 0.5},
            {"metric": "bookings", "median": 250.0, "top_quartile": 325.0},
            {"metric": "ads", "median": 100.0, "top_quartile": 100.0},
            {"metric": "cycle_days", "median": 25.0, "top_quartile": 17.5},
            {"metric": "attainment", "median": 0.75, "top_quartile": 0.875},
            {"metric": "coverage", "median": NA, "top_quartile": NA},
        ]
    )


def test_percentile_ranks():
    assert _records(kpis.percentile_ranks(BENCH_INPUT)) == _approx(
        [
            {"rep": "a", "won": 0.0, "win_rate": 0.0, "bookings": 0.0, "ads": 0.5,
             "cycle_days": 1.0, "attainment": 0.0, "coverage": NA},
            {"rep": "b", "won": 1 / 3, "win_rate": 0.5, "bookings": 1 / 3, "ads": 0.5,
             "cycle_days": 2 / 3, "attainment": 1.0, "coverage": NA},
            {"rep": "c", "won": 2 / 3, "win_rate": NA, "bookings": 2 / 3, "ads": 0.5,
             "cycle_days": 1 / 3, "attainment": NA, "coverage": NA},
            {"rep": "d", "won": 1.0, "win_rate": 1.0, "bookings": 1.0, "ads": 0.5,
             "cycle_days": 0.0, "attainment": NA, "coverage": NA},
        ]
    )  # fmt: skip


def test_attainment_distribution():
    frame = pd.DataFrame({"attainment": [0.2, 0.5, 0.75, 0.99, 1.0, 1.25, 2.0, NA]})
    assert _records(kpis.attainment_distribution(frame)) == [
        {"bucket": "<50%", "reps": 1},
        {"bucket": "50–75%", "reps": 1},
        {"bucket": "75–100%", "reps": 2},
        {"bucket": "100–125%", "reps": 1},
        {"bucket": "≥125%", "reps": 2},
    ]


def test_kpi_trend_covers_eight_quarters(db):
    trend = kpis.kpi_trend(db)
    assert list(trend.columns) == ["period", "rep", "metric", "value"]
    assert trend["period"].unique().tolist() == [
        "2024-Q2", "2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1",
    ]  # fmt: skip
    dan = trend[(trend["rep"] == "dan") & (trend["metric"] == "bookings")]
    # dan left in December: in every quarter to 2025-Q4, gone in 2026-Q1
    assert dan[["period", "value"]].to_dict("records") == [
        {"period": "2024-Q2", "value": 0.0},
        {"period": "2024-Q3", "value": 0.0},
        {"period": "2024-Q4", "value": 0.0},
        {"period": "2025-Q1", "value": 0.0},
        {"period": "2025-Q2", "value": 0.0},
        {"period": "2025-Q3", "value": 0.0},
        {"period": "2025-Q4", "value": 300.0},
    ]
    last = trend[(trend["period"] == "2026-Q1") & (trend["metric"] == "bookings")]
    assert last[["rep", "value"]].to_dict("records") == [
        {"rep": "ana", "value": 160.0},
        {"rep": "cat", "value": 150.0},
        {"rep": "ben", "value": 70.0},
        {"rep": "zoe", "value": 0.0},
    ]


def test_kpi_trend_as_of_and_rep(db):
    trend = kpis.kpi_trend(db, periods=2, as_of=date(2026, 3, 1), rep="cat")
    assert trend[trend["metric"] == "won"].to_dict("records") == [
        {"period": "2025-Q4", "rep": "cat", "metric": "won", "value": 0.0},
        {"period": "2026-Q1", "rep": "cat", "metric": "won", "value": 1.0},
    ]


def test_metrics_describe_every_kpi_column():
    shown = set(kpis.REP_COLUMNS[2:]) - {"covered"} | {"revenue_per_head", "heads", "top2_share"}
    assert shown <= set(kpis.METRICS)
    for name, metric in kpis.METRICS.items():
        assert metric.name == name
        assert metric.unit in {"money", "count", "fraction", "days"}
        assert metric.label and metric.description
    assert not kpis.METRICS["cycle_days"].higher_is_better


deal_sets = st.lists(
    st.tuples(
        st.sampled_from(["r1", "r2", "r3", "r4"]),
        st.integers(min_value=0, max_value=10_000),
        st.booleans(),
        st.integers(min_value=0, max_value=89),
    ),
    max_size=12,
)


@settings(max_examples=25, deadline=None)
@given(deals=deal_sets)
def test_team_figures_add_up_from_reps(deals):
    rows = [
        (str(i), rep, amount, "Closed Won" if won else "Closed Lost", day)
        for i, (rep, amount, won, day) in enumerate(deals)
    ]
    con = store.connect(":memory:")
    try:
        if rows:
            con.executemany(
                "INSERT INTO opportunity_snapshot_rows (load_id, as_of, opportunity_id, owner,"
                " amount, stage, close_date) VALUES (1, DATE '2026-03-31', ?, ?, ?, ?,"
                " DATE '2026-01-01' + CAST(? AS INTEGER))",
                rows,
            )
        reps = kpis.rep_kpis(con, "2026-Q1")
        team = kpis.team_kpis(con, "2026-Q1").iloc[0]
        won = sum(1 for d in deals if d[2])
        assert team["bookings"] == pytest.approx(reps["bookings"].sum())
        assert team["bookings"] == pytest.approx(sum(d[1] for d in deals if d[2]))
        assert team["won"] == won
        assert team["win_rate"] == pytest.approx(won / len(deals) if deals else NA, nan_ok=True)
    finally:
        con.close()


def test_trend_quartiles_by_period_and_metric():
    trend = pd.DataFrame(
        {
            "period": ["2026-Q1"] * 5 + ["2026-Q2"],
            "rep": ["a", "b", "c", "d", "e", "a"],
            "metric": ["bookings"] * 6,
            "value": [10.0, 20.0, 30.0, 40.0, None, 7.0],
        }
    )
    got = kpis.trend_quartiles(trend)
    # Q1: four values (e has none); linear interpolation: 17.5, 25, 32.5
    assert got.to_dict("records") == [
        {"period": "2026-Q1", "metric": "bookings", "reps": 4, "p25": 17.5, "median": 25.0,
         "p75": 32.5},
        {"period": "2026-Q2", "metric": "bookings", "reps": 1, "p25": 7.0, "median": 7.0,
         "p75": 7.0},
    ]  # fmt: skip
