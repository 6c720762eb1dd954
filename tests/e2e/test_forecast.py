"""End to end: the Forecast page in a browser shows the CLI's numbers and every tab renders."""

from __future__ import annotations

from datetime import date

from spm import forecast, store
from spm.demo import build_demo
from spm.format import money
from tests.e2e.conftest import WAIT_MS, errors_on, wait_for_app
from tests.e2e.test_upload import _metric

TABS = ["Trend & calls", "What changed", "Must-win deals", "Accuracy", "Win rates & calibration"]


def test_forecast_page_numbers_and_tabs(browser, app_server, tmp_path):
    db = tmp_path / "forecast.duckdb"
    con = store.connect(db)
    build_demo(con, today=date(2026, 11, 23))
    roll = forecast.forecast_rollup(con, "2026-Q3")
    stat = forecast.statistical_forecast(con, "2026-Q3")
    con.close()

    base = app_server(db)
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    page.set_default_timeout(WAIT_MS)
    try:
        page.goto(base + "/forecast?period=2026-Q3")
        wait_for_app(page)
        page.get_by_text("Statistical forecast", exact=True).wait_for()
        assert errors_on(page) == []
        assert _metric(page, "Closed") == money(roll["closed"].sum(), compact=True)
        assert _metric(page, "Commit") == money(roll["commit"].sum(), compact=True)
        assert _metric(page, "Statistical") == money(stat["expected"], compact=True)
        for name in TABS:
            page.get_by_role("tab", name=name).click()
            wait_for_app(page)
        page.get_by_role("tab", name="Accuracy").click()
        page.get_by_text("Actual bookings").wait_for()
        page.screenshot(path=tmp_path / "forecast.png", full_page=True)
        assert errors_on(page) == []
        assert "period=2026-Q3" in page.url
    finally:
        page.close()
