"""Home: what is loaded and this period at a glance."""

from __future__ import annotations

import streamlit as st

from spm import forecast
from spm.format import count, pct
from spm.metrics import summary as metrics
from spm.ui import state, widgets

st.title("SPM Dashboard")

if not state.has_snapshots():
    st.subheader("Welcome")
    widgets.empty_state(
        "No opportunities are loaded yet. Upload a CRM export (Salesforce, HubSpot, Pipedrive or "
        "the Maven CRM sample) on the Data page, or load the demo company there."
    )
    st.stop()

f = widgets.sidebar_filters()
record = state.cached(metrics.summary)(period=f.period, as_of=f.as_of).iloc[0]
all_time = state.cached(metrics.summary)(as_of=f.as_of).iloc[0]
snaps = state.cached(metrics.snapshot_list)(limit=12)
dates = state.cached(metrics.snapshot_dates)()

st.caption(f"Period {f.period} · snapshot as of {record['as_of']:%d %b %Y}")
c = widgets.tile_row(5)
c[0].metric(
    "Snapshots", count(record["snapshots"]), help="Opportunity exports loaded, one per as-of date"
)
c[1].metric("Deals", count(record["opportunities"]), help="Deals in the chosen snapshot")
c[2].metric("Open deals", count(record["open"]), help="Deals not yet won or lost")
c[3].metric(
    f"Won in {f.period}",
    widgets.money_text(record["won_amount"]),
    help=f"{count(record['won'])} deals won with a close date in the period",
)
c[4].metric(
    f"Win rate {f.period}",
    pct(record["win_rate"]),
    help="Won ÷ (won + lost) by count, deals closed in the period",
)

st.subheader(f"{f.period} at a glance")
g = state.cached(forecast.quarter_glance)(f.period, as_of=f.as_of, team=f.team)
q = widgets.tile_row(6)
q[0].metric(
    "Bookings vs quota",
    widgets.money_text(g["bookings"]),
    delta=f"{pct(g['attainment'])} of {widgets.money_text(g['quota'])}" if g["quota"] else None,
    delta_color="off",
    delta_arrow="off",
    help="Won deals closing in the period, against the sum of monthly quotas",
)
q[1].metric("Commit", widgets.money_text(g["commit"]), help="Closed + open Commit deals")
q[2].metric("Best case", widgets.money_text(g["best_case"]), help="Commit + open Best Case deals")
q[3].metric(
    "Statistical forecast",
    widgets.money_text(g["statistical"]),
    delta=f"{widgets.money_text(g['p10'])}–{widgets.money_text(g['p90'])}",
    delta_color="off",
    delta_arrow="off",
    help="Closed + Σ stage win rate × amount over open deals; range = P10–P90 (Forecast page)",
)
if g["covered"]:
    coverage_text = "covered"
else:
    coverage_text = "–" if g["coverage"] is None else f"{g['coverage']:.1f}×"
required = g["required_coverage"]
q[4].metric(
    "Coverage",
    coverage_text,
    delta=None if required is None else f"need {required:.1f}×",
    delta_color="off",
    delta_arrow="off",
    help="Open pipeline ÷ quota still to win; need = 1 ÷ value win rate of the last 4 quarters",
)
q[5].metric(
    "Deals at risk",
    count(g["at_risk_deals"]),
    delta=widgets.money_text(g["at_risk_amount"]) if g["at_risk_deals"] else None,
    delta_color="off",
    delta_arrow="off",
    help="Open deals closing in the period that are past due, pushed repeatedly or stale",
)
if g["compared_with"] is None:
    st.caption("Changes since the previous snapshot appear once a second snapshot is loaded.")
else:
    st.markdown(f"**Top changes since {g['compared_with']:%d %b %Y}**")
    tops = g["top_changes"][["change", "opportunity_id", "name", "rep", "stage_after",
                             "amount_before", "amount_after", "value"]]  # fmt: skip
    widgets.table(tops, "top changes", money_cols=("amount_before", "amount_after", "value"))
st.page_link("views/forecast.py", label="Open the forecast", icon=":material/trending_up:")

left, right = st.columns(2)
with left:
    st.subheader("What is loaded")
    counts = state.cached(metrics.loaded_counts)()
    widgets.table(counts, "loaded counts")
    st.caption(
        f"All time in this snapshot: {count(all_time['won'])} won, {count(all_time['lost'])} "
        f"lost, win rate {pct(all_time['win_rate'])}."
    )
with right:
    st.subheader("Snapshots")
    st.caption(f"{len(dates)} snapshot(s) from {dates[-1]:%d %b %Y} to {dates[0]:%d %b %Y}")
    widgets.table(snaps, "snapshots", money_cols=("open_amount",))
st.page_link("views/data.py", label="Load more files", icon=":material/upload_file:")
