"""Crash safety: a load killed with SIGKILL at any moment leaves all of it or none of it.

A subprocess loads a large generated file and is killed at seeded random moments (some spread
over the whole run, some just after the write has started). The database must then open with
exactly the previous tables, or with the previous tables plus the complete load. Undo, killed
or not, restores the exact previous contents.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from spm import store
from spm.ingest import ingest_bytes, undo_load
from tests.test_corpus import BASE, REPS, dump, without_load

ROOT = Path(__file__).resolve().parents[1]
ROWS = 150_000
TRIALS = 6
SEED = 20261123
STAGES = ["Prospecting", "Qualification", "Closed Won", "Closed Lost", "Negotiation/Review"]


def big_csv(path: Path, rows: int) -> None:
    """Write a deterministic opportunities export with `rows` deals."""
    rng = random.Random(7)
    lines = ["opportunity_id,amount,stage,close_date,owner,account,created_date"]
    for i in range(rows):
        month = rng.randint(1, 12)
        lines.append(
            f"BIG{i:07d},{rng.randint(1, 500) * 100},{rng.choice(STAGES)},2026-{month:02d}-15,"
            f"Rep {i % 97},Account {i % 1_013},2025-{month:02d}-01"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def start_load(db: Path, csv: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "spm", "ingest", str(csv), "--db", str(db), "--as-of", "2026-03-01"],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def start_undo(db: Path, load_id: int) -> subprocess.Popen[bytes]:
    code = (
        "import sys; from spm import store; from spm.ingest import undo_load; "
        "undo_load(store.connect(sys.argv[1]), int(sys.argv[2]))"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, str(db), str(load_id)],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill_after(proc: subprocess.Popen[bytes], delay: float, wal: Path | None = None) -> bool:
    """SIGKILL proc `delay` s after start (or after the WAL appears); return True if killed."""
    if wal is not None:
        deadline = time.monotonic() + 120
        while not wal.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
    time.sleep(delay)
    if proc.poll() is not None:
        return False
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return True


def new_load_id(before, after) -> int | None:  # type: ignore[no-untyped-def]
    ids = {r[0] for r in after["loads"][1]} - {r[0] for r in before["loads"][1]}
    assert len(ids) <= 1
    return ids.pop() if ids else None


def assert_whole_load_or_nothing(before, after) -> int | None:  # type: ignore[no-untyped-def]
    """Assert after is before, or before plus one complete load of ROWS deals; return its id."""
    load_id = new_load_id(before, after)
    if load_id is None:
        assert after == before
        return None
    assert without_load(after, load_id) == without_load(before, -1)
    cols, loads = after["loads"]
    record = dict(zip(cols, next(r for r in loads if r[0] == load_id), strict=True))
    assert (record["rows_loaded"], record["rows_rejected"], record["status"]) == (ROWS, 0, "active")
    snap_cols, snap = after["opportunity_snapshot_rows"]
    i = snap_cols.index("load_id")
    assert sum(1 for r in snap if r[i] == load_id) == ROWS
    return load_id


def assert_undone(before, after, load_id: int) -> None:  # type: ignore[no-untyped-def]
    """Assert every data table is exactly as before the load; the load is marked undone."""
    # `meta` only counts versions (a cache key) and `loads` keeps the undone load's record.
    skip = ("loads", "meta")
    assert {k: v for k, v in after.items() if k not in skip} == {
        k: v for k, v in before.items() if k not in skip
    }
    cols, loads = after["loads"]
    status = {r[0]: r[cols.index("status")] for r in loads}
    assert status == {r[0]: r[cols.index("status")] for r in before["loads"][1]} | {
        load_id: "undone"
    }


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("crash") / "big.csv"
    big_csv(path, ROWS)
    return path


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "crash.duckdb"
    con = store.connect(path)
    ingest_bytes(con, "base.csv", BASE, as_of=date(2026, 2, 1))
    ingest_bytes(con, "reps.csv", REPS)
    con.close()
    return path


def test_killed_loads_leave_all_or_nothing(db, big, tmp_path):
    # How long a whole load takes here, measured on copies (the first run warms the caches).
    times = []
    for n in range(2):
        probe = tmp_path / f"probe{n}.duckdb"
        shutil.copy(db, probe)
        started = time.monotonic()
        assert start_load(probe, big).wait(timeout=600) == 0
        times.append(time.monotonic() - started)
    full = min(times)

    rng = random.Random(SEED)
    wal = Path(f"{db}.wal")
    outcomes = []
    for trial in range(TRIALS):
        before = dump(db)
        proc = start_load(db, big)
        if trial % 2 == 0:
            killed = kill_after(proc, rng.uniform(0.0, full))  # anywhere in the run
        else:
            killed = kill_after(proc, rng.uniform(0.0, 0.5), wal=wal)  # during the write
        proc.wait(timeout=600)
        after = dump(db)  # opening the file replays or discards what the WAL holds
        load_id = assert_whole_load_or_nothing(before, after)
        outcomes.append((killed, load_id is not None))
        if load_id is not None:
            con = store.connect(db)
            undo_load(con, load_id)
            con.close()
            assert_undone(before, dump(db), load_id)
    # The seeded moments must have killed at least one load mid-way, or the test proves nothing.
    assert any(killed and not landed for killed, landed in outcomes), outcomes


def test_killed_undo_leaves_the_load_or_the_previous_state(db, big):
    con = store.connect(db)
    before = dump(db)
    con.close()
    rng = random.Random(SEED + 1)
    assert start_load(db, big).wait(timeout=600) == 0
    loaded = dump(db)
    load_id = assert_whole_load_or_nothing(before, loaded)
    assert load_id is not None
    wal = Path(f"{db}.wal")
    for _ in range(3):
        proc = start_undo(db, load_id)
        killed = kill_after(proc, rng.uniform(0.0, 0.2), wal=wal)
        proc.wait(timeout=600)
        after = dump(db)
        if after == loaded:
            assert killed
            continue
        assert_undone(before, after, load_id)
        return
    # Three kills all landed before the undo committed: finish it and check it once more.
    con = store.connect(db)
    undo_load(con, load_id)
    con.close()
    assert_undone(before, dump(db), load_id)


def test_undo_restores_exact_previous_contents(db, tmp_path):
    con = store.connect(db)
    try:
        before = dump(db)
        text = (
            b"opportunity_id,amount,stage,close_date,owner\n"
            b"B1,900,Closed Won,2026-01-15,Ann Lee\n"  # same deal, same day: replaces B1
            b"N1,50,Prospecting,2026-06-01,Ann Lee\n"
            b"N2,oops,Prospecting,2026-06-01,Ann Lee\n"  # a reject, removed by undo too
        )
        result = ingest_bytes(con, "same_day.csv", text, as_of=date(2026, 2, 1))
        assert (result.rows_loaded, result.rows_rejected) == (2, 1)
        assert con.execute(
            "SELECT opportunity_id, amount FROM opportunity_snapshots ORDER BY 1"
        ).fetchall() == [("B1", 900), ("B2", 700), ("N1", 50)]
        undo_load(con, result.load_id)
        assert con.execute(
            "SELECT opportunity_id, amount FROM opportunity_snapshots ORDER BY 1"
        ).fetchall() == [("B1", 500), ("B2", 700)]
    finally:
        con.close()
    assert_undone(before, dump(db), result.load_id)
