"""`python -m spm …`: the headless twin of the pages (same functions, same numbers)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from spm import derived, store
from spm.ingest import IngestError, ingest_file, load_history
from spm.ingest.mapping import parse_overrides
from spm.metrics import summary as summary_metrics
from spm.periods import PeriodError


class UserError(Exception):
    """A mistake in the command line or its input; reported in one line, exit code 2."""


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-09-30") from None


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m spm", description="SPM Dashboard command line")
    sub = ap.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="write the deterministic demo company into the database")
    demo.add_argument("--db", help="database file (default $SPM_DB or data/spm.duckdb)")
    demo.add_argument("--reps", type=int, default=9)
    demo.add_argument("--years", type=int, default=2)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--today", type=_date, help="the demo's 'today' (default: today)")

    ingest = sub.add_parser("ingest", help="load CSV / Parquet / Excel exports")
    ingest.add_argument("files", nargs="+", metavar="FILE")
    ingest.add_argument("--db")
    ingest.add_argument("--kind", help="opportunities, opportunity_history, reps, quotas, …")
    ingest.add_argument("--as-of", type=_date, help="snapshot date when the file has none")
    ingest.add_argument("--map", action="append", metavar="SRC=DST", help="map a column")
    ingest.add_argument(
        "--all-or-nothing", action="store_true", help="load nothing if any row is rejected"
    )

    report = sub.add_parser("report", help="print a report")
    report.add_argument("name", help=f"one of: {', '.join(REPORTS)}")
    report.add_argument("--db")
    report.add_argument("--period", help="2026-03, 2026-Q3 or FY2026")
    report.add_argument("--as-of", type=_date, help="use the latest snapshot on or before this")
    report.add_argument("--team")
    report.add_argument("--rep")
    report.add_argument("--format", choices=["table", "csv", "json"], default="table")
    seen = {a for action in report._actions for a in action.option_strings}
    for module in _plugins():
        for flag, kwargs in getattr(module, "CLI_OPTIONS", []):
            if flag not in seen:
                if "%" in kwargs.get("help", "") and "%%" not in kwargs["help"]:
                    kwargs = {**kwargs, "help": kwargs["help"].replace("%", "%%")}
                report.add_argument(flag, **kwargs)
                seen.add(flag)
    bench = sub.add_parser("bench", help="time each page's queries, ingest and the reference")
    bench.add_argument("--size", choices=["small", "large"], default="small")
    bench.add_argument("--db", help="benchmark database (default data/bench-<size>.duckdb)")
    bench.add_argument("--runs", type=int, default=5)
    bench.add_argument("--format", choices=["table", "csv", "json"], default="table")
    bench.add_argument(
        "--browser",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time each page's first render in Chromium (skipped when none is installed)",
    )
    serve = sub.add_parser("serve", help="start the app (what `make run` does)")
    serve.add_argument("--db", help="database file (default $SPM_DB or data/spm.duckdb)")
    serve.add_argument(
        "streamlit_args",
        nargs=argparse.REMAINDER,
        metavar="-- STREAMLIT_OPTION",
        help="passed on to `streamlit run`, e.g. -- --server.port 8600",
    )
    return ap


def _open(path: str | None) -> duckdb.DuckDBPyConnection:
    try:
        return store.connect(path)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise UserError(
                f"{path or store.default_path()} is in use by another process "
                "(close the app or use --db)"
            ) from None
        raise UserError(f"cannot open database {path or store.default_path()}: {exc}") from None


def _existing(path: str | None) -> duckdb.DuckDBPyConnection:
    target = Path(path) if path else store.default_path()
    if not target.exists():
        raise UserError(f"no database at {target}: run 'python -m spm demo' or 'ingest' first")
    return _open(str(target))


def cmd_demo(args: argparse.Namespace) -> int:
    """Build the demo company and print the row counts."""
    from spm.demo import build_demo

    if args.reps < 1 or args.years < 1:
        raise UserError("--reps and --years must be at least 1")
    con = _open(args.db)
    counts = build_demo(con, reps=args.reps, years=args.years, seed=args.seed, today=args.today)
    derived.refresh(con)
    parts = ", ".join(f"{v:,} {k}" for k, v in counts.items())
    print(f"demo company written to {args.db or store.default_path()}: {parts}")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    """Load each file; stop at the first file that cannot load at all."""
    overrides = parse_overrides(args.map)
    con = _open(args.db)
    for path in args.files:
        result = ingest_file(
            con,
            path,
            kind=args.kind,
            overrides=overrides,
            as_of=args.as_of,
            all_or_nothing=args.all_or_nothing,
        )
        print(result.summary())
        for note in result.notes:
            print(f"  note: {note}")
        if result.rows_rejected:
            for r in result.rejects.head(5).itertuples():
                print(
                    f"  rejected row {r.row_number}, {r.column_name} = {r.value!r}: {r.reason}",
                    file=sys.stderr,
                )
    derived.refresh(con)
    return 0


def _report_loads(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> pd.DataFrame:
    return load_history(con)


def _report_snapshots(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> pd.DataFrame:
    return summary_metrics.snapshot_list(con)


def _report_summary(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> pd.DataFrame:
    return summary_metrics.summary(con, period=args.period, as_of=args.as_of)


def _report_rep_kpis(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> pd.DataFrame:
    from spm.metrics.kpis import rep_kpis

    if not args.period:
        raise UserError("report rep-kpis needs --period, e.g. --period 2026-Q3")
    frame = rep_kpis(con, args.period, as_of=args.as_of, team=args.team, rep=args.rep)
    keys = ["rep", "team", "won", "lost", "win_rate", "bookings", "ads", "cycle_days", "quota"]
    return frame[[*keys, "attainment", "open_pipeline", "coverage"]]


def _report_hygiene(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> pd.DataFrame:
    from spm.metrics.hygiene import hygiene

    return hygiene(con, as_of=args.as_of, team=args.team, rep=args.rep)


Report = Callable[[duckdb.DuckDBPyConnection, argparse.Namespace], pd.DataFrame]
REPORTS: dict[str, Report] = {
    "summary": _report_summary,
    "rep-kpis": _report_rep_kpis,
    "hygiene": _report_hygiene,
    "loads": _report_loads,
    "snapshots": _report_snapshots,
}
# Modules that add reports: each defines CLI_REPORTS = {name: fn(con, args) -> DataFrame} and
# may define CLI_OPTIONS = [(flag, argparse kwargs), ...] for extra `report` options.
REPORT_MODULES = ["spm.forecast", "spm.pipeline", "spm.plans", "spm.qbr"]


def _plugins() -> list:
    import importlib

    out = []
    for name in REPORT_MODULES:
        try:
            out.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return out


for _module in _plugins():
    REPORTS.update(getattr(_module, "CLI_REPORTS", {}))


def to_records(frame: pd.DataFrame) -> list[dict]:
    """Return JSON-ready records: dates as ISO strings, missing values as None."""
    out = json.loads(frame.to_json(orient="records", date_format="iso"))
    for rec in out:
        for key, value in rec.items():
            if isinstance(value, str) and value.endswith("T00:00:00.000"):
                rec[key] = value[:10]
    return out


def emit(frame: pd.DataFrame, fmt: str) -> None:
    """Print a report frame as a table, CSV or JSON list of records."""
    if fmt == "json":
        print(json.dumps(to_records(frame), indent=2))
    elif fmt == "csv":
        from spm.export import safe_csv

        sys.stdout.write(safe_csv(frame))
    else:
        print(frame.to_string(index=False) if len(frame) else "(no rows)")


def cmd_report(args: argparse.Namespace) -> int:
    """Run one named report and print it."""
    if args.name not in REPORTS:
        raise UserError(f"unknown report '{args.name}': use one of {', '.join(REPORTS)}")
    con = _existing(args.db)
    emit(REPORTS[args.name](con, args), args.format)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """Run the benchmark and print one record per case."""
    from spm.bench import run

    if args.runs < 1:
        raise UserError("--runs must be at least 1")
    emit(run(args.size, db=args.db, runs=args.runs, browser=args.browser).round(1), args.format)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Start the app on the database; return when the server stops."""
    from spm.ui.serve import serve

    extra = args.streamlit_args[1:] if args.streamlit_args[:1] == ["--"] else args.streamlit_args
    return serve(args.db, extra)


COMMANDS = {
    "demo": cmd_demo,
    "ingest": cmd_ingest,
    "report": cmd_report,
    "bench": cmd_bench,
    "serve": cmd_serve,
}


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (UserError, IngestError, PeriodError, ValueError) as exc:
        # spm raises ValueError subclasses for input it cannot use: a user mistake, exit 2.
        print(
            f"error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
            file=sys.stderr,
        )
        return 2
    except BrokenPipeError:
        # The reader (e.g. `| head`) closed the pipe: stop quietly, as Unix tools do.
        sys.stderr.close()
        return 0
