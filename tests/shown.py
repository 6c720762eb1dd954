"""Read what a page shows as HTML under AppTest: KPI tiles and short (static) tables."""

from __future__ import annotations

from html.parser import HTMLParser

import pandas as pd
from streamlit.testing.v1 import AppTest


class _Reader(HTMLParser):
    """Collect tiles (label, value, delta) and tables (header, rows) from widgets' HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.tiles: list[dict[str, str]] = []
        self.tables: list[tuple[list[str], list[list[str]]]] = []
        self._field: str | None = None
        self._in_style = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "style":
            self._in_style = True
        elif "spm-tile" in classes:
            self.tiles.append({"label": "", "value": "", "delta": ""})
        elif "spm-tile-label" in classes:
            self._field = "label"
        elif "spm-tile-value" in classes:
            self._field = "value"
        elif "spm-tile-delta" in classes:
            self._field = "delta"
        elif "spm-tile-help" in classes:
            self._field = None  # the "?" of a tooltip is not part of the label
        elif tag == "table":
            self.tables.append(([], []))
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False
        elif tag == "div":
            self._field = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            header, rows = self.tables[-1]
            if header:
                rows.append(self._row)
            else:
                header.extend(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._in_style:
            return
        if self._cell is not None:
            self._cell.append(data)
        elif self._field and self.tiles:
            self.tiles[-1][self._field] += data


def _read(at: AppTest) -> _Reader:
    reader = _Reader()
    for element in at.get("html"):
        reader.feed(element.proto.body)
    return reader


def tiles(at: AppTest) -> dict[str, str]:
    """Return the page's KPI tiles as {label: value}, in page order."""
    return {t["label"]: t["value"] for t in _read(at).tiles if t["label"]}


def tile_deltas(at: AppTest) -> dict[str, str]:
    """Return the text under each KPI tile (its change or note), by label."""
    return {t["label"]: t["delta"] for t in _read(at).tiles if t["label"]}


def tables(at: AppTest) -> list[pd.DataFrame]:
    """Return the page's static tables as frames of the texts shown (headers as shown)."""
    return [pd.DataFrame(rows, columns=header) for header, rows in _read(at).tables]
