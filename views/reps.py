"""Rep KPIs: the team table benchmarked against median and top quartile, and the one-on-one."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote_plus

import pandas as pd
import streamlit as st

from spm import charts
from spm.export import html_page, safe_csv
from spm.format import by_unit, change
from spm.metrics import coaching, hygiene, kpis, one_on_one
from spm.periods import parse_period
from spm.ui import state, widgets

# Beyond this many reps the table shows the top sellers: a styled grid of a thousand reps costs
# the server and the browser a second to draw, and a team filter or the CSV serves them better.
MAX_TABLE_REPS = 50
TREND_METRICS = ["bookings", "attainment", "win_rate", "ads", "cycle_days", "won"]

st.title("Rep KPIs")
if not state.has_snapshots():
    widgets.empty_state("Rep KPIs need an opportunities export: load one on the Data page.")
    st.stop()

f = widgets.sidebar_filters()
symbol = state.settings()["currency_symbol"]
MONEY = ("bookings", "ads", "quota", "open_pipeline", "revenue_per_head")


def _format_kpis(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy with rates shown as percentages for display."""
    shown = frame.copy()
    for col in ("win_rate", "value_win_rate", "attainment", "coverage", "top2_share"):
        if col in shown:
            shown[col] = shown[col].astype(float) * 100
    return shown


GREEN_CELL, RED_CELL = "background-color: #dcfce7", "background-color: #fee2e2"


def _band_styles(both: pd.DataFrame, bench: pd.DataFrame, columns: pd.Index) -> pd.DataFrame:
    """Return the CSS of each cell: green in the team's top quartile, red below its median."""
    styles = pd.DataFrame("", index=both.index, columns=columns)
    is_rep = both["rep"] != "Team"
    for name in bench.index.intersection(columns):
        raw = both[name].astype(float)
        top, median = bench.at[name, "top_quartile"], bench.at[name, "median"]
        if kpis.METRICS[name].higher_is_better:
            good, bad = raw >= top, raw < median
        else:
            good, bad = raw <= top, raw > median
        styles.loc[is_rep & good, name] = GREEN_CELL
        styles.loc[is_rep & ~good & bad, name] = RED_CELL
    return styles


def _team_view() -> None:
    reps, team = state.cached(kpis.kpi_tables)(f.period, as_of=f.as_of, team=f.team)
    if reps.empty:
        st.info(f"No reps or deals in {f.period}. Pick another period in the sidebar.")
        return
    t = team.iloc[0]
    tiles = widgets.tile_row(6)
    for col, name, label in [
        (tiles[0], "bookings", "Bookings"),
        (tiles[1], "quota", "Quota"),
        (tiles[2], "attainment", "Attainment"),
        (tiles[3], "win_rate", "Win rate"),
        (tiles[4], "revenue_per_head", "Revenue per head"),
        (tiles[5], "top2_share", "Top-2 share"),
    ]:
        unit = "money" if name in MONEY else "fraction"
        meta = kpis.METRICS.get(name)
        col.metric(label, by_unit(t[name], unit, symbol), help=meta.description if meta else None)
    st.caption(
        f"{f.period} · {len(reps)} reps · ramp-weighted heads {t['heads']:.1f} · "
        "cells: green = top quartile of the team, red = below the team median"
    )
    benchmarks = kpis.kpi_benchmarks(reps)
    # Only the open tab runs (?tab=8-quarter+trends opens another): the table first, the charts
    # on demand, so the page a manager opens draws no chart at all.
    table_tab, spread_tab, trend_tab = st.tabs(
        ["Team table", "Spread & benchmarks", "8-quarter trends"], key="tab", bind="query-params"
    )
    if table_tab.open:
        with table_tab:
            _team_table(reps, team, benchmarks)
    if spread_tab.open:
        with spread_tab:
            left, right = st.columns([2, 3])
            with left:
                st.markdown("**Attainment spread**")
                widgets.chart(charts.attainment_histogram, kpis.attainment_distribution(reps))
            with right:
                st.markdown("**Benchmarks** (the team's median and top quartile per KPI)")
                widgets.table(_readable(benchmarks), "benchmarks", download=benchmarks)
    if trend_tab.open:
        with trend_tab:
            _trends()


def _readable(benchmarks: pd.DataFrame) -> pd.DataFrame:
    """Return the benchmarks as text in each KPI's unit ($44.0k, 28%, 122 d), labelled."""
    rows = []
    for r in benchmarks.itertuples():
        meta = kpis.METRICS[r.metric]
        rows.append(
            {
                "KPI": meta.label,
                "team median": by_unit(r.median, meta.unit, symbol),
                "top quartile": by_unit(r.top_quartile, meta.unit, symbol),
            }
        )
    return pd.DataFrame(rows, columns=["KPI", "team median", "top quartile"])


def _team_table(reps: pd.DataFrame, team: pd.DataFrame, benchmarks: pd.DataFrame) -> None:
    """Draw the team table, cells coloured against the team's median and top quartile."""
    bench = benchmarks.set_index("metric")
    team_row = team.assign(rep="Team")[reps.columns]
    everyone = pd.concat([reps, team_row], ignore_index=True)
    # reps come sorted by bookings, largest first
    both = pd.concat([reps.head(MAX_TABLE_REPS), team_row], ignore_index=True)
    if len(reps) > MAX_TABLE_REPS:
        st.caption(
            f"Showing the {MAX_TABLE_REPS} reps with the highest bookings of {len(reps):,}, and "
            "the team. Pick a team in the sidebar to see all its reps; the CSV has everyone."
        )
    shown = _format_kpis(both)
    shown["one_on_one"] = [
        None if r == "Team" else f"/reps?rep={quote_plus(r)}&period={f.period}" for r in both["rep"]
    ]

    styles = _band_styles(both, bench, shown.columns)
    config = {
        c: st.column_config.NumberColumn(c.replace("_", " "), format=f"{symbol}%,.0f")
        for c in MONEY
    }
    for c in ("win_rate", "value_win_rate", "attainment", "coverage"):
        config[c] = st.column_config.NumberColumn(c.replace("_", " "), format="%.0f%%")
    for c in ("cycle_days", "cycle_median_days"):
        config[c] = st.column_config.NumberColumn(c.replace("_", " "), format="%.0f d")
    config["one_on_one"] = st.column_config.LinkColumn("1:1", display_text="open")
    st.dataframe(
        shown.style.apply(lambda _: styles, axis=None),
        hide_index=True,
        column_config=config,
        width="stretch",
    )
    st.download_button(
        "Download rep KPIs (CSV)",
        lambda: safe_csv(everyone),  # written on click, not on every view
        file_name=f"rep_kpis_{f.period}.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )


def _trends() -> None:
    """Draw eight quarters of each KPI: a line per rep, or the team's quartiles when many."""
    trend = state.cached(kpis.kpi_trend)(8, as_of=f.as_of, team=f.team)
    picked = trend[trend["metric"].isin(TREND_METRICS)]
    if trend["rep"].nunique() <= widgets.MAX_BARS:
        widgets.chart(charts.kpi_trend, picked, width="content")
        widgets.table(trend, "kpi trend")
    else:
        quartiles = kpis.trend_quartiles(trend)
        bands = quartiles[quartiles["metric"].isin(TREND_METRICS)].reset_index(drop=True)
        st.caption(
            f"{trend['rep'].nunique():,} reps: the line is the median rep, the shading the "
            "middle half (25th to 75th percentile). Pick a team to see each rep's line."
        )
        widgets.chart(charts.kpi_trend_quartiles, bands, width="content")
        widgets.table(quartiles, "kpi trend quartiles")
        st.download_button(
            "Download every rep's trend (CSV)",
            lambda: safe_csv(trend),  # ~100k rows: written on click, not on every view
            file_name="rep_kpi_trend.csv",
            mime="text/csv",
            icon=":material/download:",
            on_click="ignore",
        )


def _one_on_one(rep: str) -> None:
    profile = one_on_one.rep_profile(state.connection(), rep)
    tiles = state.cached(one_on_one.kpi_tiles)(rep, f.period, as_of=f.as_of)
    period = parse_period(f.period, state.settings()["fiscal_year_start_month"])
    bits = [profile.get("team") or "(no team)", profile.get("role") or "role not set"]
    month = one_on_one.ramp_month(profile, f.as_of or date.today())
    if month is not None:
        ramp = profile.get("ramp_months") or 0
        bits.append(
            f"hired {pd.Timestamp(profile['hire_date']):%b %Y}"
            + (f" · ramp month {month} of {int(ramp)}" if ramp and month <= ramp else "")
        )
    st.subheader(f"One-on-one: {rep}")
    st.caption(" · ".join(bits) + f" · {f.period} vs {tiles.attrs['prior_period']}")
    cols = widgets.tile_row(len(tiles))
    for col, t in zip(cols, tiles.to_dict("records"), strict=True):
        col.metric(
            t["label"],
            by_unit(t["value"], t["unit"], symbol),
            delta=change(t["change"], t["unit"], symbol),
            delta_color="normal" if t["higher_is_better"] else "inverse",
            help=f"{t['description']} Team median {by_unit(t['team_median'], t['unit'], symbol)}",
        )
    left, right = st.columns(2)
    with left:
        st.markdown("**Strengths and weaknesses** (percentile in the team)")
        sw = one_on_one.strengths_and_weaknesses(tiles)
        if sw.empty:
            st.caption("Not enough closed deals this period to rank.")
        else:
            ranks = sw.rename(columns={"percentile": "rank"})
            widgets.chart(charts.percentile_bars, ranks)
    with right:
        st.markdown("**Ramp: cumulative bookings by month since hire**")
        curves = state.cached(coaching.ramp_curves)(as_of=f.as_of)
        if curves.empty or rep not in set(curves["rep"]):
            st.caption(
                "Hired before the loaded history begins: no ramp to draw."
                if profile.get("hire_date") is not None and not pd.isna(profile.get("hire_date"))
                else "No hire date for this rep: load a reps file with hire_date."
            )
        else:
            widgets.chart(charts.ramp_curves, curves, focus=rep, symbol=symbol)
    st.markdown("**Deals needing attention**")
    attention = state.cached(hygiene.deals_needing_attention)(as_of=f.as_of, rep=rep)
    cols_shown = ["opportunity_id", "name", "account", "stage", "amount", "close_date", "reason"]
    widgets.table(attention[cols_shown] if len(attention) else attention, "deals needing attention",
                  money_cols=("amount",))  # fmt: skip
    left, right = st.columns(2)
    with left:
        st.markdown(f"**Activities in {f.period}**")
        acts = state.cached(coaching.activity_counts)(f.period, rep=rep)
        if acts.empty:
            st.caption("No activities loaded for this period (load an activities file).")
        else:
            widgets.table(acts, "activities")
    with right:
        st.markdown("**Customer report cards** (last 12 months, 1–5)")
        cards = state.cached(coaching.report_card_averages)(
            date(period.end.year - 1, period.end.month, 1), period.end
        )
        mine = cards[cards["rep"].isin([rep, "Team"])] if len(cards) else cards
        if mine.empty:
            st.caption("No report cards loaded (load a report_cards file).")
        else:
            widgets.table(mine, "report cards")
    st.markdown("**Coaching notes**")
    con = state.connection()
    with st.form("note", clear_on_submit=True):
        note_date = st.date_input("Date", value=date.today())
        text = st.text_area("Note", placeholder="What we agreed, what to practise, next steps")
        if st.form_submit_button("Save note"):
            try:
                coaching.save_coaching_note(con, rep, note_date, text)
                st.success("Note saved.")
            except ValueError as exc:
                st.error(f"Note not saved: {exc}")
    notes = coaching.coaching_notes(con, rep)
    if len(notes):
        widgets.table(notes, "coaching notes")
    page = html_page(
        f"One-on-one: {rep}",
        [
            ("KPIs", tiles[["label", "value", "prior", "team_median", "percentile"]]),
            ("Deals needing attention", attention[cols_shown] if len(attention) else attention),
            ("Activities", acts),
            ("Report cards", mine),
            ("Coaching notes", notes),
        ],
        subtitle=f"{f.period} · " + " · ".join(bits),
    )
    st.download_button(
        "Download one-page summary (HTML)",
        page,
        file_name=f"one_on_one_{rep.replace(' ', '_')}_{f.period}.html",
        mime="text/html",
        icon=":material/print:",
    )


if f.rep:
    _one_on_one(f.rep)
else:
    _team_view()
