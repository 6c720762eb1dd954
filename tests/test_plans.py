"""Plans: reverse funnel by hand, defaults from history, flags, phasing, allocation, scenarios."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spm import plans
from spm.cli import main
from spm.ingest import undo_load

S1, S2 = date(2026, 6, 1), date(2027, 1, 5)

# (as_of, id, owner, amount, stage, close_date, product, lead_source)
DEALS = [
    # S1: the open states that tell how far each deal got
    (S1, "A1", "ana", 30000, "Proposal/Price Quote", "2026-07-10", "Core", "self"),
    (S1, "A2", "ana", 10000, "Negotiation/Review", "2026-08-01", "Core", "self"),
    (S1, "A3", "ana", 25000, "Proposal/Price Quote", "2026-09-01", "Core", "marketing"),
    (S1, "A4", "ana", 25000, "Qualification", "2026-09-01", "Core", "marketing"),
    (S1, "A5", "ana", 25000, "Prospecting", "2026-09-01", "Core", "marketing"),
    (S1, "B1", "ben", 8000, "Proposal/Price Quote", "2026-07-15", "Svc", "self"),
    (S1, "B2", "ben", 12000, "Negotiation/Review", "2026-11-15", "Svc", "self"),
    (S1, "B3", "ben", 9000, "Proposal/Price Quote", "2026-08-01", "Svc", "self"),
    (S1, "B4", "ben", 9000, "Proposal/Price Quote", "2026-08-01", "Svc", "self"),
    (S1, "B5", "ben", 9000, "Qualification", "2026-08-01", "Svc", "self"),
    # S2: final states
    (S2, "A1", "ana", 30000, "Closed Won", "2026-07-10", "Core", "self"),
    (S2, "A2", "ana", 10000, "Closed Won", "2026-08-01", "Core", "self"),
    (S2, "A3", "ana", 25000, "Closed Lost", "2026-09-01", "Core", "marketing"),
    (S2, "A4", "ana", 25000, "Closed Lost", "2026-09-01", "Core", "marketing"),
    (S2, "A5", "ana", 25000, "Closed Lost", "2026-09-01", "Core", "marketing"),
    (S2, "A6", "ana", 25000, "Closed Lost", "2026-03-01", "Core", "marketing"),  # never seen open
    (S2, "A7", "ana", 5000, "Closed Won", "2026-10-01", "Svc", "self"),  # never seen open
    (S2, "A8", "ana", 20000, "Negotiation/Review", "2027-02-01", "Core", "self"),  # open, p 0.9
    (S2, "B1", "ben", 8000, "Closed Won", "2026-07-15", "Svc", "self"),
    (S2, "B2", "ben", 12000, "Closed Won", "2026-11-15", "Svc", "self"),
    (S2, "B3", "ben", 9000, "Closed Lost", "2026-08-01", "Svc", "self"),
    (S2, "B4", "ben", 9000, "Closed Lost", "2026-08-01", "Svc", "self"),
    (S2, "B5", "ben", 9000, "Closed Lost", "2026-08-01", "Svc", "self"),
    (S2, "B6", "ben", 6000, "Closed Won", "2027-01-03", "Svc", "self"),  # contracted in FY2027
]
REPS = [
    ("ana", "East", "hunter", "2020-01-01", 3),
    ("ben", "East", "farmer", "2020-01-01", 3),
]


def _load(con) -> None:
    con.executemany(
        "INSERT INTO opportunity_snapshot_rows (load_id, as_of, opportunity_id, owner, amount,"
        " stage, close_date, product, lead_source) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
        DEALS,
    )
    con.executemany(
        "INSERT INTO rep_rows (load_id, rep, team, role, hire_date, ramp_months)"
        " VALUES (2, ?, ?, ?, ?, ?)",
        REPS,
    )
    months = pd.date_range("2027-01-01", periods=12, freq="MS").date
    rows = [(r, m, "total", a) for r, a in (("ana", 10000), ("ben", 5000)) for m in months]
    con.executemany("INSERT INTO quota_rows VALUES (3, ?, ?, ?, ?)", rows)
    for load_id, kind in ((1, "opportunities"), (2, "reps"), (3, "quotas")):
        con.execute(
            "INSERT INTO loads VALUES (?, ?, 'test', 'h', NULL, current_timestamp, 0, 0,"
            " 'active', NULL)",
            [load_id, kind],
        )


@pytest.fixture
def db(con):
    _load(con)
    return con


def _approx(rows: list[dict]) -> list:
    return [pytest.approx(r, nan_ok=True) for r in rows]


# --- reverse funnel ---------------------------------------------------------------------------


def test_reverse_funnel_arithmetic_by_hand():
    inputs = pd.DataFrame(
        [
            {"offering": "Core", "target": 120000.0, "ads": 20000.0, "win_rate": 0.5,
             "proposal_rate": 0.75, "qualify_rate": 0.8},
            {"offering": "Svc", "target": 30000.0, "ads": 10000.0, "win_rate": 0.25,
             "proposal_rate": 1.0, "qualify_rate": 0.5},
        ]
    )  # fmt: skip
    out = plans.reverse_funnel(inputs)
    assert out.to_dict("records") == [
        {"offering": "Core", "target": 120000.0, "ads": 20000.0, "win_rate": 0.5,
         "proposal_rate": 0.75, "qualify_rate": 0.8, "deals_needed": 6.0,
         "proposals_needed": 12.0, "opportunities_needed": 16.0, "prospects_needed": 20.0},
        {"offering": "Svc", "target": 30000.0, "ads": 10000.0, "win_rate": 0.25,
         "proposal_rate": 1.0, "qualify_rate": 0.5, "deals_needed": 3.0,
         "proposals_needed": 12.0, "opportunities_needed": 12.0, "prospects_needed": 24.0},
    ]  # fmt: skip
    assert plans.plan_total(out) == {
        "offering": "Total", "target": 150000.0, "ads": 150000 / 9, "win_rate": 9 / 24,
        "proposal_rate": 24 / 28, "qualify_rate": 28 / 44, "deals_needed": 9.0,
        "proposals_needed": 24.0, "opportunities_needed": 28.0, "prospects_needed": 44.0,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("ads", 0.0, "Core: average deal size must be above 0"),
        ("win_rate", 1.5, "Core: win rate must be above 0% and at most 100%"),
        ("qualify_rate", 0.0, "Core: qualification rate must be above 0% and at most 100%"),
        ("target", -1.0, "Core: the target cannot be negative"),
    ],
)
def test_reverse_funnel_refuses_impossible_inputs(column, value, message):
    row = {"offering": "Core", "target": 1.0, "ads": 1.0, "win_rate": 0.5,
           "proposal_rate": 0.5, "qualify_rate": 0.5}  # fmt: skip
    row[column] = value
    with pytest.raises(plans.PlanError, match=message):
        plans.reverse_funnel(pd.DataFrame([row]))


def test_funnel_history_counts_how_far_each_deal_got(db):
    assert plans.stage_orders(db) == (2, 7)
    window = plans.history_window(db, plans.fiscal_year(db, "FY2027"), None)
    assert (window.start, window.end) == (date(2026, 1, 1), date(2027, 1, 1))
    hist = plans.funnel_history(db, window)
    by = hist.groupby(["rep", "offering"])[plans.COUNTS].sum().reset_index()
    assert by.to_dict("records") == [
        # A6 was never seen open, so it counts as having reached every stage
        {"rep": "ana", "offering": "Core", "prospects": 6.0, "opportunities": 5.0,
         "proposals": 4.0, "won": 2.0, "lost": 4.0, "bookings": 40000.0},
        {"rep": "ana", "offering": "Svc", "prospects": 1.0, "opportunities": 1.0,
         "proposals": 1.0, "won": 1.0, "lost": 0.0, "bookings": 5000.0},
        {"rep": "ben", "offering": "Svc", "prospects": 5.0, "opportunities": 5.0,
         "proposals": 4.0, "won": 2.0, "lost": 3.0, "bookings": 20000.0},
    ]  # fmt: skip


def test_plan_defaults_own_history_team_median_and_team_mix(db):
    out = plans.plan_defaults(db, "ana", "FY2027")
    # ana won 3 deals (< 5): the team's mix, Core 40,000 : Svc 25,000 of a 120,000 quota
    assert out.to_dict("records") == _approx(
        [
            {"offering": "Core", "target": 73846.15, "ads": 20000.0, "win_rate": 0.5,
             "proposal_rate": 0.8, "qualify_rate": 5 / 6, "basis": "own history"},
            {"offering": "Svc", "target": 46153.85, "ads": 10000.0, "win_rate": 0.5,
             "proposal_rate": 0.8, "qualify_rate": 1.0, "basis": "team median"},
        ]
    )  # fmt: skip
    # last year's funnel reproduces itself: 2 won / 0.5 / 0.8 / (5/6) = 6 prospects
    one = plans.reverse_funnel(out.assign(target=[40000.0, 0.0]))
    assert one.loc[0, NEEDED].tolist() == pytest.approx([2.0, 4.0, 5.0, 6.0])


NEEDED = plans.NEEDED_COLUMNS


def test_drivers_flagged_against_own_history_and_team_best(db):
    out = plans.drivers_vs_last_year(db, "ana", "FY2027")
    core_deals = 73846.15 / 20000
    svc_deals = 46153.85 / 10000
    assert out.to_dict("records") == _approx(
        [
            {"offering": "Core", "driver": "deals", "plan": core_deals, "last_year": 2.0,
             "team_best": 2.0, "flag": "stretch"},
            {"offering": "Core", "driver": "ads", "plan": 20000.0, "last_year": 20000.0,
             "team_best": 20000.0, "flag": "in line with last year"},
            {"offering": "Core", "driver": "win_rate", "plan": 0.5, "last_year": 0.5,
             "team_best": 0.5, "flag": "in line with last year"},
            {"offering": "Core", "driver": "opportunities", "plan": core_deals / 0.5 / 0.8,
             "last_year": 5.0, "team_best": 5.0, "flag": "stretch"},
            {"offering": "Svc", "driver": "deals", "plan": svc_deals, "last_year": 1.0,
             "team_best": 2.0, "flag": "stretch"},
            {"offering": "Svc", "driver": "ads", "plan": 10000.0, "last_year": 5000.0,
             "team_best": 10000.0, "flag": "aggressive but attainable"},
            # ana's own 1 of 1 is too few deals to count as the team's best
            {"offering": "Svc", "driver": "win_rate", "plan": 0.5, "last_year": 1.0,
             "team_best": 0.5, "flag": "below last year"},
            {"offering": "Svc", "driver": "opportunities", "plan": svc_deals / 0.5 / 0.8,
             "last_year": 1.0, "team_best": 5.0, "flag": "stretch"},
        ]
    )  # fmt: skip


@pytest.mark.parametrize(
    ("plan", "last", "best", "expected"),
    [
        (12, 10, 15, "aggressive but attainable"),
        (16, 10, 15, "stretch"),
        (9, 10, 15, "below last year"),
        (10, 10, 15, "in line with last year"),
        (5, math.nan, 15, "no history"),
        (20, math.nan, 15, "stretch"),
        (math.nan, 10, 15, ""),
    ],
)
def test_flag(plan, last, best, expected):
    assert plans.flag(plan, last, best) == expected


def test_saved_plan_round_trips_and_drives_the_funnel(db):
    inputs = pd.DataFrame(
        [{"offering": "Core", "target": 100000.0, "ads": 25000.0, "win_rate": 0.4,
          "proposal_rate": 0.5, "qualify_rate": 0.5}]
    )  # fmt: skip
    plans.save_plan(db, "ana", "FY2027", inputs)
    out = plans.business_plan(db, "ana", "FY2027")
    assert out.to_dict("records") == [
        {"offering": "Core", "target": 100000.0, "ads": 25000.0, "win_rate": 0.4,
         "proposal_rate": 0.5, "qualify_rate": 0.5, "deals_needed": 4.0,
         "proposals_needed": 10.0, "opportunities_needed": 20.0, "prospects_needed": 40.0,
         "basis": "saved"}
    ]  # fmt: skip
    plans.delete_plan(db, "ana", "FY2027")
    assert plans.business_plan(db, "ana", "FY2027")["basis"].tolist() == [
        "own history",
        "team median",
    ]


def test_lead_sources_split_prospects_by_last_years_mix(db):
    plans.save_plan(db, "ana", "FY2027", pd.DataFrame(
        [{"offering": "Core", "target": 100000.0, "ads": 25000.0, "win_rate": 0.4,
          "proposal_rate": 0.5, "qualify_rate": 0.5}]
    ))  # fmt: skip
    out = plans.lead_source_plan(db, "ana", "FY2027")
    # ana: 7 prospects, 4 marketing (no bookings) and 3 self (45,000 booked)
    assert out.to_dict("records") == _approx(
        [
            {"lead_source": "marketing", "share": 4 / 7, "target": 0.0,
             "prospects_needed": 40 * 4 / 7, "opportunities_needed": 20 * 4 / 7},
            {"lead_source": "self", "share": 3 / 7, "target": 100000.0,
             "prospects_needed": 40 * 3 / 7, "opportunities_needed": 20 * 3 / 7},
        ]
    )  # fmt: skip


# --- phasing ----------------------------------------------------------------------------------


def test_phasing_sums_to_the_annual_figure_in_cents():
    assert plans.phase(100.0, [1, 1, 1]).tolist() == [33.34, 33.33, 33.33]
    assert plans.phase(1000.0, [0, 1, 3]).tolist() == [0.0, 250.0, 750.0]
    assert plans.phase(10.0, [0, 0]).tolist() == [5.0, 5.0]


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=0, max_value=10**12),
    st.lists(st.floats(min_value=0, max_value=1e9), min_size=1, max_size=24),
)
def test_spread_always_sums_exactly(total, weights):
    out = plans.spread(total, weights)
    assert int(out.sum()) == total and (out >= 0).all()


def test_monthly_plan_has_24_months_that_add_up_to_each_year(db):
    out = plans.monthly_plan(db, "ana", phasing="even")
    assert len(out) == 24
    assert out["fiscal_year"].unique().tolist() == ["FY2027", "FY2028"]
    by_year = out.groupby("fiscal_year")["target"].sum().round(2).to_dict()
    fy27 = plans.plan_total(plans.business_plan(db, "ana", "FY2027"))["target"]
    assert by_year["FY2027"] == pytest.approx(fy27, abs=0.001)
    assert out["target"].iloc[:12].tolist() == [10000.0] * 12  # 120,000 evenly
    assert out["deals_needed"].iloc[:12].sum() == pytest.approx(
        plans.plan_total(plans.business_plan(db, "ana", "FY2027"))["deals_needed"]
    )
    # actuals only for months already started on 2027-01-05: January's 0 so far
    assert out["actual"].iloc[0] == 0.0 and out["actual"].iloc[1:].isna().all()


# --- team view --------------------------------------------------------------------------------


def test_team_plan_goal_as_deals_times_size_and_run_rate(db):
    out = plans.team_plan(db, "FY2027")
    assert out.to_dict("records") == _approx(
        [
            {"segment": "existing", "goal": 60000.0, "ads": 10000.0, "deals_needed": 6.0,
             "last_year_bookings": 20000.0, "last_year_deals": 2.0, "contracted": 6000.0,
             "weighted_pipeline": 0.0, "run_rate": 6000.0, "run_rate_pct": 0.1},
            {"segment": "new", "goal": 120000.0, "ads": 15000.0, "deals_needed": 8.0,
             "last_year_bookings": 45000.0, "last_year_deals": 3.0, "contracted": 0.0,
             "weighted_pipeline": 18000.0, "run_rate": 18000.0, "run_rate_pct": 0.15},
            {"segment": "total", "goal": 180000.0, "ads": 13000.0,
             "deals_needed": 180000 / 13000, "last_year_bookings": 65000.0,
             "last_year_deals": 5.0, "contracted": 6000.0, "weighted_pipeline": 18000.0,
             "run_rate": 24000.0, "run_rate_pct": 24000 / 180000},
        ]
    )  # fmt: skip
    assert plans.team_sentences(out) == [
        "$60.0k from existing accounts = 6 deals × $10.0k average size",
        "$120.0k from new accounts = 8 deals × $15.0k average size",
    ]


# --- allocation -------------------------------------------------------------------------------


def test_overrides_are_kept_and_the_rest_is_re_spread():
    out = plans.allocate(100000, ["a", "b", "c"], [1, 1, 2], {"a": 50000})
    assert out.tolist() == [50000, 16667, 33333]
    with pytest.raises(plans.PlanError, match="more than the 1,000.00 to allocate"):
        plans.allocate(100000, ["a", "b"], [1, 1], {"a": 100001})
    with pytest.raises(plans.PlanError, match="unknown rep"):
        plans.allocate(100000, ["a", "b"], [1, 1], {"zed": 1})


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=0, max_value=10**11),
    st.sampled_from(plans.METHODS),
    st.lists(st.floats(min_value=0, max_value=1e7), min_size=1, max_size=12),
    st.data(),
)
def test_allocation_sums_exactly_for_any_weights_and_overrides(total, method, weights, data):
    reps = [f"r{i}" for i in range(len(weights))]
    # each method's weights have their own shape: even ones, capacity months, money amounts
    shaped = {"even": [1.0] * len(weights), "capacity": [min(w, 12.0) for w in weights]}
    w = shaped.get(method, weights)
    fixed = data.draw(st.lists(st.sampled_from(reps), unique=True, max_size=len(reps) - 1))
    overrides = {}
    left = total
    for r in fixed:
        overrides[r] = data.draw(st.integers(min_value=0, max_value=left))
        left -= overrides[r]
    out = plans.allocate(total, reps, w, overrides)
    assert int(out.sum()) == total
    assert (out >= 0).all()
    assert all(out[reps.index(r)] == v for r, v in overrides.items())


@settings(max_examples=12, deadline=None)
@given(
    st.floats(min_value=0, max_value=5e7).map(lambda x: round(x, 2)),
    st.floats(min_value=0, max_value=1).map(lambda x: round(x, 3)),
    st.sampled_from(plans.METHODS),
)
def test_every_method_allocates_budget_times_over_assignment_exactly(tmp_path_factory, budget,
                                                                     over, method):  # fmt: skip
    from spm import store

    con = store.connect(tmp_path_factory.mktemp("alloc") / "a.duckdb")
    _load(con)
    inputs = plans.scenario_inputs("FY2027", budget, over, method)
    result = plans.run_scenario(con, "FY2027", budget, over, method)
    months = plans.scenario_months(con, inputs)
    con.close()
    target = plans.cents(budget * (1 + over))
    reps = result[result["rep"] != "Team"]
    assert sum(plans.cents(q) for q in reps["quota"]) == target
    totals = months[months["type"] == "total"]
    assert sum(plans.cents(a) for a in totals["amount"]) == target
    split = months[months["type"] != "total"]
    assert sum(plans.cents(a) for a in split["amount"]) == target


def test_scenario_even_split_by_hand(db):
    out = plans.run_scenario(db, "FY2027", 100000, 0.2, "even")
    assert out.drop(columns=["p_attain", "p_team_budget"]).to_dict("records") == _approx(
        [
            {"rep": "ana", "role": "hunter", "weight": 1.0, "manual": False, "quota": 60000.0,
             "quota_new": 60000.0, "quota_existing": 0.0, "last_year_bookings": 45000.0,
             "growth": 60000 / 45000 - 1},
            {"rep": "ben", "role": "farmer", "weight": 1.0, "manual": False, "quota": 60000.0,
             "quota_new": 0.0, "quota_existing": 60000.0, "last_year_bookings": 20000.0,
             "growth": 2.0},
            {"rep": "Team", "role": None, "weight": 2.0, "manual": False, "quota": 120000.0,
             "quota_new": 60000.0, "quota_existing": 60000.0, "last_year_bookings": 65000.0,
             "growth": 120000 / 65000 - 1},
        ]
    )  # fmt: skip
    # ana's 8 quarters: 40,000 once, 5,000 once, else 0; 60,000 needs two draws of 40,000:
    # 1 − (7/8)^4 − 4 · (1/8) · (7/8)^3 = 0.0789; ben's best year is 4 × 12,000 < 60,000
    p = out.set_index("rep")["p_attain"]
    assert p["ana"] == pytest.approx(0.0789, abs=0.01)
    assert p["ben"] == 0.0
    assert 0 <= out["p_team_budget"].iloc[-1] <= 1


def test_scenario_methods_weights(db):
    history = plans.run_scenario(db, "FY2027", 65000, 0.0, "history").set_index("rep")
    assert history.loc[["ana", "ben"], "quota"].tolist() == [45000.0, 20000.0]
    pipeline = plans.run_scenario(db, "FY2027", 50000, 0.0, "pipeline").set_index("rep")
    assert pipeline.loc[["ana", "ben"], "quota"].tolist() == [50000.0, 0.0]  # A8 is all of it
    manual = plans.run_scenario(db, "FY2027", 100000, 0.0, "even", overrides={"ben": 30000})
    assert manual["quota"].tolist() == [70000.0, 30000.0, 100000.0]
    assert manual["manual"].tolist() == [False, True, True]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "random"}, "unknown allocation method 'random'"),
        ({"budget": -5}, "the budget must be a positive amount"),
        ({"over_assign": 2}, "over-assignment must be a fraction"),
        ({"phasing": "weekly"}, "unknown phasing 'weekly'"),
        ({"new_share": 1.5}, "new-business share"),
    ],
)
def test_bad_scenario_inputs_say_what_is_wrong(kwargs, message):
    args = {"year": "FY2027", "budget": 100.0, **kwargs}
    with pytest.raises(plans.PlanError, match=message):
        plans.scenario_inputs(**args)


def test_new_share_splits_the_team_total_exactly(db):
    out = plans.run_scenario(db, "FY2027", 100000, 0.0, "even", new_share=0.3)
    assert out[["quota_new", "quota_existing"]].values.tolist() == [
        [15000.0, 35000.0],
        [15000.0, 35000.0],
        [30000.0, 70000.0],
    ]


# --- simulation -------------------------------------------------------------------------------


def test_simulation_is_seeded_and_ramp_adjusted():
    booked = np.array([[100.0] * 8, [0, 0, 0, 0, 0, 0, 10.0, 30.0]])
    hist_ramp = np.array([[1.0] * 8, [0, 0, 0, 0, 0, 0, 0.5, 1.0]])  # rep 2: a new hire
    plan_ramp = np.array([[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 0.5, 0.0]])
    a = plans.simulate_bookings(booked, hist_ramp, plan_ramp, seed=3, n=500)
    b = plans.simulate_bookings(booked, hist_ramp, plan_ramp, seed=3, n=500)
    c = plans.simulate_bookings(booked, hist_ramp, plan_ramp, seed=4, n=500)
    assert (a == b).all() and not (a == c).all()
    assert (a[:, 0] == 400.0).all()
    # rep 2 has 2 full-ramp quarters (< 4): draws come from the team's pool {100, 20, 30}
    # (10 at half ramp is 20 at full ramp), times 1 + 1 + 0.5 + 0 plan-year ramp
    assert set(np.round(a[:, 1], 6)) <= {
        x + y + z / 2 for x in (100, 20, 30) for y in (100, 20, 30) for z in (100, 20, 30)
    }


def test_ramp_fraction_matches_rep_kpis_rule():
    hire = date(2026, 7, 8)
    assert plans.ramp_fraction(hire, 6, None, date(2026, 7, 1), date(2026, 10, 1)) == 2 / 6
    assert plans.ramp_fraction(hire, 6, None, date(2027, 1, 1), date(2027, 4, 1)) == 1.0
    assert plans.ramp_fraction(hire, 6, None, date(2026, 4, 1), date(2026, 7, 1)) == 0.0
    assert (
        plans.ramp_fraction(None, None, date(2025, 1, 1), date(2026, 1, 1), date(2026, 4, 1)) == 0.0
    )


# --- save, compare, apply, undo ---------------------------------------------------------------


def _quotas(con) -> list[tuple]:
    return con.execute("SELECT rep, month, type, amount FROM quotas ORDER BY ALL").fetchall()


def test_apply_then_undo_restores_quotas_exactly(db):
    before = _quotas(db)
    plans.save_scenario(db, "base", plans.scenario_inputs("FY2027", 100000, 0.2, "even"))
    plans.save_scenario(db, "lean", plans.scenario_inputs("FY2027", 80000, 0.0, "history"))
    listed = plans.list_scenarios(db)
    assert sorted(listed["name"]) == ["base", "lean"]
    assert listed.set_index("name").loc["base", "total_quota"] == 120000.0

    load_id = plans.apply_scenario(db, "base")
    source = db.execute("SELECT kind, source FROM loads WHERE load_id = ?", [load_id]).fetchone()
    assert source == ("quotas", "scenario:base")
    fy27 = db.execute(
        "SELECT rep, sum(amount) FROM quotas WHERE type = 'total' AND month >= '2027-01-01'"
        " GROUP BY rep ORDER BY rep"
    ).fetchall()
    assert [(r, float(a)) for r, a in fy27] == [("ana", 60000.0), ("ben", 60000.0)]
    assert plans.list_scenarios(db).set_index("name").loc["base", "applied_load_id"] == load_id
    with pytest.raises(plans.PlanError, match="already applied"):
        plans.apply_scenario(db, "base")

    undo_load(db, load_id)
    assert _quotas(db) == before
    assert pd.isna(plans.list_scenarios(db).set_index("name").loc["base", "applied_load_id"])


def test_compare_puts_saved_scenarios_side_by_side(db):
    plans.save_scenario(db, "base", plans.scenario_inputs("FY2027", 100000, 0.2, "even"))
    plans.save_scenario(db, "lean", plans.scenario_inputs("FY2027", 65000, 0.0, "history"))
    out = plans.compare_scenarios(db, ["base", "lean"])
    assert out.columns.tolist() == [
        "rep", "last_year_bookings", "base: quota", "base: growth", "base: P(attain)",
        "lean: quota", "lean: growth", "lean: P(attain)",
    ]  # fmt: skip
    assert out[["rep", "base: quota", "lean: quota", "lean: growth"]].to_dict("records") == [
        {"rep": "ana", "base: quota": 60000.0, "lean: quota": 45000.0, "lean: growth": 0.0},
        {"rep": "ben", "base: quota": 60000.0, "lean: quota": 20000.0, "lean: growth": 0.0},
        {"rep": "Team", "base: quota": 120000.0, "lean: quota": 65000.0, "lean: growth": 0.0},
    ]


def test_scenario_names_are_required(db):
    with pytest.raises(plans.PlanError, match="give the scenario a name"):
        plans.save_scenario(db, "  ", plans.scenario_inputs("FY2027", 1, 0, "even"))


# --- command line -----------------------------------------------------------------------------


def test_cli_plan_and_scenario_json(tmp_path, capsys):
    import json

    from spm import store

    path = tmp_path / "cli.duckdb"
    con = store.connect(path)
    _load(con)
    con.close()
    code = main(["report", "plan", "--db", str(path), "--rep", "ana", "--year", "FY2027",
                 "--format", "json"])  # fmt: skip
    assert code == 0
    assert json.loads(capsys.readouterr().out) == _approx(
        [
            {"offering": "Core", "target": 73846.15, "ads": 20000.0, "win_rate": 0.5,
             "deals_needed": 73846.15 / 20000, "proposals_needed": 73846.15 / 10000,
             "opportunities_needed": 73846.15 / 8000},
            {"offering": "Svc", "target": 46153.85, "ads": 10000.0, "win_rate": 0.5,
             "deals_needed": 4.615385, "proposals_needed": 9.23077,
             "opportunities_needed": 11.5384625},
        ]
    )  # fmt: skip
    code = main(["report", "scenario", "--db", str(path), "--budget", "100000", "--over-assign",
                 "0.2", "--method", "even", "--format", "json"])  # fmt: skip
    assert code == 0
    records = json.loads(capsys.readouterr().out)
    assert [(r["rep"], r["quota"], r["last_year_bookings"]) for r in records] == [
        ("ana", 60000.0, 45000.0),
        ("ben", 60000.0, 20000.0),
        ("Team", 120000.0, 65000.0),
    ]
    assert records[-1]["p_attain"] is None and 0 <= records[-1]["p_team_budget"] <= 1
    assert set(records[0]) == {"rep", "quota", "last_year_bookings", "growth", "p_attain",
                               "p_team_budget"}  # fmt: skip
    code = main(["report", "scenario", "--db", str(path), "--budget", "100", "--method", "x"])
    assert code == 2
    assert capsys.readouterr().err.strip() == (
        "error: unknown allocation method 'x': use one of even, history, capacity, pipeline"
    )
