"""Forecast: rollup, stage win rates, statistical forecast, trend, accuracy, changes, calls,
must-win, the quarter at a glance and the CLI, on a hand-made database (figures by hand)."""

from __future__ import annotations

import json
import math
import time
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spm import cli, forecast, store
from spm.demo import build_demo
from spm.periods import PeriodError

NA = math.nan
S1, S2, S3, S4 = date(2026, 1, 5), date(2026, 2, 2), date(2026, 3, 30), date(2026, 4, 6)
NEG, PROP, PROS, QUAL = "Negotiation/Review", "Proposal/Price Quote", "Prospecting", "Qualification"
WON, LOST = "Closed Won", "Closed Lost"

# (as_of, id, owner, amount, stage, close_date, forecast_category); NULL category = the stage's
# default (Negotiation → Commit, Proposal → Best Case, Prospecting/Qualification → Pipeline).
DEALS = [
    # S1: nothing closed yet
    (S1, "A1", "ana", 100, NEG, "2026-01-20", None),
    (S1, "A7", "ana", 70, PROP, "2026-02-15", None),
    (S1, "B1", "ben", 25, PROP, "2026-03-01", None),
    (S1, "A3", "ana", 40, PROS, "2026-03-01", None),
    (S1, "Z1", "zed", 10, NEG, "2026-01-15", None),
    # S2
    (S2, "A1", "ana", 100, WON, "2026-01-20", None),
    (S2, "Z1", "zed", 10, WON, "2026-01-15", None),
    (S2, "A7", "ana", 70, NEG, "2026-02-15", None),
    (S2, "B1", "ben", 25, NEG, "2026-03-01", None),
    (S2, "A3", "ana", 40, PROP, "2026-03-01", None),
    (S2, "A2", "ana", 60, NEG, "2026-03-31", "Best Case"),
    (S2, "C1", "cat", 90, PROP, "2026-02-10", "Commit"),
    (S2, "A4", "ana", 35, PROS, "2026-02-28", None),
    # S3: end of the quarter
    (S3, "A1", "ana", 100, WON, "2026-01-20", None),
    (S3, "Z1", "zed", 10, WON, "2026-01-15", None),
    (S3, "A7", "ana", 70, LOST, "2026-02-15", None),
    (S3, "B1", "ben", 25, WON, "2026-03-01", None),
    (S3, "A3", "ana", 40, PROP, "2026-03-15", None),  # pushed
    (S3, "A2", "ana", 60, NEG, "2026-03-31", None),  # category moved to Commit
    (S3, "C1", "cat", 90, NEG, "2026-02-10", "Commit"),  # stage moved
    (S3, "A4", "ana", 30, PROS, "2026-02-28", None),  # amount down
    (S3, "B2", "ben", 15, PROS, "2026-03-20", "best case"),  # new; category spelt loosely
    (S3, "A5", "ana", 80, QUAL, "2026-03-10", "Omitted"),  # new, omitted
    (S3, "A6", "ana", 500, NEG, "2026-05-01", None),  # closes after the quarter
    # S4: after the quarter
    (S4, "A1", "ana", 100, WON, "2026-01-20", None),
    (S4, "Z1", "zed", 10, WON, "2026-01-15", None),
    (S4, "A7", "ana", 70, LOST, "2026-02-15", None),
    (S4, "B1", "ben", 25, WON, "2026-03-01", None),
    (S4, "A3", "ana", 40, LOST, "2026-03-15", None),
    (S4, "A2", "ana", 60, WON, "2026-03-31", None),
    (S4, "C1", "cat", 90, WON, "2026-02-10", None),
    (S4, "A4", "ana", 30, PROS, "2026-05-15", None),
    (S4, "B2", "ben", 15, LOST, "2026-03-20", None),
    (S4, "A5", "ana", 80, QUAL, "2026-03-10", "Omitted"),
    (S4, "A6", "ana", 500, NEG, "2026-05-01", None),
]
REPS = [("ana", "Kim", "East"), ("ben", "Kim", "East"), ("cat", "Lee", "West")]
QUOTAS = [
    ("ana", "2026-01-01", "total", 100),
    ("ana", "2026-02-01", "total", 100),
    ("ana", "2026-03-01", "total", 100),
    ("ana", "2026-04-01", "total", 999),  # outside Q1
    ("ben", "2026-02-01", "new", 20),
    ("ben", "2026-03-01", "new", 20),
    ("ben", "2026-03-01", "existing", 10),
]


def _load(con, deals=DEALS) -> None:
    con.executemany(
        "INSERT INTO opportunity_snapshot_rows (load_id, as_of, opportunity_id, owner, amount,"
        " stage, close_date, forecast_category) VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
        deals,
    )
    con.executemany("INSERT INTO rep_rows (load_id, rep, manager, team) VALUES (1, ?, ?, ?)", REPS)
    con.executemany(
        "INSERT INTO quota_rows (load_id, rep, month, type, amount) VALUES (1, ?, ?, ?, ?)", QUOTAS
    )


@pytest.fixture
def db(con):
    _load(con)
    return con


def _records(frame: pd.DataFrame) -> list[dict]:
    """Records with NaN turned into None so whole-record comparisons work."""
    return [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
        for r in frame.to_dict("records")
    ]


# --- rollup -----------------------------------------------------------------------------------


def test_rollup_per_rep_at_quarter_end(db):
    got = forecast.forecast_rollup(db, "2026-Q1", as_of=S3)
    assert _records(got) == [
        # zed is not in the reps file: no team, no manager, no quota
        {"rep": "zed", "team": "(no team)", "manager": None, "quota": None, "closed": 10.0,
         "commit": 10.0, "best_case": 10.0, "pipeline": 0.0, "gap_closed": None,
         "gap_commit": None, "gap_best_case": None, "gap_pipeline": None},
        # A1 won 100; open A2 60 Commit; A3 40 Best Case; A4 30 Pipeline; A5 Omitted; A6 after P
        {"rep": "ana", "team": "East", "manager": "Kim", "quota": 300.0, "closed": 100.0,
         "commit": 160.0, "best_case": 200.0, "pipeline": 130.0, "gap_closed": 200.0,
         "gap_commit": 140.0, "gap_best_case": 100.0, "gap_pipeline": 170.0},
        # quota: Feb new 20 + Mar new 20 + Mar existing 10; B2 is 'best case' in lower case
        {"rep": "ben", "team": "East", "manager": "Kim", "quota": 50.0, "closed": 25.0,
         "commit": 25.0, "best_case": 40.0, "pipeline": 15.0, "gap_closed": 25.0,
         "gap_commit": 25.0, "gap_best_case": 10.0, "gap_pipeline": 35.0},
        {"rep": "cat", "team": "West", "manager": "Lee", "quota": None, "closed": 0.0,
         "commit": 90.0, "best_case": 90.0, "pipeline": 90.0, "gap_closed": None,
         "gap_commit": None, "gap_best_case": None, "gap_pipeline": None},
    ]  # fmt: skip


def test_rollup_team_filter_and_as_of_earlier_snapshot(db):
    got = forecast.forecast_rollup(db, "2026-Q1", as_of=date(2026, 2, 20), team="East")
    cols = ["rep", "closed", "commit", "best_case", "pipeline", "gap_commit"]
    # as of S2: ana A1 won 100; open A7 70 Commit; A3 40 and A2 60 Best Case; A4 35 Pipeline
    assert got[cols].to_dict("records") == [
        {"rep": "ana", "closed": 100.0, "commit": 170.0, "best_case": 270.0, "pipeline": 205.0,
         "gap_commit": 130.0},
        {"rep": "ben", "closed": 0.0, "commit": 25.0, "best_case": 25.0, "pipeline": 25.0,
         "gap_commit": 25.0},
    ]  # fmt: skip


def test_rollup_by_manager_sums_reps_and_adds_a_total(db):
    got = forecast.rollup_by_manager(forecast.forecast_rollup(db, "2026-Q1", as_of=S3))
    cols = ["team", "manager", "reps", "quota", "closed", "commit", "best_case", "pipeline"]
    assert _records(got[[*cols, "gap_commit"]]) == [
        {"team": "(no team)", "manager": "(none)", "reps": 1, "quota": None, "closed": 10.0,
         "commit": 10.0, "best_case": 10.0, "pipeline": 0.0, "gap_commit": None},
        {"team": "East", "manager": "Kim", "reps": 2, "quota": 350.0, "closed": 125.0,
         "commit": 185.0, "best_case": 240.0, "pipeline": 145.0, "gap_commit": 165.0},
        {"team": "West", "manager": "Lee", "reps": 1, "quota": None, "closed": 0.0,
         "commit": 90.0, "best_case": 90.0, "pipeline": 90.0, "gap_commit": None},
        {"team": "Total", "manager": "", "reps": 4, "quota": 350.0, "closed": 135.0,
         "commit": 285.0, "best_case": 340.0, "pipeline": 235.0, "gap_commit": 65.0},
    ]  # fmt: skip


def test_rollup_rejects_a_bad_period(db):
    with pytest.raises(PeriodError):
        forecast.forecast_rollup(db, "2026-Q5")


# --- stage win rates and the statistical forecast ---------------------------------------------


def test_stage_win_rates_learned_from_history(db):
    got = forecast.stage_win_rates(db, as_of=S3, min_deals=2)
    assert _records(got) == [
        # A3, A4, B2 seen; none closed by S3: the mapping's default
        {"stage": PROS, "stage_order": 1, "deals_seen": 3, "closed": 0, "won": 0,
         "history_rate": None, "default_probability": 0.1, "probability": 0.1,
         "source": "default"},
        {"stage": QUAL, "stage_order": 2, "deals_seen": 1, "closed": 0, "won": 0,
         "history_rate": None, "default_probability": 0.1, "probability": 0.1,
         "source": "default"},
        # A7 (lost), B1 (won), A3, C1: 1 of 2 closed won
        {"stage": PROP, "stage_order": 7, "deals_seen": 4, "closed": 2, "won": 1,
         "history_rate": 0.5, "default_probability": 0.75, "probability": 0.5,
         "source": "history"},
        # A1, Z1, B1 won, A7 lost; A2, C1, A6 open
        {"stage": NEG, "stage_order": 8, "deals_seen": 7, "closed": 4, "won": 3,
         "history_rate": 0.75, "default_probability": 0.9, "probability": 0.75,
         "source": "history"},
    ]  # fmt: skip


def test_stage_win_rates_use_only_history_known_at_the_date(db):
    got = forecast.stage_win_rates(db, as_of=S2, min_deals=2)
    assert got[["stage", "closed", "won", "probability", "source"]].to_dict("records") == [
        {"stage": PROS, "closed": 0, "won": 0, "probability": 0.1, "source": "default"},
        {"stage": PROP, "closed": 0, "won": 0, "probability": 0.75, "source": "default"},
        {"stage": NEG, "closed": 2, "won": 2, "probability": 1.0, "source": "history"},
    ]


def test_statistical_forecast_expected_value_is_exact(db):
    got = forecast.statistical_forecast(db, "2026-Q1", as_of=S3, min_deals=2)
    # closed 135 + A2 60×.75 + C1 90×.75 + A3 40×.5 + A4 30×.1 + B2 15×.1 (A5 is Omitted)
    assert got["expected"] == pytest.approx(272.0)
    assert (got["closed"], got["quota"], got["open_deals"], got["open_amount"]) == (
        135.0,
        350.0,
        5,
        235.0,
    )
    assert got["fallback_stages"] == [PROS]
    assert "Prospecting" in got["note"] and "default probability" in got["note"]
    assert got["p10"] <= got["p50"] <= got["p90"]
    assert 135.0 <= got["p10"] and got["p90"] <= 135.0 + 235.0


def test_statistical_forecast_quantiles_of_one_deal(db):
    # West = C1 only: 90 won with p .75 → 0 with 25 %, 90 with 75 %
    got = forecast.statistical_forecast(db, "2026-Q1", as_of=S3, team="West", min_deals=2)
    assert (got["expected"], got["p10"], got["p50"], got["p90"]) == (67.5, 0.0, 90.0, 90.0)


def test_statistical_forecast_two_deals_with_default_probabilities(con):
    # One snapshot: no history, so the stage mapping's defaults (.9 and .75) apply.
    _load(
        con,
        [
            (S1, "W", "ana", 50, WON, "2026-01-02", None),
            (S1, "D1", "ana", 100, NEG, "2026-02-01", None),
            (S1, "D2", "ana", 300, PROP, "2026-03-01", None),
        ],
    )
    got = forecast.statistical_forecast(con, "2026-Q1")
    assert got["expected"] == pytest.approx(50 + 0.9 * 100 + 0.75 * 300)  # 365
    # open total: 0 (2.5 %), 100 (22.5 %), 300 (7.5 %), 400 (67.5 %); CDF .025, .25, .325, 1
    assert (got["p10"], got["p50"], got["p90"]) == (150.0, 450.0, 450.0)
    assert got["fallback_stages"] == [NEG, PROP]
    assert got["note"].startswith(forecast.NEEDS_HISTORY)


def test_statistical_forecast_is_seeded(db):
    a = forecast.statistical_forecast(db, "2026-Q1", as_of=S2, seed=11)
    b = forecast.statistical_forecast(db, "2026-Q1", as_of=S2, seed=11)
    assert a == b


def test_simulate_mean_and_spread_within_monte_carlo_error():
    amounts = np.array([100.0, 300.0])
    probs = np.array([0.8, 0.3])
    totals = forecast.simulate(amounts, probs, draws=10_000, seed=3)
    # mean 170, sd sqrt(100²·.16 + 300²·.21) = sqrt(20500) ≈ 143; 5 standard errors ≈ 7.2
    assert abs(totals.mean() - 170.0) < 7.2
    # 0 w.p. .14, 100 w.p. .56, 300 w.p. .06, 400 w.p. .24
    assert list(np.percentile(totals, [10, 50, 90])) == [0.0, 100.0, 400.0]
    assert np.array_equal(totals, forecast.simulate(amounts, probs, draws=10_000, seed=3))
    assert not np.array_equal(totals, forecast.simulate(amounts, probs, draws=10_000, seed=4))


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 10_000), st.sampled_from([0.0, 0.2, 0.5, 1.0])),
        max_size=12,
    ),
    st.integers(0, 2**31),
)
def test_simulate_stays_between_sure_wins_and_everything(deals, seed):
    amounts = np.array([float(a) for a, _ in deals])
    probs = np.array([p for _, p in deals])
    totals = forecast.simulate(amounts, probs, draws=500, seed=seed)
    sure = float(amounts[probs == 1.0].sum())
    possible = float(amounts[probs > 0].sum())
    assert totals.min() >= sure and totals.max() <= possible


def test_statistical_forecast_is_fast_on_the_demo_company(con):
    build_demo(con, today=date(2026, 11, 23))
    forecast.statistical_forecast(con, "2026-Q4")  # warm the connection
    start = time.perf_counter()
    got = forecast.statistical_forecast(con, "2026-Q4")
    assert time.perf_counter() - start < 1.0
    assert got["draws"] == 10_000 and got["p10"] <= got["p50"] <= got["p90"]


# --- calibration, trend, accuracy -------------------------------------------------------------


def test_calibration_buckets_predicted_against_realised(db):
    got = forecast.calibration(db, as_of=S3, min_deals=2)
    # closed deals' (deal, stage) pairs: A1 NEG won, Z1 NEG won, A7 PROP lost, A7 NEG lost,
    # B1 PROP won, B1 NEG won. Entered before any NEG deal closed → default .9 for all of them
    # except B1 and A7 in NEG (entered at S2, after A1 and Z1 closed): learned 2/2 = 1.0.
    assert got.to_dict("records") == [
        {"model": "statistical", "bucket": "70–80%", "observations": 2, "predicted": 0.75,
         "realised": 0.5},
        {"model": "statistical", "bucket": "90–100%", "observations": 4,
         "predicted": pytest.approx(0.95),
         "realised": 0.75},
        {"model": "stage mapping", "bucket": "70–80%", "observations": 2, "predicted": 0.75,
         "realised": 0.5},
        {"model": "stage mapping", "bucket": "90–100%", "observations": 4, "predicted": 0.9,
         "realised": 0.75},
    ]  # fmt: skip


def test_forecast_trend_one_row_per_snapshot_in_the_quarter(db):
    got = forecast.forecast_trend(db, "2026-Q1", min_deals=2)
    cols = ["as_of", "closed", "commit", "best_case", "quota", "stat_expected", "pipeline"]
    assert got[cols].to_dict("records") == [
        # S1: no history; A1 .9×100, A7 .75×70, B1 .75×25, A3 .1×40, Z1 .9×10
        {"as_of": pd.Timestamp(S1), "closed": 0.0, "commit": 110.0, "best_case": 205.0,
         "quota": 350.0, "stat_expected": pytest.approx(174.25), "pipeline": 245.0},
        # S2: NEG learned 2/2; A7 70 + B1 25 + A2 60 at 1.0, C1 .75×90, A3 .75×40, A4 .1×35
        {"as_of": pd.Timestamp(S2), "closed": 110.0, "commit": 295.0, "best_case": 395.0,
         "quota": 350.0, "stat_expected": pytest.approx(366.0), "pipeline": 320.0},
        {"as_of": pd.Timestamp(S3), "closed": 135.0, "commit": 285.0, "best_case": 340.0,
         "quota": 350.0, "stat_expected": pytest.approx(272.0), "pipeline": 235.0},
    ]  # fmt: skip
    assert (got["stat_p10"] <= got["stat_p50"]).all() and (got["stat_p50"] <= got["stat_p90"]).all()


def test_forecast_accuracy_by_week_of_a_closed_quarter(db):
    got = forecast.forecast_accuracy(db, "2026-Q1", min_deals=2)
    actual = 285.0  # A1 100 + Z1 10 + B1 25 + A2 60 + C1 90, as of S4
    expected = [
        (1, S1, 110.0, 205.0, 174.25),
        (5, S2, 295.0, 395.0, 366.0),
        (13, S3, 285.0, 340.0, 272.0),
    ]
    assert got.to_dict("records") == [
        {"week": w, "as_of": pd.Timestamp(s), "actual": actual, "commit": c, "best_case": b,
         "statistical": pytest.approx(x), "commit_error": pytest.approx((c - actual) / actual),
         "best_case_error": pytest.approx((b - actual) / actual),
         "statistical_error": pytest.approx((x - actual) / actual)}
        for w, s, c, b, x in expected
    ]  # fmt: skip


def test_forecast_accuracy_per_rep(db):
    got = forecast.forecast_accuracy_by_rep(db, "2026-Q1", team="West", min_deals=2)
    # C1 90 won; at S1 absent; at S2 Proposal (.75), at S3 Negotiation (learned .75)
    assert got[["rep", "week", "actual", "commit", "statistical"]].to_dict("records") == [
        {"rep": "cat", "week": 1, "actual": 90.0, "commit": 0.0, "statistical": 0.0},
        {"rep": "cat", "week": 5, "actual": 90.0, "commit": 90.0, "statistical": 67.5},
        {"rep": "cat", "week": 13, "actual": 90.0, "commit": 90.0, "statistical": 67.5},
    ]
    summary = forecast.accuracy_summary(got)
    assert summary.to_dict("records") == [
        {"rep": "cat", "actual": 90.0, "weeks": 3, "commit_mae": pytest.approx(1 / 3),
         "best_case_mae": pytest.approx(1 / 3), "statistical_mae": pytest.approx(0.5)},
    ]  # fmt: skip


def test_forecast_accuracy_needs_a_closed_period(db):
    with pytest.raises(forecast.ForecastError, match="2026-Q2 is not closed yet"):
        forecast.forecast_accuracy(db, "2026-Q2")


# --- what changed -----------------------------------------------------------------------------


def test_what_changed_since_the_previous_snapshot(db):
    got = forecast.what_changed(db, "2026-Q1", as_of=S3)
    assert (got.attrs["s0"], got.attrs["s1"]) == (S2, S3)
    cols = ["change", "opportunity_id", "stage_before", "stage_after", "close_after", "value"]
    rows = _records(got[cols].assign(close_after=got["close_after"].astype(str)))
    assert rows == [
        {"change": "new", "opportunity_id": "A5", "stage_before": None, "stage_after": QUAL,
         "close_after": "2026-03-10", "value": 80.0},
        {"change": "new", "opportunity_id": "B2", "stage_before": None, "stage_after": PROS,
         "close_after": "2026-03-20", "value": 15.0},
        {"change": "pushed", "opportunity_id": "A3", "stage_before": PROP, "stage_after": PROP,
         "close_after": "2026-03-15", "value": 40.0},
        {"change": "amount down", "opportunity_id": "A4", "stage_before": PROS,
         "stage_after": PROS, "close_after": "2026-02-28", "value": -5.0},
        {"change": "stage moved", "opportunity_id": "C1", "stage_before": PROP,
         "stage_after": NEG, "close_after": "2026-02-10", "value": 90.0},
        {"change": "category moved", "opportunity_id": "A2", "stage_before": NEG,
         "stage_after": NEG, "close_after": "2026-03-31", "value": 60.0},
        {"change": "won", "opportunity_id": "B1", "stage_before": NEG, "stage_after": WON,
         "close_after": "2026-03-01", "value": 25.0},
        {"change": "lost", "opportunity_id": "A7", "stage_before": NEG, "stage_after": LOST,
         "close_after": "2026-02-15", "value": 70.0},
    ]  # fmt: skip
    assert forecast.change_totals(got).to_dict("records") == [
        {"change": "new", "deals": 2, "value": 95.0},
        {"change": "pushed", "deals": 1, "value": 40.0},
        {"change": "pulled in", "deals": 0, "value": 0.0},
        {"change": "amount up", "deals": 0, "value": 0.0},
        {"change": "amount down", "deals": 1, "value": -5.0},
        {"change": "stage moved", "deals": 1, "value": 90.0},
        {"change": "category moved", "deals": 1, "value": 60.0},
        {"change": "won", "deals": 1, "value": 25.0},
        {"change": "lost", "deals": 1, "value": 70.0},
    ]


def test_what_changed_since_the_start_of_the_quarter(db):
    got = forecast.what_changed(db, "2026-Q1", as_of=S2, since=date(2026, 1, 1), rep="ana")
    # no snapshot on or before Jan 1: compare with the first one (S1)
    assert (got.attrs["s0"], got.attrs["s1"]) == (S1, S2)
    assert got[["change", "opportunity_id", "value"]].to_dict("records") == [
        {"change": "new", "opportunity_id": "A2", "value": 60.0},
        {"change": "new", "opportunity_id": "A4", "value": 35.0},
        {"change": "stage moved", "opportunity_id": "A7", "value": 70.0},
        {"change": "stage moved", "opportunity_id": "A3", "value": 40.0},
        {"change": "category moved", "opportunity_id": "A7", "value": 70.0},
        {"change": "category moved", "opportunity_id": "A3", "value": 40.0},
        {"change": "won", "opportunity_id": "A1", "value": 100.0},
    ]


# --- one snapshot only ------------------------------------------------------------------------


def test_one_snapshot_gives_a_clear_needs_history_message(con):
    _load(con, [row for row in DEALS if row[0] == S3])
    assert forecast.history_note(con) == forecast.NEEDS_HISTORY
    assert "needs snapshot history" in forecast.NEEDS_HISTORY
    with pytest.raises(forecast.ForecastError, match="needs snapshot history"):
        forecast.what_changed(con, "2026-Q1")
    stat = forecast.statistical_forecast(con, "2026-Q1")
    assert stat["note"].startswith(forecast.NEEDS_HISTORY)
    assert set(forecast.stage_win_rates(con)["source"]) == {"default"}
    assert len(forecast.forecast_trend(con, "2026-Q1")) == 1


# --- forecast calls and must-win --------------------------------------------------------------


def test_forecast_calls_saved_and_compared_with_the_outcome(db):
    forecast.save_forecast_call(db, "2026-Q1", "Kim", 250, 300, called_on=S2, note="first")
    forecast.save_forecast_call(db, "2026-Q1", "Kim", 250, 320, called_on=S2)  # replaces
    forecast.save_forecast_call(db, "2026-Q1", "Lee", 80, 90, called_on=S3)
    got = forecast.forecast_calls(db, "2026-Q1")
    # Kim manages ana (160) and ben (25); Lee manages cat (90); the quarter closed at S4
    assert got.to_dict("records") == [
        {"manager": "Kim", "called_on": pd.Timestamp(S2), "commit": 250.0, "best_case": 320.0,
         "note": None, "actual": 185.0, "period_closed": True,
         "commit_error": pytest.approx(65 / 185), "best_case_error": pytest.approx(135 / 185)},
        {"manager": "Lee", "called_on": pd.Timestamp(S3), "commit": 80.0, "best_case": 90.0,
         "note": None, "actual": 90.0, "period_closed": True,
         "commit_error": pytest.approx(-10 / 90), "best_case_error": 0.0},
    ]  # fmt: skip
    assert forecast.forecast_calls(db, "2026-Q1", team="West")["manager"].tolist() == ["Lee"]


@pytest.mark.parametrize(
    ("manager", "commit", "best", "message"),
    [
        ("", 1, 2, "manager"),
        ("Kim", -1, 2, "0 or more"),
        ("Kim", 5, 2, "below the commit"),
    ],
)
def test_forecast_call_mistakes_are_refused(db, manager, commit, best, message):
    with pytest.raises(forecast.ForecastError, match=message):
        forecast.save_forecast_call(db, "2026-Q1", manager, commit, best)
    assert db.execute("SELECT count(*) FROM forecast_calls").fetchone()[0] == 0


def test_must_win_suggests_the_largest_deals_that_close_the_gap(db):
    got = forecast.must_win_candidates(db, "2026-Q1", as_of=S3)
    # gap = quota 350 − closed 135 = 215: C1 90 + A2 60 + A3 40 + A4 30 = 220 crosses it
    assert got[["opportunity_id", "amount", "risk", "suggested", "marked"]].to_dict(
        "records"
    ) == [
        {"opportunity_id": "C1", "amount": 90.0, "risk": "past due", "suggested": True,
         "marked": False},
        {"opportunity_id": "A2", "amount": 60.0, "risk": "no change for 56 days",
         "suggested": True, "marked": False},
        {"opportunity_id": "A3", "amount": 40.0, "risk": "past due, not in commit",
         "suggested": True, "marked": False},
        {"opportunity_id": "A4", "amount": 30.0, "risk": "past due, not in commit",
         "suggested": True, "marked": False},
        {"opportunity_id": "B2", "amount": 15.0, "risk": "past due, not in commit",
         "suggested": False, "marked": False},
    ]  # fmt: skip


def test_must_win_marks_are_remembered_and_followed_to_the_outcome(db):
    shown = ["C1", "A2", "A3", "A4", "B2"]
    with pytest.raises(forecast.ForecastError, match="not in the list"):
        forecast.save_must_win(db, "2026-Q1", ["A7"], shown)
    forecast.save_must_win(db, "2026-Q1", ["C1", "A2"], shown)
    now = forecast.must_win_deals(db, "2026-Q1", as_of=S3)
    assert now[["opportunity_id", "status"]].to_dict("records") == [
        {"opportunity_id": "C1", "status": "marked"},
        {"opportunity_id": "A2", "status": "marked"},
    ]
    later = forecast.must_win_deals(db, "2026-Q1")  # S4: both won
    assert later[["opportunity_id", "amount", "status"]].to_dict("records") == [
        {"opportunity_id": "A2", "amount": 60.0, "status": "won"},
        {"opportunity_id": "C1", "amount": 90.0, "status": "won"},
    ]
    forecast.save_must_win(db, "2026-Q1", ["C1"], ["C1", "A2"])  # unmark A2
    assert db.execute("SELECT opportunity_id FROM must_win").fetchall() == [("C1",)]


# --- the quarter at a glance ------------------------------------------------------------------


def test_quarter_glance(db):
    got = forecast.quarter_glance(db, "2026-Q1", as_of=S3)
    plain = {k: v for k, v in got.items() if k not in ("changes", "top_changes", "p10", "p90")}
    assert plain == {
        "period": "2026-Q1",
        "as_of": S3,
        "bookings": 135.0,
        "quota": 350.0,
        "attainment": pytest.approx(135 / 350),
        "commit": 285.0,
        "best_case": 340.0,
        # default probabilities (fewer than 20 closed deals per stage): 135 + 54 + 81 + 30 + 4.5
        "statistical": pytest.approx(304.5),
        "pipeline": 235.0,
        "coverage": pytest.approx(235 / 215),
        "covered": False,
        "required_coverage": None,  # nothing closed in the four quarters before 2026-Q1
        "at_risk_deals": 5,  # C1, A3, A4, B2 past due; A2 stale
        "at_risk_amount": 235.0,
        "compared_with": S2,
    }
    assert got["top_changes"]["opportunity_id"].tolist() == ["C1", "A5", "A7", "A2", "A3"]


def test_deals_at_risk_per_team(db):
    q1 = (date(2026, 1, 1), date(2026, 4, 1))
    assert forecast.deals_at_risk(db, *q1, as_of=S3, team="East") == (4, 145.0)  # A2 A3 A4 B2
    assert forecast.deals_at_risk(db, *q1, as_of=S3, team="West") == (1, 90.0)  # C1
    # A6 (500, closes 2026-05-01) is in Q2 but raises no flag as of S3
    assert forecast.deals_at_risk(db, date(2026, 4, 1), date(2026, 7, 1), as_of=S3) == (0, 0.0)


# --- command line -----------------------------------------------------------------------------


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def db_file(tmp_path):
    path = tmp_path / "cli.duckdb"
    con = store.connect(path)
    _load(con)
    con.close()
    return str(path)


def test_cli_forecast_json(db_file, capsys):
    code, out, _ = _cli(
        capsys, "report", "forecast", "--db", db_file, "--period", "2026-Q1",
        "--as-of", "2026-03-30", "--team", "East", "--format", "json",
    )  # fmt: skip
    assert code == 0
    assert json.loads(out) == [
        {"rep": "ana", "quota": 300.0, "closed": 100.0, "commit": 160.0, "best_case": 200.0,
         "pipeline": 130.0, "gap_closed": 200.0, "gap_commit": 140.0, "gap_best_case": 100.0,
         "gap_pipeline": 170.0},
        {"rep": "ben", "quota": 50.0, "closed": 25.0, "commit": 25.0, "best_case": 40.0,
         "pipeline": 15.0, "gap_closed": 25.0, "gap_commit": 25.0, "gap_best_case": 10.0,
         "gap_pipeline": 35.0},
    ]  # fmt: skip


def test_cli_stat_forecast_matches_the_function(db_file, capsys):
    code, out, _ = _cli(
        capsys, "report", "stat-forecast", "--db", db_file, "--period", "2026-Q1",
        "--as-of", "2026-03-30", "--seed", "5", "--format", "json",
    )  # fmt: skip
    assert code == 0
    con = store.connect(db_file)
    want = forecast.statistical_forecast(con, "2026-Q1", as_of=S3, seed=5)
    con.close()
    assert json.loads(out) == [{k: want[k] for k in ("expected", "p10", "p50", "p90")}]


def test_cli_forecast_accuracy_and_its_errors(db_file, capsys):
    code, out, _ = _cli(
        capsys, "report", "forecast-accuracy", "--db", db_file, "--period", "2026-Q1",
        "--format", "json",
    )  # fmt: skip
    assert code == 0
    assert [r["week"] for r in json.loads(out)] == [1, 5, 13]
    code, _, err = _cli(
        capsys, "report", "forecast-accuracy", "--db", db_file, "--period", "2026-Q2"
    )
    assert code == 2 and "not closed yet" in err and "Traceback" not in err
    code, _, err = _cli(capsys, "report", "forecast", "--db", db_file)
    assert code == 2 and "needs --period" in err
