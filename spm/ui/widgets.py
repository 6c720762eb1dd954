"""Shared widgets: empty states, KPI tiles, tables with CSV download, sidebar filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st

from spm.export import safe_csv
from spm.format import money
from spm.periods import quarter_of, shift
from spm.ui import state


def empty_state(message: str) -> None:
    """Show what to load and a link to the Data page."""
    st.info(message, icon=":material/upload_file:")
    st.page_link("pages/data.py", label="Go to Data to load files or the demo company",
                 icon=":material/arrow_forward:")  # fmt: skip


def table(frame: pd.DataFrame, name: str, money_cols: tuple[str, ...] = (), **kwargs) -> None:  # type: ignore[no-untyped-def]
    """Show a table with currency columns formatted and a CSV download under it."""
    symbol = state.settings()["currency_symbol"]
    config = {
        c: st.column_config.NumberColumn(c.replace("_", " "), format=f"{symbol}%,.0f")
        for c in money_cols
        if c in frame.columns
    }
    for c in frame.columns:
        if (
            pd.api.types.is_datetime64_any_dtype(frame[c])
            and (frame[c].dt.normalize() == frame[c]).all()
        ):
            config[c] = st.column_config.DateColumn(c.replace("_", " "), format="YYYY-MM-DD")
    st.dataframe(frame, hide_index=True, column_config=config, width="stretch", **kwargs)
    st.download_button(
        f"Download {name} (CSV)",
        safe_csv(frame),
        file_name=f"{name.replace(' ', '_')}.csv",
        mime="text/csv",
        key=f"dl_{name}",
        icon=":material/download:",
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


def _choose(label: str, options: list, key: str, default: object, help: str) -> object:  # noqa: A002
    """Return a sidebar selectbox choice, seeded from the URL and remembered across pages."""
    from_url = st.query_params.get(key)
    remembered = st.session_state.get(f"keep_{key}")
    texts = [str(o) for o in options]
    initial = default
    for candidate in (from_url, remembered):
        if candidate is not None and str(candidate) in texts:
            initial = options[texts.index(str(candidate))]
            break
    widget_key = f"filter_{key}"
    if widget_key not in st.session_state or st.session_state[widget_key] not in options:
        st.session_state[widget_key] = initial
    value = st.sidebar.selectbox(label, options, key=widget_key, help=help)
    st.session_state[f"keep_{key}"] = value
    if value is None or value == "All":
        st.query_params.pop(key, None)
    else:
        st.query_params[key] = str(value)
    return value


def sidebar_filters() -> Filters:
    """Draw the period / as-of / team / rep filters; keep them in the URL for deep links."""
    con = state.connection()
    start_month = state.settings()["fiscal_year_start_month"]
    snaps = [r[0] for r in con.execute(
        "SELECT DISTINCT as_of FROM opportunity_snapshot_rows ORDER BY 1 DESC").fetchall()]  # fmt: skip
    latest = snaps[0] if snaps else date.today()
    current = quarter_of(latest, start_month)
    span = con.execute(
        "SELECT min(close_date), max(close_date) FROM opportunity_snapshots"
    ).fetchone()
    lo = min(span[0] or latest, latest)
    hi = max(span[1] or latest, latest)
    quarters, q = [], quarter_of(hi, start_month)
    while q.end > lo and len(quarters) < 40:
        quarters.append(q.label)
        q = shift(q, -1, start_month)
    period = _choose("Period", quarters or [current.label], "period", current.label,
                     "Fiscal quarter the deals close in")  # fmt: skip
    as_of = _choose("As of", snaps or [None], "as_of", snaps[0] if snaps else None,
                    "Snapshot to read open deals from (latest by default)")  # fmt: skip
    teams = ["All", *[r[0] for r in con.execute(
        "SELECT DISTINCT team FROM reps ORDER BY 1").fetchall()]]  # fmt: skip
    team = _choose("Team", teams, "team", "All", "Limit to one team")
    rep_sql = "SELECT rep FROM reps WHERE ? IS NULL OR team = ? ORDER BY 1"
    team_arg = None if team == "All" else team
    reps = ["All", *[r[0] for r in con.execute(rep_sql, [team_arg, team_arg]).fetchall()]]
    rep = _choose("Rep", reps, "rep", "All", "Limit to one rep")
    return Filters(
        period=str(period),
        as_of=as_of,  # type: ignore[arg-type]
        team=team_arg,
        rep=None if rep == "All" else str(rep),
    )
