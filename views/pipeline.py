"""Pipeline health: coverage vs required, funnel, creation trend, hygiene, fluff and sandbagging,
concentration and velocity."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from spm import pipeline
from spm.format import count, days, pct
from spm.metrics import hygiene
from spm.ui import state, widgets

st.title("Pipeline health")
if not state.has_snapshots():
    widgets.empty_state(
        "Pipeline health needs an opportunities export: load one on the Data page. Weekly "
        "snapshots let it learn stage conversion, time in stage and pushes; a quotas file gives "
        "the gap to cover."
    )
    st.stop()

f = widgets.sidebar_filters()
settings = state.settings()
symbol = settings["currency_symbol"]
scope = dict(as_of=f.as_of, team=f.team, rep=f.rep)
req = state.cached(pipeline.required_coverage)(as_of=f.as_of, team=f.team)
a = state.cached(pipeline.snapshot_date)(f.as_of)
st.caption(f"{f.period} · snapshot as of {a:%d %b %Y} · {req.describe()}")


def _times(value: object) -> str:
    return "–" if value is None or pd.isna(value) else f"{float(value):.1f}×"


def _shown(
    frame: pd.DataFrame,
    pcts: tuple[str, ...] = (),
    times: tuple[str, ...] = (),
    whole: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Return a display copy: fractions as whole percentages, multiples rounded to 0.01."""
    out = frame.copy()
    for c in pcts:
        out[c] = (out[c].astype(float) * 100).round(0)
    for c in times:
        out[c] = out[c].astype(float).round(2)
    for c in whole:
        out[c] = out[c].astype(float).round(0)
    for c in out.columns:
        # dates with gaps: widgets.table formats a date column only when every value is set
        if pd.api.types.is_datetime64_any_dtype(out[c]) and out[c].isna().any():
            out[c] = out[c].dt.date
    return out.rename(columns={c: f"{c} %" for c in pcts} | {c: f"{c} ×" for c in times})


tabs = st.tabs(
    [
        "Coverage",
        "Funnel",
        "Creation",
        "Hygiene",
        "Fluff & sandbagging",
        "Concentration & velocity",
    ],
    key="tab",
    bind="query-params",
)
if tabs[0].open:  # only the open tab runs; ?tab=Funnel opens another
    with tabs[0]:
        # the deal flags: read by the Coverage and Hygiene tabs only (one cached call)
        hygiene_counts, hygiene_list = state.cached(pipeline.hygiene_report)(**scope)
        cov = state.cached(pipeline.coverage_outlook)(f.period, **scope, required=req)
        now = cov[cov["period"] == cov["period"].iloc[0]]
        head = now[now["level"] == "team"] if f.rep is None else now
        if head.empty:
            st.info(f"No reps or deals in {f.period}. Pick another period in the sidebar.")
        else:
            h = head.iloc[0]
            who = "Team" if f.rep is None else f.rep
            t = widgets.tile_row(6)
            t[0].metric(
                "Open pipeline",
                widgets.money_text(h["open_pipeline"]),
                help=f"{who}: open deals closing in {h['period']}, forecast category not Omitted",
            )
            t[1].metric("Quota gap", widgets.money_text(h["gap"]), help="max(quota − bookings, 0)")
            t[2].metric(
                "Coverage",
                "covered" if h["status"] == "covered" else _times(h["coverage"]),
                help=f"{who}: open pipeline / quota gap; status {h['status']}",
            )
            t[3].metric("Required coverage", _times(h["required_coverage"]), help=req.describe())
            t[4].metric(
                "Pipeline needed",
                widgets.money_text(h["pipeline_needed"]),
                help="Quota gap × required coverage",
            )
            t[5].metric(
                "Shortfall",
                widgets.money_text(h["shortfall"]),
                help="max(pipeline needed − open pipeline, 0)",
            )
            if cov["quota"].isna().all():
                st.info(
                    "No quotas are loaded for these quarters, so there is no gap to cover: load a "
                    "quotas file (rep, period, amount) on the Data page. Open pipeline and "
                    "bookings "
                    "are shown below."
                )
            undated = int(hygiene_counts["missing_close_date"].sum()) if len(hygiene_counts) else 0
            unvalued = int(hygiene_counts["missing_amount"].sum()) if len(hygiene_counts) else 0
            if undated or unvalued:
                st.warning(
                    f"{count(undated)} open deals have no close date and {count(unvalued)} no "
                    "amount: "
                    "they count in no quarter's pipeline. See the Hygiene tab."
                )
            if (cov["open_pipeline"] > 0).any() or (cov["pipeline_needed"] > 0).any():
                st.markdown(
                    "**Open pipeline vs pipeline needed** (bar = open pipeline, black tick = gap × "
                    "required coverage)"
                )
                n_reps = cov.loc[cov["level"] == "rep", "rep"].nunique()
                if n_reps > widgets.MAX_BARS:
                    st.caption(
                        f"The {widgets.MAX_BARS} reps with the largest shortfall in "
                        f"{cov['period'].iloc[0]}, of {n_reps:,}: pick a team or a rep in the "
                        "sidebar to see the others."
                    )
                shown = pipeline.neediest_reps(cov, widgets.MAX_BARS)
                widgets.chart(pipeline.coverage_chart, shown, symbol, width="content")
            widgets.table(
                _shown(pipeline.rank_by_need(cov), times=("coverage", "required_coverage")),
                "pipeline coverage",
                order="team rows, then reps by shortfall",
                money_cols=(
                    "quota",
                    "bookings",
                    "open_pipeline",
                    "gap",
                    "pipeline_needed",
                    "shortfall",
                ),
            )

if tabs[1].open:
    with tabs[1]:
        fun, stalled = state.cached(pipeline.funnel_report)(**scope)
        if fun.empty:
            st.info("No open deals in this snapshot.")
        else:
            learned = fun[fun["decided"] > 0]
            if learned.empty:
                st.info(
                    "Stage conversion and time in stage are learned from snapshot history: load "
                    "weekly opportunity snapshots (two or more, with deals moving between stages) "
                    "to "
                    "see them. Open deals by stage are shown below."
                )
            else:
                low = learned.sort_values("conversion").iloc[0]
                slow = fun.dropna(subset=["median_days"]).sort_values("median_days").iloc[-1]
                stuck = fun.sort_values("stalled_deals").iloc[-1]
                c = widgets.tile_row(3)
                c[0].metric(
                    f"Lowest conversion: {low['stage']} → {low['next_stage']}",
                    pct(low["conversion"]),
                    help=f"{low['advanced']} of {low['decided']} decided deals moved on",
                )
                c[1].metric(
                    f"Slowest stage: {slow['stage']}",
                    days(slow["median_days"]),
                    help=f"Median of {slow['stays']} completed stays",
                )
                c[2].metric(
                    f"Most stalled: {stuck['stage']}",
                    count(stuck["stalled_deals"]),
                    help="Open deals in the stage for over twice its median stay",
                )
            if fun["open_value"].sum() > 0:
                widgets.chart(pipeline.funnel_chart, fun, symbol)
            else:
                st.caption("Open deals carry no amounts in this export: counts only.")
            widgets.table(_shown(fun, pcts=("conversion",)), "funnel", money_cols=("open_value",))
            st.caption(
                "Conversion: of deals seen in the stage whose fate is known, the share that later "
                "reached a higher stage or won (deals removed from the CRM count as not moving "
                "on). "
                "Median days: completed stays only."
            )
            if len(stalled):
                st.markdown("**Stalled deals** (in their stage for over twice its median stay)")
                widgets.table(
                    stalled, "stalled deals", money_cols=("amount",), order="longest in stage first"
                )

if tabs[2].open:
    with tabs[2]:
        by = st.radio(
            "Split by",
            ["lead_source", "rep"],
            format_func=lambda v: v.replace("_", " "),
            horizontal=True,
            key="creation_by",
        )
        created, needed, by_rep = state.cached(pipeline.creation_report)(**scope, required=req)
        trend = pipeline.creation_split(created, by)
        if trend.empty:
            st.info(
                "No deals were created in the last 12 months: the export needs a created date "
                "(Created Date, Create Date, engage_date …)."
            )
        else:
            st.markdown(
                "**Pipeline created per month** (dashed line = monthly quota × required "
                "coverage, what sustains quota at the team's win rate)"
            )
            widgets.chart(pipeline.creation_chart, trend, needed, by, symbol)
            notes = [f"The last month ({a:%b %Y}) runs only to the snapshot date."]
            if needed["needed"].isna().all():
                notes.append("No quotas loaded: load a quotas file to compare with what is needed.")
            if by == "lead_source" and set(trend["lead_source"]) == {"(not set)"}:
                notes.append("This export has no lead source column.")
            st.caption(" ".join(notes))
            left, right = st.columns(2)
            with left:
                st.markdown("**Created vs needed by rep** (12 months)")
                widgets.table(
                    _shown(by_rep, times=("created_vs_needed",)),
                    "creation by rep",
                    money_cols=("created", "needed"),
                )
            with right:
                st.markdown("**Created vs needed by month**")
                widgets.table(needed, "creation by month", money_cols=("created", "needed"))
            with st.expander("Deals created (the list behind the chart)"):
                widgets.table(
                    created.iloc[::-1],
                    "created deals",
                    money_cols=("amount",),
                    order="newest first",
                )

if tabs[3].open:
    with tabs[3]:
        hygiene_counts, hygiene_list = state.cached(pipeline.hygiene_report)(**scope)
        if hygiene_counts.empty:
            st.info("No open deals in this snapshot.")
        else:
            c = widgets.tile_row(6)
            labels = ["Past due", "Pushed", "Stale", "No amount", "No close date", "Any flag"]
            for col, label, name in zip(c, labels, [*hygiene.FLAGS, "flagged_deals"], strict=True):
                col.metric(label, count(hygiene_counts[name].sum()))
            st.caption(
                f"Open deals (any forecast category). Pushed: close date moved later at least "
                f"{settings['pushed_times']} times; stale: no change in stage, amount or close "
                "date "
                f"for {settings['stale_days']} days or more (both set in Settings)."
            )
            widgets.table(hygiene_counts, "hygiene by rep")
            st.markdown("**Deals to act on**")
            widgets.table(
                hygiene_list, "hygiene deals", money_cols=("amount",), order="largest amounts first"
            )

if tabs[4].open:
    with tabs[4]:
        sig, wins = state.cached(pipeline.signals_report)(f.period, **scope, required=req)
        kinds = sig.groupby("signal").size()
        short = {
            "early_close": "Fluff: early stage closing ≤ 30 d",
            "old_deal": "Fluff: older than 2× cycle",
            "late_after_period": "Sandbag: late stage after period",
            "wins_not_committed": "Sandbag: wins not in Commit",
        }
        c = widgets.tile_row(4)
        for col, (key, label) in zip(c, short.items(), strict=True):
            text = pipeline.SIGNALS[key][1].format(days=30, factor=2.0)
            col.metric(label, count(kinds.get(text, 0)), help=text)
        st.caption(
            f"Early stage = a stage whose default forecast category is Pipeline; late stage = Best "
            "Case or Commit (stage mapping in Settings). Typical won cycle = the team's median "
            "over "
            f"{req.first_quarter} to {req.last_quarter}. Start-of-period Commit = deals in Commit "
            f"closing in {f.period} in the last snapshot on or before its first day."
        )
        if sig.empty:
            st.success("No fluff or sandbagging signals for this selection.")
        else:
            widgets.table(_shown(sig), "pipeline signals", money_cols=("amount",))
        if len(wins) and wins["s0_as_of"].isna().all():
            st.info(
                f"No snapshot on or before the start of {f.period}, so start-of-period Commit is "
                "unknown: load older weekly snapshots to check won deals against it."
            )
        elif len(wins):
            with st.expander(
                f"Deals won in {f.period} and whether they were in the starting Commit"
            ):
                widgets.table(wins, "won vs commit", money_cols=("amount",))

if tabs[5].open:
    with tabs[5]:
        conc_table, top, vel = state.cached(pipeline.concentration_report)(f.period, **scope)
        conc = conc_table.iloc[0]
        c = widgets.tile_row(3)
        c[0].metric(
            f"Top-5 deals' share of {f.period} pipeline",
            pct(conc["top5_deals_share"]),
            help=f"{widgets.money_text(conc['top5_deals_value'])} of "
            f"{widgets.money_text(conc['open_pipeline'])}",
        )
        c[1].metric(
            "Top-2 reps' share of bookings",
            pct(conc["top2_bookings_share"]),
            help=conc["top2_bookings_reps"] or None,
        )
        c[2].metric(
            "Top-2 reps' share of pipeline",
            pct(conc["top2_pipeline_share"]),
            help=conc["top2_pipeline_reps"] or None,
        )
        if top.empty:
            st.caption(f"No open deals with an amount close in {f.period}.")
        else:
            st.markdown(f"**Largest open deals closing in {f.period}**")
            widgets.table(_shown(top, pcts=("share",)), "top deals", money_cols=("amount",))
        st.markdown(
            f"**Velocity** (open deals × win rate × ADS / sales cycle, {symbol} per day; win rate, "
            f"ADS and cycle over {req.first_quarter} to {req.last_quarter})"
        )
        if vel.empty:
            st.info("No open deals or closed history to measure velocity.")
        else:
            widgets.chart(pipeline.velocity_chart, vel, symbol)
            widgets.table(
                _shown(vel, pcts=("win_rate",), whole=("cycle_days",)),
                "velocity",
                money_cols=("ads", "velocity"),
            )
