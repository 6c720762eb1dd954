"""CLI: ingest then report summary, JSON shape, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from spm.cli import main
from tests.conftest import FIXTURES


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_ingest_then_summary_json(tmp_path, capsys):
    db = str(tmp_path / "c.duckdb")
    code, out, _ = run(capsys, "ingest", str(FIXTURES / "salesforce_api.csv"), "--db", db,
                       "--as-of", "2026-03-01")  # fmt: skip
    assert code == 0 and "loaded 3 opportunities rows as load #1" in out
    code, out, _ = run(capsys, "report", "summary", "--db", db, "--format", "json")
    assert json.loads(out) == [
        {"snapshots": 1, "as_of": "2026-03-01", "opportunities": 3, "open": 1, "won": 1,
         "lost": 1, "won_amount": 15000.0, "win_rate": 0.5}
    ]  # fmt: skip
    code, out, _ = run(capsys, "report", "summary", "--db", db, "--period", "2026-03",
                       "--format", "json")  # fmt: skip
    record = json.loads(out)[0]
    assert (record["won"], record["lost"], record["won_amount"], record["win_rate"]) == (
        0, 0, 0.0, None
    )  # fmt: skip


def test_bad_input_is_one_line_on_stderr_and_exit_2(tmp_path, capsys):
    db = str(tmp_path / "c.duckdb")
    bad = tmp_path / "junk.csv"
    bad.write_text("foo,bar\n1,2\n")
    cases = [
        ("ingest", str(bad), "--db", db),
        ("ingest", str(tmp_path / "missing.csv"), "--db", db),
        ("ingest", str(FIXTURES / "hubspot.csv"), "--db", db, "--map", "nonsense"),
        ("report", "summary", "--db", db, "--period", "2026-Q9"),
        ("report", "nope", "--db", db),
        ("report", "summary", "--db", str(tmp_path / "absent.duckdb")),
    ]
    for args in cases:
        code, _, err = run(capsys, *args)
        assert code == 2, args
        assert err.startswith("error: ") and err.count("\n") == 1, err


def test_module_entry_point_runs(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "spm", "report", "summary", "--db", str(tmp_path / "none.duckdb")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


def test_help_lists_every_report_and_option(capsys):
    import pytest

    with pytest.raises(SystemExit) as done:
        main(["report", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for name in ("summary", "rep-kpis", "forecast", "pipeline-coverage", "waterfall", "scenario"):
        assert name in out
    for flag in ("--seed", "--budget", "--by-deal", "--year"):
        assert flag in out


def test_serve_runs_the_app_on_the_database_after_preloading(tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr("streamlit.web.cli.main", lambda args, prog_name: started.append(args))
    monkeypatch.setenv("SPM_DB", "elsewhere.duckdb")  # restored after the test
    db = tmp_path / "spm.duckdb"
    assert main(["serve", "--db", str(db), "--", "--server.port", "8600"]) == 0
    app = str(Path(__file__).resolve().parents[1] / "app.py")
    assert started == [["run", app, "--server.port", "8600"]]
    assert os.environ["SPM_DB"] == str(db.resolve())


def test_preload_imports_what_the_pages_need():
    code = (
        "import sys; from spm.ui import serve; before = set(sys.modules); serve.preload(); "
        "print(' '.join(sorted({'pandas', 'altair', 'duckdb', 'spm.qbr'} - before "
        "& set(sys.modules))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["altair", "duckdb", "pandas", "spm.qbr"]
