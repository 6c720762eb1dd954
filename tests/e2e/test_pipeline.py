"""End to end: the Pipeline health page renders every tab with the demo company, no errors."""

from __future__ import annotations

from datetime import date

from spm import store
from spm.demo import build_demo
from spm.pipeline import coverage
from tests.e2e.conftest import WAIT_MS, errors_on, wait_for_app
from tests.e2e.test_upload import _metric

TABS = ["Coverage", "Funnel", "Creation", "Hygiene", "Fluff & sandbagging",
        "Concentration & velocity"]  # fmt: skip


def test_pipeline_page_renders_with_demo_data(browser, app_server, tmp_path):
    db = tmp_path / "pipeline.duckdb"
    con = store.connect(db)
    build_demo(con, today=date(2026, 11, 23))
    team = coverage(con, "2026-Q4").iloc[-1]
    con.close()

    base = app_server(db)
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    page.set_default_timeout(WAIT_MS)
    try:
        page.goto(base + "/pipeline?period=2026-Q4")
        wait_for_app(page)
        page.get_by_text("Pipeline health", exact=True).first.wait_for()
        assert _metric(page, "Required coverage") == f"{team['required_coverage']:.1f}×"
        assert _metric(page, "Coverage") == f"{team['coverage']:.1f}×"
        for i, name in enumerate(TABS):
            page.get_by_role("tab", name=name).click()
            wait_for_app(page)
            page.screenshot(path=tmp_path / f"pipeline_{i}.png", full_page=True)
            assert errors_on(page) == [], name
        assert "period=2026-Q4" in page.url
    finally:
        page.close()
