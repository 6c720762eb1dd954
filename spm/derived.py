"""Pre-aggregated tables: what the heavy pages read instead of every snapshot row.

`deal_stage_history` holds one row per (deal, stage) a deal was seen open in, with when it
first showed there and how and when the deal closed (525k rows instead of 18M snapshot rows on
the large demo); `stage_history` counts those per (stage, first_seen, closed_at, won) for win
rates and calibration (49k rows). `forecast_points` keeps the statistical forecast (Monte
Carlo) of each snapshot once computed, so the week-by-week trend is not re-simulated on every
visit. `derived_frames` keeps the results of slow analyses that change only with the data (a
closed quarter's QBR sections and forecast accuracy, the snapshot list, this week's changes),
stored by `refresh` for the views pages open on and by `memo_frames` for the others.

All are valid for one *fingerprint* of their inputs (`_FINGERPRINT`): snapshot, rep, quota,
account and activity rows, loads, stage mapping and settings. `refresh` rebuilds them after a
load; readers call
`ensure_stage_history`, which rebuilds a stale table when the connection may write and
otherwise builds a connection-local TEMP table of the same name (DuckDB resolves temp objects
before the file's), so a read-only connection or a plain SQL insert still gets exact answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from spm import sql
from spm.periods import Period

STAGE_HISTORY = "deal_stage_history"
# The fixed statements that store a build's rows, read from the registered relation _spm_build,
# in the file or in a connection-local TEMP table; no SQL is ever spliced together.
_STATEMENTS = {
    "history": "INSERT INTO main.deal_stage_history SELECT * FROM _spm_build",
    "history_temp": "CREATE OR REPLACE TEMP TABLE deal_stage_history AS SELECT * FROM _spm_build",
    "counts": "INSERT INTO main.stage_history SELECT * FROM _spm_build",
    "counts_temp": "CREATE OR REPLACE TEMP TABLE stage_history AS SELECT * FROM _spm_build",
    "runs": "CREATE OR REPLACE TABLE main.deal_stage_runs AS SELECT * FROM _spm_build",
    "flags": "CREATE OR REPLACE TABLE main.deal_flags_latest AS SELECT * FROM _spm_build",
}
# (packaged query, statement into the file, statement into TEMP), in build order
_BUILDS = [
    ("forecast_stage_history", "history", "history_temp"),
    ("forecast_stage_counts", "counts", "counts_temp"),  # reads deal_stage_history
]


def _materialise(
    con: duckdb.DuckDBPyConnection, query: str, statement: str, params: dict | None = None
) -> None:
    """Store the rows of the packaged query `query` with `_STATEMENTS[statement]`."""
    con.register("_spm_build", con.sql(sql.sql_text(query), params=params))
    try:
        con.execute(_STATEMENTS[statement])
    finally:
        con.unregister("_spm_build")


# Tables that only cache what the row tables determine: never user data, safe to empty.
CACHE_TABLES = ("derived_state", "deal_stage_history", "stage_history", "forecast_points")
CACHE_TABLES += ("deal_stage_runs", "deal_flags_latest")
CACHE_TABLES += ("snapshot_date_cache", "snapshot_date_state")  # store.cache_snapshot_dates
CACHE_TABLES += ("derived_frames",)

POINT_KEYS = ["period", "as_of", "team", "rep", "seed", "draws", "min_deals"]
POINT_VALUES = ["closed", "expected", "p10", "p50", "p90", "open_deals", "open_amount"]
POINT_VALUES += ["fallback_stages"]


# What the pre-aggregated tables are computed from: row counts and newest load ids of the row
# tables (DuckDB answers these from table statistics), the loads table (an undo changes a
# status), the stage mapping, the fiscal-year start and the hygiene thresholds. Any load, undo,
# stage or settings edit changes one of them; so does a plain SQL insert, which never bumps the
# data version. One statement each: combined in one query, DuckDB scans instead (~25 ms vs ~1).
_FINGERPRINT = (
    "SELECT count(*), max(load_id) FROM opportunity_snapshot_rows",
    "SELECT count(*), max(load_id) FROM rep_rows",
    "SELECT count(*), max(load_id) FROM quota_rows",
    "SELECT count(*), max(load_id) FROM account_rows",
    "SELECT count(*), max(load_id) FROM activity_rows",
    "SELECT count(*), max(load_id), count(*) FILTER (WHERE status <> 'active') FROM loads",
    """SELECT md5(string_agg(concat_ws(',', lower(stage), stage_order, is_closed, is_won,
                                      probability), ';' ORDER BY lower(stage)))
       FROM stages""",
    """SELECT string_agg(concat_ws('=', key, value), ';' ORDER BY key) FROM settings
       WHERE key IN ('fiscal_year_start_month', 'stale_days', 'pushed_times')""",
)


# Bump when a stored table's shape or meaning changes, so files built by older code rebuild
# on their next refresh or read instead of being read as current.
LAYOUT = 3


def fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """Return the fingerprint of the inputs the pre-aggregated tables are computed from."""
    parts = [con.execute(_FINGERPRINT[i]).fetchall()[0] for i in range(len(_FINGERPRINT))]
    inputs = "|".join(":".join("" if v is None else str(v) for v in row) for row in parts)
    return f"v{LAYOUT}|{inputs}"


def _stored(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """Return the fingerprint the stored table `name` was built for, None if never/no table."""
    try:
        row = con.execute(
            "SELECT fingerprint FROM main.derived_state WHERE name = ?", [name]
        ).fetchall()
    except duckdb.CatalogException:  # a read-only file from before schema v3
        return None
    return row[0][0] if row else None


def _live(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """Return the fingerprint of this connection's TEMP copy of `name`, None without one."""
    con.execute("CREATE TEMP TABLE IF NOT EXISTS derived_live (name VARCHAR, fingerprint VARCHAR)")
    row = con.execute("SELECT fingerprint FROM derived_live WHERE name = ?", [name]).fetchall()
    return row[0][0] if row else None


def _drop_live(con: duckdb.DuckDBPyConnection, name: str) -> None:
    if _live(con, name) is not None:
        con.execute("DROP TABLE IF EXISTS temp.deal_stage_history")
        con.execute("DROP TABLE IF EXISTS temp.stage_history")
        con.execute("DELETE FROM derived_live WHERE name = ?", [name])


def _write(con: duckdb.DuckDBPyConnection, work: Callable[[], None]) -> bool:
    """Run `work` in its own transaction; return False when this connection cannot write now.

    Read-only files, an enclosing transaction and a concurrent writer (DuckDB's optimistic
    concurrency between the app's sessions) are all reasons to skip storing, never to fail.
    """
    try:
        con.execute("BEGIN TRANSACTION")
    except duckdb.Error:
        return False
    try:
        work()
        con.execute("COMMIT")
    except duckdb.Error:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass
        return False
    return True


def _read_only(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT readonly FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    return bool(row and row[0][0])


def _build_stage_history(con: duckdb.DuckDBPyConnection, fp: str) -> None:
    con.execute("DELETE FROM main.deal_stage_history")
    con.execute("DELETE FROM main.stage_history")
    for query, stored, _ in _BUILDS:
        _materialise(con, query, stored)
    con.execute("INSERT OR REPLACE INTO main.derived_state VALUES (?, ?)", [STAGE_HISTORY, fp])


def ensure_stage_history(con: duckdb.DuckDBPyConnection) -> str:
    """Make the stage history tables current for this connection; return their fingerprint."""
    fp = fingerprint(con)
    if _stored(con, STAGE_HISTORY) == fp:
        _drop_live(con, STAGE_HISTORY)
        return fp
    if not _read_only(con):
        _drop_live(con, STAGE_HISTORY)  # a stale TEMP copy would shadow what the build reads
        if _write(con, lambda: _build_stage_history(con, fp)):
            return fp
    if _live(con, STAGE_HISTORY) != fp:
        for query, _, temp in _BUILDS:  # temp tables shadow main's of the same name
            _materialise(con, query, temp)
        con.execute("DELETE FROM derived_live WHERE name = ?", [STAGE_HISTORY])
        con.execute("INSERT INTO derived_live VALUES (?, ?)", [STAGE_HISTORY, fp])
    return fp


STAGE_RUNS = "deal_stage_runs"


def _build_stage_runs(con: duckdb.DuckDBPyConnection, fp: str) -> None:
    _materialise(con, "pipeline_stage_runs", "runs", {"as_of": None, "team": None, "rep": None})
    con.execute("INSERT OR REPLACE INTO main.derived_state VALUES (?, ?)", [STAGE_RUNS, fp])


def _latest_if_current(
    con: duckdb.DuckDBPyConnection,
    name: str,
    build: Callable[[duckdb.DuckDBPyConnection, str], None],
) -> date | None:
    """Return the latest snapshot date when table `name` (built for it) is current, else None.

    A stale table is rebuilt when this connection may write; otherwise callers go live.
    """
    fp = fingerprint(con)
    if _stored(con, name) != fp:
        if _read_only(con) or not _write(con, lambda: build(con, fp)):
            return None
    # fetchall, not fetchone: an unfinished result would block the relation the caller builds
    return con.execute("SELECT max(as_of) FROM opportunity_snapshot_rows").fetchall()[0][0]


def stage_runs_date(con: duckdb.DuckDBPyConnection) -> date | None:
    """Return the snapshot date deal_stage_runs (pipeline_stage_runs.sql for everyone) is for."""
    return _latest_if_current(con, STAGE_RUNS, _build_stage_runs)


DEAL_FLAGS = "deal_flags_latest"


def _build_deal_flags(con: duckdb.DuckDBPyConnection, fp: str) -> None:
    from spm.metrics import hygiene  # hygiene reads this table; import here to keep layers apart

    con.register("_spm_build", hygiene.deal_flags_live(con))
    try:
        con.execute(_STATEMENTS["flags"])
    finally:
        con.unregister("_spm_build")
    con.execute("INSERT OR REPLACE INTO main.derived_state VALUES (?, ?)", [DEAL_FLAGS, fp])


def deal_flags_date(con: duckdb.DuckDBPyConnection) -> date | None:
    """Return the snapshot date deal_flags_latest (hygiene.deal_flags_live for all) is for."""
    return _latest_if_current(con, DEAL_FLAGS, _build_deal_flags)


def stored_points(
    con: duckdb.DuckDBPyConnection, fp: str, key: dict[str, Any]
) -> dict[Any, dict[str, Any]]:
    """Return stored statistical forecasts by snapshot date for one (period, filters, draws)."""
    try:
        rows = con.execute(
            """
            SELECT * FROM main.forecast_points
            WHERE fingerprint = ? AND period = ? AND team IS NOT DISTINCT FROM ?
              AND rep IS NOT DISTINCT FROM ? AND seed = ? AND draws = ? AND min_deals = ?
            """,
            [fp, key["period"], key["team"], key["rep"], key["seed"], key["draws"],
             key["min_deals"]],
        ).df()  # fmt: skip
    except duckdb.CatalogException:
        return {}
    out = {}
    for row in rows.to_dict("records"):
        point = {k: row[k] for k in POINT_VALUES}
        point["open_deals"] = int(point["open_deals"])
        point["fallback_stages"] = list(point["fallback_stages"])
        out[pd.Timestamp(row["as_of"]).date()] = point
    return out


def store_points(
    con: duckdb.DuckDBPyConnection, fp: str, key: dict[str, Any], points: dict[Any, dict]
) -> bool:
    """Keep computed statistical forecasts for later visits; return False when not stored."""
    if not points or _read_only(con):
        return False
    frame = pd.DataFrame([{"fingerprint": fp, **key, "as_of": d, **v} for d, v in points.items()])[
        ["fingerprint", *POINT_KEYS, *POINT_VALUES]
    ]

    def work() -> None:
        con.execute("DELETE FROM main.forecast_points WHERE fingerprint <> ?", [fp])
        con.register("new_points", frame)
        try:
            # a concurrent session may have stored the same points meanwhile: keep one copy
            con.execute(
                """
                INSERT INTO main.forecast_points SELECT * FROM new_points n
                WHERE NOT EXISTS (
                    SELECT 1 FROM main.forecast_points f
                    WHERE f.fingerprint = n.fingerprint AND f.period = n.period
                      AND f.as_of = n.as_of AND f.team IS NOT DISTINCT FROM n.team
                      AND f.rep IS NOT DISTINCT FROM n.rep AND f.seed = n.seed
                      AND f.draws = n.draws AND f.min_deals = n.min_deals)
                """
            )
        finally:
            con.unregister("new_points")

    return _write(con, work)


def _frame_bytes(frame: pd.DataFrame) -> bytes:
    """Return `frame` as an Arrow IPC stream (data only: never code, unlike a pickle)."""
    plain = frame.copy(deep=False)
    plain.attrs = {}  # kept below, dates tagged; pandas would try to write them as plain JSON
    table = pa.Table.from_pandas(plain, preserve_index=False)
    attrs = {k: {"date": v.isoformat()} if type(v) is date else v for k, v in frame.attrs.items()}
    try:
        json.dumps(attrs)
    except TypeError:
        attrs = {}
    # object columns (e.g. text with None) would come back as pandas' string dtype
    objects = [str(c) for c, t in frame.dtypes.items() if pd.api.types.is_object_dtype(t)]
    spm = json.dumps({"attrs": attrs, "object": objects})
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), b"spm": spm})
    sink = pa.BufferOutputStream()
    # zstd: a closed quarter's waterfall deals are ~9 MB raw, ~1.3 MB compressed, and DuckDB
    # reads the whole blob column of the table for any one row
    options = pa.ipc.IpcWriteOptions(compression="zstd")
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _frame_from(data: bytes) -> pd.DataFrame:
    table = pa.ipc.open_stream(pa.py_buffer(data)).read_all()
    meta = table.schema.metadata or {}
    spm = json.loads(meta.get(b"spm", b'{"attrs": {}, "object": []}'))
    frame = table.replace_schema_metadata({k: v for k, v in meta.items() if k != b"spm"})
    frame = frame.to_pandas()
    for name in spm["object"]:
        values = table.column(name).to_pylist()
        frame[name] = pd.Series(values, index=frame.index, dtype=object)
    frame.attrs.update(
        {k: date.fromisoformat(v["date"]) if isinstance(v, dict) and "date" in v else v
         for k, v in spm["attrs"].items()}
    )  # fmt: skip
    return frame


def memo_frames(
    con: duckdb.DuckDBPyConnection,
    name: str,
    key: dict[str, Any],
    compute: Callable[[], tuple[pd.DataFrame, ...]],
) -> tuple[pd.DataFrame, ...]:
    """Return `compute()`, kept in derived_frames for this state of the data and `key`.

    For analyses that read many snapshot rows and change only when the data does (a closed
    quarter's forecast accuracy or waterfall). A read-only connection or an old schema just
    computes.
    """
    fp = fingerprint(con)
    text = json.dumps(key, sort_keys=True, default=str)
    try:
        rows = con.execute(
            "SELECT data FROM main.derived_frames WHERE name = ? AND key = ? AND fingerprint = ?",
            [name, text, fp],
        ).fetchall()
    except duckdb.CatalogException:  # a read-only file from before schema v4
        return compute()
    if rows:
        return tuple(_frame_from(data) for data in rows[0][0])
    frames = compute()
    if not _read_only(con):
        data = [_frame_bytes(frame) for frame in frames]

        def work() -> None:
            con.execute("DELETE FROM main.derived_frames WHERE fingerprint <> ?", [fp])
            con.execute(
                "INSERT OR REPLACE INTO main.derived_frames VALUES (?, ?, ?, ?)",
                [name, text, fp, data],
            )

        _write(con, work)
    return frames


def memo_frame(
    con: duckdb.DuckDBPyConnection,
    name: str,
    key: dict[str, Any],
    compute: Callable[[], pd.DataFrame],
) -> pd.DataFrame:
    """Return `compute()` kept like `memo_frames` (one frame)."""
    return memo_frames(con, name, key, lambda: (compute(),))[0]


def memo_closed(
    con: duckdb.DuckDBPyConnection,
    name: str,
    period: Period,
    snapshot: date | None,
    key: dict[str, Any],
    compute: Callable[[], tuple[pd.DataFrame, ...]],
) -> tuple[pd.DataFrame, ...]:
    """Return `compute()`, kept like `memo_frames` when `snapshot` is after `period` closed.

    `snapshot` is the one the analysis reads (the latest on or before the page's as-of date),
    so every day until the next load shares the stored result. An open period is computed.
    """
    if snapshot is None or snapshot < period.end:
        return compute()
    return memo_frames(con, name, {"period": period.label, "snapshot": snapshot, **key}, compute)


def refresh(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild the pre-aggregated tables after a load; store what the default pages read."""
    # they read these tables: imported here to keep the layers apart
    from spm import forecast, plans, qbr
    from spm.metrics import summary

    ensure_stage_history(con)
    stage_runs_date(con)
    deal_flags_date(con)
    dates = con.execute("SELECT max(as_of) FROM snapshot_dates").fetchall()[0]
    if dates and dates[0] is not None:
        forecast.warm(con, dates[0])
        qbr.warm(con)
        summary.warm(con, dates[0])
        plans.warm(con, dates[0])
