"""End to end: typing a manual quota into the scenario editor updates the totals and the rest."""

from __future__ import annotations

from datetime import date

from spm import plans, store
from spm.demo import build_demo
from tests.e2e.conftest import WAIT_MS, errors_on, wait_for_app
from tests.e2e.test_upload import _metric


def test_manual_quota_in_the_scenario_editor_updates_the_totals(browser, app_server, tmp_path):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    db = tmp_path / "plans.duckdb"
    con = store.connect(db)
    build_demo(con, today=date(2026, 11, 23))
    budget = plans.default_budget(con, "FY2027")
    con.close()
    target = budget * 1.1

    base = app_server(db)
    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    page.set_default_timeout(WAIT_MS)
    try:
        page.goto(base + "/plans")
        wait_for_app(page)
        page.get_by_role("tab", name="Quota scenarios").click()
        wait_for_app(page)
        assert _metric(page, "Manual quotas") == "$0"
        assert _metric(page, "Re-spread to the rest") == f"${target / 1e6:,.1f}M"

        panel = page.get_by_role("tabpanel", name="Quota scenarios")
        editor = panel.locator("[data-testid='stDataFrame']").first
        editor.scroll_into_view_if_needed()
        box = editor.bounding_box()
        assert box is not None
        # the first data row's "manual quota" cell: the last of three columns, below the header
        cell = page.locator("textarea.gdg-input, input.gdg-input")
        for _ in range(5):  # the canvas grid may not take clicks until it has finished drawing
            page.mouse.click(box["x"] + box["width"] * 0.85, box["y"] + 35 + 17)
            page.keyboard.press("Enter")  # opens the cell editor
            try:
                cell.wait_for(timeout=3000)
                break
            except PlaywrightTimeout:
                page.keyboard.press("Escape")
        cell.wait_for()
        cell.fill("2000000")
        cell.press("Enter")
        page.wait_for_function(
            "[...document.querySelectorAll('.spm-tile-value')].some(e => e.innerText === '$2.0M')"
        )
        wait_for_app(page)
        page.screenshot(path=tmp_path / "scenario.png", full_page=True)
        assert errors_on(page) == []
        assert _metric(page, "Manual quotas") == "$2.0M"
        assert _metric(page, "Re-spread to the rest") == f"${(target - 2e6) / 1e6:,.1f}M"
        assert _metric(page, "Quota to allocate") == f"${target / 1e6:,.1f}M"
    finally:
        page.close()
