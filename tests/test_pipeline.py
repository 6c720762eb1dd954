"""Pipeline health on hand-made snapshots: coverage, funnel, creation, hygiene, signals,
concentration, velocity, the CLI report and the chart builders."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spm import pipeline, store
from spm.cli import main

NA = math.nan
D = date
S1, S2, S3 = D(2026, 3, 16), D(2026, 3, 30), D(2026, 4, 6)  # A = S3, in 2026-Q2
NEG, PROP, PROS, QUAL, NEED = (
    "Negotiation/Review",
    "Proposal/Price Quote",
    "Prospecting",
    "Qualification",
    "Needs Analysis",
)

# (as_of, id, owner, stage, amount, close_date, created_date, forecast_category, lead_source)
ROWS = [
    # closed history in the 4 quarters before A (2025-Q2 .. 2026-Q1)
    (S3, "H1", "ana", "Closed Won", 300, D(2025, 8, 1), D(2025, 6, 1), None, "self"),  # 61 d
    (S3, "H2", "ben", "Closed Won", 100, D(2025, 10, 1), D(2025, 9, 1), None, "self"),  # 30 d
    (S3, "H3", "ana", "Closed Lost", 200, D(2025, 11, 1), D(2025, 10, 1), None, "self"),
    (S3, "H4", "cat", "Closed Lost", 400, D(2026, 2, 1), D(2026, 1, 1), None, "self"),
    # O1: Prospecting → Proposal → Negotiation, dated after 2026-Q2
    (S1, "O1", "ana", PROS, 500, D(2026, 7, 15), D(2026, 3, 1), None, "marketing"),
    (S2, "O1", "ana", PROP, 500, D(2026, 7, 15), D(2026, 3, 1), None, "marketing"),
    (S3, "O1", "ana", NEG, 500, D(2026, 7, 15), D(2026, 3, 1), None, "marketing"),
    # O2: sits in Prospecting since the first snapshot, dated 14 days after A
    (S1, "O2", "ana", PROS, 100, D(2026, 4, 20), D(2026, 3, 10), None, "self"),
    (S2, "O2", "ana", PROS, 100, D(2026, 4, 20), D(2026, 3, 10), None, "self"),
    (S3, "O2", "ana", PROS, 100, D(2026, 4, 20), D(2026, 3, 10), None, "self"),
    # O3: pushed twice, created 156 days before A
    (S1, "O3", "ben", QUAL, 50, D(2026, 4, 15), D(2025, 11, 1), None, "partner"),
    (S2, "O3", "ben", QUAL, 50, D(2026, 5, 31), D(2025, 11, 1), None, "partner"),
    (S3, "O3", "ben", QUAL, 50, D(2026, 6, 30), D(2025, 11, 1), None, "partner"),
    # O4: Prospecting → Proposal
    (S2, "O4", "cat", PROS, 80, D(2026, 5, 15), D(2026, 3, 20), None, "marketing"),
    (S3, "O4", "cat", PROP, 80, D(2026, 5, 15), D(2026, 3, 20), None, "marketing"),
    # O5: Omitted and past due: in hygiene, not in the pipeline
    (S3, "O5", "cat", PROS, 30, D(2026, 4, 1), D(2026, 3, 25), "Omitted", None),
    # O6: new in the as-of snapshot, early stage dated exactly 30 days after A
    (S3, "O6", "ana", NEED, 20, D(2026, 5, 6), D(2026, 4, 1), None, "self"),
    # W1: won in 2026-Q2, in Commit at the start of the quarter (S2)
    (S1, "W1", "ben", NEG, 60, D(2026, 4, 3), D(2026, 3, 1), "Commit", "self"),
    (S2, "W1", "ben", NEG, 60, D(2026, 4, 3), D(2026, 3, 1), "Commit", "self"),
    (S3, "W1", "ben", "Closed Won", 60, D(2026, 4, 3), D(2026, 3, 1), None, "self"),
    # W2: won in 2026-Q2, in Pipeline at the start of the quarter
    (S1, "W2", "ana", PROS, 40, D(2026, 4, 2), D(2026, 2, 15), None, "self"),
    (S2, "W2", "ana", QUAL, 40, D(2026, 4, 2), D(2026, 2, 15), None, "self"),
    (S3, "W2", "ana", "Closed Won", 40, D(2026, 4, 2), D(2026, 2, 15), None, "self"),
    # W3: won in 2026-Q2, in Best Case at the start of the quarter
    (S2, "W3", "cat", PROP, 100, D(2026, 4, 4), D(2026, 3, 5), None, "executive"),
    (S3, "W3", "cat", "Closed Won", 100, D(2026, 4, 4), D(2026, 3, 5), None, "executive"),
    # L1: Prospecting, then lost
    (S2, "L1", "cat", PROS, 25, D(2026, 4, 5), D(2026, 3, 25), None, "partner"),
    (S3, "L1", "cat", "Closed Lost", 25, D(2026, 4, 5), D(2026, 3, 25), None, "partner"),
    # X1: vanished from the CRM after the first snapshot
    (S1, "X1", "ana", QUAL, 70, D(2026, 5, 1), D(2026, 3, 1), None, "self"),
]
REPS = [("ana", "East"), ("ben", "East"), ("cat", "West")]
QUOTAS = [
    ("ana", D(2026, 3, 1), 100),
    ("ana", D(2026, 4, 1), 100),
    ("ana", D(2026, 5, 1), 100),
    ("ana", D(2026, 6, 1), 100),
    ("ana", D(2026, 7, 1), 100),
    ("ben", D(2026, 4, 1), 50),
]


def _load(con, rows=ROWS, reps=REPS, quotas=QUOTAS) -> None:  # type: ignore[no-untyped-def]
    con.executemany(
        "INSERT INTO opportunity_snapshot_rows (load_id, as_of, opportunity_id, owner, stage,"
        " amount, close_date, created_date, forecast_category, lead_source)"
        " VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    con.executemany("INSERT INTO rep_rows (load_id, rep, team) VALUES (1, ?, ?)", reps)
    if quotas:
        con.executemany("INSERT INTO quota_rows VALUES (1, ?, ?, 'total', ?)", quotas)


@pytest.fixture
def db(con):
    _load(con)
    return con


def _approx(rows: list[dict]) -> list:
    return [pytest.approx(r, nan_ok=True) for r in rows]


# --- required coverage and coverage ---------------------------------------------------------


def test_required_coverage_is_one_over_the_team_value_win_rate(db):
    req = pipeline.required_coverage(db)
    # won 300 + 100 of closed 300 + 100 + 200 + 400 in 2025-Q2..2026-Q1
    assert req == pipeline.Required(2.5, 0.4, 45.5, "2025-Q2", "2026-Q1", "history")
    assert req.describe() == (
        "Required coverage 2.5× = 1 / value win rate 40% of the team, 2025-Q2 to 2026-Q1."
    )
    east = pipeline.required_coverage(db, team="East")
    assert (east.value, east.win_rate) == pytest.approx((1.5, 400 / 600))


def test_required_coverage_setting_overrides_history(db):
    store.save_settings(db, {"required_coverage_override": 3.0})
    req = pipeline.required_coverage(db)
    assert (req.value, req.source) == (3.0, "setting")
    assert pipeline.coverage(db, "2026-Q2")["required_coverage"].tolist() == [3.0] * 4


COV_Q2 = [
    {"period": "2026-Q2", "level": "rep", "rep": "cat", "team": "West", "quota": NA,
     "bookings": 100.0, "open_pipeline": 80.0, "gap": NA, "coverage": NA,
     "required_coverage": 2.5, "status": "no quota", "pipeline_needed": NA, "shortfall": NA},
    {"period": "2026-Q2", "level": "rep", "rep": "ben", "team": "East", "quota": 50.0,
     "bookings": 60.0, "open_pipeline": 50.0, "gap": 0.0, "coverage": NA,
     "required_coverage": 2.5, "status": "covered", "pipeline_needed": 0.0, "shortfall": 0.0},
    {"period": "2026-Q2", "level": "rep", "rep": "ana", "team": "East", "quota": 300.0,
     "bookings": 40.0, "open_pipeline": 120.0, "gap": 260.0, "coverage": 120 / 260,
     "required_coverage": 2.5, "status": "under", "pipeline_needed": 650.0,
     "shortfall": 530.0},
    {"period": "2026-Q2", "level": "team", "rep": "Team", "team": "(all teams)",
     "quota": 350.0, "bookings": 200.0, "open_pipeline": 250.0, "gap": 150.0,
     "coverage": 250 / 150, "required_coverage": 2.5, "status": "under",
     "pipeline_needed": 375.0, "shortfall": 125.0},
]  # fmt: skip


def test_coverage_per_rep_and_team(db):
    got = pipeline.coverage(db, "2026-Q2")
    assert list(got.columns) == pipeline.COVERAGE_COLUMNS
    assert got.to_dict("records") == _approx(COV_Q2)


def test_coverage_outlook_covers_this_and_the_next_two_quarters(db):
    got = pipeline.coverage_outlook(db, "2026-Q2")
    assert got["period"].unique().tolist() == ["2026-Q2", "2026-Q3", "2026-Q4"]
    q3 = got[got["period"] == "2026-Q3"][["rep", "gap", "coverage", "status", "shortfall"]]
    assert q3.to_dict("records") == _approx(
        [
            {"rep": "ana", "gap": 100.0, "coverage": 5.0, "status": "over", "shortfall": 0.0},
            {"rep": "ben", "gap": NA, "coverage": NA, "status": "no quota", "shortfall": NA},
            {"rep": "cat", "gap": NA, "coverage": NA, "status": "no quota", "shortfall": NA},
            {"rep": "Team", "gap": 100.0, "coverage": 5.0, "status": "over", "shortfall": 0.0},
        ]
    )


def test_coverage_for_one_rep_has_no_team_row(db):
    got = pipeline.coverage(db, "2026-Q2", rep="ana")
    assert got.to_dict("records") == _approx([COV_Q2[2]])


def test_coverage_without_history_says_so(con):
    _load(con, rows=[r for r in ROWS if not r[1].startswith("H")])
    req = pipeline.required_coverage(con)
    assert req.source == "no history" and math.isnan(req.value)
    assert "No deals were closed 2025-Q2 to 2026-Q1" in req.describe()
    got = pipeline.coverage(con, "2026-Q2")
    assert got[["rep", "status", "pipeline_needed"]].to_dict("records") == _approx(
        [
            {"rep": "cat", "status": "no quota", "pipeline_needed": NA},
            {"rep": "ben", "status": "covered", "pipeline_needed": 0.0},
            {"rep": "ana", "status": "no history", "pipeline_needed": NA},
            {"rep": "Team", "status": "no history", "pipeline_needed": NA},
        ]
    )


def test_coverage_without_quotas_or_data(con):
    assert pipeline.required_coverage(con).describe().startswith("Required coverage needs")
    _load(con, quotas=[])
    got = pipeline.coverage(con, "2026-Q2")
    assert got["status"].tolist() == ["no quota"] * 4
    assert got["gap"].isna().all() and got["shortfall"].isna().all()


def test_lost_deals_without_amounts_fall_back_to_count_win_rate(con):
    rows = [
        (S3, "A", "ana", "Won", 300, D(2025, 8, 1), D(2025, 6, 1), None, None),
        (S3, "B", "ana", "Lost", 0, D(2025, 9, 1), D(2025, 6, 1), None, None),
        (S3, "C", "ana", "Lost", 0, D(2025, 9, 1), D(2025, 6, 1), None, None),
        (S3, "E", "ana", "Won", 100, D(2025, 9, 1), D(2025, 6, 1), None, None),
    ]
    _load(con, rows=rows)
    req = pipeline.required_coverage(con)
    assert (req.value, req.win_rate, req.source) == (2.0, 0.5, "count history")


# --- funnel ---------------------------------------------------------------------------------


def test_stage_runs_outcomes_and_days(db):
    got = pipeline.stage_runs(db)[
        ["opportunity_id", "stage", "days", "outcome", "censored", "current"]
    ]
    assert got.to_dict("records") == _approx(
        [
            {"opportunity_id": "L1", "stage": PROS, "days": 7, "outcome": "lost",
             "censored": False, "current": False},
            {"opportunity_id": "O1", "stage": PROS, "days": 14, "outcome": "advanced",
             "censored": True, "current": False},
            {"opportunity_id": "O1", "stage": PROP, "days": 7, "outcome": "advanced",
             "censored": False, "current": False},
            {"opportunity_id": "O1", "stage": NEG, "days": 0, "outcome": "open",
             "censored": False, "current": True},
            {"opportunity_id": "O2", "stage": PROS, "days": 21, "outcome": "open",
             "censored": True, "current": True},
            {"opportunity_id": "O3", "stage": QUAL, "days": 21, "outcome": "open",
             "censored": True, "current": True},
            {"opportunity_id": "O4", "stage": PROS, "days": 7, "outcome": "advanced",
             "censored": False, "current": False},
            {"opportunity_id": "O4", "stage": PROP, "days": 0, "outcome": "open",
             "censored": False, "current": True},
            {"opportunity_id": "O5", "stage": PROS, "days": 0, "outcome": "open",
             "censored": False, "current": True},
            {"opportunity_id": "O6", "stage": NEED, "days": 0, "outcome": "open",
             "censored": False, "current": True},
            {"opportunity_id": "W1", "stage": NEG, "days": 21, "outcome": "advanced",
             "censored": True, "current": False},
            {"opportunity_id": "W2", "stage": PROS, "days": 14, "outcome": "advanced",
             "censored": True, "current": False},
            {"opportunity_id": "W2", "stage": QUAL, "days": 7, "outcome": "advanced",
             "censored": False, "current": False},
            {"opportunity_id": "W3", "stage": PROP, "days": 7, "outcome": "advanced",
             "censored": False, "current": False},
            {"opportunity_id": "X1", "stage": QUAL, "days": NA, "outcome": "dropped",
             "censored": True, "current": False},
        ]
    )  # fmt: skip


def test_funnel_conversion_time_in_stage_and_stalls(db):
    got = pipeline.funnel(db)
    assert list(got.columns) == pipeline.FUNNEL_COLUMNS
    assert got.to_dict("records") == _approx(
        [
            # O1, O4, W2 moved on, L1 lost; O2 and O5 undecided; stays: O4 7, L1 7 days
            {"stage": PROS, "stage_order": 1, "open_deals": 1, "open_value": 100.0,
             "next_stage": QUAL, "advanced": 3, "decided": 4, "conversion": 0.75,
             "median_days": 7.0, "stays": 2, "stalled_deals": 1},
            # W2 moved on, X1 vanished, O3 undecided; O3 has sat there 21 > 2 × 7 days
            {"stage": QUAL, "stage_order": 2, "open_deals": 1, "open_value": 50.0,
             "next_stage": NEED, "advanced": 1, "decided": 2, "conversion": 0.5,
             "median_days": 7.0, "stays": 1, "stalled_deals": 1},
            {"stage": NEED, "stage_order": 3, "open_deals": 1, "open_value": 20.0,
             "next_stage": PROP, "advanced": 0, "decided": 0, "conversion": NA,
             "median_days": NA, "stays": 0, "stalled_deals": 0},
            {"stage": PROP, "stage_order": 7, "open_deals": 1, "open_value": 80.0,
             "next_stage": NEG, "advanced": 2, "decided": 2, "conversion": 1.0,
             "median_days": 7.0, "stays": 2, "stalled_deals": 0},
            {"stage": NEG, "stage_order": 8, "open_deals": 1, "open_value": 500.0,
             "next_stage": "Won", "advanced": 1, "decided": 1, "conversion": 1.0,
             "median_days": NA, "stays": 0, "stalled_deals": 0},
        ]
    )  # fmt: skip
    stalled = pipeline.stalled_deals(db)[["opportunity_id", "days_in_stage", "median_days"]]
    assert stalled.to_dict("records") == [
        {"opportunity_id": "O2", "days_in_stage": 21.0, "median_days": 7.0},
        {"opportunity_id": "O3", "days_in_stage": 21.0, "median_days": 7.0},
    ]


def test_funnel_as_of_an_earlier_snapshot(db):
    got = pipeline.funnel(db, as_of=S2)[["stage", "open_deals", "advanced", "decided"]]
    assert got.to_dict("records") == [
        {"stage": PROS, "open_deals": 3, "advanced": 2, "decided": 2},  # O1, W2 moved on
        {"stage": QUAL, "open_deals": 2, "advanced": 0, "decided": 1},  # X1 vanished
        {"stage": PROP, "open_deals": 2, "advanced": 0, "decided": 0},
        {"stage": NEG, "open_deals": 1, "advanced": 0, "decided": 0},
    ]


def test_funnel_judges_a_deal_that_comes_back_by_its_first_stay(con):
    # R1: Prospecting → Qualification → Prospecting → lost
    s4 = D(2026, 4, 13)
    stages = [(S1, PROS), (S2, QUAL), (S3, PROS), (s4, "Closed Lost")]
    _load(con, rows=[(s, "R1", "ana", st, 10, D(2026, 6, 1), D(2026, 3, 1), None, None)
                     for s, st in stages], quotas=[])  # fmt: skip
    runs = pipeline.stage_runs(con)[["stage", "outcome", "first_stay"]]
    assert runs.to_dict("records") == [
        {"stage": PROS, "outcome": "advanced", "first_stay": True},
        {"stage": QUAL, "outcome": "lost", "first_stay": True},
        {"stage": PROS, "outcome": "lost", "first_stay": False},
    ]
    # its first Prospecting stay moved on: one decided deal there, not two
    got = pipeline.funnel(con)[["stage", "open_deals", "advanced", "decided"]]
    assert got.to_dict("records") == [
        {"stage": PROS, "open_deals": 0, "advanced": 1, "decided": 1},
        {"stage": QUAL, "open_deals": 0, "advanced": 0, "decided": 1},
    ]


STAGES = [PROS, QUAL, NEED, PROP, NEG, "Closed Won", "Closed Lost"]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    paths=st.lists(
        st.lists(st.sampled_from(STAGES), min_size=1, max_size=5), min_size=1, max_size=6
    )
)
def test_funnel_invariants(tmp_path_factory, paths):
    con = store.connect(tmp_path_factory.mktemp("f") / "f.duckdb")
    rows = []
    for n, path in enumerate(paths):
        for k, stage in enumerate(path):
            rows.append(
                (S1 + timedelta(days=7 * k), f"D{n}", "ana", stage, 10 + n, D(2026, 6, 1),
                 D(2026, 1, 1), None, None)
            )  # fmt: skip
    _load(con, rows=rows, quotas=[])
    got = pipeline.funnel(con)
    latest = max(len(p) for p in paths)
    open_now = sum(1 for p in paths if len(p) == latest and not p[-1].startswith("Closed"))
    assert got["open_deals"].sum() == open_now
    assert (got["advanced"] <= got["decided"]).all()
    assert got["conversion"].dropna().between(0, 1).all()
    # stays are measured between weekly snapshots: a median lies within 1 to (k − 1) weeks
    assert got["median_days"].dropna().between(7, 7 * (latest - 1)).all()
    con.close()


# --- creation trend -------------------------------------------------------------------------


def test_creation_trend_by_lead_source(db):
    got = pipeline.creation_trend(db, months=2)
    assert got.to_dict("records") == [
        {"month": pd.Timestamp("2026-03-01"), "lead_source": "(not set)", "deals": 1,
         "amount": 30.0},
        {"month": pd.Timestamp("2026-03-01"), "lead_source": "executive", "deals": 1,
         "amount": 100.0},
        {"month": pd.Timestamp("2026-03-01"), "lead_source": "marketing", "deals": 2,
         "amount": 580.0},
        {"month": pd.Timestamp("2026-03-01"), "lead_source": "partner", "deals": 1,
         "amount": 25.0},
        {"month": pd.Timestamp("2026-03-01"), "lead_source": "self", "deals": 2,
         "amount": 160.0},
        {"month": pd.Timestamp("2026-04-01"), "lead_source": "self", "deals": 1,
         "amount": 20.0},
    ]  # fmt: skip


def test_creation_against_what_is_needed(db):
    # needed = monthly quota × 2.5: March ana 100; April ana 100 + ben 50
    got = pipeline.creation_vs_needed(db, months=2)
    assert got.to_dict("records") == [
        {"month": pd.Timestamp("2026-03-01"), "created": 895.0, "needed": 250.0},
        {"month": pd.Timestamp("2026-04-01"), "created": 20.0, "needed": 375.0},
    ]
    by_rep = pipeline.creation_by_rep(db, months=2)
    assert by_rep.to_dict("records") == _approx(
        [
            {"rep": "ana", "deals": 3, "created": 620.0, "needed": 500.0,
             "created_vs_needed": 1.24},
            {"rep": "cat", "deals": 4, "created": 235.0, "needed": NA,
             "created_vs_needed": NA},
            {"rep": "ben", "deals": 1, "created": 60.0, "needed": 125.0,
             "created_vs_needed": 0.48},
        ]
    )  # fmt: skip


def test_creation_by_rep_option_and_bad_split(db):
    got = pipeline.creation_trend(db, months=1, by="rep")
    assert got[["rep", "deals", "amount"]].to_dict("records") == [
        {"rep": "ana", "deals": 1, "amount": 20.0}
    ]
    with pytest.raises(ValueError, match="lead_source or rep"):
        pipeline.creation_trend(db, by="product")


# --- hygiene --------------------------------------------------------------------------------


def test_hygiene_counts_per_rep_and_deal_list(db):
    got = pipeline.hygiene_by_rep(db)
    assert got.to_dict("records") == [
        {"rep": "ben", "open_deals": 1, "past_due": 0, "pushed": 1, "stale": 0,
         "missing_amount": 0, "missing_close_date": 0, "flagged_deals": 1},
        {"rep": "cat", "open_deals": 2, "past_due": 1, "pushed": 0, "stale": 0,
         "missing_amount": 0, "missing_close_date": 0, "flagged_deals": 1},
        {"rep": "ana", "open_deals": 3, "past_due": 0, "pushed": 0, "stale": 0,
         "missing_amount": 0, "missing_close_date": 0, "flagged_deals": 0},
    ]  # fmt: skip
    deals = pipeline.hygiene_deals(db)[["opportunity_id", "rep", "flags"]]
    assert deals.to_dict("records") == [
        {"opportunity_id": "O3", "rep": "ben", "flags": "pushed 2×"},
        {"opportunity_id": "O5", "rep": "cat", "flags": "past due"},
    ]


# --- fluff and sandbagging ------------------------------------------------------------------


def test_each_fluff_and_sandbag_signal_with_its_reason(db):
    got = pipeline.signals(db, "2026-Q2")
    assert list(got.columns) == pipeline.SIGNAL_COLUMNS
    assert got.drop(columns=["stage", "close_date"]).to_dict("records") == [
        {"kind": "fluff", "signal": "early stage, closing within 30 days",
         "opportunity_id": "O2", "rep": "ana", "amount": 100.0,
         "reason": "Prospecting deal dated to close in 14 days (2026-04-20)"},
        {"kind": "fluff", "signal": "early stage, closing within 30 days",
         "opportunity_id": "O6", "rep": "ana", "amount": 20.0,
         "reason": "Needs Analysis deal dated to close in 30 days (2026-05-06)"},
        {"kind": "fluff", "signal": "older than 2× the typical won cycle",
         "opportunity_id": "O3", "rep": "ben", "amount": 50.0,
         "reason": "open 156 days; typical won cycle is 46 days"},
        {"kind": "sandbag", "signal": "late stage, dated after the period",
         "opportunity_id": "O1", "rep": "ana", "amount": 500.0,
         "reason": "Negotiation/Review deal dated 2026-07-15, after 2026-Q2 ends"},
        {"kind": "sandbag", "signal": "won bookings mostly not in start-of-period Commit",
         "opportunity_id": None, "rep": "cat", "amount": 100.0,
         "reason": "100% of $100 won in 2026-Q2 was not in Commit on 2026-03-30 "
                   "(all reps: 70%)"},
        {"kind": "sandbag", "signal": "won bookings mostly not in start-of-period Commit",
         "opportunity_id": None, "rep": "ana", "amount": 40.0,
         "reason": "100% of $40 won in 2026-Q2 was not in Commit on 2026-03-30 "
                   "(all reps: 70%)"},
    ]  # fmt: skip


def test_signals_default_to_the_quarter_of_the_snapshot(db):
    assert pipeline.signals(db).equals(pipeline.signals(db, "2026-Q2"))


def test_signals_for_a_finished_period_skip_late_stage_and_need_a_start_snapshot(db):
    got = pipeline.signals(db, "2026-Q1")
    # 2026-Q1 ended before A: every open deal is dated after it, so that signal says nothing;
    # no snapshot on or before 2026-01-01, so start-of-period Commit is unknown
    assert set(got["signal"]) == {
        "early stage, closing within 30 days",
        "older than 2× the typical won cycle",
    }
    assert pipeline.commit_wins(db, "2026-Q1")["s0_as_of"].isna().all()


def test_commit_wins_marks_the_starting_commit(db):
    got = pipeline.commit_wins(db, "2026-Q2")[["opportunity_id", "rep", "in_start_commit"]]
    assert got.to_dict("records") == [
        {"opportunity_id": "W2", "rep": "ana", "in_start_commit": False},
        {"opportunity_id": "W1", "rep": "ben", "in_start_commit": True},
        {"opportunity_id": "W3", "rep": "cat", "in_start_commit": False},
    ]


# --- concentration and velocity -------------------------------------------------------------


def test_concentration_and_top_deals(db):
    got = pipeline.concentration(db, "2026-Q2")
    assert got.to_dict("records") == [
        {"period": "2026-Q2", "open_pipeline": 250.0, "top5_deals_value": 250.0,
         "top5_deals_share": 1.0, "bookings": 200.0, "top2_bookings_reps": "cat, ben",
         "top2_bookings_share": 0.8, "top2_pipeline_reps": "ana, cat",
         "top2_pipeline_share": 0.8},
    ]  # fmt: skip
    top = pipeline.top_deals(db, "2026-Q2", n=2)[["opportunity_id", "amount", "share"]]
    assert top.to_dict("records") == [
        {"opportunity_id": "O2", "amount": 100.0, "share": 0.4},
        {"opportunity_id": "O4", "amount": 80.0, "share": 0.32},
    ]


def test_velocity_per_rep_and_team(db):
    got = pipeline.velocity(db)
    assert got.to_dict("records") == _approx(
        [
            # 3 open × 1/2 won × 300 ADS / 61 days
            {"rep": "ana", "open_deals": 3, "win_rate": 0.5, "ads": 300.0,
             "cycle_days": 61.0, "velocity": 450 / 61},
            {"rep": "ben", "open_deals": 1, "win_rate": 1.0, "ads": 100.0,
             "cycle_days": 30.0, "velocity": 100 / 30},
            {"rep": "cat", "open_deals": 1, "win_rate": 0.0, "ads": NA,
             "cycle_days": NA, "velocity": NA},
            {"rep": "Team", "open_deals": 5, "win_rate": 0.5, "ads": 200.0,
             "cycle_days": 45.5, "velocity": 500 / 45.5},
        ]
    )  # fmt: skip
    assert pipeline.velocity(db, rep="ben")["rep"].tolist() == ["ben"]


# --- CLI and charts -------------------------------------------------------------------------


def test_cli_pipeline_coverage_matches_the_page_function(tmp_path, capsys):
    path = tmp_path / "cli.duckdb"
    con = store.connect(path)
    _load(con)
    con.close()
    code = main(["report", "pipeline-coverage", "--db", str(path), "--period", "2026-Q2",
                 "--as-of", "2026-04-06", "--format", "json"])  # fmt: skip
    assert code == 0
    assert json.loads(capsys.readouterr().out) == [
        {"rep": "cat", "quota": None, "bookings": 100.0, "open_pipeline": 80.0, "gap": None,
         "coverage": None, "required_coverage": 2.5},
        {"rep": "ben", "quota": 50.0, "bookings": 60.0, "open_pipeline": 50.0, "gap": 0.0,
         "coverage": None, "required_coverage": 2.5},
        {"rep": "ana", "quota": 300.0, "bookings": 40.0, "open_pipeline": 120.0,
         "gap": 260.0, "coverage": pytest.approx(120 / 260), "required_coverage": 2.5},
    ]  # fmt: skip
    code = main(["report", "pipeline-coverage", "--db", str(path)])
    err = capsys.readouterr().err
    assert (
        code == 2
        and err == "error: report pipeline-coverage needs --period, e.g. --period 2026-Q3\n"
    )


def test_charts_carry_tooltips(db):
    specs = [
        pipeline.coverage_chart(pipeline.coverage_outlook(db, "2026-Q2")).to_dict(),
        pipeline.funnel_chart(pipeline.funnel(db)).to_dict(),
        pipeline.creation_chart(
            pipeline.creation_trend(db), pipeline.creation_vs_needed(db)
        ).to_dict(),
        pipeline.velocity_chart(pipeline.velocity(db)).to_dict(),
    ]
    for spec in specs:
        layers = spec.get("spec", spec).get("layer", [spec.get("spec", spec)])
        for layer in layers:
            assert layer["encoding"]["tooltip"], layer


def _cov_rows() -> pd.DataFrame:
    """Two periods, three reps and the team rows, in coverage_outlook's order (by bookings)."""
    rows = [
        # period, level, rep, gap, shortfall
        ("2026-Q2", "rep", "ana", 100.0, 0.0),
        ("2026-Q2", "rep", "bo", 300.0, 250.0),
        ("2026-Q2", "rep", "cy", None, None),  # no quota
        ("2026-Q2", "team", "Team", 400.0, 250.0),
        ("2026-Q3", "rep", "ana", 500.0, 400.0),
        ("2026-Q3", "rep", "bo", 200.0, 0.0),
        ("2026-Q3", "rep", "cy", 50.0, 0.0),
        ("2026-Q3", "team", "Team", 750.0, 400.0),
    ]
    return pd.DataFrame(rows, columns=["period", "level", "rep", "gap", "shortfall"])


def test_rank_by_need_puts_team_rows_first_then_reps_by_shortfall_and_gap():
    got = pipeline.rank_by_need(_cov_rows())
    assert list(zip(got["period"], got["rep"], strict=True)) == [
        ("2026-Q2", "Team"),
        ("2026-Q3", "Team"),
        ("2026-Q2", "bo"),  # shortfall 250
        ("2026-Q2", "ana"),  # shortfall 0, gap 100
        ("2026-Q2", "cy"),  # no quota: last
        ("2026-Q3", "ana"),  # shortfall 400
        ("2026-Q3", "bo"),  # shortfall 0, gap 200
        ("2026-Q3", "cy"),  # shortfall 0, gap 50
    ]
    assert list(got.columns) == ["period", "level", "rep", "gap", "shortfall"]


def test_neediest_reps_ranks_on_the_first_period_and_keeps_every_period():
    got = pipeline.neediest_reps(_cov_rows(), 2)
    # bo then ana by the first period's shortfall, though ana is needier in the second
    assert list(zip(got["period"], got["rep"], strict=True)) == [
        ("2026-Q2", "bo"),
        ("2026-Q2", "ana"),
        ("2026-Q3", "ana"),
        ("2026-Q3", "bo"),
    ]
    assert pipeline.neediest_reps(_cov_rows().iloc[0:0], 2).empty
