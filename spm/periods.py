"""Fiscal calendar: parse period labels and turn them into date ranges.

Labels: month `2026-03` (a calendar month), quarter `2026-Q1` (fiscal quarter of fiscal year
2026), fiscal year `FY2026`. A fiscal year is named after the calendar year in which it ends, so
with a February start FY2027 runs from 2026-02-01 to 2027-01-31.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(?:FY)?(\d{4})-?Q([1-4])$", re.IGNORECASE)
_YEAR = re.compile(r"^FY ?(\d{4})$", re.IGNORECASE)


class PeriodError(ValueError):
    """A period label that cannot be read."""


@dataclass(frozen=True)
class Period:
    """A fiscal period: label, grain and the half-open date range [start, end)."""

    label: str
    grain: str  # month | quarter | year
    start: date
    end: date  # exclusive

    @property
    def last_day(self) -> date:
        """Return the last day inside the period."""
        return self.end - timedelta(days=1)

    def months(self) -> list[date]:
        """Return the first day of each month in the period."""
        out, d = [], self.start
        while d < self.end:
            out.append(d)
            d = add_months(d, 1)
        return out

    def contains(self, d: date) -> bool:
        """Return True when `d` falls inside the period."""
        return self.start <= d < self.end


def add_months(d: date, n: int) -> date:
    """Return the first day of the month `n` months after the month of `d`."""
    k = d.year * 12 + (d.month - 1) + n
    return date(k // 12, k % 12 + 1, 1)


def fiscal_year_start(fy: int, start_month: int) -> date:
    """Return the first day of fiscal year `fy` (named after the calendar year it ends in)."""
    return date(fy, 1, 1) if start_month == 1 else date(fy - 1, start_month, 1)


def fiscal_year_of(d: date, start_month: int = 1) -> int:
    """Return the fiscal year (by its name) containing `d`."""
    return d.year + 1 if start_month != 1 and d.month >= start_month else d.year


def parse_period(label: str, start_month: int = 1) -> Period:
    """Return the Period for a label such as `2026-03`, `2026-Q1` or `FY2026`."""
    text = (label or "").strip()
    if m := _MONTH.match(text):
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise PeriodError(f"month {month} in period '{label}' is not 1-12")
        start = date(year, month, 1)
        return Period(f"{year}-{month:02d}", "month", start, add_months(start, 1))
    if m := _QUARTER.match(text):
        fy, q = int(m.group(1)), int(m.group(2))
        start = add_months(fiscal_year_start(fy, start_month), 3 * (q - 1))
        return Period(f"{fy}-Q{q}", "quarter", start, add_months(start, 3))
    if m := _YEAR.match(text):
        fy = int(m.group(1))
        start = fiscal_year_start(fy, start_month)
        return Period(f"FY{fy}", "year", start, add_months(start, 12))
    raise PeriodError(
        f"period '{label}' is not a month (2026-03), quarter (2026-Q1) or fiscal year (FY2026)"
    )


def quarter_of(d: date, start_month: int = 1) -> Period:
    """Return the fiscal quarter containing `d`."""
    fy = fiscal_year_of(d, start_month)
    months_in = (d.year * 12 + d.month - 1) - (
        fiscal_year_start(fy, start_month).year * 12 + start_month - 1
    )
    return parse_period(f"{fy}-Q{months_in // 3 + 1}", start_month)


def shift(period: Period, n: int, start_month: int = 1) -> Period:
    """Return the period `n` periods of the same grain after `period` (negative: before)."""
    step = {"month": 1, "quarter": 3, "year": 12}[period.grain]
    start = add_months(period.start, n * step)
    if period.grain == "month":
        return parse_period(f"{start.year}-{start.month:02d}", start_month)
    if period.grain == "quarter":
        return quarter_of(start, start_month)
    return parse_period(f"FY{fiscal_year_of(start, start_month)}", start_month)


def trailing_quarters(before: date, n: int = 4, start_month: int = 1) -> Period:
    """Return the span of the `n` fiscal quarters that ended on or before `before`."""
    current = quarter_of(before, start_month)
    last = shift(current, -1, start_month) if before < current.end else current
    first = shift(last, -(n - 1), start_month)
    return Period(f"last {n} quarters to {last.label}", "span", first.start, last.end)
