"""End to end: the bench's browser render times come back for every path, with no error."""

from __future__ import annotations

from datetime import date

from spm import store
from spm.bench_browser import floor_times, render_times
from spm.demo import build_demo


def test_render_times_reports_both_browsers_first_and_repeat_per_path(browser, tmp_path):
    db = tmp_path / "b.duckdb"
    con = store.connect(db)
    build_demo(con, today=date(2026, 11, 23))
    con.close()

    # The session's Chromium: a second Playwright cannot start in the same thread.
    times = render_times(str(db), ["/", "/forecast"], runs=1, browser=browser)

    assert list(times) == ["/", "/forecast"]
    for path, t in times.items():
        assert t["error"] is None, (path, t["error"])
        for key in ("first_ms", "repeat_ms", "new_first_ms", "new_repeat_ms"):
            assert isinstance(t[key], float) and t[key] > 0, (path, key)


def test_floor_times_renders_a_one_line_app(browser):
    floor = floor_times(runs=1, browser=browser)
    assert floor["error"] is None
    assert isinstance(floor["first_ms"], float) and floor["first_ms"] > 0
    assert isinstance(floor["repeat_ms"], float) and floor["repeat_ms"] > 0
    assert isinstance(floor["new_first_ms"], float) and floor["new_first_ms"] > 0


def test_a_page_that_fails_reports_its_error(browser, tmp_path):
    script = tmp_path / "broken.py"
    script.write_text('import streamlit as st\n\nst.error("Load failed: no such table")\n')
    times = render_times(str(tmp_path / "unused.duckdb"), ["/"], runs=1, browser=browser,
                         script=script)  # fmt: skip
    assert times["/"]["error"] == "Load failed: no such table"
