"""Column-wise value normalisers: every accepted format, the bad cases and column decisions."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from spm.ingest.values import (
    parse_amounts,
    parse_bools,
    parse_dates,
    parse_integers,
    parse_percents,
    parse_text,
)

MISSING = [None, "", "   ", np.nan]


def one(value: object) -> pd.Series:
    return pd.Series([value], dtype=object)


# --- amounts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12,345.67", 12345.67),
        ("$12,345", 12345.0),
        ("USD 12,345.00", 12345.0),
        ("12,345.00 USD", 12345.0),
        ("usd 99", 99.0),
        ("(1,200)", -1200.0),
        ("($1,200.50)", -1200.5),
        ("-1200", -1200.0),
        ("-$5.00", -5.0),
        ("$-5.00", -5.0),
        ("12.3k", 12300.0),
        ("12.3K", 12300.0),
        ("1.2M", 1200000.0),
        ("1.2m", 1200000.0),
        ("$1.5MM", 1500000.0),
        ("£5", 5.0),
        ("¥100", 100.0),
        ("€ 99.95", 99.95),
        ("250 EUR", 250.0),
        ("1,234,567", 1234567.0),
        ("  42  ", 42.0),
        ("1'234.50", 1234.5),
        ("\u22125", -5.0),
        ("0.006", 0.01),
        ("1234.567", 1234.57),
        (5, 5.0),
        (7.5, 7.5),
        (np.int64(3), 3.0),
        (np.float64(2.25), 2.25),
    ],
)
def test_amount_formats(raw: object, expected: float) -> None:
    parsed = parse_amounts(one(raw))
    assert parsed.values.iloc[0] == pytest.approx(expected)
    assert not parsed.bad.iloc[0]
    assert parsed.values.dtype == "float64"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("€ 1.234,56", 1234.56),
        ("1 234,56", 1234.56),
        ("1.234.567,8", 1234567.8),
        ("12,5", 12.5),
        ("1.000", 1000.0),
        ("-3,25 €", -3.25),
        ("1\u00a0234,56", 1234.56),
        ("1\u202f234\u202f567,00 EUR", 1234567.0),
    ],
)
def test_amount_decimal_comma_forced(raw: str, expected: float) -> None:
    parsed = parse_amounts(one(raw), decimal_comma=True)
    assert parsed.values.iloc[0] == pytest.approx(expected)
    assert not parsed.bad.iloc[0]


@pytest.mark.parametrize("raw", ["abc", "n/a", "N/A", "12,5", "1.2.3", "$", "--5", "12 34 x"])
def test_amount_bad(raw: str) -> None:
    parsed = parse_amounts(one(raw), decimal_comma=False)
    assert math.isnan(parsed.values.iloc[0])
    assert parsed.bad.iloc[0]


@pytest.mark.parametrize("raw", [True, dt.date(2026, 1, 1)])
def test_amount_bad_native(raw: object) -> None:
    parsed = parse_amounts(one(raw))
    assert parsed.bad.iloc[0]


@pytest.mark.parametrize("raw", MISSING)
def test_amount_missing_is_not_bad(raw: object) -> None:
    parsed = parse_amounts(one(raw))
    assert math.isnan(parsed.values.iloc[0])
    assert not parsed.bad.iloc[0]


@pytest.mark.parametrize(
    ("column", "expected", "comma"),
    [
        (["€ 1.234,56", "1 234,56", "12,5", "1.000"], [1234.56, 1234.56, 12.5, 1000.0], True),
        (["1.234,56", "99,00", "7"], [1234.56, 99.0, 7.0], True),
        (["12,345.67", "1,000", "99.5"], [12345.67, 1000.0, 99.5], False),
        (["1,000", "2,500"], [1000.0, 2500.0], False),
        (["1.000", "2.500"], [1.0, 2.5], False),
    ],
)
def test_amount_decimal_comma_detection(
    column: list[str], expected: list[float], comma: bool
) -> None:
    parsed = parse_amounts(pd.Series(column, dtype=object))
    assert list(parsed.values) == pytest.approx(expected)
    assert not parsed.bad.any()
    if comma:
        assert parsed.note is not None and "decimal comma" in parsed.note
    else:
        assert parsed.note is None


def test_amount_keeps_index_and_marks_only_bad_cells() -> None:
    s = pd.Series(["$10", "oops", None, "3"], index=[10, 20, 30, 40], dtype=object)
    parsed = parse_amounts(s)
    assert list(parsed.values.index) == [10, 20, 30, 40]
    assert parsed.bad.tolist() == [False, True, False, False]
    assert parsed.values[10] == 10.0 and parsed.values[40] == 3.0


def test_amount_repeated_values_map_back_to_their_rows() -> None:
    s = pd.Series(["$1", "$2", "$1", None, "$2", "x", "x"], dtype=object)
    parsed = parse_amounts(s)
    assert parsed.values.tolist()[:3] == [1.0, 2.0, 1.0]
    assert parsed.values.tolist()[4] == 2.0
    assert parsed.bad.tolist() == [False, False, False, False, False, True, True]


@given(st.floats(min_value=-1e11, max_value=1e11, allow_nan=False, allow_infinity=False))
def test_amount_roundtrip_dollar_format(x: float) -> None:
    parsed = parse_amounts(one(f"${x:,.2f}"))
    assert not parsed.bad.iloc[0]
    assert parsed.values.iloc[0] == round(x, 2)


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-03-01", "2026-03-01"),
        ("2026-3-1", "2026-03-01"),
        ("2026-03-01 14:00:00", "2026-03-01"),
        ("2026-03-01T14:00:00.123", "2026-03-01"),
        ("2026-03-01T23:30:00-05:00", "2026-03-01"),
        ("2026-03-01T23:30:00Z", "2026-03-01"),
        ("2026-03-01T00:30:00+05:30", "2026-03-01"),
        ("2026/03/01", "2026-03-01"),
        ("01.03.2026", "2026-03-01"),
        ("1.3.26", "2026-03-01"),
        ("01-Mar-2026", "2026-03-01"),
        ("1-MAR-26", "2026-03-01"),
        ("Mar 1, 2026", "2026-03-01"),
        ("1 March 2026", "2026-03-01"),
        ("20260301", "2026-03-01"),
        ("46082", "2026-03-01"),
        ("46082.75", "2026-03-01"),
        (46082, "2026-03-01"),
        (46082.5, "2026-03-01"),
        (dt.date(2026, 3, 1), "2026-03-01"),
        (dt.datetime(2026, 3, 1, 17, 45), "2026-03-01"),
        (pd.Timestamp("2026-03-01 23:00"), "2026-03-01"),
        (pd.Timestamp("2026-03-01 23:00", tz="America/New_York"), "2026-03-01"),
        (np.datetime64("2026-03-01T08:00"), "2026-03-01"),
    ],
)
def test_date_formats(raw: object, expected: str) -> None:
    parsed = parse_dates(one(raw))
    assert parsed.values.iloc[0] == pd.Timestamp(expected)
    assert not parsed.bad.iloc[0]
    assert parsed.values.dtype == "datetime64[ns]"


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (["03/01/2026"], ["2026-03-01"]),
        (["3/1/2026"], ["2026-03-01"]),
        (["03/01/26"], ["2026-03-01"]),
        (["02/23/26 08:55 PM"], ["2026-02-23"]),
        (["02/23/26 08:55 AM", "12/31/99 11:59 PM"], ["2026-02-23", "1999-12-31"]),
        (["01/01/68", "01/01/69"], ["2068-01-01", "1969-01-01"]),
        (["03-01-2026"], ["2026-03-01"]),
    ],
)
def test_date_us_slash_formats(column: list[str], expected: list[str]) -> None:
    parsed = parse_dates(pd.Series(column, dtype=object))
    assert list(parsed.values) == [pd.Timestamp(e) for e in expected]
    assert not parsed.bad.any()


@pytest.mark.parametrize(
    ("column", "dayfirst", "expected", "note_part"),
    [
        (
            ["31/01/2026", "01/02/2026"],
            None,
            ["2026-01-31", "2026-02-01"],
            "day first (DD/MM/YYYY), decided from values like 31/01/2026",
        ),
        (
            ["01/31/2026", "02/01/2026"],
            None,
            ["2026-01-31", "2026-02-01"],
            "month first (MM/DD/YYYY), decided from values like 01/31/2026",
        ),
        (
            ["01/02/2026", "03/04/2026"],
            None,
            ["2026-01-02", "2026-03-04"],
            "month first (MM/DD/YYYY), assumed",
        ),
        (
            ["01/02/2026", "03/04/2026"],
            True,
            ["2026-02-01", "2026-04-03"],
            "day first (DD/MM/YYYY), as set in settings",
        ),
        (
            ["01/02/2026", "2026-05-06"],
            False,
            ["2026-01-02", "2026-05-06"],
            "month first (MM/DD/YYYY), as set in settings",
        ),
    ],
)
def test_date_day_month_order_decided_per_column(
    column: list[str], dayfirst: bool | None, expected: list[str], note_part: str
) -> None:
    parsed = parse_dates(pd.Series(column, dtype=object), dayfirst=dayfirst)
    assert list(parsed.values) == [pd.Timestamp(e) for e in expected]
    assert not parsed.bad.any()
    assert parsed.note is not None
    assert parsed.note.startswith("day/month order: ")
    assert note_part in parsed.note


def test_date_note_only_when_slash_dates_present() -> None:
    parsed = parse_dates(pd.Series(["2026-03-01", "01.03.2026"], dtype=object))
    assert parsed.note is None


def test_date_conflicting_order_marks_losers_bad() -> None:
    parsed = parse_dates(pd.Series(["31/01/2026", "01/31/2026"], dtype=object))
    assert parsed.values.iloc[0] == pd.Timestamp("2026-01-31")
    assert parsed.bad.tolist() == [False, True]


@pytest.mark.parametrize(
    "raw",
    [
        "x",
        "not a date",
        "2026-13-01",
        "2026-02-30",
        "32.01.2026",
        "13/13/2026",
        "12345",
        "99999",
        12,
        True,
        "2026-03-01 garbage",
    ],
)
def test_date_bad(raw: object) -> None:
    parsed = parse_dates(one(raw))
    assert pd.isna(parsed.values.iloc[0])
    assert parsed.bad.iloc[0]


@pytest.mark.parametrize("raw", [*MISSING, pd.NaT])
def test_date_missing_is_not_bad(raw: object) -> None:
    parsed = parse_dates(one(raw))
    assert pd.isna(parsed.values.iloc[0])
    assert not parsed.bad.iloc[0]


def test_date_native_datetime_column() -> None:
    s = pd.Series(pd.to_datetime(["2026-03-01 10:00", None]))
    parsed = parse_dates(s)
    assert parsed.values.iloc[0] == pd.Timestamp("2026-03-01")
    assert pd.isna(parsed.values.iloc[1])
    assert not parsed.bad.any()


# --- percents --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (["35"], [0.35]),
        (["35%"], [0.35]),
        (["35 %"], [0.35]),
        (["0.35"], [0.35]),
        (["100"], [1.0]),
        (["100%"], [1.0]),
        (["0%"], [0.0]),
        (["12,5%"], [0.125]),
        ([35], [0.35]),
        ([0.35], [0.35]),
        (["0.35", "0.5", "1"], [0.35, 0.5, 1.0]),
        (["0.35", "35%"], [0.35, 0.35]),
        (["1", "0"], [1.0, 0.0]),
    ],
)
def test_percent_formats(column: list[object], expected: list[float]) -> None:
    parsed = parse_percents(pd.Series(column, dtype=object))
    assert list(parsed.values) == pytest.approx(expected)
    assert not parsed.bad.any()


@pytest.mark.parametrize(
    ("column", "note"),
    [
        (["35", "50"], "bare numbers read as percentages (35 means 35%)"),
        (["0.35", "0.5"], "bare numbers read as fractions (0.35 means 35%)"),
        (["35%", "50%"], None),
    ],
)
def test_percent_note(column: list[str], note: str | None) -> None:
    assert parse_percents(pd.Series(column, dtype=object)).note == note


@pytest.mark.parametrize(
    ("column", "bad"),
    [
        (["150%"], [True]),
        (["-5%"], [True]),
        (["-0.5"], [True]),
        (["250", "50"], [True, False]),
        (["10", "90", "0.5"], [False, False, True]),
        (["high"], [True]),
        (["35%%"], [True]),
        ([None, "", "  "], [False, False, False]),
    ],
)
def test_percent_bad(column: list[object], bad: list[bool]) -> None:
    parsed = parse_percents(pd.Series(column, dtype=object))
    assert parsed.bad.tolist() == bad
    assert parsed.values[parsed.bad].isna().all()


def test_fraction_beside_whole_percentages_is_refused_with_its_reason() -> None:
    # 0.35 beside 35 could mean 35% or 0.35%; the parser does not guess.
    parsed = parse_percents(pd.Series(["35", "35%", "0.35", "0", "1"], dtype=object))
    assert parsed.values.tolist()[:2] == [0.35, 0.35]
    assert parsed.values.tolist()[3:] == [0.0, 0.01]
    assert parsed.bad.tolist() == [False, False, True, False, False]
    assert parsed.reasons.tolist() == [
        None,
        None,
        "ambiguous beside whole percentages like 35: write it as 35% or 0.35%",
        None,
        None,
    ]


# --- booleans --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("false", False),
        ("Yes", True),
        ("no", False),
        ("Y", True),
        ("n", False),
        ("1", True),
        ("0", False),
        ("x", True),
        ("X", True),
        ("t", True),
        ("F", False),
        (" yes ", True),
        (True, True),
        (False, False),
        (np.bool_(True), True),
        (1, True),
        (0, False),
        (1.0, True),
    ],
)
def test_bool_formats(raw: object, expected: bool) -> None:
    parsed = parse_bools(one(raw))
    assert parsed.values.iloc[0] is expected
    assert not parsed.bad.iloc[0]


@pytest.mark.parametrize("raw", ["maybe", "2", 2, "yess"])
def test_bool_bad(raw: object) -> None:
    parsed = parse_bools(one(raw))
    assert parsed.values.iloc[0] is None
    assert parsed.bad.iloc[0]


@pytest.mark.parametrize("raw", MISSING)
def test_bool_missing(raw: object) -> None:
    parsed = parse_bools(one(raw))
    assert parsed.values.iloc[0] is None
    assert not parsed.bad.iloc[0]
    assert parsed.values.dtype == object


# --- text ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Acme Corp ", "Acme Corp"),
        ("Société Générale", "Société Générale"),
        ("", None),
        ("   ", None),
        (None, None),
        (np.nan, None),
        (42, "42"),
        (42.0, "42"),
        (4.5, "4.5"),
        (dt.date(2026, 3, 1), "2026-03-01"),
    ],
)
def test_text(raw: object, expected: str | None) -> None:
    parsed = parse_text(one(raw))
    assert parsed.values.iloc[0] == expected if expected else parsed.values.iloc[0] is None
    assert not parsed.bad.iloc[0]


# --- integers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("6", 6), ("6.0", 6), (" 12 ", 12), ("-3", -3), (6, 6), (6.0, 6), (np.int64(9), 9)],
)
def test_integer_formats(raw: object, expected: int) -> None:
    parsed = parse_integers(one(raw))
    assert parsed.values.iloc[0] == expected
    assert not parsed.bad.iloc[0]
    assert parsed.values.dtype == "Int64"


@pytest.mark.parametrize("raw", ["six", "6.5", 6.5, "6 months", True])
def test_integer_bad(raw: object) -> None:
    parsed = parse_integers(one(raw))
    assert pd.isna(parsed.values.iloc[0])
    assert parsed.bad.iloc[0]


@pytest.mark.parametrize("raw", MISSING)
def test_integer_missing(raw: object) -> None:
    parsed = parse_integers(one(raw))
    assert pd.isna(parsed.values.iloc[0])
    assert not parsed.bad.iloc[0]


# --- regressions found by the hostile-input corpus -------------------------------------------


def test_mixed_date_formats_after_a_gap_keep_their_rows() -> None:
    # A subset of cells (index with gaps) once shifted its parsed values onto other rows.
    column = pd.Series(
        ["2026-03-15", "15.03.2026", None, "03/15/2026", "x", "15 Mar 2026", "46096"], dtype=object
    )
    parsed = parse_dates(column)
    day = pd.Timestamp("2026-03-15")
    assert parsed.values.tolist()[:2] == [day, day]
    assert pd.isna(parsed.values.iloc[2]) and pd.isna(parsed.values.iloc[4])
    assert parsed.values.tolist()[5:] == [day, day]
    assert parsed.values.iloc[3] == day
    assert parsed.bad.tolist() == [False, False, False, False, True, False, False]


def test_percent_after_a_missing_cell_stays_on_its_row() -> None:
    parsed = parse_percents(pd.Series([None, "35%", "50"], dtype=object))
    assert parsed.values.tolist()[1:] == [0.35, 0.5]
    assert parsed.bad.tolist() == [False, False, False]


@pytest.mark.parametrize(
    ("raw", "expected"), [("1e15", 1e15), ("1.5E+03", 1500.0), ("-2e2", -200.0)]
)
def test_amount_scientific_notation(raw: str, expected: float) -> None:
    assert parse_amounts(one(raw)).values.tolist() == [expected]


_UNAMBIGUOUS_DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y", "%d %b %Y", "%Y/%m/%d", "serial"]


@given(
    st.lists(
        st.one_of(
            st.none(),
            st.tuples(
                st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31)),
                st.sampled_from(_UNAMBIGUOUS_DATE_FORMATS),
            ),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_dates_parse_the_same_in_a_column_as_alone(cells: list) -> None:
    """Mixed unambiguous formats: each cell's date does not depend on its neighbours."""

    def show(cell: tuple | None) -> str | None:
        if cell is None:
            return None
        day, fmt = cell
        if fmt == "serial":
            return str((day - dt.date(1899, 12, 30)).days)
        return day.strftime(fmt)

    column = pd.Series([show(c) for c in cells], dtype=object)
    parsed = parse_dates(column)
    expected = [None if c is None else pd.Timestamp(c[0]) for c in cells]
    got = [None if pd.isna(v) else v for v in parsed.values]
    assert got == expected
    assert not parsed.bad.any()


# --- text the CSV reader hands over as Arrow-backed str parses as the same text in objects ---

_RAW = st.one_of(
    st.sampled_from(["", "  ", "12", " 1,200.50 ", "$3K", "2026-03-31", "03/04/2026", "yes"]),
    st.sampled_from(["No", "35%", "0.4", "abc", " x ", "1E+3", "(45)", "31.12.2026", "7"]),
)


@given(st.lists(_RAW, min_size=1, max_size=12))
def test_str_and_object_columns_parse_alike(cells):
    as_text = pd.Series(cells, dtype=pd.StringDtype("pyarrow", na_value=np.nan))
    as_objects = pd.Series(cells, dtype=object)
    for parse in (parse_amounts, parse_dates, parse_percents, parse_bools, parse_text):
        a, b = parse(as_text), parse(as_objects)
        pd.testing.assert_series_equal(a.values, b.values, check_names=False)
        pd.testing.assert_series_equal(a.bad, b.bad, check_names=False)
        assert a.note == b.note
    ints_a, ints_b = parse_integers(as_text), parse_integers(as_objects)
    pd.testing.assert_series_equal(ints_a.values, ints_b.values)
