"""AppTest smoke and behaviour tests for each page, through the app's entry point."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from spm import store
from spm.demo import build_demo
from spm.format import money
from spm.ingest import ingest_file, load_history
from spm.metrics.kpis import kpi_tables, kpi_trend
from tests import shown
from tests.conftest import FIXTURES

TODAY = date(2026, 11, 23)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def db(tmp_path, monkeypatch):
    """Point the app at a fresh database file and return its path."""
    path = tmp_path / "app.duckdb"
    monkeypatch.setenv("SPM_DB", str(path))
    store.connect(path).close()
    return path


def _open(db, build) -> None:
    con = store.connect(db)
    build(con)
    con.close()


def app(path: str = "/", **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
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


def test_home_empty_state_says_what_to_load(db):
    at = app()
    assert not at.exception
    assert "No opportunities are loaded yet" in texts(at)


def test_home_shows_loaded_counts(db):
    _open(db, lambda con: ingest_file(con, FIXTURES / "salesforce_api.csv", as_of=date(2026, 3, 1)))
    at = app(period="2026-Q1")
    assert not at.exception and not at.error
    tiles = shown.tiles(at)
    assert tiles["Snapshots"] == "1"
    assert tiles["Deals"] == "3"
    assert tiles["Open deals"] == "1"
    assert tiles["Won in 2026-Q1"] == "$15.0k"
    assert tiles["Win rate 2026-Q1"] == "50%"


def test_home_period_comes_from_the_url(db):
    _open(db, lambda con: build_demo(con, today=TODAY))
    at = app(period="2026-Q2")
    assert not at.exception
    assert at.selectbox(key="filter_period").value == "2026-Q2"
    assert "Won in 2026-Q2" in set(shown.tiles(at))


def test_data_page_tabs_render_with_demo_data(db):
    _open(db, lambda con: build_demo(con, today=TODAY))
    at = app("views/data.py")
    assert not at.exception and not at.error
    assert [t.label for t in at.tabs] == [
        "Upload",
        "Load history",
        "Snapshots",
        "Settings",
        "Templates",
    ]
    assert at.selectbox(key="undo_id").options  # active loads can be undone


def test_data_page_uploads_and_loads_a_file(db):
    at = app("views/data.py")
    data = (FIXTURES / "hubspot.csv").read_bytes()
    at.file_uploader(key="uploads").set_value(("hubspot.csv", data, "text/csv")).run()
    assert not at.exception
    assert any("3 ready to load" in m.value for m in at.markdown)
    at.button(key="load").click().run()
    assert not at.exception and not at.error
    assert any("loaded 3 opportunities rows" in s.value for s in at.success)
    con = store.connect(db)
    assert load_history(con)[["kind", "source", "rows_loaded"]].to_dict("records") == [
        {"kind": "opportunities", "source": "hubspot.csv", "rows_loaded": 3}
    ]


def test_data_page_shows_a_clear_error_for_an_unreadable_file(db):
    at = app("views/data.py")
    at.file_uploader(key="uploads").set_value(("junk.csv", b"foo,bar\n1,2\n", "text/csv")).run()
    assert not at.exception
    assert any("could not tell what this file holds" in e.value for e in at.error)


def test_data_page_undo_restores_previous_state(db):
    _open(db, lambda con: ingest_file(con, FIXTURES / "hubspot.csv", as_of=date(2026, 3, 1)))
    at = app("views/data.py")
    at.button(key="undo").click().run()
    assert not at.exception
    con = store.connect(db)
    assert load_history(con)["status"].tolist() == ["undone"]
    assert con.execute("SELECT count(*) FROM opportunity_snapshots").fetchone()[0] == 0


def test_data_page_saves_settings(db):
    at = app("views/data.py")
    at.text_input[0].set_value("€")
    form_submit = [b for b in at.button if b.label == "Save settings"][0]
    form_submit.click().run()
    assert not at.exception
    con = store.connect(db)
    assert store.get_settings(con)["currency_symbol"] == "€"


def test_reps_team_view_renders_the_team_table(db):
    _open(db, lambda con: build_demo(con, today=TODAY))
    at = app("views/reps.py", period="2026-Q3")
    assert not at.exception and not at.error
    assert set(shown.tiles(at)) >= {"Bookings", "Quota", "Attainment", "Top-2 share"}
    table = at.dataframe[0].value
    assert table["rep"].tolist()[-1] == "Team" and len(table) == 10
    assert [t.label for t in at.tabs] == ["Team table", "Spread & benchmarks", "8-quarter trends"]
    assert len(at.dataframe) == 1  # only the open tab runs: no benchmarks or trend tables yet


def test_reps_spread_and_trend_tabs_open_from_the_url(db):
    _open(db, lambda con: build_demo(con, today=TODAY))
    con = store.connect(db)
    reps = kpi_tables(con, "2026-Q3")[0]
    trend = kpi_trend(con, 8)
    con.close()
    at = app("views/reps.py", period="2026-Q3", tab="Spread & benchmarks")
    assert not at.exception and not at.error
    assert any("Attainment spread" in m.value for m in at.markdown)
    bench = shown.tables(at)[0].set_index("KPI")
    median = reps["bookings"].median()
    assert bench.loc["Bookings", "team median"] == money(median, compact=True)
    assert bench.loc["Win rate", "team median"].endswith("%")

    at = app("views/reps.py", period="2026-Q3", tab="8-quarter trends")
    assert not at.exception and not at.error
    # 9 reps × 8 quarters × 12 KPIs: the table shows its first 200 rows, the CSV has them all
    assert len(trend) == 864 and len(at.dataframe[0].value) == 200
    assert any("Showing 200 of 864 rows" in c.value for c in at.caption)


def test_reps_one_on_one_from_the_url_and_saving_a_note(db):
    _open(db, lambda con: build_demo(con, today=TODAY))
    at = app("views/reps.py", rep="Priya Raman", period="2026-Q4")
    assert not at.exception and not at.error
    assert any("One-on-one: Priya Raman" in s.value for s in at.subheader)
    assert list(shown.tiles(at))[:3] == ["Bookings", "Attainment", "Deals won"]
    at.text_area[0].set_value("Book two discovery calls a week.")
    [b for b in at.button if b.label == "Save note"][0].click().run()
    assert not at.exception
    con = store.connect(db)
    notes = con.execute("SELECT rep, note FROM coaching_notes").fetchall()
    assert notes == [("Priya Raman", "Book two discovery calls a week.")]
