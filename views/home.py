"""Home: what is loaded and this period at a glance."""

from __future__ import annotations

import streamlit as st

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
snaps = state.cached(metrics.snapshot_list)()

st.caption(f"Period {f.period} · snapshot as of {record['as_of']:%d %b %Y}")
c = st.columns(5)
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
    first, last = snaps["as_of"].min(), snaps["as_of"].max()
    st.caption(f"{len(snaps)} snapshot(s) from {first:%d %b %Y} to {last:%d %b %Y}")
    widgets.table(snaps.head(12), "snapshots", money_cols=("open_amount",))
st.page_link("views/data.py", label="Load more files", icon=":material/upload_file:")
