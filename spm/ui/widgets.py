"""Shared widgets: empty states, KPI tiles, tables with CSV download, sidebar filters."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import pandas as pd
import streamlit as st
from streamlit import dataframe_util

from spm.export import safe_csv
from spm.format import count, money, pct
from spm.metrics import summary
from spm.periods import quarter_of, shift
from spm.ui import state

# Beyond this many reps a bar each is unreadable, and a chart thousands of pixels tall to draw.
MAX_BARS = 40
# A table shows this many rows unless told otherwise: thousands of deals are megabytes for the
# browser to receive and lay out and nobody reads them on screen; the CSV download has them all.
TABLE_ROWS = 200
# Tables this short are drawn as plain HTML: the interactive grid costs a browser ~0.5 s to start
# on a page (its code, canvas and fonts), a static table ~0.05 s, and sorting or scrolling a
# summary of a few rows gains the reader little. Longer tables keep the grid.
STATIC_ROWS = 25


def empty_state(message: str) -> None:
    """Show what to load and a link to the Data page."""
    st.info(message, icon=":material/upload_file:")
    st.page_link(
        "views/data.py",
        label="Go to Data to load files or the demo company",
        icon=":material/arrow_forward:",
    )


def table(  # type: ignore[no-untyped-def]
    frame: pd.DataFrame,
    name: str,
    money_cols: tuple[str, ...] = (),
    pct_cols: tuple[str, ...] = (),
    column_config: dict | None = None,
    limit: int | None = TABLE_ROWS,
    order: str = "",
    download: pd.DataFrame | None = None,
    **kwargs,
) -> None:
    """Show a table (money and fraction columns formatted) with a CSV download under it.

    `pct_cols` hold fractions (0.25) and are shown as percentages; the CSV keeps fractions.
    `limit` shows only the first rows (the caller sorts; `order` says how, for the caption;
    None shows all); the CSV always holds every row, of `download` when the shown frame is text
    formatted for reading.
    """
    symbol = state.settings()["currency_symbol"]
    shown = frame if limit is None or len(frame) <= limit else frame.head(limit)
    shown = shown.copy()
    shown.attrs = {}  # Streamlit tries to serialise attrs and warns on dates
    config: dict = {
        c: st.column_config.NumberColumn(c.replace("_", " "), format=f"{symbol}%,.0f")
        for c in money_cols
        if c in shown.columns
    }
    for c in pct_cols:
        if c in shown.columns:
            shown[c] = shown[c].astype(float) * 100
            config[c] = st.column_config.NumberColumn(c.replace("_", " "), format="%.0f%%")
    for c in shown.columns:
        values = shown[c]
        if pd.api.types.is_datetime64_any_dtype(values):
            present = values.dropna()
            if (present.dt.normalize() == present).all():
                config[c] = st.column_config.DateColumn(c.replace("_", " "), format="YYYY-MM-DD")
    config.update(column_config or {})
    if len(shown) < len(frame):
        st.caption(
            f"Showing {len(shown):,} of {len(frame):,} rows{f' ({order})' if order else ''}; "
            "the CSV download has them all."
        )
    if len(shown) <= STATIC_ROWS and not column_config and not kwargs:
        st.html(table_html(frame if limit is None else frame.head(limit), money_cols, pct_cols,
                           symbol))  # fmt: skip
    else:
        st.dataframe(shown, hide_index=True, column_config=config, width="stretch", **kwargs)
    _download_csv(frame if download is None else download, name)


_TABLE_CSS = (
    "<style>.spm-table{overflow-x:auto;margin-bottom:.5rem}"
    ".spm-table table{border-collapse:collapse;width:100%;font-size:.875rem}"
    ".spm-table th{font-weight:500;text-align:left;background:rgba(128,128,128,.08)}"
    ".spm-table th,.spm-table td{padding:.3rem .6rem;white-space:nowrap;"
    "border-bottom:1px solid rgba(128,128,128,.2)}"
    ".spm-table .num{text-align:right;font-variant-numeric:tabular-nums}</style>"
)


def _cell(value: object, kind: str, symbol: str) -> str:
    """Return one table cell's text: money, percent of a fraction, date, yes/no, number or text."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[arg-type]
        return ""
    if kind == "money":
        return money(value, symbol)
    if kind == "pct":
        return pct(value)
    if kind == "date":
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
        return f"{stamp:%Y-%m-%d}" if stamp == stamp.normalize() else f"{stamp:%Y-%m-%d %H:%M}"
    if kind == "bool":
        return "yes" if value else "no"
    if kind == "int":
        return count(value)
    if kind == "float":
        return f"{float(value):,.2f}".rstrip("0").rstrip(".")  # type: ignore[arg-type]
    return str(value)


def table_html(
    frame: pd.DataFrame, money_cols: Sequence[str] = (), pct_cols: Sequence[str] = (),
    symbol: str = "$",
) -> str:  # fmt: skip
    """Return `frame` as an HTML table: amounts in `symbol`, fractions in `pct_cols` as percents.

    Every text is escaped; numbers are right-aligned. Column names read with spaces.
    """
    kinds = {}
    for c in frame.columns:
        values = frame[c]
        if c in money_cols:
            kinds[c] = "money"
        elif c in pct_cols:
            kinds[c] = "pct"
        elif pd.api.types.is_datetime64_any_dtype(values):
            kinds[c] = "date"
        elif pd.api.types.is_bool_dtype(values):
            kinds[c] = "bool"
        elif pd.api.types.is_integer_dtype(values):
            kinds[c] = "int"
        elif pd.api.types.is_float_dtype(values):
            kinds[c] = "float"
        else:
            kinds[c] = "text"
    align = {c: ' class="num"' if k in ("money", "pct", "int", "float") else "" for c, k in
             kinds.items()}  # fmt: skip
    head = "".join(
        f"<th{align[c]}>{html.escape(str(c).replace('_', ' '))}</th>" for c in frame.columns
    )
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td{align[c]}>{html.escape(_cell(v, kinds[c], symbol))}</td>"
            for c, v in zip(frame.columns, row, strict=True)
        )
        + "</tr>"
        for row in frame.itertuples(index=False, name=None)
    )
    return (
        f'{_TABLE_CSS}<div class="spm-table"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )


@dataclass(frozen=True)
class Tile:
    """One KPI tile: a label, its value, optionally a change under it, and a tooltip.

    `tone` colours the change: "normal" when up is good, "inverse" when down is good, "off"
    for a plain note (no colour, no arrow). A change starting with "-" or "−" is down.
    """

    label: str
    value: str
    delta: str | None = None
    help: str | None = None
    tone: Literal["off", "normal", "inverse"] = "off"


_TILE_CSS = (
    "<style>.spm-tiles{display:grid;gap:1rem;margin-bottom:1rem}"
    ".spm-tile{min-width:0}"
    ".spm-tile-label{font-size:.875rem;white-space:nowrap;overflow:hidden;"
    "text-overflow:ellipsis}"
    ".spm-tile-help{display:inline-block;margin-left:.3rem;width:.95rem;height:.95rem;"
    "line-height:.85rem;text-align:center;border:1px solid currentColor;border-radius:50%;"
    "font-size:.65rem;opacity:.6;cursor:help}"
    ".spm-tile-value{font-size:2.25rem;line-height:1.35;white-space:nowrap;overflow:hidden;"
    "text-overflow:ellipsis}"
    ".spm-tile-delta{display:inline-block;font-size:.8rem;padding:0 .45rem;border-radius:1rem;"
    "background:rgba(128,128,128,.12)}"
    ".spm-tile-delta.good{color:#158237;background:rgba(33,195,84,.12)}"
    ".spm-tile-delta.bad{color:#d42020;background:rgba(255,43,43,.1)}</style>"
)


def tiles_html(items: Sequence[Tile | None]) -> str:
    """Return a row of KPI tiles as HTML (None leaves a place empty); texts escaped, tooltips
    in `title`."""
    cells = []
    for t in items:
        text = html.escape
        if t is None:
            cells.append('<div class="spm-tile"></div>')
            continue
        tip = (
            f'<span class="spm-tile-help" title="{text(t.help)}" aria-label="{text(t.help)}"'
            ' role="img">?</span>'
            if t.help
            else ""
        )
        change = ""
        if t.delta:
            down = t.delta.lstrip().startswith(("-", "−"))
            if t.tone == "off":
                change = f'<div class="spm-tile-delta">{text(t.delta)}</div>'
            else:
                good = down == (t.tone == "inverse")
                arrow = "↓" if down else "↑"
                change = (
                    f'<div class="spm-tile-delta {"good" if good else "bad"}">'
                    f"{arrow} {text(t.delta)}</div>"
                )
        cells.append(
            f'<div class="spm-tile"><div class="spm-tile-label">'
            f'<span class="spm-tile-name">{text(t.label)}</span>{tip}</div>'
            f'<div class="spm-tile-value">{text(t.value)}</div>{change}</div>'
        )
    columns = f"grid-template-columns:repeat({max(len(items), 1)},minmax(0,1fr))"
    return f'{_TILE_CSS}<div class="spm-tiles" style="{columns}">{"".join(cells)}</div>'


class _TileSlot:
    """One place in a row of tiles, filled like a column holding `st.metric`."""

    def __init__(self, row: list[Tile | None], index: int, draw: Callable[[], None]) -> None:
        self._row, self._index, self._draw = row, index, draw

    def metric(
        self,
        label: str,
        value: object,
        delta: object = None,
        delta_color: Literal["normal", "inverse", "off"] = "normal",
        help: str | None = None,  # noqa: A002
        **_: Any,
    ) -> None:
        """Put a tile here (st.metric's arguments) and redraw the row."""
        change = None if delta is None else str(delta)
        self._row[self._index] = Tile(label, str(value), change, help, delta_color)
        self._draw()


def tile_row(n: int) -> list[_TileSlot]:
    """Return `n` slots drawn as one row of KPI tiles, filled with `slot.metric(...)`.

    Stands where `st.columns(n)` of `st.metric` stood: the row is a single HTML element, which
    a browser draws in a fraction of the time of n metric widgets in n columns (~25 ms each).
    """
    row: list[Tile | None] = [None] * n
    place = st.empty()

    def draw() -> None:
        place.html(tiles_html(row))

    return [_TileSlot(row, i, draw) for i in range(n)]


def _download_csv(frame: pd.DataFrame, name: str) -> None:
    """Show a button that downloads `frame` as CSV, written only when it is clicked."""
    # A callable defers the CSV (a second or more for large tables) from every page view to
    # the click; "ignore" spares the page a rerun, as a download changes nothing on it.
    st.download_button(
        f"Download {name} (CSV)",
        lambda: safe_csv(frame),
        file_name=f"{name.replace(' ', '_')}.csv",
        mime="text/csv",
        key=f"dl_{name}",
        icon=":material/download:",
        on_click="ignore",
    )


_CHART_BUILDERS: dict[str, Callable[..., Any]] = {}


# A resource, not data: the spec is only read (Streamlit copies it before drawing), and sharing it
# spares a copy of its Arrow datasets on every view.
@st.cache_resource(show_spinner=False, max_entries=256)
def _chart_spec(name: str, args: tuple, kwargs: tuple) -> dict:
    from spm.charts import to_vega_lite  # imports Altair: only pages that draw one need it

    spec = to_vega_lite(_CHART_BUILDERS[name](*args, **dict(kwargs)))
    spec["datasets"] = {
        key: dataframe_util.convert_anything_to_arrow_bytes(frame)
        for key, frame in spec["datasets"].items()
    }
    return spec


def chart(
    build: Callable[..., Any],
    *args: Any,
    width: Literal["stretch", "content"] = "stretch",
    key: str | None = None,
    on_select: Literal["ignore", "rerun"] | Callable[[], None] = "ignore",
    selection_mode: str | None = None,
    **kwargs: Any,
) -> Any:
    """Draw the Altair chart `build(*args, **kwargs)`; return its selection when `on_select`.

    The chart is built, validated and turned into Vega-Lite once per distinct input: Altair's
    schema validation costs 10-40 ms per chart and view, while hashing the (small) frames behind
    a chart takes a millisecond or two.
    """
    name = f"{build.__module__}.{build.__qualname__}"
    _CHART_BUILDERS[name] = build
    spec = _chart_spec(name, args, tuple(sorted(kwargs.items())))
    return st.vega_lite_chart(
        spec, width=width, key=key, on_select=on_select, selection_mode=selection_mode
    )


def money_text(value: object, compact: bool = True) -> str:
    """Return an amount in the configured currency."""
    return money(value, state.settings()["currency_symbol"], compact=compact)


@dataclass(frozen=True)
class Filters:
    """The sidebar's period / as-of / team / rep choice."""

    period: str
    as_of: date | None
    team: str | None
    rep: str | None


def _remember(widget_key: str, keep_key: str) -> None:
    st.session_state[keep_key] = st.session_state[widget_key]


def _choose(label: str, options: list, key: str, default: object, help: str) -> object:  # noqa: A002
    """Return a sidebar selectbox choice, seeded from the URL and remembered across pages.

    Streamlit drops a widget's state when the user moves to another page, so the choice is
    kept under a plain session key and written back into the widget on every run.
    """
    keep_key, widget_key = f"keep_{key}", f"filter_{key}"
    if st.session_state.get(keep_key) not in options:
        from_url = st.query_params.get(key)
        texts = [str(o) for o in options]
        st.session_state[keep_key] = (
            options[texts.index(from_url)] if from_url in texts else default
        )
    st.session_state[widget_key] = st.session_state[keep_key]
    value = st.sidebar.selectbox(
        label,
        options,
        key=widget_key,
        help=help,
        on_change=_remember,
        args=(widget_key, keep_key),
    )
    if value is None or value == "All":
        st.query_params.pop(key, None)
    else:
        st.query_params[key] = str(value)
    return value


def sidebar_filters() -> Filters:
    """Draw the period / as-of / team / rep filters; keep them in the URL for deep links."""
    start_month = state.settings()["fiscal_year_start_month"]
    snaps = state.cached(summary.snapshot_dates)()
    latest = snaps[0] if snaps else date.today()
    current = quarter_of(latest, start_month)
    first_close, last_close = state.cached(summary.close_date_span)()
    lo = min(first_close or latest, latest)
    hi = max(last_close or latest, latest)
    quarters, q = [], quarter_of(hi, start_month)
    while q.end > lo and len(quarters) < 40:
        quarters.append(q.label)
        q = shift(q, -1, start_month)
    period = _choose(
        "Period",
        quarters or [current.label],
        "period",
        current.label,
        "Fiscal quarter the deals close in",
    )
    as_of = _choose(
        "As of",
        snaps or [None],
        "as_of",
        snaps[0] if snaps else None,
        "Snapshot to read open deals from (latest by default)",
    )
    directory = state.cached(summary.rep_directory)()
    teams = ["All", *sorted(directory["team"].dropna().unique())]
    team = _choose("Team", teams, "team", "All", "Limit to one team")
    team_arg = None if team == "All" else str(team)
    in_team = directory if team_arg is None else directory[directory["team"] == team_arg]
    reps = ["All", *in_team["rep"].tolist()]
    rep = _choose("Rep", reps, "rep", "All", "Limit to one rep")
    return Filters(
        period=str(period),
        as_of=as_of,  # type: ignore[arg-type]
        team=team_arg,
        rep=None if rep == "All" else str(rep),
    )
