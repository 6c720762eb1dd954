"""Reading uploaded CSV, Parquet and Excel files into raw DataFrames."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spm.ingest import readers
from spm.ingest.errors import IngestError
from spm.ingest.readers import detected_encoding_and_delimiter, read_table


def rows(df: pd.DataFrame) -> list[list[object]]:
    return [list(r) for r in df.itertuples(index=False)]


@pytest.mark.parametrize(
    ("data", "columns", "expected"),
    [
        (b"id,amount\n1,10\n2,20\n", ["id", "amount"], [["1", "10"], ["2", "20"]]),
        (b"\xef\xbb\xbfid,amount\n1,10\n", ["id", "amount"], [["1", "10"]]),
        (b" id , amount \n1,10\n", ["id", "amount"], [["1", "10"]]),
        (b"id;amount\n1;1.234,56\n2;99,5\n", ["id", "amount"], [["1", "1.234,56"], ["2", "99,5"]]),
        (b"id\tname\n1\tAcme, Inc\n", ["id", "name"], [["1", "Acme, Inc"]]),
        (b"id|name\n1|Acme; Ltd\n", ["id", "name"], [["1", "Acme; Ltd"]]),
        (b"id,amount\r\n1,10\r\n2,20\r\n", ["id", "amount"], [["1", "10"], ["2", "20"]]),
        (
            b"id,amount\r\n1,10\n2,20\r3,30\n",
            ["id", "amount"],
            [["1", "10"], ["2", "20"], ["3", "30"]],
        ),
        (
            b'id,note\n1,"first line\nsecond line"\n2,plain\n',
            ["id", "note"],
            [["1", "first line\nsecond line"], ["2", "plain"]],
        ),
        (b'id,name\n1,"Smith, John"\n', ["id", "name"], [["1", "Smith, John"]]),
        (
            b"id,amount,owner\n1,,\n2,5,Ann\n",
            ["id", "amount", "owner"],
            [["1", "", ""], ["2", "5", "Ann"]],
        ),
        (b"id,amount\n1,NA\n2,null\n", ["id", "amount"], [["1", "NA"], ["2", "null"]]),
        (b"id,amount\n\n1,10\n\n", ["id", "amount"], [["1", "10"]]),
        (b"id,amount,\n1,10,\n", ["id", "amount"], [["1", "10"]]),
        (b"only\na\nb\n", ["only"], [["a"], ["b"]]),
    ],
)
def test_csv_variants(data: bytes, columns: list[str], expected: list[list[str]]) -> None:
    df = read_table("deals.csv", data)
    assert list(df.columns) == columns
    assert rows(df) == expected
    assert all(isinstance(v, str) for row in rows(df) for v in row)


@pytest.mark.parametrize(
    ("data", "encoding", "delimiter"),
    [
        (b"a,b\n1,2\n", "utf-8", ","),
        (b"\xef\xbb\xbfa;b\n1;2\n", "utf-8-sig", ";"),
        ("a\tb\n1\t2\n".encode("utf-16"), "utf-16-le", "\t"),
        (b"\xfe\xff" + "a|b\n1|2\n".encode("utf-16-be"), "utf-16-be", "|"),
        ("a,b\n1,2\n".encode("utf-16-le"), "utf-16-le", ","),
        ("a,b\n1,2\n".encode("utf-16-be"), "utf-16-be", ","),
        ("a;b\nSociété;Générale\n".encode("cp1252"), "cp1252", ";"),
        (b"id;amount\n1;1.234,56\n2;99,5\n3;7\n", "utf-8", ";"),
        (b'name,amount\n"x; y",1\n"p; q",2\n', "utf-8", ","),
    ],
)
def test_detected_encoding_and_delimiter(data: bytes, encoding: str, delimiter: str) -> None:
    assert detected_encoding_and_delimiter(data) == (encoding, delimiter)


@pytest.mark.parametrize(
    "data",
    [
        "account,amount\nSociété Générale,10\nMüller GmbH,20\n".encode(),
        b"\xef\xbb\xbf" + "account,amount\nSociété Générale,10\nMüller GmbH,20\n".encode(),
        "account,amount\nSociété Générale,10\nMüller GmbH,20\n".encode("utf-16"),
        "account,amount\r\nSociété Générale,10\r\nMüller GmbH,20\r\n".encode("utf-16-le"),
        "account,amount\nSociété Générale,10\nMüller GmbH,20\n".encode("cp1252"),
        "account;amount\nSociété Générale;10\nMüller GmbH;20\n".encode("cp1252"),
    ],
)
def test_csv_encodings_keep_accents(data: bytes) -> None:
    df = read_table("accounts.csv", data)
    assert list(df.columns) == ["account", "amount"]
    assert rows(df) == [["Société Générale", "10"], ["Müller GmbH", "20"]]


@pytest.mark.parametrize("name", ["deals.csv", "DEALS.CSV", "deals.tsv", "deals.txt"])
def test_csv_extensions(name: str) -> None:
    df = read_table(name, b"id\tstage\n1\tWon\n")
    assert rows(df) == [["1", "Won"]]


@pytest.mark.parametrize(
    "data", [b"id,amount\n", b"id,amount", b"\xef\xbb\xbfid,amount\r\n", b"id;amount\n\n"]
)
def test_header_only_gives_empty_frame(data: bytes) -> None:
    df = read_table("sales.csv", data)
    assert list(df.columns) == ["id", "amount"]
    assert len(df) == 0


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"\xef\xbb\xbf", b"\n"])
def test_empty_csv_is_an_error(data: bytes) -> None:
    with pytest.raises(
        IngestError, match=r"^sales\.csv is empty: export it again with a header row$"
    ):
        read_table("sales.csv", data)


@pytest.mark.parametrize(
    ("name", "ext"), [("deals.pdf", ".pdf"), ("deals.PDF", ".pdf"), ("deals", "(no extension)")]
)
def test_unsupported_extension(name: str, ext: str) -> None:
    with pytest.raises(IngestError) as info:
        read_table(name, b"whatever")
    assert str(info.value) == (
        f"{name}: unsupported file type {ext} — use CSV, Parquet or Excel (.xlsx)"
    )


@pytest.mark.parametrize(
    ("data", "column"),
    [(b"id,amount,amount\n1,2,3\n", "amount"), (b"id, Stage ,Stage\n1,a,b\n", "Stage")],
)
def test_duplicate_columns_are_an_error(data: bytes, column: str) -> None:
    with pytest.raises(IngestError, match=f"deals.csv has more than one column named '{column}'"):
        read_table("deals.csv", data)


def test_ragged_csv_is_an_error() -> None:
    with pytest.raises(IngestError, match=r"^x\.csv could not be read as CSV: "):
        read_table("x.csv", b"a,b\n1,2\n1,2,3,4\n")


def test_unnamed_column_with_values_gets_a_name() -> None:
    df = read_table("x.csv", b"a,,c\n1,2,3\n")
    assert list(df.columns) == ["a", "column_2", "c"]


def test_parquet(tmp_path: Path) -> None:
    table = pa.table(
        {
            "opportunity_id": ["o1", "o2", None],
            "amount": [1200.5, None, 3.0],
            "close_date": [dt.date(2026, 3, 1), dt.date(2026, 3, 2), None],
            "created": [dt.datetime(2026, 1, 1, 9, 30), None, dt.datetime(2026, 1, 3)],
            "seats": pa.array([1, 2, None], type=pa.int64()),
        }
    )
    path = tmp_path / "deals.parquet"
    pq.write_table(table, path)
    for name in ("deals.parquet", "deals.PQ"):
        df = read_table(name, path.read_bytes())
        assert list(df.columns) == ["opportunity_id", "amount", "close_date", "created", "seats"]
        assert df["opportunity_id"].tolist() == ["o1", "o2", None]
        assert df["amount"].tolist() == [1200.5, None, 3.0]
        assert df["close_date"].iloc[0] == dt.date(2026, 3, 1)
        assert df["close_date"].iloc[2] is None
        assert df["created"].iloc[0] == pd.Timestamp("2026-01-01 09:30")
        assert df["created"].iloc[1] is None
        assert df["seats"].iloc[0] == 1 and df["seats"].iloc[2] is None


def test_parquet_keeps_named_index(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    pd.DataFrame({"amount": [1.0]}, index=pd.Index(["o1"], name="id")).to_parquet(path)
    df = read_table("x.parquet", path.read_bytes())
    assert rows(df) == [["o1", 1.0]]


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [("bad.parquet", b"not parquet", "Parquet"), ("bad.xlsx", b"not a workbook", "Excel")],
)
def test_corrupt_binary_files(name: str, data: bytes, kind: str) -> None:
    with pytest.raises(IngestError, match=f"^{name} could not be read as {kind}: "):
        read_table(name, data)


def _workbook(tmp_path: Path, sheet_rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in sheet_rows:
        ws.append(r)
    other = wb.create_sheet("Second")
    other.append(["ignored"])
    path = tmp_path / "deals.xlsx"
    wb.save(path)
    return path.read_bytes()


def test_xlsx(tmp_path: Path) -> None:
    data = _workbook(
        tmp_path,
        [
            [" Opportunity ID", "Amount", "Close Date", "Stage", "Seats"],
            ["o1", 1200.5, dt.datetime(2026, 3, 1), "Won", 3],
            ["o2", None, dt.datetime(2026, 3, 2, 14, 0), "Société Générale", None],
        ],
    )
    for name in ("deals.xlsx", "deals.XLSX"):
        df = read_table(name, data)
        assert list(df.columns) == ["Opportunity ID", "Amount", "Close Date", "Stage", "Seats"]
        assert df["Opportunity ID"].tolist() == ["o1", "o2"]
        assert df["Amount"].tolist() == [1200.5, None]
        assert pd.Timestamp(df["Close Date"].iloc[0]) == pd.Timestamp("2026-03-01")
        assert pd.Timestamp(df["Close Date"].iloc[1]) == pd.Timestamp("2026-03-02 14:00")
        assert df["Stage"].tolist() == ["Won", "Société Générale"]
        assert df["Seats"].iloc[0] == 3 and df["Seats"].iloc[1] is None


def test_xlsx_header_only_and_empty(tmp_path: Path) -> None:
    df = read_table("h.xlsx", _workbook(tmp_path, [["rep", "quota"]]))
    assert list(df.columns) == ["rep", "quota"] and len(df) == 0
    with pytest.raises(IngestError, match=r"^e\.xlsx is empty"):
        read_table("e.xlsx", _workbook(tmp_path, []))


def test_xlsx_duplicate_columns(tmp_path: Path) -> None:
    data = _workbook(tmp_path, [["rep", "rep"], ["a", "b"]])
    with pytest.raises(IngestError, match="more than one column named 'rep'"):
        read_table("d.xlsx", data)


# --- the Arrow fast path reads what pandas reads -------------------------------------------

_CELL = st.lists(st.sampled_from(list('ab Z9é€"\n\r,;|\t.-') + ["\r\n"]), max_size=6).map("".join)


@settings(max_examples=150, deadline=None)
@given(
    width=st.integers(min_value=2, max_value=4),
    body=st.lists(st.lists(_CELL, min_size=4, max_size=4), min_size=1, max_size=6),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_arrow_and_pandas_readers_agree(width, body, delimiter, newline):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow([f"h{i}" for i in range(width)])
    writer.writerows(row[:width] for row in body)
    data = out.getvalue().encode("utf-8")

    def read(fast: bool) -> object:
        with pytest.MonkeyPatch.context() as m:
            if not fast:
                m.setattr(readers, "_read_csv_arrow", lambda text, delimiter, width: None)
            try:
                frame = read_table("x.csv", data)
            except IngestError as exc:
                return str(exc)
        return (list(frame.columns), rows(frame.astype(object)))

    assert read(fast=True) == read(fast=False)


def test_a_ragged_file_falls_back_to_pandas_and_keeps_every_row():
    frame = read_table("x.csv", b"id,amount,stage\n1,10,Won\n2,20\n")  # row 3 is short
    assert rows(frame) == [["1", "10", "Won"], ["2", "20", ""]]
