"""End to end: ten sessions read Home and Rep KPIs while an eleventh loads a big file.

The app process is DuckDB's single writer; readers use cursors on the same database and see
committed data only. No reader may see an error, and the Deals tile on Home must always show
either the old snapshot's count or the new one's: never a half-loaded snapshot.
"""

from __future__ import annotations

import random

from spm import store
from spm.ingest import ingest_bytes
from tests.e2e.conftest import WAIT_MS, errors_on, wait_for_app
from tests.e2e.test_upload import _metric

READERS = 10
OLD_DEALS = 40
NEW_DEALS = 150_000
STAGES = ["Prospecting", "Qualification", "Closed Won", "Closed Lost", "Negotiation/Review"]


def _deals(n: int, prefix: str, as_of: str) -> str:
    """Return an opportunities CSV with n deals and its own as-of column."""
    rng = random.Random(n)
    lines = ["as_of,opportunity_id,amount,stage,close_date,owner"]
    for i in range(n):
        month = rng.randint(1, 12)
        lines.append(
            f"{as_of},{prefix}{i:07d},{rng.randint(1, 500) * 100},{rng.choice(STAGES)},"
            f"2026-{month:02d}-15,Rep {i % 9}"
        )
    return "\n".join(lines) + "\n"


def _read_home(page, base: str) -> str:  # type: ignore[no-untyped-def]
    page.goto(base + "/")
    wait_for_app(page)
    value = _metric(page, "Deals")
    assert errors_on(page) == [], errors_on(page)
    return value


def _read_reps(page, base: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/reps")
    wait_for_app(page)
    page.get_by_role("heading", name="Rep KPIs").first.wait_for()
    assert errors_on(page) == [], errors_on(page)


def test_readers_never_see_an_error_or_a_half_loaded_snapshot(browser, app_server, tmp_path):
    db = tmp_path / "concurrency.duckdb"
    con = store.connect(db)
    ingest_bytes(con, "old.csv", _deals(OLD_DEALS, "OLD", "2026-01-05").encode())
    con.close()
    big = tmp_path / "new_snapshot.csv"
    big.write_text(_deals(NEW_DEALS, "NEW", "2026-01-12"), encoding="utf-8")
    old, new = f"{OLD_DEALS:,}", f"{NEW_DEALS:,}"

    base = app_server(db)
    contexts = [browser.new_context(viewport={"width": 1400, "height": 900}) for _ in range(11)]
    pages = [c.new_page() for c in contexts]
    for p in pages:
        p.set_default_timeout(WAIT_MS * 4)
    writer, readers = pages[0], pages[1:]
    seen: list[str] = []
    try:
        for page in readers:
            assert _read_home(page, base) == old

        writer.goto(base + "/data")
        wait_for_app(writer)
        writer.set_input_files("[data-testid='stFileUploaderDropzoneInput']", big)
        writer.get_by_text(f"{NEW_DEALS:,} ready to load").wait_for(timeout=WAIT_MS * 6)
        load = writer.get_by_role("button", name="Load 1 file(s)")
        wait_for_app(writer, timeout=WAIT_MS * 6)
        done = writer.locator("[data-testid='stAlertContentSuccess']").filter(
            has_text=f"loaded {new} opportunities rows"
        )
        load.click()

        # Readers keep reading, in turn, until the writer reports success; then once more.
        rounds = 0
        while True:
            finished = done.count() > 0
            for i, page in enumerate(readers):
                seen.append(_read_home(page, base))
                if i % 3 == 0:
                    _read_reps(page, base)
            rounds += 1
            if finished:
                break
            assert rounds < 50, "the load did not finish"
        assert rounds >= 2  # at least one whole round of reads ran while the load was running
        assert seen[-READERS:] == [new] * READERS
        assert set(seen) <= {old, new}, sorted(set(seen))
        assert errors_on(writer) == []
        writer.screenshot(path=tmp_path / "writer_done.png", full_page=True)
    finally:
        for c in contexts:
            c.close()
