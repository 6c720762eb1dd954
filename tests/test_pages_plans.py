"""AppTest: the Plans page through app.py — empty state, plan, team view, scenario round trip."""

from __future__ import annotations

from datetime import date

from spm import plans, store
from spm.demo import build_demo
from spm.format import money, pct
from tests import shown
from tests.test_pages import app, db, texts  # noqa: F401 (db is a fixture)

TODAY = date(2026, 11, 23)


def _demo(path) -> None:
    con = store.connect(path)
    build_demo(con, today=TODAY)
    con.close()


def _tiles(at) -> dict[str, str]:
    return shown.tiles(at)


def test_plans_empty_state_says_what_to_load(db):  # noqa: F811
    at = app("views/plans.py")
    assert not at.exception
    assert "Plans need an opportunities export" in texts(at)


def test_plans_page_shows_plan_team_view_and_scenario(db):  # noqa: F811
    _demo(db)
    con = store.connect(db)
    plan = plans.plan_total(plans.business_plan(con, "Maria Alvarez", "FY2027"))
    team = plans.team_plan(con, "FY2027").set_index("segment").loc["total"]
    budget = plans.default_budget(con, "FY2027")
    con.close()

    tiles, shown = {}, ""
    for tab in ("Business plans", "Team view", "Quota scenarios"):  # only the open tab runs
        at = app("views/plans.py", rep="Maria Alvarez", tab=tab)
        assert not at.exception and not at.error
        assert at.radio(key="plans_year").value == "FY2027"
        tiles |= _tiles(at)
        shown += texts(at)
    assert tiles["Target"] == money(plan["target"], compact=True)
    assert tiles["Deals needed"] == f"{plan['deals_needed']:,.0f}"
    assert tiles["Prospects needed"] == f"{plan['prospects_needed']:,.0f}"
    assert tiles["Revenue goal"] == money(team["goal"], compact=True)
    assert tiles["Run rate vs goal"] == pct(team["run_rate_pct"])
    assert tiles["Quota to allocate"] == money(budget * 1.1, compact=True)
    assert tiles["Manual quotas"] == "$0"
    assert "from existing accounts" in shown and "from new accounts" in shown


def test_scenario_save_apply_and_undo_from_the_page(db):  # noqa: F811
    _demo(db)
    at = app("views/plans.py", tab="Quota scenarios")
    at.number_input(key="plans_budget_FY2027_None").set_value(8_000_000.0)
    at.number_input(key="plans_over").set_value(0.0)
    at.selectbox(key="plans_method").set_value("capacity").run()
    assert not at.exception and not at.error
    assert _tiles(at)["Quota to allocate"] == "$8.0M"

    at.text_input(key="plans_sc_name").set_value("Capacity 8M")
    at.button(key="plans_sc_save").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Scenario 'Capacity 8M' saved."]
    con = store.connect(db)
    assert plans.list_scenarios(con)["name"].tolist() == ["Capacity 8M"]
    con.close()

    at.button(key="plans_apply").click().run()
    assert not at.exception
    assert "applied to quotas as load #" in at.success[0].value
    con = store.connect(db)
    load_id = int(plans.list_scenarios(con)["applied_load_id"].iloc[0])
    fy27 = con.execute(
        "SELECT sum(amount) FROM quotas WHERE type = 'total' AND month >= '2027-01-01'"
        " AND month < '2028-01-01'"
    ).fetchone()[0]
    con.close()
    assert float(fy27) == 8_000_000.0

    at.button(key="plans_undo").click().run()
    assert not at.exception
    assert at.success[0].value == f"Load #{load_id} undone: the quotas before it are back."


def test_saving_without_a_name_is_an_error_not_a_traceback(db):  # noqa: F811
    _demo(db)
    at = app("views/plans.py", tab="Quota scenarios")
    at.button(key="plans_sc_save").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Scenario not saved: give the scenario a name"]


def test_monthly_plans_tab_keeps_the_rep_picked_on_the_plan_tab(db):  # noqa: F811
    _demo(db)
    at = app("views/plans.py")
    names = at.selectbox(key="plans_rep").options
    at.selectbox(key="plans_rep").select(names[2]).run()
    assert any(f"Business plan: {names[2]}" in h.value for h in at.subheader)
    assert not at.get("vega_lite_chart")  # the monthly chart waits in its tab
    at.session_state["tab"] = "Monthly plans"
    at.run()
    assert not at.exception and not at.error
    assert at.selectbox(key="plans_rep").value == names[2]
    assert any(f"24 monthly plans: {names[2]}" in m.value for m in at.markdown)
    assert len(at.get("vega_lite_chart")) == 1
    con = store.connect(db)
    monthly = plans.rep_plans(con, names[2]).monthly["history"]
    con.close()
    table = shown.tables(at)[0]  # 24 months: a static table
    assert len(table) == 24 == len(monthly)
    assert table["target"].tolist() == [money(v) for v in monthly["target"]]
