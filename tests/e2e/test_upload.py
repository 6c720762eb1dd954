"""End to end: upload the Maven CRM pipeline on the Data page and see it counted on Home."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from tests.e2e.conftest import WAIT_MS, errors_on, wait_for_app

DATASET = (
    Path(__file__).resolve().parents[3] / "shared" / "datasets" / "maven_crm" / "sales_pipeline.csv"
)


def _counts(path: Path) -> Counter[str]:
    """Return the number of deals per deal_stage, counted straight from the CSV."""
    with path.open(newline="", encoding="utf-8") as fh:
        return Counter(row["deal_stage"] for row in csv.DictReader(fh))


def _metric(page, label: str) -> str:  # type: ignore[no-untyped-def]
    """Return the value shown in the metric tile whose label is exactly `label`."""
    tile = page.locator(".spm-tile").filter(
        has=page.locator(".spm-tile-name").get_by_text(label, exact=True)
    )
    value = tile.locator(".spm-tile-value")
    value.wait_for(timeout=WAIT_MS)
    return value.inner_text().strip()


def test_upload_pipeline_then_home_shows_counts(browser, app_server, tmp_path):
    if not DATASET.exists():
        pytest.skip(f"{DATASET} is not present (the shared datasets sit beside the repository)")
    stages = _counts(DATASET)
    deals, won, lost = stages.total(), stages["Won"], stages["Lost"]
    open_deals = deals - won - lost
    # Counted by hand: 4,238 won + 2,473 lost + 2,089 open = 8,800.
    assert (deals, won, lost, open_deals) == (8800, 4238, 2473, 2089)

    base = app_server(tmp_path / "e2e.duckdb")
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(WAIT_MS)
    try:
        # 1. Empty database: Home shows the empty state.
        page.goto(base + "/")
        wait_for_app(page)
        page.get_by_text("No opportunities are loaded yet").wait_for()
        page.screenshot(path=tmp_path / "1_home_empty.png", full_page=True)
        assert errors_on(page) == []

        # 2. Data page: upload the CSV and wait for its preview.
        page.goto(base + "/data")
        wait_for_app(page)
        page.set_input_files("[data-testid='stFileUploaderDropzoneInput']", DATASET)
        page.get_by_text(re.compile(rf"{deals:,} rows")).first.wait_for()
        load = page.get_by_role("button", name="Load 1 file(s)")
        load.wait_for()
        wait_for_app(page)
        page.screenshot(path=tmp_path / "2_data_preview.png", full_page=True)
        assert errors_on(page) == []

        # 3. Load it and wait for the success message.
        load.click()
        success = page.locator("[data-testid='stAlertContentSuccess']").filter(
            has_text=f"loaded {deals:,} opportunities rows"
        )
        success.wait_for()
        wait_for_app(page)
        page.screenshot(path=tmp_path / "3_data_loaded.png", full_page=True)
        assert errors_on(page) == []

        # 4. Home shows the loaded counts.
        page.goto(base + "/")
        wait_for_app(page)
        assert _metric(page, "Deals") == f"{deals:,}"
        assert _metric(page, "Open deals") == f"{open_deals:,}"
        page.get_by_role("heading", name="What is loaded").wait_for()
        page.get_by_text(f"{won:,} won, {lost:,} lost").wait_for()
        wait_for_app(page)
        page.screenshot(path=tmp_path / "4_home_loaded.png", full_page=True)
        assert page.get_by_text("No opportunities are loaded yet").count() == 0
        assert errors_on(page) == []
    finally:
        page.close()
