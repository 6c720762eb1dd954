"""Number formatting shared by pages, exports and the CLI: currency, percentages, counts."""

from __future__ import annotations

import math


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def money(value: object, symbol: str = "$", compact: bool = False) -> str:
    """Return an amount as currency text, e.g. `$12,345` or compact `$1.2M`; `–` when missing."""
    if _missing(value):
        return "–"
    x = float(value)  # type: ignore[arg-type]
    sign = "-" if x < 0 else ""
    x = abs(x)
    if compact:
        for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if x >= limit:
                return f"{sign}{symbol}{x / limit:,.1f}{suffix}"
    return f"{sign}{symbol}{x:,.0f}"


def pct(value: object, digits: int = 0) -> str:
    """Return a fraction as a percentage, e.g. 0.256 → `26%`; `–` when missing."""
    if _missing(value):
        return "–"
    return f"{float(value) * 100:.{digits}f}%"  # type: ignore[arg-type]


def count(value: object) -> str:
    """Return a whole number with thousands separators; `–` when missing."""
    if _missing(value):
        return "–"
    return f"{int(value):,}"  # type: ignore[call-overload]


def days(value: object) -> str:
    """Return a day count such as `42 d`; `–` when missing."""
    if _missing(value):
        return "–"
    return f"{float(value):.0f} d"  # type: ignore[arg-type]


def by_unit(value: object, unit: str, symbol: str = "$", compact: bool = True) -> str:
    """Return a value formatted for its unit: money, count, fraction or days."""
    if unit == "money":
        return money(value, symbol, compact=compact)
    if unit == "fraction":
        return pct(value)
    if unit == "days":
        return days(value)
    if _missing(value):
        return "–"
    return f"{float(value):,.0f}"  # type: ignore[arg-type]


def change(value: object, unit: str, symbol: str = "$") -> str | None:
    """Return a signed change for st.metric deltas (points for fractions); None when missing."""
    if _missing(value):
        return None
    x = float(value)  # type: ignore[arg-type]
    sign = "+" if x >= 0 else "-"
    if unit == "fraction":
        return f"{sign}{abs(x) * 100:.0f} pts"
    return sign + by_unit(abs(x), unit, symbol)


_MARKDOWN_SPECIALS = "\\`*_{}[]()#+-.!|<>~$:"


def plain(text: object) -> str:
    """Return text with Markdown syntax escaped, for showing user-provided names verbatim."""
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIALS else ch for ch in str(text))
