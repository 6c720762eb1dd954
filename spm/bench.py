"""`python -m spm bench`: time each page's spm calls, CSV ingest, and the pandas reference.

Cold = a fresh read-only connection per run; warm = the same connection, queries repeated.
Each figure is the median of `runs` runs, in milliseconds.
"""

from __future__ import annotations

import base64
import dataclasses
import importlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from spm import derived, forecast, reference, store
from spm.metrics import kpis, summary
from spm.periods import quarter_of, shift

SIZES = {"small": {"reps": 9, "years": 2}, "large": {"reps": 1000, "years": 3}}
INGEST_ROWS = {"small": 100_000, "large": 1_000_000}
TODAY = date(2026, 11, 23)
# Browser visits after each page's first, per browser: two browsers × 12 pages × (first + these)
# + one priming visit each are ~100 visits of 2-3 s, within the bench's 10 minutes.
BROWSER_REPEATS = 2

Call = Callable[[duckdb.DuckDBPyConnection], object]

# bench case -> the page's URL path (the one-on-one view is the Reps page with a rep chosen;
# on Pipeline, Plans and the QBR only the open tab runs, so their heaviest other tab is a case too)
PAGES = {
    "home": "/",
    "forecast": "/forecast",
    "pipeline": "/pipeline",
    "pipeline_funnel": "/pipeline?tab=Funnel",
    "reps": "/reps",
    "one_on_one": "/reps?rep={rep}",
    "plans": "/plans",
    "plans_scenarios": "/plans?tab=Quota+scenarios",
    # AppTest starts on Home, whose period the sidebar would carry over: name the QBR's own
    # default (the last closed quarter, as a browser opening /qbr gets it)
    "qbr": "/qbr?period={closed}",
    "qbr_waterfall": "/qbr?period={closed}&tab=Pipeline+waterfall",
    "data": "/data",
}
ROOT = Path(__file__).resolve().parents[1]


def encode_arg(value: Any) -> Any:
    """Return `value` as JSON-ready data, dates and spm dataclasses tagged to come back."""
    if isinstance(value, date):
        return {"__date__": value.isoformat()}
    if isinstance(value, pd.DataFrame):  # e.g. a roster the Plans page passes on: Arrow IPC
        sink = pa.BufferOutputStream()
        table = pa.Table.from_pandas(value)
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        return {"__frame__": base64.b64encode(sink.getvalue().to_pybytes()).decode("ascii")}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        kind = type(value)
        fields = {f.name: encode_arg(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"__dataclass__": f"{kind.__module__}:{kind.__qualname__}", "fields": fields}
    if isinstance(value, (list, tuple)):
        return [encode_arg(v) for v in value]
    if isinstance(value, dict):
        return {"__dict__": [[encode_arg(k), encode_arg(v)] for k, v in value.items()]}
    return value


def decode_arg(value: Any) -> Any:
    """Return the value `encode_arg` was given (tuples come back as lists)."""
    if isinstance(value, list):
        return [decode_arg(v) for v in value]
    if isinstance(value, dict) and "__date__" in value:
        return date.fromisoformat(value["__date__"])
    if isinstance(value, dict) and "__frame__" in value:
        data = base64.b64decode(value["__frame__"])
        return pa.ipc.open_stream(data).read_all().to_pandas()
    if isinstance(value, dict) and "__dataclass__" in value:
        kind = resolve(value["__dataclass__"])
        if not (kind.__module__.startswith("spm.") and dataclasses.is_dataclass(kind)):
            raise ValueError(f"not an spm dataclass: {value['__dataclass__']}")
        return kind(**{k: decode_arg(v) for k, v in value["fields"].items()})
    if isinstance(value, dict) and "__dict__" in value:
        return {decode_arg(k): decode_arg(v) for k, v in value["__dict__"]}
    return value


def record_page(db: str, url: str) -> dict[str, Any]:
    """Return the spm calls a page makes through the app's cache on a first and a repeat visit.

    Runs the page twice with Streamlit's AppTest in a child process (the app opens the file
    for writing, which would lock out this process's read-only connections): `calls` lists
    (function, args, kwargs) of the first visit; `warm_ms` is the time those cached calls take
    on the repeat visit, i.e. what a page costs when the data has not changed.
    """
    code = "import sys; from spm.ui.record import record_main; record_main(sys.argv[1])"
    proc = subprocess.run(
        [sys.executable, "-c", code, json.dumps({"db": db, "url": url})],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "SPM_DB": db},
        timeout=1800,
        check=False,
    )
    lines = [x for x in proc.stdout.splitlines() if x.startswith("{")]
    if proc.returncode or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"recording {url} failed: {tail}")
    out = json.loads(lines[-1])
    out["calls"] = [(name, decode_arg(a), decode_arg(k)) for name, a, k in out["calls"]]
    return out


def resolve(name: str) -> Callable[..., Any]:
    """Return the function named `module:qualname`."""
    module, _, qualname = name.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def page_urls(db: str) -> dict[str, str]:
    """Return each bench page's URL path on this database (first rep, last closed quarter)."""
    con = store.connect(db, read_only=True)
    try:
        reps = summary.rep_directory(con)
        closed = shift(quarter_of(max(store.snapshot_dates(con))), -1).label
    finally:
        con.close()
    rep = quote(str(reps["rep"].iloc[0])) if len(reps) else ""
    return {page: url.format(rep=rep, closed=closed) for page, url in PAGES.items()}


def page_calls(db: str) -> dict[str, dict[str, Any]]:
    """Return, per page, the recorded calls of its default view (see `record_page`)."""
    return {page: record_page(db, url) for page, url in page_urls(db).items()}


def _median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def time_calls(path: str, calls: list[Call], runs: int) -> tuple[float, float]:
    """Return (cold, repeated) median milliseconds for calls on a fresh / the same connection."""

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


def replay(recorded: list[tuple[str, list, dict]]) -> list[Call]:
    """Return callables that repeat recorded page calls on a given connection."""

    def call(con: duckdb.DuckDBPyConnection, fn: Callable[..., Any], a: list, k: dict) -> object:
        try:
            return fn(con, *a, **k)
        except ValueError as exc:  # an answer the page shows as a message (e.g. open period)
            return exc

    fns = [(resolve(name), args, kwargs) for name, args, kwargs in recorded]
    return [lambda c, fn=fn, a=a, k=k: call(c, fn, a, k) for fn, a, k in fns]


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
    """Build the demo database for `size` at `path` unless it is already there.

    In a child process (`python -m spm demo`), so the peak memory the bench reports is that of
    the pages' work, not of generating 18M snapshot rows.
    """
    if not path.exists():
        sizes = SIZES[size]
        command = [sys.executable, "-m", "spm", "demo", "--db", str(path), "--today", str(TODAY),
                   "--reps", str(sizes["reps"]), "--years", str(sizes["years"])]  # fmt: skip
        proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        if proc.returncode:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"building the {size} demo database failed: {tail}")
    return path


def run(
    size: str = "small", db: str | None = None, runs: int = 5, browser: bool = False
) -> pd.DataFrame:
    """Return one benchmark record per case: case, rows, cold_ms, warm_ms, reference_ms, ratio.

    page:<name> — the calls the page makes on its default view (recorded from the app): cold =
    replayed on a fresh read-only connection, warm = the repeat visit through the app's cache.
    """
    if size not in SIZES:
        raise ValueError(f"unknown size '{size}': use small or large")
    path = ensure_database(size, Path(db or Path("data") / f"bench-{size}.duckdb"))
    con = store.connect(path, read_only=True)
    rows = int(con.execute("SELECT count(*) FROM opportunity_snapshot_rows").fetchone()[0])
    latest = max(store.snapshot_dates(con))
    con.close()
    period = quarter_of(latest).label
    records = []
    for page, rec in page_calls(str(path)).items():
        cold, _ = time_calls(str(path), replay(rec["calls"]), runs)
        records.append(
            {"case": f"page:{page}", "rows": rows, "cold_ms": cold, "warm_ms": rec["warm_ms"]}
        )
    # A seed no page uses, so the stored forecast points are not read: the simulation's cost.
    fresh, _ = time_calls(
        str(path), [lambda c: forecast.statistical_forecast(c, period, seed=11)], runs
    )
    records.append({"case": "forecast:statistical", "rows": rows, "cold_ms": fresh})

    # Peak memory of the app's own work, before the pandas reference loads whole tables.
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tables = reference.store_tables(str(path))
    for name, sql_fn, ref_fn in [
        ("metric:summary", lambda c: summary.summary(c, period=period),
         lambda: reference.summary(tables, period)),
        ("metric:rep_kpis", lambda c: kpis.rep_kpis(c, period),
         lambda: reference.rep_kpis(tables, period)),
    ]:  # fmt: skip
        cold, warm = time_calls(str(path), [sql_fn], runs)
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
    records.append({"case": "refresh:derived", "rows": rows, "cold_ms": _refresh_ms(path)})
    records.append({"case": "peak_rss_mb", "rows": rows, "cold_ms": peak_mb})
    if browser:
        records += _browser_records(str(path))
    cols = ["case", "rows", "cold_ms", "warm_ms", "reference_ms", "ratio"]
    return pd.DataFrame(records).reindex(columns=cols).astype({"rows": "Int64"})


def _refresh_ms(path: Path) -> float:
    """Return the milliseconds a full rebuild of the pre-aggregated tables takes after a load."""
    con = store.connect(path)
    try:
        con.execute("DELETE FROM derived_state")
        con.execute("DELETE FROM forecast_points")
        con.execute("DELETE FROM derived_frames")
        start = time.perf_counter()
        derived.refresh(con)
        return (time.perf_counter() - start) * 1000
    finally:
        con.close()


def _browser_records(path: str) -> list[dict[str, Any]]:
    """Return render:<page> cases (a returning browser) and render_new_browser:<page> cases (an
    empty browser profile): cold = the first visit after server start, warm = a repeat.

    `render:streamlit_floor` is a one-line Streamlit app in the same harness: what the browser
    and Streamlit cost on this machine before a page does anything.
    """
    try:
        from spm.bench_browser import floor_times, render_times
    except ImportError as exc:  # playwright is a dev dependency
        print(f"browser timings skipped: {exc}", file=sys.stderr)
        return []
    urls = page_urls(path)
    try:
        floor = floor_times(BROWSER_REPEATS)
        times = render_times(path, list(urls.values()), BROWSER_REPEATS)
    except RuntimeError as exc:
        print(f"browser timings skipped: {exc}", file=sys.stderr)
        return []
    out = []
    for prefix, first, repeat in (
        ("render", "first_ms", "repeat_ms"),
        ("render_new_browser", "new_first_ms", "new_repeat_ms"),
    ):
        out.append({"case": f"{prefix}:streamlit_floor", "cold_ms": floor[first],
                    "warm_ms": floor[repeat]})  # fmt: skip
        for page, url in urls.items():
            t = times.get(url) or {}
            out.append({"case": f"{prefix}:{page}", "cold_ms": t.get(first),
                        "warm_ms": t.get(repeat)})  # fmt: skip
    return out
