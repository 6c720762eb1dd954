"""AppTest for the QBR page through app.py: empty state, sections, drill-down, slides, notes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from spm import qbr, store, waterfall
from spm.demo import build_demo
from spm.format import money
from tests import shown

TODAY = date(2026, 11, 23)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def db(tmp_path, monkeypatch):
    """Point the app at a fresh database file and return its path."""
    path = tmp_path / "qbr.duckdb"
    monkeypatch.setenv("SPM_DB", str(path))
    store.connect(path).close()
    return path


@pytest.fixture
def demo(db):
    con = store.connect(db)
    build_demo(con, today=TODAY)
    con.close()
    return db


def qbr_page(**params: str) -> AppTest:
    """Open Home, then the QBR page the way a link or the sidebar would, with `params`."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    # a fresh arrival: no filters carried over from Home, only what the link says
    for key in list(at.query_params):
        del at.query_params[key]
    for key in ("keep_period", "keep_as_of", "keep_team", "keep_rep"):
        if key in at.session_state:
            del at.session_state[key]
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page("views/qbr.py").run()
    return at


def texts(at: AppTest) -> str:
    return " ".join(
        [m.value for m in at.markdown]
        + [i.value for i in at.info]
        + [c.value for c in at.caption]
        + [w.value for w in at.warning]
        + [s.value for s in at.success]
    )


def test_empty_state_says_what_to_load(db):
    at = qbr_page()
    assert not at.exception
    assert "needs opportunity snapshots" in texts(at)


def test_walks_through_last_quarter_by_default(demo):
    con = store.connect(demo)
    team = qbr.team_attainment(con, "2026-Q3").iloc[0]
    surprise = qbr.surprises(con, "2026-Q3").iloc[0]
    con.close()
    at = qbr_page()
    assert not at.exception and not at.error
    assert at.selectbox(key="filter_period").value == "2026-Q3"
    assert [t.label for t in at.tabs] == [
        "Bookings vs quota", "Pipeline waterfall", "Forecast accuracy", "Surprises",
        "Win / loss", "Accounts", "Plan vs actual",
    ]  # fmt: skip
    tiles = shown.tiles(at)
    assert tiles["Bookings"] == money(team["bookings"], compact=True)
    assert "Surprise bookings" not in tiles  # only the open tab runs
    assert any(d.label.startswith("Download the QBR pack") for d in at.get("download_button"))

    at = qbr_page(tab="Surprises")  # a link to one section
    assert not at.exception and not at.error
    tiles = shown.tiles(at)
    assert tiles["Surprise bookings"] == money(surprise["surprise_bookings"], compact=True)
    at = qbr_page(tab="Win / loss")
    assert not at.exception and not at.error
    assert "price is often a symptom" in texts(at)


@pytest.mark.parametrize("tab", [title for _, title in qbr.SECTIONS])
def test_every_tab_opens_without_an_error(demo, tab):
    at = qbr_page(tab=tab)
    assert not at.exception and not at.error
    assert at.session_state["tab"] == tab
    drawn = shown.tiles(at), shown.tables(at), at.dataframe, at.markdown
    assert sum(len(d) for d in drawn) > 0


def test_each_waterfall_bucket_drills_to_deals_that_sum_to_the_bar(demo):
    con = store.connect(demo)
    totals = waterfall.waterfall(con, "2026-Q3").iloc[0]
    con.close()
    at = qbr_page(period="2026-Q3", tab="Pipeline waterfall")
    for name, label, _ in waterfall.BUCKETS:
        at.selectbox(key="wf_bucket").set_value(label).run()
        assert not at.exception
        bar = money(totals[name])
        assert any(f"summing to {bar}, the bar's {bar}." in c.value for c in at.caption), name


def test_presentation_mode_pages_through_slides(demo):
    at = qbr_page(period="2026-Q3", present="1", slide="2")  # the URL counts slides from 1
    assert not at.exception and not at.error
    assert any("Pipeline waterfall · 2026-Q3" in m.value for m in at.markdown)
    assert any("Slide 2 of" in c.value for c in at.caption)
    assert not at.header  # one section per screen, no report headers
    at.button(key="slide_next").click().run()
    assert not at.exception
    assert at.query_params["slide"] == "3"
    assert any("Forecast accuracy · 2026-Q3" in m.value for m in at.markdown)
    at.button(key="slide_prev").click().run()
    at.button(key="slide_prev").click().run()
    assert any("Bookings vs quota · 2026-Q3" in m.value for m in at.markdown)
    assert at.button(key="slide_prev").disabled
    at.button(key="slide_exit").click().run()
    assert "present" not in at.query_params
    assert at.tabs[0].label == "Bookings vs quota"
    assert at.session_state["tab"] == "Bookings vs quota"  # back on the slide's tab


def test_present_opens_the_open_tab_and_exit_returns_to_it(demo):
    at = qbr_page(period="2026-Q3", tab="Surprises")
    at.button(key="present").click().run()
    assert not at.exception
    assert at.query_params["present"] == "1" and at.query_params["slide"] == "4"
    assert any("Surprises · 2026-Q3" in m.value for m in at.markdown)
    at.button(key="slide_next").click().run()
    at.button(key="slide_exit").click().run()
    assert not at.exception and "present" not in at.query_params
    assert at.session_state["tab"] == "Win / loss"
    assert "price is often a symptom" in texts(at)


def test_a_bad_slide_number_opens_the_first_slide(demo):
    at = qbr_page(period="2026-Q3", present="1", slide="banana")
    assert not at.exception
    assert any("Bookings vs quota · 2026-Q3" in m.value for m in at.markdown)


def test_corrective_action_note_is_saved(demo):
    at = qbr_page(period="2026-Q3", tab="Plan vs actual")
    at.radio(key="plan_dim").set_value("rep").run()
    at.selectbox(key="note_bucket").set_value("rep: Linda Hayes")
    at.text_area(key="note_text").input("Weekly deal reviews with Linda")
    next(b for b in at.button if b.label == "Save note").click().run()
    assert not at.exception
    assert any("Note saved for rep: Linda Hayes" in s.value for s in at.success)
    con = store.connect(demo)
    saved = qbr.notes(con, "2026-Q3")[["bucket", "note"]].to_dict("records")
    con.close()
    assert saved == [{"bucket": "rep: Linda Hayes", "note": "Weekly deal reviews with Linda"}]


def test_an_empty_note_is_refused_with_a_message(demo):
    at = qbr_page(period="2026-Q3", tab="Plan vs actual")
    next(b for b in at.button if b.label == "Save note").click().run()
    assert not at.exception
    assert any("Note not saved" in e.value for e in at.error)
