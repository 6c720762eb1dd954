"""End to end: the app is local: no page asks any host but the app's own for anything."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from spm import derived, store
from spm.bench_browser import DONE
from spm.demo import build_demo
from tests.e2e.conftest import WAIT_MS, errors_on, wait_for_app


def test_pages_request_nothing_from_other_hosts(browser, app_server, tmp_path):
    db = tmp_path / "offline.duckdb"
    con = store.connect(db)
    build_demo(con, today=date(2026, 11, 23))
    derived.refresh(con)
    con.close()

    base = app_server(db)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(WAIT_MS)
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    try:
        for path in ("/", "/forecast", "/qbr"):
            page.goto(base + path)
            wait_for_app(page)
            page.wait_for_function(DONE)  # and the charts on screen have drawn
            assert errors_on(page) == [], path
    finally:
        page.close()
    # e.g. a Material-icon favicon would be fetched from fonts.gstatic.com
    assert hosts == {urlsplit(base).netloc}
