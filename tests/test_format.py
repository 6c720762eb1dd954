"""Formatting helpers: currency, percentages, days, deltas and Markdown escaping."""

from __future__ import annotations

import math

import pytest

from spm.format import by_unit, change, count, days, money, pct, plain


@pytest.mark.parametrize(
    ("value", "compact", "expected"),
    [
        (1234.5, False, "$1,234"),  # whole units; banker's rounding of .5 is not relied on
        (1_250_000, True, "$1.2M"),
        (709_700, True, "$709.7k"),
        (-81_600, True, "-$81.6k"),
        (999, True, "$999"),
        (None, True, "–"),
        (math.nan, False, "–"),
    ],
)
def test_money(value, compact, expected):
    assert money(value, "$", compact=compact) == expected


def test_units_and_changes():
    assert pct(0.256) == "26%"
    assert count(8800) == "8,800"
    assert days(45.4) == "45 d"
    assert by_unit(0.5, "fraction") == "50%"
    assert by_unit(12_000, "money", "€") == "€12.0k"
    assert change(0.05, "fraction") == "+5 pts"
    assert change(-2500, "money") == "-$2.5k"
    assert change(None, "money") is None


def test_plain_escapes_markdown():
    assert plain("[x](http://evil)") == "\\[x\\]\\(http\\:\\/\\/evil\\)".replace("\\/", "/")
    assert plain("deals_2026*final*.csv") == "deals\\_2026\\*final\\*\\.csv"
