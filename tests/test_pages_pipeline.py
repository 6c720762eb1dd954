"""AppTest for the Pipeline health page through the app's entry point."""

from __future__ import annotations

from datetime import date

from spm import store
from spm.demo import build_demo
from spm.pipeline import coverage
from tests import shown
from tests.conftest import shared_file
from tests.test_pages import TODAY, app, db, texts  # noqa: F401 (db is a fixture)
from tests.test_pipeline import _load

PAGE = "views/pipeline.py"
TABS = ["Coverage", "Funnel", "Creation", "Hygiene", "Fluff & sandbagging",
        "Concentration & velocity"]  # fmt: skip


def _build(path, fn) -> None:  # type: ignore[no-untyped-def]
    con = store.connect(path)
    fn(con)
    con.close()


def test_pipeline_empty_state_says_what_to_load(db):  # noqa: F811
    at = app(PAGE)
    assert not at.exception
    assert "Pipeline health needs an opportunities export" in texts(at)


def test_pipeline_page_with_demo_data_matches_the_spm_figures(db):  # noqa: F811
    _build(db, lambda con: build_demo(con, today=TODAY))
    at = app(PAGE, period="2026-Q4")
    assert not at.exception and not at.error
    assert [t.label for t in at.tabs] == TABS
    con = store.connect(db)
    team = coverage(con, "2026-Q4").iloc[-1]
    con.close()
    tiles = shown.tiles(at)
    assert tiles["Open pipeline"] == f"${team['open_pipeline'] / 1e6:,.1f}M"
    assert tiles["Coverage"] == f"{team['coverage']:.1f}×"
    assert tiles["Required coverage"] == f"{team['required_coverage']:.1f}×"
    cov = at.dataframe[0].value
    assert cov["period"].unique().tolist() == ["2026-Q4", "2027-Q1", "2027-Q2"]
    # neediest first: the team row of each period, then per period the reps by shortfall
    assert cov["rep"].tolist()[:3] == ["Team"] * 3 and len(cov) == 30
    assert cov["period"].tolist()[:3] == ["2026-Q4", "2027-Q1", "2027-Q2"]
    first = cov[(cov["period"] == "2026-Q4") & (cov["rep"] != "Team")]
    assert first.index.tolist() == list(range(3, 12))
    assert first["shortfall"].is_monotonic_decreasing


def test_pipeline_switches_creation_split_to_rep(db):  # noqa: F811
    _build(db, lambda con: build_demo(con, today=TODAY))
    at = app(PAGE, period="2026-Q4", tab="Creation")  # only the open tab runs
    at.radio(key="creation_by").set_value("rep").run()
    assert not at.exception and not at.error


def test_pipeline_one_rep_on_hand_made_data(db):  # noqa: F811
    _build(db, _load)
    at = app(PAGE, period="2026-Q2", rep="ana")
    assert not at.exception and not at.error
    tiles = shown.tiles(at)
    assert (tiles["Open pipeline"], tiles["Quota gap"], tiles["Coverage"]) == (
        "$120",
        "$260",
        "0.5×",
    )
    assert (tiles["Pipeline needed"], tiles["Shortfall"]) == ("$650", "$530")


def test_pipeline_on_maven_degrades_with_clear_messages(db):  # noqa: F811
    from spm.ingest import ingest_file

    def load(con) -> None:  # type: ignore[no-untyped-def]
        ingest_file(con, shared_file("maven_crm", "sales_pipeline.csv"), as_of=date(2017, 12, 31))
        ingest_file(con, shared_file("maven_crm", "sales_teams.csv"))

    _build(db, load)
    shown = ""
    for tab in ("Coverage", "Funnel", "Fluff & sandbagging"):  # only the open tab runs
        at = app(PAGE, period="2017-Q4", tab=tab)
        assert not at.exception and not at.error
        shown += texts(at) + " ".join(w.value for w in at.warning)
    assert "No quotas are loaded for these quarters" in shown
    assert "2,089 open deals have no close date" in shown
    assert "learned from snapshot history" in shown
    assert "start-of-period Commit is unknown" in shown
