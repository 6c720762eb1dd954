"""End to end: QBR presentation mode pages through slides by URL; the export opens offline."""

from __future__ import annotations

import re
from datetime import date

from spm import qbr, store
from spm.demo import build_demo
from tests.e2e.conftest import WAIT_MS, errors_on, wait_for_app


def test_presentation_mode_next_slide_updates_the_url(browser, app_server, tmp_path):
    db = tmp_path / "qbr.duckdb"
    con = store.connect(db)
    build_demo(con, today=date(2026, 11, 23))
    con.close()

    base = app_server(db)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(WAIT_MS)
    try:
        page.goto(base + "/qbr?present=1")
        wait_for_app(page)
        page.get_by_text("Slide 1 of 7").wait_for()
        page.get_by_text("Bookings vs quota · 2026-Q3").wait_for()
        assert errors_on(page) == []
        page.locator("[data-testid='stSidebar']").wait_for(state="hidden")  # full width

        page.get_by_role("button", name="Next ▶").click()
        page.wait_for_url(re.compile(r"slide=2"))
        page.get_by_text("Slide 2 of 7").wait_for()
        page.get_by_text("Pipeline waterfall · 2026-Q3").wait_for()
        wait_for_app(page)
        page.screenshot(path=tmp_path / "slide2.png")
        assert errors_on(page) == []
        assert "present=1" in page.url and "period=2026-Q3" in page.url

        # a shared link opens the same slide
        other = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            other.goto(page.url)
            wait_for_app(other)
            other.get_by_text("Slide 2 of 7").wait_for(timeout=WAIT_MS)
            assert errors_on(other) == []
        finally:
            other.close()
    finally:
        page.close()


def test_export_pack_opens_offline(browser, tmp_path):
    db = tmp_path / "pack.duckdb"
    con = store.connect(db)
    build_demo(con, today=date(2026, 11, 23))
    html_file, _ = qbr.write_pack(qbr.build_pack(con, "2026-Q3"), tmp_path / "pack")
    con.close()

    context = browser.new_context()
    context.set_offline(True)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(html_file.as_uri())
        headings = page.locator("h2").all_inner_texts()
        assert "Pipeline waterfall: chart" in headings and "Plan vs actual" in headings
        assert page.locator("svg rect").count() >= 10  # the waterfall's ten bars at least
        assert [u for u in requests if not u.startswith("file:")] == []
    finally:
        context.close()
