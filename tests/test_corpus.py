"""Hostile-input corpus: every file in tests/corpus through the ingest API, the CLI and the app.

Each file's outcome is written by hand in EXPECTED: either the rows that load (and the rows
rejected, with row, column, cell and reason) or the exact one-line error. A file that fails
leaves every table exactly as it was; a file that loads adds only its own load's rows.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from spm import derived, store
from spm.ingest import IngestError, ingest_bytes, ingest_file

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).parent / "corpus"
AS_OF = date(2026, 3, 1)
d = date  # short for the row literals below

BASE = (
    b"opportunity_id,amount,stage,close_date,owner\n"
    b"B1,500,Closed Won,2026-01-15,Ann Lee\n"
    b"B2,700,Prospecting,2026-05-01,Ben Ode\n"
)
REPS = b"rep,manager,team\nAnn Lee,Kelly,East\nBen Ode,Kelly,East\n"
TAIL_MAP = "map the columns (Data page: Column mapping; CLI: --map 'Your Column=field')"
UNKNOWN = "could not tell what this file holds from its columns"
KIND_HELP = f"choose the kind (Data page: Kind; CLI: --kind) and {TAIL_MAP}"


@dataclass(frozen=True)
class Loads:
    """The file loads: these rows (in `columns`), these rejects and notes with these texts."""

    rows: list[tuple]
    rejects: list[tuple] = field(default_factory=list)  # (row, column, cell, reason)
    notes: list[str] = field(default_factory=list)
    columns: tuple[str, ...] = ("opportunity_id", "owner", "amount", "stage", "close_date")


@dataclass(frozen=True)
class Fails:
    """The file cannot load: this exact message, and nothing changes."""

    message: str
    at_commit: bool = False  # readable, but no row passes: the Data page errs on "Load"


def deal(oid: str, amount: str | None, stage: str, close: date | None, owner: str = "Ann Lee"):  # type: ignore[no-untyped-def]
    """Return a row in the default columns."""
    return (oid, owner, None if amount is None else D(amount), stage, close)


P = "Prospecting"
APR = d(2026, 4, 1)
MAR15 = d(2026, 3, 15)
OUT_OF_RANGE = "date outside 1990–2100: check the year"
TOO_BIG = "amount of 10 trillion or more: check the units and the decimal separator"
NOT_CSV = (
    "is a ZIP archive (or an .xlsx workbook), not a CSV file: open it in its own program and "
    "export the data as CSV (an .xlsx workbook can be uploaded as .xlsx)"
)

EXPECTED: dict[str, Loads | Fails] = {
    "empty.csv": Fails("empty.csv is empty: export it again with a header row"),
    "header_only.csv": Fails(
        "header_only.csv has a header but no rows: export it again with the data"
    ),
    "only_junk.csv": Fails(f"only_junk.csv: {UNKNOWN} (%%%%); {KIND_HELP}"),
    "wrong_delimiter.csv": Fails(
        f"wrong_delimiter.csv: {UNKNOWN} (opportunity_id:amount:stage:close_date:o); {KIND_HELP}"
        " — the file has one column and its header contains ':' 4 times: if that is the "
        "separator, save the file again as comma-separated CSV"
    ),
    "unknown_columns_only.csv": Fails(
        f"unknown_columns_only.csv: {UNKNOWN} (foo, bar, baz); {KIND_HELP}"
    ),
    "missing_required.csv": Fails(
        "missing_required.csv: no column for close_date (opportunities); rename the column in "
        "the file, or map it (Data page: Column mapping; CLI: --map 'Your Column=field')"
    ),
    "duplicate_columns.csv": Fails(
        "duplicate_columns.csv has more than one column named 'amount': rename or remove the "
        "duplicate and upload it again"
    ),
    "ragged.csv": Fails(
        "ragged.csv could not be read as CSV: Error tokenizing data. C error: Expected 5 fields "
        "in line 3, saw 6 — check the file is a plain comma-, semicolon-, tab- or "
        "pipe-separated export"
    ),
    "all_rows_bad.csv": Fails(
        "all_rows_bad.csv: no row passed validation (first: row 2, amount: not an amount); "
        "nothing was loaded",
        at_commit=True,
    ),
    "wrong_types.parquet": Fails(
        "wrong_types.parquet: no row passed validation (first: row 2, close_date: not a date); "
        "nothing was loaded",
        at_commit=True,
    ),
    "too_many_columns.csv": Fails(
        "too_many_columns.csv has 10,001 columns, more than the 10,000 this app reads: export "
        "only the columns you need"
    ),
    "zip_renamed.csv": Fails(f"zip_renamed.csv {NOT_CSV}"),
    "zip_bomb.csv": Fails(f"zip_bomb.csv {NOT_CSV}"),
    "zip_bomb.xlsx": Fails(
        "zip_bomb.xlsx would unpack to 36,863 MB, over the 1024 MB limit: save only the sheet "
        "you need as CSV and upload that"
    ),
    "binary_garbage.csv": Fails(
        "binary_garbage.csv is not a text file (it holds binary data): export the data again as CSV"
    ),
    "nul_bytes.csv": Fails(
        "nul_bytes.csv is not a text file (it holds binary data): export the data again as CSV"
    ),
    "binary_garbage.xlsx": Fails(
        "binary_garbage.xlsx could not be read as Excel: Cannot detect file format — save it "
        "again as .xlsx"
    ),
    "csv_renamed.parquet": Fails(
        "csv_renamed.parquet could not be read as Parquet: Could not open Parquet input source "
        "'<Buffer>': Parquet magic bytes not found in footer. Either the file is corrupted or "
        "this is not a parquet file. — export it again"
    ),
    "semicolon_decimal_comma.csv": Loads(
        [
            deal("O1", "1234.56", "Closed Won", MAR15),
            deal("O2", "99.50", P, d(2026, 4, 30), "Ben Ode"),
        ],
        notes=["amount: decimal comma detected (values like 1.234,56)"],
    ),
    "utf16.csv": Loads([deal("O1", "100", "Closed Won", AS_OF, "Zoë Müller")]),
    "cp1252_accents.csv": Loads(
        [("O1", "José Núñez", "Société Générale")], columns=("opportunity_id", "owner", "account")
    ),
    "bom.csv": Loads([deal("O1", "100", "Closed Won", AS_OF)]),
    "mixed_line_endings.csv": Loads(
        [
            deal("O1", "100", "Closed Won", AS_OF),
            deal("O2", "200", P, APR),
            deal("O3", "300", "Closed Lost", d(2026, 2, 1), "Ben Ode"),
        ]
    ),
    "quoted_newlines.csv": Loads(
        [("O1", "Ann Lee", "Renewal, phase 1\nsecond line"), ("O2", "Ode, Ben", "plain")],
        columns=("opportunity_id", "owner", "name"),
    ),
    "pipe_delimited.csv": Loads([deal("O1", "1500", "Closed Won", AS_OF, "Lee, Ann")]),
    "duplicate_ids.csv": Loads(
        [deal("O1", "100", "Closed Won", AS_OF), deal("O2", "200", P, APR)],
        [(4, "opportunity_id", "O1", "duplicate opportunity id in the same snapshot")],
    ),
    "negative_zero_amounts.csv": Loads(
        [deal("O2", "0", P, APR), deal("O3", "0", P, APR), deal("O4", "250", P, APR)],
        [(2, "amount", "-100", "negative amount")],
    ),
    "amount_formats.csv": Loads(
        [
            deal("O2", "1200", P, APR),
            deal("O3", "1234.56", P, APR),
            deal("O4", "12345", P, APR),
            deal("O5", "12345.67", P, APR),
        ],
        [(2, "amount", "(1,200)", "negative amount")],
    ),
    "amount_euro.csv": Loads(
        [deal("O1", "1234.56", P, APR), deal("O2", "99.50", P, APR), deal("O3", "2000", P, APR)],
        notes=["amount: decimal comma detected (values like € 1.234,56)"],
    ),
    "text_in_amount.csv": Loads(
        [deal("O4", "500", P, APR)],
        [
            (2, "amount", "call me", "not an amount"),
            (3, "amount", "TBD", "not an amount"),
            (4, "amount", "12 apples", "not an amount"),
        ],
    ),
    "date_formats.csv": Loads(
        [deal(f"O{i}", "100", P, MAR15) for i in range(1, 7)],
        notes=["close_date: day/month order: month first (MM/DD/YYYY), decided from values"],
    ),
    "ambiguous_dates.csv": Loads(
        [deal("O1", "100", P, d(2026, 1, 2)), deal("O2", "100", P, d(2026, 3, 4))],
        notes=[
            "close_date: day/month order: month first (MM/DD/YYYY), assumed because every "
            "value could be either (e.g. 03/04/2026)"
        ],
    ),
    "day_first_dates.csv": Loads(
        [deal("O1", "100", P, d(2026, 2, 1)), deal("O2", "100", P, d(2026, 12, 25))],
        notes=["day first (DD/MM/YYYY), decided from values like 25/12/2026"],
    ),
    "dates_out_of_range.csv": Loads(
        [deal("O4", "100", P, d(1990, 1, 1)), deal("O5", "100", P, d(2100, 12, 31))],
        [
            (2, "close_date", "1900-01-01", OUT_OF_RANGE),
            (3, "close_date", "2199-12-31", OUT_OF_RANGE),
            (4, "close_date", "1989-12-31", OUT_OF_RANGE),
        ],
    ),
    "excel_serials.csv": Loads(
        [
            deal("O1", "100", P, MAR15),
            deal("O2", "100", P, MAR15),
            deal("O3", "100", P, d(2023, 3, 15)),
        ],
        [(5, "close_date", "123", "not a date")],
    ),  # fmt: skip
    "close_before_created.csv": Loads(
        [
            ("O1", d(2026, 1, 10), d(2026, 2, 1)),
            ("O2", APR, d(2026, 1, 1)),
        ],
        notes=["1 deal(s) close before their created date (first: row 2); they load as they are"],
        columns=("opportunity_id", "close_date", "created_date"),
    ),
    "percent_mixed.csv": Loads(
        [("O1", 0.35), ("O2", 0.35)],
        [
            (
                4,
                "probability",
                "0.35",
                "ambiguous beside whole percentages like 35: write it as 35% or 0.35%",
            )
        ],
        notes=["probability: bare numbers read as percentages (35 means 35%)"],
        columns=("opportunity_id", "probability"),
    ),
    "percent_fractions.csv": Loads(
        [("O1", 0.35), ("O2", 1.0)],
        [(4, "probability", "150%", "not a percentage")],
        columns=("opportunity_id", "probability"),
    ),
    "bool_flags.csv": Loads(
        [("O1", True, True), ("O2", False, True), ("O3", False, False)],
        [(5, "is_won", "maybe", "not a true/false value")],
        notes=["stages not in the stage mapping load as open: Custom (map them in Settings)"],
        columns=("opportunity_id", "is_won", "is_closed"),
    ),
    "huge_amount.csv": Loads(
        [deal("O3", "9999999999999.99", P, APR)],
        [(2, "amount", "1e15", TOO_BIG), (3, "amount", "1000000000000000", TOO_BIG)],
    ),
    "long_cell.csv": Loads(
        [("O1", "x" * 10_000)],
        [(3, "name", "y" * 10_001, "text longer than 10,000 characters: shorten it")],
        columns=("opportunity_id", "name"),
    ),
    "formula_cells.csv": Loads(
        [
            (
                "O1",
                "+cmd",
                '=HYPERLINK("http://x.test","click")',
                "@SUM(A1:A9)",
                "=cmd|' /C calc'!A0",
            ),
            ("O2", "Ann Lee", "-2+3", "=1+1", "@now"),
        ],
        columns=("opportunity_id", "owner", "name", "account", "next_step"),
    ),  # fmt: skip
    "formula_in_amount.csv": Loads(
        [deal("O2", "100", "+cmd", APR)],
        [(2, "amount", "=1+2", "not an amount")],
        notes=["stages not in the stage mapping load as open: +cmd"],
    ),
    "formula_sheet.xlsx": Loads(
        [("O1", "=cmd|' /C calc'!A0", None)], columns=("opportunity_id", "name", "account")
    ),
    "html_in_names.csv": Loads(
        [("O1", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>")],
        columns=("opportunity_id", "owner", "account"),
    ),
    "sql_in_values.csv": Loads(
        [deal("1'; DROP TABLE loads;--", "100", P, APR, "Robert'); DROP TABLE rejects;--")]
    ),
    "sql_in_column_names.csv": Loads([deal("O1", "100", P, APR)]),
    "x'; DROP TABLE loads;--.csv": Loads([deal("O1", "100", P, APR)]),
    "missing_values.csv": Loads(
        [("O4", "(unassigned)", None, P, None)],
        [
            (2, "opportunity_id", "", "missing opportunity id"),
            (3, "stage", "", "missing stage"),
            (4, "amount", "", "won deal without an amount"),
        ],
    ),
    "unknown_stage.csv": Loads(
        [deal("O1", "100", "Maybe Later", APR)],
        notes=["stages not in the stage mapping load as open: Maybe Later (map them in Settings)"],
    ),
    "ten_thousand_columns.csv": Loads(
        [deal("O1", "100", P, APR), deal("O2", "200", "Closed Won", AS_OF)]
    ),
    "several_sheets.xlsx": Loads(
        [
            deal("O1", "1200.50", "Closed Won", AS_OF),
            deal("O2", "800", P, d(2026, 4, 15), "Ben Ode"),
        ],
        notes=[
            "the workbook has 3 sheets; read 'Deals' and ignored 'Notes', 'Reps' (upload each "
            "sheet as its own file to load it)"
        ],
    ),  # fmt: skip
    # Parquet: int ids become text, a tz-aware timestamp keeps its own wall-clock date
    # (23:30 UTC is 00:30 next day in Berlin), decimals and bools are read natively.
    "odd_types.parquet": Loads(
        [
            ("1", "Ann Lee", D("1200.50"), d(2026, 3, 2), 1.0, True),
            ("3", "Ben Ode", D("300.00"), None, 0.1, None),
        ],
        [(3, "amount", "n/a", "not an amount")],
        columns=("opportunity_id", "owner", "amount", "close_date", "probability", "is_won"),
    ),  # fmt: skip
}
OVER_LIMIT = "over_limit.csv"
OVER_LIMIT_MESSAGE = (
    "over_limit.csv is 201.0 MB, over the 200 MB limit: split it (e.g. one file per quarter) "
    "or drop columns you do not need"
)


def corpus_files() -> list[str]:
    """Return the names of the corpus files on disk."""
    return sorted(p.name for p in CORPUS.iterdir() if p.is_file() and p.suffix != ".py")


def test_every_corpus_file_has_an_expected_outcome():
    assert sorted(EXPECTED) == corpus_files()
    assert len(EXPECTED) >= 40
    assert sum(isinstance(e, Fails) for e in EXPECTED.values()) >= 15


# --- databases -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> Path:
    """Return a database file holding one snapshot and a reps file (copy it before use)."""
    path = tmp_path_factory.mktemp("corpus") / "baseline.duckdb"
    con = store.connect(path)
    ingest_bytes(con, "base.csv", BASE, as_of=date(2026, 2, 1))
    ingest_bytes(con, "reps.csv", REPS)
    con.close()
    return path


@pytest.fixture
def db(baseline, tmp_path) -> Path:
    path = tmp_path / "db.duckdb"
    shutil.copy(baseline, path)
    return path


Dump = dict[str, tuple[list[str], list[tuple]]]


def dump(path: Path) -> Dump:
    """Return every table's columns and rows (sorted)."""
    con = duckdb.connect(str(path))  # read-write: the app may hold the file open
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY 1"
            ).fetchall()
        ]
        out = {}
        for t in tables:
            if t in derived.CACHE_TABLES:  # caches of the row tables, checked by fingerprint
                continue
            cur = con.execute(f'SELECT * FROM "{t}"')  # noqa: S608 (names from the catalog)
            cols = [c[0] for c in cur.description]
            out[t] = (cols, sorted(cur.fetchall(), key=repr))
        return out
    finally:
        con.close()


def without_load(tables: Dump, load_id: int) -> Dump:
    """Return the dump without one load's rows (and without the data-version counter)."""
    out = {}
    for name, (cols, rows) in tables.items():
        if name == "meta":
            continue
        if "load_id" in cols:
            i = cols.index("load_id")
            rows = [r for r in rows if r[i] != load_id]
        out[name] = (cols, rows)
    return out


def load_rows(path: Path, load_id: int, columns: tuple[str, ...]) -> list[tuple]:
    con = duckdb.connect(str(path))  # read-write: the app may hold the file open
    try:
        cols = ", ".join(columns)
        return con.execute(
            f"SELECT {cols} FROM opportunity_snapshot_rows WHERE load_id = ? ORDER BY ALL",  # noqa: S608
            [load_id],
        ).fetchall()
    finally:
        con.close()


def check_only_this_load_was_added(before: Dump, after: Dump, expect: Loads) -> int:
    """Assert the new load holds exactly the expected rows and nothing else changed."""
    loads_cols, loads = after["loads"]
    new_ids = {r[0] for r in loads} - {r[0] for r in before["loads"][1]}
    assert len(new_ids) == 1
    (load_id,) = new_ids
    assert without_load(after, load_id) == without_load(before, -1)
    record = dict(zip(loads_cols, next(r for r in loads if r[0] == load_id), strict=True))
    n_rejected = len({r[0] for r in expect.rejects})
    assert (record["kind"], record["rows_loaded"], record["rows_rejected"], record["status"]) == (
        "opportunities",
        len(expect.rows),
        n_rejected,
        "active",
    )
    rej_cols, rej_rows = after["rejects"]
    rejects = sorted(
        tuple(r[rej_cols.index(c)] for c in ("row_number", "column_name", "value", "reason"))
        for r in rej_rows
        if r[rej_cols.index("load_id")] == load_id
    )
    assert [tuple(r) for r in rejects] == sorted(expect.rejects)
    return load_id


# --- the three ways in -----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_through_the_api(name, db):
    expect = EXPECTED[name]
    before = dump(db)
    con = store.connect(db)
    try:
        if isinstance(expect, Fails):
            with pytest.raises(IngestError) as info:
                ingest_file(con, CORPUS / name, as_of=AS_OF, today=AS_OF)
            assert str(info.value) == expect.message
        else:
            result = ingest_file(con, CORPUS / name, as_of=AS_OF, today=AS_OF)
            records = result.rejects[["row_number", "column_name", "value", "reason"]]
            assert [tuple(r) for r in records.itertuples(index=False)] == expect.rejects
            for text in expect.notes:
                assert any(text in note for note in result.notes), (text, result.notes)
    finally:
        con.close()
    after = dump(db)
    if isinstance(expect, Fails):
        assert after == before
    else:
        load_id = check_only_this_load_was_added(before, after, expect)
        assert load_rows(db, load_id, expect.columns) == sorted(expect.rows, key=_order)
        if name.startswith("x'"):
            assert after["loads"][1][-1][2] == name  # the odd file name is stored verbatim


def _order(row: tuple) -> tuple:
    return tuple((v is None, v) for v in row)


def _cli(path: Path, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "spm",
            "ingest",
            str(path),
            "--db",
            str(db),
            "--as-of",
            "2026-03-01",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_through_the_cli(name, db):
    expect = EXPECTED[name]
    before = dump(db)
    done = _cli(CORPUS / name, db)
    after = dump(db)
    if isinstance(expect, Fails):
        assert (done.returncode, done.stdout, done.stderr) == (2, "", f"error: {expect.message}\n")
        assert after == before
        return
    assert done.returncode == 0, done.stderr
    load_id = check_only_this_load_was_added(before, after, expect)
    assert done.stdout.splitlines()[0].startswith(
        f"{name}: loaded {len(expect.rows):,} opportunities rows as load #{load_id}"
    )
    assert "Traceback" not in done.stderr
    assert load_rows(db, load_id, expect.columns) == sorted(expect.rows, key=_order)


@pytest.fixture
def over_limit(tmp_path) -> Path:
    """Return a sparse 201 MB file: no disk used, and the size check reads no byte of it."""
    path = tmp_path / OVER_LIMIT
    with path.open("wb") as fh:
        fh.truncate(201 * 1024 * 1024)
    return path


def test_file_over_the_upload_limit_is_refused_unread(over_limit, db):
    before = dump(db)
    con = store.connect(db)
    try:
        with pytest.raises(IngestError) as info:
            ingest_file(con, over_limit, as_of=AS_OF)
    finally:
        con.close()
    assert str(info.value) == OVER_LIMIT_MESSAGE
    done = _cli(over_limit, db)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"error: {OVER_LIMIT_MESSAGE}\n")
    assert dump(db) == before


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_through_the_data_page(name, db, monkeypatch):
    """The Data page shows the same outcome: st.error with the message, or the load."""
    expect = EXPECTED[name]
    before = dump(db)
    monkeypatch.setenv("SPM_DB", str(db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("views/data.py").run()
    at.file_uploader(key="uploads").set_value((name, (CORPUS / name).read_bytes(), "")).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    if isinstance(expect, Fails) and expect.at_commit:
        assert errors == []
        assert any("0 ready to load" in m.value for m in at.markdown)
        at.button(key="load").click().run()
        assert not at.exception
        errors = [e.value for e in at.error]
    if isinstance(expect, Fails):
        assert errors == [expect.message]
        assert dump(db) == before
        return
    assert errors == []
    assert any(f"{len(expect.rows):,} ready to load" in m.value for m in at.markdown)
    n_bad = len({r[0] for r in expect.rejects})
    assert any(f"{n_bad:,} rejected" in m.value for m in at.markdown)
    at.button(key="load").click().run()
    assert not at.exception and not at.error
    assert any(f"loaded {len(expect.rows):,} opportunities rows" in s.value for s in at.success)
