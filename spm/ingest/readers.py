"""Read an uploaded CSV, Parquet or Excel file into a DataFrame of raw cell values."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import PurePath

import pandas as pd

from spm.ingest.errors import IngestError

CSV_EXTENSIONS = (".csv", ".tsv", ".txt")
PARQUET_EXTENSIONS = (".parquet", ".pq")
EXCEL_EXTENSIONS = (".xlsx", ".xlsm", ".xls")
DELIMITERS = (",", ";", "\t", "|")

_SAMPLE_CHARS = 64_000
_SAMPLE_LINES = 50


def read_table(name: str, data: bytes) -> pd.DataFrame:
    """Return the file's rows as a DataFrame with stripped header names and raw cell values."""
    ext = PurePath(name).suffix.lower()
    if ext in CSV_EXTENSIONS:
        return _read_csv(name, data)
    if ext in PARQUET_EXTENSIONS:
        return _read_parquet(name, data)
    if ext in EXCEL_EXTENSIONS:
        return _read_excel(name, data)
    shown = ext or "(no extension)"
    raise IngestError(f"{name}: unsupported file type {shown} — use CSV, Parquet or Excel (.xlsx)")


def detected_encoding_and_delimiter(data: bytes) -> tuple[str, str]:
    """Return the (encoding, delimiter) read_table would use for these CSV bytes."""
    text, encoding = _decode(data)
    return encoding, _detect_delimiter(text)


def _empty_error(name: str) -> IngestError:
    return IngestError(f"{name} is empty: export it again with a header row")


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _decode(data: bytes) -> tuple[str, str]:
    """Return the decoded text and the name of the encoding that decoded it."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return data.decode("utf-32", errors="replace"), "utf-32"
    if data.startswith(codecs.BOM_UTF16_LE):
        return data[2:].decode("utf-16-le", errors="replace"), "utf-16-le"
    if data.startswith(codecs.BOM_UTF16_BE):
        return data[2:].decode("utf-16-be", errors="replace"), "utf-16-be"
    # UTF-16 without a BOM is valid UTF-8 when it is mostly ASCII, so look for NULs first.
    head = data[:_SAMPLE_CHARS]
    if len(head) >= 2 and head.count(0) >= len(head) // 4:
        even_nuls = head[0::2].count(0)
        odd_nuls = head[1::2].count(0)
        encoding = "utf-16-le" if odd_nuls >= even_nuls else "utf-16-be"
        return data.decode(encoding, errors="replace"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None and best.encoding:
        return str(best), best.encoding
    return data.decode("latin-1"), "latin-1"


def _sample(text: str) -> str:
    lines = text[:_SAMPLE_CHARS].splitlines(keepends=True)[:_SAMPLE_LINES]
    # The last line may be cut off mid-way; keep it only when it is the only one.
    if len(lines) > 1 and len(text) > sum(len(line) for line in lines):
        lines = lines[:-1]
    return "".join(lines)


def _consistency(sample: str, delimiter: str) -> tuple[float, int]:
    """Return (share of rows as wide as the header, header width) when split on delimiter."""
    try:
        rows = [row for row in csv.reader(io.StringIO(sample), delimiter=delimiter) if row]
    except csv.Error:
        return 0.0, 0
    if not rows or len(rows[0]) < 2:
        return 0.0, 0
    width = len(rows[0])
    return sum(len(row) == width for row in rows) / len(rows), width


def _detect_delimiter(text: str) -> str:
    """Return the delimiter among , ; tab | that splits the sample most consistently."""
    sample = _sample(text)
    scores = {d: _consistency(sample, d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: scores[d])
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    # The sniffer is usually right, but it can pick a decimal comma over a real ';' delimiter.
    if sniffed in DELIMITERS and scores[sniffed] >= scores[best]:
        return sniffed
    if scores[best][1] >= 2:
        return best
    return ","


def _read_csv(name: str, data: bytes) -> pd.DataFrame:
    text, _ = _decode(data)
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise _empty_error(name)
    delimiter = _detect_delimiter(text)
    # Universal newlines: CRLF, CR and LF may be mixed within one export.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        raw = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
            engine="c",
        )
    except pd.errors.EmptyDataError as exc:
        raise _empty_error(name) from exc
    except (pd.errors.ParserError, ValueError, csv.Error) as exc:
        raise IngestError(
            f"{name} could not be read as CSV: {_first_line(exc)} — check the file is a "
            "plain comma-, semicolon-, tab- or pipe-separated export"
        ) from exc
    if raw.empty:
        raise _empty_error(name)
    raw = raw.fillna("").astype(object)
    header = list(raw.iloc[0])
    body = raw.iloc[1:].reset_index(drop=True)
    return _finish(name, header, body)


def _read_parquet(name: str, data: bytes) -> pd.DataFrame:
    if not data:
        raise _empty_error(name)
    try:
        df = pd.read_parquet(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises many unrelated types for corrupt files
        raise IngestError(
            f"{name} could not be read as Parquet: {_first_line(exc)} — export it again"
        ) from exc
    if not isinstance(df.index, pd.RangeIndex):
        df = df.reset_index()
    body = _native(df)
    header = list(body.columns)
    body.columns = range(len(header))
    return _finish(name, header, body)


def _read_excel(name: str, data: bytes) -> pd.DataFrame:
    if not data:
        raise _empty_error(name)
    try:
        raw = pd.read_excel(
            io.BytesIO(data), engine="calamine", sheet_name=0, header=None, dtype=object
        )
    except Exception as exc:  # calamine raises its own error types for corrupt workbooks
        raise IngestError(
            f"{name} could not be read as Excel: {_first_line(exc)} — save it again as .xlsx"
        ) from exc
    raw = raw.dropna(how="all").reset_index(drop=True)
    if raw.empty:
        raise _empty_error(name)
    raw = _native(raw)
    header = list(raw.iloc[0])
    body = raw.iloc[1:].reset_index(drop=True)
    return _finish(name, header, body)


def _native(df: pd.DataFrame) -> pd.DataFrame:
    """Return df as object columns holding native values, with None for every missing cell."""
    out = df.astype(object)
    return out.where(out.notna(), None)


def _header_name(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().strip("\ufeff").strip()


def _finish(name: str, header: list[object], body: pd.DataFrame) -> pd.DataFrame:
    """Name body's columns from header, dropping unnamed empty columns and rejecting dupes."""
    names = [_header_name(h) for h in header]
    keep: list[int] = []
    for i, col in enumerate(names):
        if col:
            keep.append(i)
            continue
        column = body.iloc[:, i]
        if column.map(lambda v: v is None or (isinstance(v, str) and not v.strip())).all():
            continue  # a trailing delimiter or a blank spreadsheet column
        names[i] = f"column_{i + 1}"
        keep.append(i)
    seen: set[str] = set()
    for i in keep:
        if names[i] in seen:
            raise IngestError(
                f"{name} has more than one column named {names[i]!r}: rename or remove the "
                "duplicate and upload it again"
            )
        seen.add(names[i])
    out = body.iloc[:, keep].copy()
    out.columns = [names[i] for i in keep]
    return out.reset_index(drop=True)
