"""Fiscal calendar: labels to date ranges, with January and February fiscal starts."""

from __future__ import annotations

from datetime import date

import pytest

from spm.periods import PeriodError, parse_period, quarter_of, shift, trailing_quarters


@pytest.mark.parametrize(
    ("label", "start_month", "grain", "start", "end"),
    [
        ("2026-03", 1, "month", date(2026, 3, 1), date(2026, 4, 1)),
        ("2026-12", 2, "month", date(2026, 12, 1), date(2027, 1, 1)),
        ("2026-Q1", 1, "quarter", date(2026, 1, 1), date(2026, 4, 1)),
        ("2026-Q4", 1, "quarter", date(2026, 10, 1), date(2027, 1, 1)),
        ("2027-Q1", 2, "quarter", date(2026, 2, 1), date(2026, 5, 1)),
        ("2027-Q4", 2, "quarter", date(2026, 11, 1), date(2027, 2, 1)),
        ("FY2026", 1, "year", date(2026, 1, 1), date(2027, 1, 1)),
        ("FY2027", 2, "year", date(2026, 2, 1), date(2027, 2, 1)),
        ("fy2027", 7, "year", date(2026, 7, 1), date(2027, 7, 1)),
    ],
)
def test_parse_period(label, start_month, grain, start, end):
    p = parse_period(label, start_month)
    assert (p.grain, p.start, p.end) == (grain, start, end)


@pytest.mark.parametrize("label", ["", "2026", "2026-13", "Q5-2026", "2026-Q5", "next year"])
def test_bad_labels_raise_a_clear_error(label):
    with pytest.raises(PeriodError, match="is not"):
        parse_period(label)


def test_quarter_of_and_shift():
    assert quarter_of(date(2026, 11, 23)).label == "2026-Q4"
    assert quarter_of(date(2026, 1, 31), start_month=2).label == "2026-Q4"
    assert quarter_of(date(2026, 2, 1), start_month=2).label == "2027-Q1"
    assert shift(parse_period("2026-Q1"), -1).label == "2025-Q4"
    assert shift(parse_period("2026-11"), 2).label == "2027-01"
    assert shift(parse_period("FY2026"), 1).label == "FY2027"


def test_trailing_quarters_end_before_the_current_quarter():
    span = trailing_quarters(date(2026, 11, 23), 4)
    assert (span.start, span.end) == (date(2025, 10, 1), date(2026, 10, 1))
    assert parse_period("2026-Q4").months()[0] == date(2026, 10, 1)
