"""AppTest: the Forecast page and the Home page's quarter at a glance, through app.py."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from spm import forecast, store
from spm.demo import build_demo
from spm.format import money
from tests import shown

TODAY = date(2026, 11, 23)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    """A demo company database shared by the module's read-mostly tests."""
    path = tmp_path_factory.mktemp("forecast") / "demo.duckdb"
    con = store.connect(path)
    build_demo(con, today=TODAY)
    con.close()
    return path


@pytest.fixture
def use_db(monkeypatch):
    def point(path: Path) -> Path:
        monkeypatch.setenv("SPM_DB", str(path))
        return path

    return point


def app(path: str = "/", **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if path != "/":
        at.switch_page(path).run()
    return at


def texts(at: AppTest) -> str:
    return " ".join(
        [m.value for m in at.markdown] + [i.value for i in at.info] + [c.value for c in at.caption]
    )


def test_forecast_empty_state_says_what_to_load(tmp_path, use_db):
    db = use_db(tmp_path / "empty.duckdb")
    store.connect(db).close()
    at = app("views/forecast.py")
    assert not at.exception
    assert "needs an opportunities export" in texts(at)


def test_forecast_page_shows_the_rollup_matching_the_functions(demo_db, use_db):
    use_db(demo_db)
    at = app("views/forecast.py", period="2026-Q4")
    assert not at.exception and not at.error
    con = store.connect(demo_db)
    roll = forecast.forecast_rollup(con, "2026-Q4")
    stat = forecast.statistical_forecast(con, "2026-Q4")
    con.close()
    tiles = shown.tiles(at)
    assert tiles["Commit"] == money(roll["commit"].sum(), compact=True)
    assert tiles["Best case"] == money(roll["best_case"].sum(), compact=True)
    assert tiles["Statistical"] == money(stat["expected"], compact=True)
    assert [t.label for t in at.tabs] == [
        "Rollup",
        "By manager",
        "Trend & calls",
        "What changed",
        "Must-win deals",
        "Accuracy",
        "Win rates & calibration",
    ]
    rollup_table = shown.tables(at)[0]  # a team of 9 reps: a static table
    assert rollup_table["rep"].tolist() == roll["rep"].tolist()
    assert rollup_table["commit"].tolist() == [money(v) for v in roll["commit"]]
    assert len(shown.tables(at)) == 1  # the per-manager table waits in its own tab
    at = app("views/forecast.py", period="2026-Q4", tab="By manager")
    assert not at.exception and not at.error
    by_manager = shown.tables(at)[0]
    commit_by_team = roll.groupby("team")["commit"].sum()
    assert by_manager["team"].tolist() == [*sorted(commit_by_team.index), "Total"]
    assert by_manager["commit"].tolist()[:-1] == [money(v) for v in commit_by_team]
    assert by_manager["commit"].iloc[-1] == money(roll["commit"].sum())
    # an open quarter: accuracy says to pick a closed one (only the open tab runs)
    at = app("views/forecast.py", period="2026-Q4", tab="Accuracy")
    assert "2026-Q4 is not closed yet" in texts(at)


def test_forecast_page_accuracy_for_a_closed_quarter(demo_db, use_db):
    use_db(demo_db)
    at = app("views/forecast.py", period="2026-Q3", tab="Accuracy")
    assert not at.exception and not at.error
    assert "Actual bookings" in texts(at)


def test_forecast_call_and_must_win_are_saved(tmp_path, use_db):
    db = use_db(tmp_path / "write.duckdb")
    con = store.connect(db)
    build_demo(con, today=TODAY)
    con.close()
    at = app("views/forecast.py", period="2026-Q4", tab="Trend & calls")
    at.number_input[0].set_value(1_400_000.0)
    at.number_input[1].set_value(1_900_000.0)
    [b for b in at.button if b.label == "Save call"][0].click().run()
    assert not at.exception and not at.error
    assert any("Call saved for Kelly Morgan" in s.value for s in at.success)
    at = app("views/forecast.py", period="2026-Q4", tab="Must-win deals")
    at.button(key="save_must_win").click().run()
    assert not at.exception and not at.error
    con = store.connect(db)
    calls = con.execute(
        "SELECT period, manager, CAST(commit_amount AS DOUBLE), CAST(best_case_amount AS DOUBLE)"
        " FROM forecast_calls"
    ).fetchall()
    assert calls == [("2026-Q4", "Kelly Morgan", 1_400_000.0, 1_900_000.0)]
    suggested = forecast.must_win_candidates(con, "2026-Q4")
    marked = {r[0] for r in con.execute("SELECT opportunity_id FROM must_win").fetchall()}
    assert marked == set(suggested.loc[suggested["suggested"], "opportunity_id"]) and marked
    con.close()


def test_forecast_call_mistake_shows_an_error(tmp_path, use_db):
    db = use_db(tmp_path / "mistake.duckdb")
    con = store.connect(db)
    build_demo(con, today=TODAY)
    con.close()
    at = app("views/forecast.py", period="2026-Q4", tab="Trend & calls")
    at.number_input[0].set_value(2_000_000.0)
    at.number_input[1].set_value(1_000_000.0)
    [b for b in at.button if b.label == "Save call"][0].click().run()
    assert not at.exception
    assert any("best case cannot be below the commit" in e.value for e in at.error)


def test_forecast_with_one_snapshot_says_it_needs_history(tmp_path, use_db):
    db = use_db(tmp_path / "one.duckdb")
    con = store.connect(db)
    con.executemany(
        "INSERT INTO opportunity_snapshot_rows (load_id, as_of, opportunity_id, owner, amount,"
        " stage, close_date) VALUES (1, '2026-03-01', ?, 'ana', ?, ?, ?)",
        [
            ("D1", 100, "Negotiation/Review", "2026-03-20"),
            ("D2", 50, "Closed Won", "2026-02-10"),
        ],
    )
    con.close()
    at = app("views/forecast.py", period="2026-Q1")
    assert not at.exception and not at.error
    assert "needs snapshot history" in texts(at)
    assert shown.tiles(at)["Commit"] == "$150"


def test_home_shows_the_quarter_at_a_glance(demo_db, use_db):
    use_db(demo_db)
    at = app(period="2026-Q4")
    assert not at.exception and not at.error
    con = store.connect(demo_db)
    glance = forecast.quarter_glance(con, "2026-Q4")
    con.close()
    tiles = shown.tiles(at)
    assert tiles["Bookings vs quota"] == money(glance["bookings"], compact=True)
    assert tiles["Commit"] == money(glance["commit"], compact=True)
    assert tiles["Statistical forecast"] == money(glance["statistical"], compact=True)
    assert tiles["Coverage"] == f"{glance['coverage']:.1f}×"
    assert tiles["Deals at risk"] == str(glance["at_risk_deals"])
    # the existing tiles stay
    assert {"Snapshots", "Deals", "Open deals", "Won in 2026-Q4", "Win rate 2026-Q4"} <= set(tiles)
    assert "Top changes since 16 Nov 2026" in texts(at)
