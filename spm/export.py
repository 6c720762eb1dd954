"""Exports that are safe to open in a spreadsheet: CSV with formula cells neutralised."""

from __future__ import annotations

import html

import pandas as pd

# A spreadsheet runs a cell as a formula (or DDE command) when it starts with one of these,
# also after leading spaces; full-width forms are accepted by some spreadsheet programs.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise(value: object) -> object:
    """Return the value, prefixed with a quote when a spreadsheet would run it as a formula."""
    if isinstance(value, str) and value.lstrip(" ").startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_csv(frame: pd.DataFrame) -> str:
    """Return the frame as CSV text with every text cell that starts a formula neutralised."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out.to_csv(index=False)


def html_page(title: str, sections: list[tuple[str, object]], subtitle: str = "") -> str:
    """Return one self-contained HTML page; each section is (heading, DataFrame or text).

    All text is HTML-escaped, so nothing from a loaded file can inject markup or script.
    """
    parts = []
    for heading, body in sections:
        if isinstance(body, pd.DataFrame):
            content = (
                body.to_html(index=False, escape=True, na_rep="–", border=0, classes="t")
                if len(body)
                else "<p class='muted'>Nothing to show.</p>"
            )
        else:
            content = f"<p>{html.escape(str(body))}</p>"
        parts.append(f"<section><h2>{html.escape(heading)}</h2>{content}</section>")
    return _PAGE.format(
        title=html.escape(title), subtitle=html.escape(subtitle), body="\n".join(parts)
    )


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 960px; color: #111; }}
h1 {{ margin-bottom: 0; }} .muted, .sub {{ color: #666; }}
section {{ break-inside: avoid; margin-top: 1.5rem; }}
table.t {{ border-collapse: collapse; width: 100%; }}
table.t th, table.t td {{ border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; }}
@media print {{ body {{ margin: 0; }} }}
</style></head>
<body><h1>{title}</h1><p class="sub">{subtitle}</p>
{body}
</body></html>
"""
