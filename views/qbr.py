"""QBR rear-view: last quarter like a deck — attainment, waterfall, forecast, surprises, win/loss,
accounts, plan vs actual, a tab each (`?tab=`); presentation mode (`?present=1&slide=N`) and the
export pack."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import date
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from spm import charts, qbr, waterfall
from spm.format import count, money, pct
from spm.metrics import kpis
from spm.ui import state, widgets

PRESENT_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], [data-testid="stHeader"] { display: none !important; }
[data-testid="stMainBlockContainer"], .block-container {
    max-width: 100% !important; padding: 1.5rem 3rem !important; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li,
[data-testid="stCaptionContainer"] { font-size: 1.35rem !important; }
h1 { font-size: 3rem !important; } h2 { font-size: 2.4rem !important; }
.spm-tile-value { font-size: 3rem !important; }
.spm-tile-label { font-size: 1.3rem !important; }
.spm-table table { font-size: 1.1rem !important; }
</style>"""

# A deck's tables are short: the slide shows the top of each as a static table (easier to read
# on a shared screen, and no grid for the browser to start), its CSV download every row.
MAX_ROWS = widgets.STATIC_ROWS

st.title("QBR rear-view")


def _q(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Return `fn(con, *args, **kwargs)` through the page cache, arguments in one canonical form.

    The export pack asks for the results the page shows in its own words: binding the arguments
    to the signature lets both land on the same cache entries.
    """
    bound = inspect.signature(fn).bind(None, *args, **kwargs)
    bound.apply_defaults()
    return state.cached(fn)(*list(bound.arguments.values())[1:])


if not state.has_snapshots():
    widgets.empty_state(
        "The QBR needs opportunity snapshots from the start and the end of a quarter: load "
        "weekly opportunities exports (or an opportunity history) on the Data page."
    )
    st.stop()

# The rear view defaults to the last closed quarter, unless the link names a period.
if "qbr_seen" not in st.session_state:
    st.session_state["qbr_seen"] = True
    if "period" not in st.query_params:
        st.session_state["keep_period"] = _q(qbr.default_period)

f = widgets.sidebar_filters()
symbol = state.settings()["currency_symbol"]
present = st.query_params.get("present") == "1"
sections = _q(qbr.present_sections)


def _m(value: object) -> str:
    return money(value, symbol, compact=True)


def _pct_cols(frame: pd.DataFrame, cols: tuple[str, ...]) -> pd.DataFrame:
    """Return a display copy with fractions shown as percentages (0–100) in `<name> %` columns."""
    out = frame.copy()
    for c in cols:
        if c in out:
            out[c] = (out[c].astype(float) * 100).round(1)
    return out.rename(columns={c: f"{c} %" for c in cols})


def show_attainment() -> None:
    team, reps = _q(qbr.attainment_tables, f.period, as_of=f.as_of, team=f.team)
    t = team.iloc[0]
    verdict = qbr.diagnose(t["attainment"], reps["attainment"].tolist())
    c = widgets.tile_row(4)
    c[0].metric("Bookings", _m(t["bookings"]), help="Won deals closing in the period")
    c[1].metric("Quota", _m(t["quota"]), help="Sum of the reps' quotas for the period")
    c[2].metric("Team attainment", pct(t["attainment"]), help="Bookings / quota")
    made = int(reps["made_quota"].sum())
    with_quota = int(reps["attainment"].notna().sum())
    c[3].metric("Reps at quota", f"{made} of {with_quota}", help="Reps with attainment ≥ 100%")
    box = st.success if verdict.case == "both" else st.info
    box(f"**{verdict.headline}.** {verdict.text}")
    if pd.notna(t["top2_share"]):
        st.caption(f"Top-2 dependency: {pct(t['top2_share'])} of bookings from the two best reps.")
    if f.rep:
        st.caption("Attainment is shown for the whole team; the rep filter applies below.")
    dist = kpis.attainment_distribution(reps)
    left, right = st.columns([3, 2])
    with left:
        if with_quota > widgets.MAX_BARS:
            widgets.chart(charts.attainment_histogram, dist)
            st.caption(
                f"{with_quota:,} reps with a quota, counted per attainment band. Pick a team in "
                "the sidebar to see each rep's bar."
            )
        elif with_quota:
            widgets.chart(qbr.attainment_chart, reps)
        else:
            st.caption("No quotas for this period: load a quotas file to see attainment.")
    with right:
        st.markdown("**Attainment spread**")
        widgets.table(dist, "attainment spread")
    if not present:
        widgets.table(
            _pct_cols(reps, ("attainment",)),
            "rep attainment",
            money_cols=("bookings", "quota"),
            limit=MAX_ROWS,
            order="highest attainment first",
        )


def _bucket_from_chart() -> None:
    """Copy a bar clicked in the waterfall chart into the bucket selectbox."""
    event = st.session_state.get("wf_chart")
    picked = (event or {}).get("selection", {}).get("bucket_pick") or []
    if picked and picked[0].get("bucket") in waterfall.LABELS:
        st.session_state["wf_bucket"] = waterfall.LABELS[picked[0]["bucket"]]


def show_waterfall() -> None:
    snaps = _q(qbr.snapshot_choices, f.period, as_of=f.as_of)
    if not snaps["dates"]:
        st.info(
            "The waterfall needs two snapshots: one on or before the start of the period and "
            "one at the end. Load an earlier opportunities export on the Data page."
        )
        return
    default = snaps["s0"]
    options = snaps["dates"]
    left, right = st.columns([1, 3])
    start = left.selectbox(
        "From snapshot",
        options,
        index=options.index(default) if default in options else 0,
        key=f"wf_from_{f.period}",
        help="Start of the waterfall: by default the last snapshot on or before the first day "
        "of the period",
    )
    try:
        # the default start is the one the export pack uses: same call, same cache entry
        totals, deals = _q(
            waterfall.waterfall_tables, f.period, as_of=f.as_of, team=f.team, rep=f.rep,
            start=None if start == default else start,
        )  # fmt: skip
    except waterfall.WaterfallError as exc:
        st.info(str(exc))
        return
    rec = totals.iloc[0]
    right.caption(
        f"From the snapshot of {totals.attrs['s0']:%d %b %Y} to that of "
        f"{totals.attrs['s1']:%d %b %Y} (the sidebar's as-of). Start {_m(rec['start'])} + in "
        f"{_m(rec['created'] + rec['pulled_in'] + rec['increased'])} − out "
        f"{_m(rec[['decreased', 'won', 'lost', 'pushed_out', 'removed']].sum())} = end "
        f"{_m(rec['end'])}. Click a bar or pick a bucket to see its deals."
    )
    labels = [label for _, label, _ in waterfall.BUCKETS]
    if st.session_state.get("wf_bucket") not in labels:
        st.session_state["wf_bucket"] = "Won"
    chosen = st.session_state["wf_bucket"]
    names = {label: name for name, label in waterfall.LABELS.items()}
    widgets.chart(
        waterfall.chart,
        totals,
        symbol,
        selected=names[chosen],
        key="wf_chart",
        on_select=_bucket_from_chart,
        selection_mode="bucket_pick",
    )
    label = st.selectbox("Deals in bucket", labels, key="wf_bucket")
    name = names[label]
    rows = deals[deals["bucket"] == name].drop(columns=["bucket"])
    for c in ("close_date_s0", "close_date_s1"):  # dates, not midnight timestamps
        rows[c] = pd.to_datetime(rows[c]).dt.date
    rows.attrs = {}
    st.caption(
        f"{waterfall.DESCRIPTIONS[name]} {count(len(rows))} deals summing to "
        f"{money(rows['amount'].sum(), symbol)}, the bar's {money(rec[name], symbol)}."
    )
    widgets.table(
        rows,
        f"waterfall {name}",
        money_cols=("amount", "amount_s0", "amount_s1"),
        limit=MAX_ROWS,
        order="largest amounts first",
    )
    if not present:
        shown = totals.copy()
        shown.attrs = {}
        widgets.table(shown, "waterfall totals", money_cols=tuple(waterfall.COLUMNS))


def show_forecast() -> None:
    views = _q(qbr.forecast_views, f.period, team=f.team)
    if views is None:
        st.caption(qbr.FORECAST_MISSING.capitalize() + ".")
    else:
        if len(views.trend):
            st.markdown("**Forecast week by week through the quarter**")
            widgets.chart(qbr.trend_chart, views.trend)
        if views.note:
            st.info(views.note)
        elif len(views.accuracy):
            acc = views.accuracy
            last = acc.iloc[0]
            c = widgets.tile_row(4)
            c[0].metric("Actual bookings", _m(last["actual"]))
            c[1].metric("Start-of-quarter commit", _m(last["commit"]),
                        delta=_signed(last["commit_error"]), delta_color="off")  # fmt: skip
            c[2].metric("Start best case", _m(last["best_case"]),
                        delta=_signed(last["best_case_error"]), delta_color="off")  # fmt: skip
            c[3].metric("Start statistical", _m(last["statistical"]),
                        delta=_signed(last["statistical_error"]), delta_color="off")  # fmt: skip
            st.caption("Deltas: (forecast − actual) / actual in week 1 of the quarter.")
            widgets.table(
                _pct_cols(acc, ("commit_error", "best_case_error", "statistical_error")),
                "forecast accuracy",
                money_cols=("actual", "commit", "best_case", "statistical"),
            )
    calls = _q(qbr.forecast_calls, f.period, as_of=f.as_of, team=f.team)
    if len(calls):
        st.markdown("**Manager calls vs actual**")
        widgets.table(
            _pct_cols(calls, ("commit_error", "best_case_error")),
            "forecast calls",
            money_cols=("commit_call", "best_case_call", "actual"),
        )
    else:
        st.caption(f"No manager forecast calls were saved for {f.period}.")


def _signed(value: object) -> str | None:
    return None if pd.isna(value) else f"{float(value) * 100:+.0f}% vs actual"


def show_surprises() -> None:
    try:
        total, by_rep = _q(qbr.surprise_tables, f.period, as_of=f.as_of, team=f.team, rep=f.rep)
    except waterfall.WaterfallError as exc:
        st.info(str(exc))
        return
    t = total.iloc[0]
    c = widgets.tile_row(4)
    c[0].metric("Bookings", _m(t["bookings"]))
    c[1].metric("Surprise bookings", _m(t["surprise_bookings"]),
                help="Won in the period but not in the start-of-period pipeline")  # fmt: skip
    c[2].metric("Surprise share", pct(t["surprise_share"]))
    c[3].metric("Surprise deals", count(t["surprise_deals"]))
    st.caption(
        "Surprises are wins that were not in the pipeline at the start of the period. A rep "
        "whose wins are mostly surprises may be sandbagging — or finding fast deals worth "
        "copying."
    )
    by_rep = by_rep.copy()
    by_rep.attrs = {}
    if len(by_rep):
        # by_rep comes sorted by surprise bookings, largest first
        widgets.chart(qbr.surprise_chart, by_rep.head(widgets.MAX_BARS))
        if len(by_rep) > widgets.MAX_BARS:
            st.caption(
                f"The {widgets.MAX_BARS} reps with the most surprise bookings, of {len(by_rep):,}."
            )
        if not present:
            widgets.table(
                _pct_cols(by_rep, ("surprise_share",)),
                "surprises by rep",
                money_cols=("bookings", "surprise_bookings"),
                limit=MAX_ROWS,
                order="most surprise bookings first",
            )


def show_win_loss() -> None:
    wl = _q(qbr.win_loss, f.period, as_of=f.as_of, team=f.team, rep=f.rep)
    lost = _q(qbr.losses, f.period, as_of=f.as_of, team=f.team, rep=f.rep)
    total = wl[wl["dimension"] == "total"]
    if total.empty or int(total["won"].iloc[0] + total["lost"].iloc[0]) == 0:
        st.info(f"No deals were won or lost in {f.period}.")
        return
    t = total.iloc[0]
    c = widgets.tile_row(4)
    c[0].metric("Won", f"{count(t['won'])} · {_m(t['won_amount'])}")
    c[1].metric("Lost", f"{count(t['lost'])} · {_m(t['lost_amount'])}")
    c[2].metric("Win rate (count)", pct(t["win_rate"]))
    c[3].metric("Win rate (value)", pct(t["value_win_rate"]))
    callout = qbr.price_callout(lost)
    if callout:
        st.warning(callout, icon=":material/sell:")
    left, right = st.columns(2)
    with left:
        st.markdown("**Won vs lost by product**")
        widgets.chart(qbr.win_loss_chart, wl, "product")
        st.markdown("**Sales cycle by product** (won deals, days)")
        cycle = wl[wl["dimension"] == "product"][
            ["value", "won", "cycle_days", "cycle_median_days"]
        ]
        widgets.table(cycle.rename(columns={"value": "product"}).round(1), "cycle by product")
    with right:
        st.markdown("**Loss reasons**")
        widgets.chart(qbr.losses_chart, lost, "reason")
        st.markdown("**Competitors in lost deals**")
        widgets.chart(qbr.losses_chart, lost, "competitor")
    if not present:
        widgets.table(
            _pct_cols(wl, ("win_rate", "value_win_rate")),
            "win loss",
            money_cols=("won_amount", "lost_amount"),
            limit=MAX_ROWS,
            order="total, products, then reps by won amount",
        )
        widgets.table(
            _pct_cols(lost, ("share_of_deals", "share_of_value")),
            "losses",
            money_cols=("amount",),
        )


def show_accounts() -> None:
    acc = _q(qbr.accounts_health, f.period, as_of=f.as_of, team=f.team, rep=f.rep)
    if acc.empty:
        widgets.empty_state("Load an accounts file (and activities) to review account health.")
        return
    st.caption(
        "Over the 12 months to the end of the period. New = first won in those months. "
        "Bought a new offering = won a product it had never won before; price increase = won a "
        "product again for more than the time before. The goal for each is 100% — ask why not."
    )
    left, right = st.columns(2)
    for col, group, title in ((left, "new", "New accounts"), (right, "existing", "Existing")):
        part = acc[acc["group"] == group].drop(columns=["group"])
        with col:
            st.markdown(f"**{title}** ({count(part['accounts'].max())} accounts)")
            for r in part.itertuples():
                st.progress(
                    0.0 if pd.isna(r.share) else min(float(r.share), 1.0),
                    text=f"{r.measure}: {pct(r.share)} ({r.yes} of {r.accounts})",
                )
    if not present:
        widgets.table(_pct_cols(acc, ("share",)), "accounts")


PLAN_DIMENSIONS = {"product": "Product", "region": "Region", "type": "New vs existing",
                   "rep": "Rep"}  # fmt: skip


def show_plan() -> None:
    plan = _q(qbr.plan_vs_actual, f.period, as_of=f.as_of, team=f.team, rep=f.rep)
    if plan.empty:
        widgets.empty_state("Plan vs actual needs quotas and won deals for the period.")
        return
    dim = st.radio(
        "Bucket",
        list(PLAN_DIMENSIONS),
        format_func=PLAN_DIMENSIONS.get,
        horizontal=True,
        key="plan_dim",
    )
    part = plan[plan["dimension"] == dim]
    left, right = st.columns([3, 2])
    with left:
        # rows come largest plan first
        widgets.chart(qbr.plan_chart, part.head(widgets.MAX_BARS), dim)
        if len(part) > widgets.MAX_BARS:
            st.caption(f"The {widgets.MAX_BARS} largest plans of {len(part):,}.")
    with right:
        worst = part.sort_values("variance").head(1)
        if len(worst) and pd.notna(worst["variance"].iloc[0]):
            w = worst.iloc[0]
            widgets.tile_row(1)[0].metric(
                "Largest shortfall" if w["variance"] < 0 else "Smallest surplus",
                str(w["value"]),
                delta=f"{money(w['variance'], symbol, compact=True)} vs plan",
            )
        st.caption(f"Plan basis: {', '.join(sorted(set(part['basis'])))}.")
    shown = part[["value", "plan", "actual", "variance", "variance_pct", "note"]]
    widgets.table(
        _pct_cols(shown, ("variance_pct",)),
        f"plan vs actual {dim}",
        money_cols=("plan", "actual", "variance"),
        limit=MAX_ROWS,
        order="largest plan first",
    )
    with st.form("qbr_note", clear_on_submit=True):
        st.markdown("**Corrective action**")
        bucket = st.selectbox("For bucket", part["bucket"].tolist(), key="note_bucket")
        text = st.text_area(
            "Note", key="note_text", placeholder="What we will change next quarter, who owns it"
        )
        if st.form_submit_button("Save note"):
            try:
                qbr.save_note(state.connection(), f.period, bucket or "", text)
                st.success(f"Note saved for {bucket}.")
            except ValueError as exc:
                st.error(f"Note not saved: {exc}")


def _export_pack(
    con: duckdb.DuckDBPyConnection,
    period: str,
    as_of: date | None,
    team: str | None,
    rep: str | None,
) -> qbr.Pack:
    """Return the QBR export pack, its queries answered from the page cache."""
    return qbr.build_pack(con, period, as_of=as_of, team=team, rep=rep, fetch=_q)


def _pack() -> qbr.Pack:
    """Return the export pack of the sidebar's filters (built once, when first downloaded)."""
    return _q(_export_pack, f.period, f.as_of, f.team, f.rep)


SHOW = {
    "attainment": show_attainment,
    "waterfall": show_waterfall,
    "forecast": show_forecast,
    "surprises": show_surprises,
    "win_loss": show_win_loss,
    "accounts": show_accounts,
    "plan": show_plan,
}


def _go(slide: int | None) -> None:
    """Open slide index `slide` (0-based); the URL shows it 1-based, as 'Slide N of M' does."""
    if slide is None:
        st.query_params.pop("present", None)
        st.query_params.pop("slide", None)
    else:
        st.query_params["present"] = "1"
        st.query_params["slide"] = str(slide + 1)


def _exit(slide: int) -> None:
    """Leave presentation mode on the tab of slide index `slide`."""
    _go(None)
    st.session_state["tab"] = sections[slide][1]


def _slide() -> int:
    """Return the 0-based index of the slide named (1-based) in the URL."""
    try:
        n = int(st.query_params.get("slide", "1")) - 1
    except ValueError:
        return 0
    return min(max(n, 0), len(sections) - 1)


if present:
    st.html(PRESENT_CSS)
    i = _slide()
    key, title = sections[i]
    nav = st.columns([1, 6, 1, 1])
    nav[0].button("◀ Previous", key="slide_prev", on_click=_go, args=(i - 1,), disabled=i == 0)
    nav[1].markdown(f"### {title} · {f.period}" + (f" · {f.team}" if f.team else ""))
    nav[2].button(
        "Next ▶", key="slide_next", on_click=_go, args=(i + 1,), disabled=i == len(sections) - 1
    )
    nav[3].button("Exit", key="slide_exit", on_click=_exit, args=(i,))
    st.caption(f"Slide {i + 1} of {len(sections)}")
    SHOW[key]()
else:
    top = st.columns([4, 1])
    top[0].caption(
        f"{f.period} rear view" + (f" · team {f.team}" if f.team else "")
        + (f" · rep {f.rep}" if f.rep else "")
        + " · one tab per slide; Present shows the open one full screen"
    )  # fmt: skip
    # Only the open tab runs (?tab=Surprises opens another): the whole deck on one screen was
    # seven sections of charts and tables for the browser to draw before anything was usable.
    tabs = st.tabs([title for _, title in sections], key="tab", bind="query-params")
    opened = 0
    for i, (tab, (key, _)) in enumerate(zip(tabs, sections, strict=True)):
        if tab.open:
            opened = i
            with tab:
                SHOW[key]()
    top[1].button(
        "Present", key="present", on_click=_go, args=(opened,), icon=":material/slideshow:"
    )
    st.subheader("Export the whole QBR", divider="gray")
    # Callables: the pack is built when a button is clicked, not on every view (it renders every
    # deal, seconds on large data), from the results the page has cached.
    left, right = st.columns(2)
    left.download_button(
        "Download the QBR pack (HTML, opens offline)",
        lambda: _pack().html,
        file_name=f"qbr_{f.period}.html",
        mime="text/html",
        icon=":material/slideshow:",
        key="dl_pack",
        on_click="ignore",  # no rerun: the page is unchanged by a download
    )
    right.download_button(
        "Download all tables (CSV zip)",
        lambda: qbr.pack_zip(_pack().tables),
        file_name=f"qbr_{f.period}_tables.zip",
        mime="application/zip",
        icon=":material/folder_zip:",
        key="dl_zip",
        on_click="ignore",  # no rerun: the page is unchanged by a download
    )
