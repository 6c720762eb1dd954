"""End to end: a deep link opens one rep's one-on-one with that rep's figures."""

from __future__ import annotations

from datetime import date

from spm import store
from spm.demo import build_demo
from spm.format import money, pct
from spm.metrics.kpis import rep_kpis
from tests.e2e.conftest import WAIT_MS, errors_on, wait_for_app
from tests.e2e.test_upload import _metric


def test_one_on_one_deep_link_shows_that_reps_figures(browser, app_server, tmp_path):
    db = tmp_path / "reps.duckdb"
    con = store.connect(db)
    build_demo(con, today=date(2026, 11, 23))
    row = rep_kpis(con, "2026-Q3", rep="Maria Alvarez").iloc[0]
    con.close()

    base = app_server(db)
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.set_default_timeout(WAIT_MS)
    try:
        page.goto(base + "/reps?rep=Maria+Alvarez&period=2026-Q3")
        wait_for_app(page)
        page.get_by_text("One-on-one: Maria Alvarez").wait_for()
        page.screenshot(path=tmp_path / "one_on_one.png", full_page=True)
        assert errors_on(page) == []
        assert _metric(page, "Bookings") == money(row["bookings"], compact=True)
        assert _metric(page, "Win rate") == pct(row["win_rate"])
        assert _metric(page, "Deals won") == f"{int(row['won']):,}"
        # The filters reflect the link, so a copied URL reproduces the view.
        assert "rep=Maria+Alvarez" in page.url and "period=2026-Q3" in page.url
    finally:
        page.close()
