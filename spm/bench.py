"""`python -m spm bench`: time each page's spm calls, CSV ingest, and the pandas reference.

Cold = a fresh read-only connection per run; warm = the same connection, queries repeated.
Each figure is the median of `runs` runs, in milliseconds.
"""

from __future__ import annotations

import importlib
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from spm import reference, store
from spm.metrics import coaching, hygiene, kpis, summary
from spm.periods import quarter_of, shift

SIZES = {"small": {"reps": 9, "years": 2}, "large": {"reps": 1000, "years": 3}}
INGEST_ROWS = {"small": 100_000, "large": 1_000_000}
TODAY = date(2026, 11, 23)

Call = Callable[[duckdb.DuckDBPyConnection], object]


def page_calls(con: duckdb.DuckDBPyConnection) -> dict[str, list[Call]]:
    """Return, per page, the spm calls the page makes on its default view."""
    latest = max(store.snapshot_dates(con))
    period = quarter_of(latest).label
    previous = shift(quarter_of(latest), -1).label
    pages: dict[str, list[Call]] = {
        # as views/home.py calls them (its forecast glance is timed as page:home_glance)
        "home": [
            lambda c: summary.summary(c, period=period),
            lambda c: summary.summary(c),
            lambda c: summary.snapshot_list(c, limit=12),
            summary.snapshot_dates,
            summary.loaded_counts,
        ],
        "reps": [
            lambda c: kpis.rep_kpis(c, period),
            lambda c: kpis.team_kpis(c, period),
            lambda c: kpis.kpi_trend(c, 8),
        ],
        "one_on_one": [
            lambda c: kpis.rep_kpis(c, period),
            lambda c: kpis.rep_kpis(c, previous),
            lambda c: hygiene.deals_needing_attention(c),
            lambda c: coaching.ramp_curves(c),
            lambda c: coaching.activity_counts(c, period),
        ],
        "hygiene": [lambda c: hygiene.hygiene(c)],
    }
    pages.update(_optional_pages(period, previous))
    return pages


def _optional_pages(period: str, previous: str) -> dict[str, list[Call]]:
    """Return the query sets of pages whose modules are installed (by their public API)."""
    out: dict[str, list[Call]] = {}
    specs = {
        "forecast": (
            "spm.forecast",
            [("forecast_rollup", (period,)), ("forecast_trend", (period,))],
        ),
        "stat_forecast": ("spm.forecast", [("statistical_forecast", (period,))]),
        "home_glance": ("spm.forecast", [("quarter_glance", (period,))]),
        "pipeline": ("spm.pipeline", [("coverage", (period,))]),
        "qbr": ("spm.waterfall", [("waterfall", (previous,))]),
    }
    for page, (module_name, calls) in specs.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        fns = [(getattr(module, fn, None), args) for fn, args in calls]
        if all(fn is not None for fn, _ in fns):
            out[page] = [lambda c, fn=fn, args=args: fn(c, *args) for fn, args in fns]
    return out


def _median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def time_page(path: str, calls: list[Call], runs: int) -> tuple[float, float]:
    """Return (cold, warm) median milliseconds for one page's calls."""

    def cold() -> None:
        con = store.connect(path, read_only=True)
        try:
            for call in calls:
                call(con)
        finally:
            con.close()

    con = store.connect(path, read_only=True)
    try:
        for call in calls:
            call(con)

        def warm() -> None:
            for call in calls:
                call(con)

        return _median_ms(cold, runs), _median_ms(warm, runs)
    finally:
        con.close()


def opportunities_csv(rows: int, seed: int = 7) -> str:
    """Return a synthetic opportunities CSV with `rows` deals (vectorised, for ingest timing)."""
    rng = np.random.default_rng(seed)
    stages = np.array(["Prospecting", "Qualification", "Proposal/Price Quote", "Closed Won",
                       "Closed Lost"])  # fmt: skip
    close = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 365, rows), unit="D")
    frame = pd.DataFrame(
        {
            "Opportunity ID": np.char.add("B-", np.arange(rows).astype(str)),
            "Opportunity Owner": np.char.add("Rep ", rng.integers(0, 1000, rows).astype(str)),
            "Amount": rng.integers(1_000, 200_000, rows),
            "Stage": stages[rng.integers(0, len(stages), rows)],
            "Close Date": close.strftime("%m/%d/%Y"),
        }
    )
    return frame.to_csv(index=False)


def ensure_database(size: str, path: Path) -> Path:
    """Build the demo database for `size` at `path` unless it is already there."""
    if not path.exists():
        from spm.demo import build_demo

        con = store.connect(path)
        try:
            build_demo(con, today=TODAY, **SIZES[size])
        finally:
            con.close()
    return path


def run(size: str = "small", db: str | None = None, runs: int = 5) -> pd.DataFrame:
    """Return one benchmark record per case: case, rows, cold_ms, warm_ms, reference_ms, ratio."""
    if size not in SIZES:
        raise ValueError(f"unknown size '{size}': use small or large")
    path = ensure_database(size, Path(db or Path("data") / f"bench-{size}.duckdb"))
    con = store.connect(path, read_only=True)
    rows = int(con.execute("SELECT count(*) FROM opportunity_snapshot_rows").fetchone()[0])
    latest = max(store.snapshot_dates(con))
    con.close()
    period = quarter_of(latest).label
    records = []
    for page, calls in page_calls(store.connect(path, read_only=True)).items():
        cold, warm = time_page(str(path), calls, runs)
        records.append({"case": f"page:{page}", "rows": rows, "cold_ms": cold, "warm_ms": warm})

    # Peak memory of the app's own work, before the pandas reference loads whole tables.
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tables = reference.store_tables(str(path))
    for name, sql_fn, ref_fn in [
        ("metric:summary", lambda c: summary.summary(c, period=period),
         lambda: reference.summary(tables, period)),
        ("metric:rep_kpis", lambda c: kpis.rep_kpis(c, period),
         lambda: reference.rep_kpis(tables, period)),
    ]:  # fmt: skip
        cold, warm = time_page(str(path), [sql_fn], runs)
        ref = _median_ms(ref_fn, runs)
        records.append(
            {"case": name, "rows": rows, "cold_ms": cold, "warm_ms": warm, "reference_ms": ref,
             "ratio": ref / cold if cold else None}
        )  # fmt: skip

    from spm.ingest import ingest_bytes

    data = opportunities_csv(INGEST_ROWS[size]).encode()
    with tempfile.TemporaryDirectory() as tmp:
        target = store.connect(Path(tmp) / "ingest.duckdb")
        start = time.perf_counter()
        ingest_bytes(target, "bench.csv", data, as_of=TODAY)
        ingest_ms = (time.perf_counter() - start) * 1000
        target.close()
    records.append({"case": "ingest:csv", "rows": INGEST_ROWS[size], "cold_ms": ingest_ms})
    records.append({"case": "peak_rss_mb", "rows": rows, "cold_ms": peak_mb})
    cols = ["case", "rows", "cold_ms", "warm_ms", "reference_ms", "ratio"]
    return pd.DataFrame(records).reindex(columns=cols)
