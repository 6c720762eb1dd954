"""Write the hostile-input corpus: `python tests/corpus/build_corpus.py` (deterministic).

The files are checked in; this script documents how the binary ones were made and rebuilds
them all. The expected outcome of each file is in tests/test_corpus.py (EXPECTED).
"""

from __future__ import annotations

import datetime as dt
import io
import random
import struct
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).parent
H = "opportunity_id,amount,stage,close_date,owner"


def text(*lines: str) -> str:
    """Return CSV text: the lines joined with LF and a final LF."""
    return "\n".join(lines) + "\n"


def csv_files() -> dict[str, bytes]:
    """Return the corpus's text files by name."""
    utf = {
        "empty.csv": "",
        "header_only.csv": text(H),
        "only_junk.csv": text("%%%%", "@@@@ ####", "!!!"),
        "wrong_delimiter.csv": text(
            "opportunity_id:amount:stage:close_date:owner", "O1:100:Closed Won:2026-03-01:Ann Lee"
        ),
        "semicolon_decimal_comma.csv": text(
            "opportunity_id;amount;stage;close_date;owner",
            "O1;1.234,56;Closed Won;15.03.2026;Ann Lee",
            "O2;99,5;Prospecting;30.04.2026;Ben Ode",
        ),
        "mixed_line_endings.csv": (
            f"{H}\r\nO1,100,Closed Won,2026-03-01,Ann Lee\nO2,200,Prospecting,2026-04-01,Ann Lee\r"
            "O3,300,Closed Lost,2026-02-01,Ben Ode\r\n"
        ),
        "quoted_newlines.csv": text(
            f"{H},name",
            'O1,100,Closed Won,2026-03-01,Ann Lee,"Renewal, phase 1',
            'second line"',
            'O2,200,Prospecting,2026-04-01,"Ode, Ben",plain',
        ),
        "duplicate_columns.csv": text(
            "opportunity_id,amount,stage,close_date,owner,amount", "O1,100,Won,2026-03-01,Ann,200"
        ),
        "missing_required.csv": text(
            "opportunity_id,amount,stage,owner", "O1,100,Closed Won,Ann Lee"
        ),
        "unknown_columns_only.csv": text("foo,bar,baz", "1,2,3"),
        "duplicate_ids.csv": text(
            H,
            "O1,100,Closed Won,2026-03-01,Ann Lee",
            "O2,200,Prospecting,2026-04-01,Ann Lee",
            "O1,150,Closed Won,2026-03-01,Ann Lee",
        ),
        "negative_zero_amounts.csv": text(
            H,
            "O1,-100,Prospecting,2026-04-01,Ann Lee",
            "O2,0,Prospecting,2026-04-01,Ann Lee",
            "O3,-0,Prospecting,2026-04-01,Ann Lee",
            "O4,250,Prospecting,2026-04-01,Ann Lee",
        ),
        "amount_formats.csv": text(
            H,
            'O1,"(1,200)",Prospecting,2026-04-01,Ann Lee',
            "O2,1.2k,Prospecting,2026-04-01,Ann Lee",
            'O3,"$1,234.56",Prospecting,2026-04-01,Ann Lee',
            'O4,"USD 12,345.00",Prospecting,2026-04-01,Ann Lee',
            'O5,"12,345.67",Prospecting,2026-04-01,Ann Lee',
        ),
        "amount_euro.csv": text(
            H,
            '"O1","€ 1.234,56",Prospecting,2026-04-01,Ann Lee',
            '"O2","€ 99,50",Prospecting,2026-04-01,Ann Lee',
            '"O3","2.000 €",Prospecting,2026-04-01,Ann Lee',
        ),
        "text_in_amount.csv": text(
            H,
            "O1,call me,Prospecting,2026-04-01,Ann Lee",
            "O2,TBD,Prospecting,2026-04-01,Ann Lee",
            "O3,12 apples,Prospecting,2026-04-01,Ann Lee",
            "O4,500,Prospecting,2026-04-01,Ann Lee",
        ),
        "date_formats.csv": text(
            H,
            "O1,100,Prospecting,2026-03-15,Ann Lee",
            "O2,100,Prospecting,03/15/2026,Ann Lee",
            "O3,100,Prospecting,15.03.2026,Ann Lee",
            "O4,100,Prospecting,15 Mar 2026,Ann Lee",
            "O5,100,Prospecting,46096,Ann Lee",
            "O6,100,Prospecting,2026-03-15T23:30:00+02:00,Ann Lee",
        ),
        "ambiguous_dates.csv": text(
            H,
            "O1,100,Prospecting,01/02/2026,Ann Lee",
            "O2,100,Prospecting,03/04/2026,Ann Lee",
        ),
        "day_first_dates.csv": text(
            H,
            "O1,100,Prospecting,01/02/2026,Ann Lee",
            "O2,100,Prospecting,25/12/2026,Ann Lee",
        ),
        "dates_out_of_range.csv": text(
            H,
            "O1,100,Prospecting,1900-01-01,Ann Lee",
            "O2,100,Prospecting,2199-12-31,Ann Lee",
            "O3,100,Prospecting,1989-12-31,Ann Lee",
            "O4,100,Prospecting,1990-01-01,Ann Lee",
            "O5,100,Prospecting,2100-12-31,Ann Lee",
        ),
        "excel_serials.csv": text(
            H,
            "O1,100,Prospecting,46096,Ann Lee",
            "O2,100,Prospecting,46096.75,Ann Lee",
            "O3,100,Prospecting,45000,Ann Lee",
            "O4,100,Prospecting,123,Ann Lee",
        ),
        "close_before_created.csv": text(
            f"{H},created_date",
            "O1,100,Closed Won,2026-01-10,Ann Lee,2026-02-01",
            "O2,100,Prospecting,2026-04-01,Ann Lee,2026-01-01",
        ),
        "percent_mixed.csv": text(
            f"{H},probability",
            "O1,100,Prospecting,2026-04-01,Ann Lee,35",
            "O2,100,Prospecting,2026-04-01,Ann Lee,35%",
            "O3,100,Prospecting,2026-04-01,Ann Lee,0.35",
        ),
        "percent_fractions.csv": text(
            f"{H},probability",
            "O1,100,Prospecting,2026-04-01,Ann Lee,0.35",
            "O2,100,Prospecting,2026-04-01,Ann Lee,1",
            "O3,100,Prospecting,2026-04-01,Ann Lee,150%",
        ),
        "bool_flags.csv": text(
            f"{H},is_won,is_closed",
            "O1,100,Custom,2026-03-01,Ann Lee,TRUE,yes",
            "O2,100,Custom,2026-03-01,Ann Lee,FALSE,1",
            "O3,100,Custom,2026-04-01,Ann Lee,no,0",
            "O4,100,Custom,2026-04-01,Ann Lee,maybe,no",
        ),
        "huge_amount.csv": text(
            H,
            "O1,1e15,Prospecting,2026-04-01,Ann Lee",
            "O2,1000000000000000,Prospecting,2026-04-01,Ann Lee",
            "O3,9999999999999.99,Prospecting,2026-04-01,Ann Lee",
        ),
        "long_cell.csv": text(
            f"{H},name",
            "O1,100,Prospecting,2026-04-01,Ann Lee," + "x" * 10_000,
            "O2,100,Prospecting,2026-04-01,Ann Lee," + "y" * 10_001,
        ),
        "formula_cells.csv": text(
            f"{H},name,account,next_step",
            'O1,100,Prospecting,2026-04-01,+cmd,"=HYPERLINK(""http://x.test"",""click"")",'
            "@SUM(A1:A9),=cmd|' /C calc'!A0",
            "O2,100,Prospecting,2026-04-01,Ann Lee,-2+3,=1+1,@now",
        ),
        "formula_in_amount.csv": text(
            H,
            "O1,=1+2,Prospecting,2026-04-01,Ann Lee",
            "O2,100,+cmd,2026-04-01,Ann Lee",
        ),
        "html_in_names.csv": text(
            f"{H},account",
            "O1,100,Prospecting,2026-04-01,<script>alert(1)</script>,<img src=x onerror=alert(1)>",
        ),
        "sql_in_values.csv": text(
            H,
            "1'; DROP TABLE loads;--,100,Prospecting,2026-04-01,Robert'); DROP TABLE rejects;--",
        ),
        "sql_in_column_names.csv": text(
            f'{H},"x""; DROP TABLE loads;--",\'; DELETE FROM loads;--',  # noqa: S608 (hostile data)
            "O1,100,Prospecting,2026-04-01,Ann Lee,1,2",
        ),
        "x'; DROP TABLE loads;--.csv": text(H, "O1,100,Prospecting,2026-04-01,Ann Lee"),
        "missing_values.csv": text(
            H,
            ",100,Prospecting,2026-04-01,Ann Lee",
            "O2,100,,2026-04-01,Ann Lee",
            "O3,,Closed Won,2026-03-01,Ann Lee",
            "O4,,Prospecting,,",
        ),
        "all_rows_bad.csv": text(
            H,
            "O1,lots,Prospecting,2026-04-01,Ann Lee",
            "O2,some,Prospecting,2026-04-01,Ann Lee",
        ),
        "unknown_stage.csv": text(H, "O1,100,Maybe Later,2026-04-01,Ann Lee"),
        "ragged.csv": text(
            H, "O1,100,Prospecting,2026-04-01,Ann Lee", "O2,100,Prospecting,2026-04-01,Ann,extra"
        ),
        "pipe_delimited.csv": text(H.replace(",", "|"), "O1|1,500|Closed Won|2026-03-01|Lee, Ann"),
        "ten_thousand_columns.csv": text(
            H + "," + ",".join(f"c{i}" for i in range(6, 10_001)),
            "O1,100,Prospecting,2026-04-01,Ann Lee," + ",".join("z" * 9_995),
            "O2,200,Closed Won,2026-03-01,Ann Lee," + ",".join("w" * 9_995),
        ),
        "too_many_columns.csv": text(
            H + "," + ",".join(f"c{i}" for i in range(6, 10_002)),
            "O1,100,Prospecting,2026-04-01,Ann Lee," + ",".join("z" * 9_996),
        ),
    }
    out = {name: body.encode("utf-8") for name, body in utf.items()}
    accents = text(H + ",account", "O1,100,Closed Won,2026-03-01,José Núñez,Société Générale")
    out["cp1252_accents.csv"] = accents.encode("cp1252")
    out["bom.csv"] = b"\xef\xbb\xbf" + text(H, "O1,100,Closed Won,2026-03-01,Ann Lee").encode()
    tabbed = text(H.replace(",", "\t"), "O1\t100\tClosed Won\t2026-03-01\tZoë Müller")
    out["utf16.csv"] = tabbed.encode("utf-16")  # with BOM, as Excel's "Unicode text" writes it
    out["nul_bytes.csv"] = text(H, "O1,100,Closed Won,2026-03-01,Ann\x00Lee").encode()
    rng = random.Random(10)
    out["binary_garbage.csv"] = bytes(rng.randrange(256) for _ in range(4096))
    out["binary_garbage.xlsx"] = bytes(rng.randrange(256) for _ in range(4096))
    out["csv_renamed.parquet"] = text(H, "O1,100,Closed Won,2026-03-01,Ann Lee").encode()
    return out


def zip_files() -> dict[str, bytes]:
    """Return a zip renamed .csv, a small real zip bomb and a workbook that lies about its size."""
    out = {}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("deals.csv", text(H, "O1,100,Closed Won,2026-03-01,Ann Lee"))
    out["zip_renamed.csv"] = buf.getvalue()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("deals.csv", b"0" * 20_000_000)  # 20 MB of zeros in ~20 KB
    out["zip_bomb.csv"] = buf.getvalue()
    out["zip_bomb.xlsx"] = _lying_workbook()
    return out


def _lying_workbook() -> bytes:
    """Return a valid small .xlsx whose zip directory claims a 4 GB sheet (a zip bomb's shape)."""
    data = bytearray(_workbook({"Deals": [H.split(","), ["O1", 100, "Closed Won", "2026-03-01"]]}))
    # Patch every central-directory entry's uncompressed size (offset 24 in the record).
    pos = data.find(b"PK\x01\x02")
    while pos != -1:
        data[pos + 24 : pos + 28] = struct.pack("<I", 0xFFFF0000)
        pos = data.find(b"PK\x01\x02", pos + 4)
    return bytes(data)


def _workbook(sheets: dict[str, list[list[object]]]) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _formula_workbook() -> bytes:
    """Return a workbook with a text cell that looks like a formula and a real formula cell."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Deals"
    ws.append(["opportunity_id", "amount", "stage", "close_date", "owner", "name", "account"])
    ws.append(["O1", 100, "Prospecting", dt.datetime(2026, 4, 1), "Ann Lee", None, "=1+1"])
    cell = ws.cell(row=2, column=6)
    cell.value = "=cmd|' /C calc'!A0"
    cell.data_type = "s"  # stored as text, as a CRM export writes it
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def binary_files() -> dict[str, bytes]:
    """Return the workbook and Parquet files."""
    out = {}
    out["several_sheets.xlsx"] = _workbook(
        {
            "Notes": [["Exported from CRM on 2026-03-01"], ["Do not edit"]],
            "Deals": [
                ["Opportunity ID", "Amount", "Stage", "Close Date", "Opportunity Owner"],
                ["O1", 1200.5, "Closed Won", dt.datetime(2026, 3, 1), "Ann Lee"],
                ["O2", 800, "Prospecting", dt.datetime(2026, 4, 15), "Ben Ode"],
            ],
            "Reps": [["rep", "manager"], ["Ann Lee", "Kelly"]],
        }
    )
    out["formula_sheet.xlsx"] = _formula_workbook()
    odd = pa.table(
        {
            "opportunity_id": pa.array([1, 2, 3], type=pa.int64()),
            "amount": pa.array(["1,200.50", "n/a", "300"], type=pa.large_string()),
            "stage": pa.array(["Closed Won", "Prospecting", "Prospecting"]).dictionary_encode(),
            "close_date": pa.array(
                [
                    dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC),
                    dt.datetime(2026, 4, 1, tzinfo=dt.UTC),
                    None,
                ],
                type=pa.timestamp("us", tz="Europe/Berlin"),
            ),
            "owner": pa.array(["Ann Lee", None, "Ben Ode"]),
            "probability": pa.array(
                [Decimal("1.00"), Decimal("0.25"), Decimal("0.10")], type=pa.decimal128(5, 2)
            ),
            "is_won": pa.array([True, False, None]),
            "tags": pa.array([["a", "b"], [], None], type=pa.list_(pa.string())),
            "seats": pa.array([1, 2, 255], type=pa.uint8()),
        }
    )
    out["odd_types.parquet"] = _parquet(odd)
    wrong = pa.table(
        {
            "opportunity_id": ["O1", "O2"],
            "amount": [100.0, 200.0],
            "stage": ["Closed Won", "Prospecting"],
            "close_date": pa.array([20260301, 20260401], type=pa.int64()),
            "owner": ["Ann Lee", "Ben Ode"],
        }
    )
    out["wrong_types.parquet"] = _parquet(wrong)
    return out


def _parquet(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def main() -> None:
    """Write every corpus file next to this script."""
    files = {**csv_files(), **zip_files(), **binary_files()}
    for name, data in files.items():
        (HERE / name).write_bytes(data)
    print(f"wrote {len(files)} files to {HERE}")


if __name__ == "__main__":
    main()
