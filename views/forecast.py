"""Forecast: rollup, statistical band, trend and calls, what changed, must-win deals, accuracy."""

from __future__ import annotations

from datetime import date

import streamlit as st

from spm import forecast
from spm.format import change
from spm.periods import PeriodError, parse_period, quarter_of, shift
from spm.ui import state, widgets

st.title("Forecast")
if not state.has_snapshots():
    widgets.empty_state(
        "The forecast needs an opportunities export with stage, amount, close date and owner "
        "(weekly exports build its trend): load one on the Data page."
    )
    st.stop()

f = widgets.sidebar_filters()
settings = state.settings()
symbol = settings["currency_symbol"]
con = state.connection()
try:
    period = parse_period(f.period, settings["fiscal_year_start_month"])
    roll = state.cached(forecast.forecast_rollup)(f.period, as_of=f.as_of, team=f.team, rep=f.rep)
    stat = state.cached(forecast.statistical_forecast)(
        f.period, as_of=f.as_of, team=f.team, rep=f.rep
    )
except PeriodError as exc:
    st.error(f"Cannot read the period: {exc}")
    st.stop()

MONEY = forecast.ROLLUP_MONEY + forecast.GAPS
totals = {c: float(roll[c].sum()) for c in ("closed", "commit", "best_case", "pipeline")}
quota = stat["quota"]
scope = f.rep or f.team or "all teams"
st.caption(
    f"{f.period} · {scope} · snapshot as of {stat['as_of']:%d %b %Y} · "
    "gaps are shown against quota (red = short)"
)

tiles = widgets.tile_row(6)
tiles[0].metric("Quota", widgets.money_text(quota), help="Sum of monthly quotas in the period")
for col, key, label, why in [
    (tiles[1], "closed", "Closed", "Won deals closing in the period"),
    (tiles[2], "commit", "Commit", "Closed + open deals in forecast category Commit"),
    (tiles[3], "best_case", "Best case", "Commit + open deals in forecast category Best Case"),
    (
        tiles[4],
        "pipeline",
        "Pipeline",
        "Open deals closing in the period, any category but Omitted",
    ),
]:
    gap = None if quota is None else totals[key] - quota
    col.metric(label, widgets.money_text(totals[key]), delta=change(gap, "money", symbol), help=why)
stat_gap = None if quota is None else stat["expected"] - quota
tiles[5].metric(
    "Statistical",
    widgets.money_text(stat["expected"]),
    delta=change(stat_gap, "money", symbol),
    help="Closed + Σ win probability × amount over open deals; probabilities learned per stage "
    "from snapshot history",
)

st.subheader("Statistical forecast")
left, right = st.columns([3, 1])
with left:
    widgets.chart(forecast.band_chart, stat, totals, symbol)
with right:
    st.markdown(
        f"**P10** {widgets.money_text(stat['p10'])} · **P50** {widgets.money_text(stat['p50'])} · "
        f"**P90** {widgets.money_text(stat['p90'])}"
    )
    st.caption(
        f"{stat['draws']:,} seeded Monte Carlo draws over {stat['open_deals']} open deals "
        f"({widgets.money_text(stat['open_amount'])}): 8 in 10 outcomes fall in the green band; "
        "tick = P50, diamond = expected, dashed red = quota."
    )
if stat["note"]:
    st.info(stat["note"], icon=":material/info:")

tab_names = [
    "Rollup",
    "By manager",
    "Trend & calls",
    "What changed",
    "Must-win deals",
    "Accuracy",
    "Win rates & calibration",
]
# Only the open tab runs (its charts and queries); ?tab=Accuracy links to one.
t_roll, t_managers, t_trend, t_changes, t_must, t_acc, t_rates = st.tabs(
    tab_names, key="tab", bind="query-params"
)
history = forecast.history_note(con)

if t_roll.open:
    with t_roll:
        if roll.empty:
            st.info(f"No reps or deals in {f.period}. Pick another period in the sidebar.")
        else:
            widgets.table(
                roll, f"forecast rollup {f.period}", money_cols=MONEY, order="by team, then rep"
            )

# A tab of its own: with a hundred teams, a second grid under the reps' would cost every visit
# of the page ~0.1 s of browser time for a table most visits do not scroll to.
if t_managers.open:
    with t_managers:
        if roll.empty:
            st.info(f"No reps or deals in {f.period}. Pick another period in the sidebar.")
        else:
            st.caption("Each team's reps summed, with its manager, and a total row.")
            widgets.table(
                forecast.rollup_by_manager(roll),
                f"forecast by manager {f.period}",
                money_cols=MONEY,
            )

if t_trend.open:
    with t_trend:
        calls = forecast.forecast_calls(con, f.period, team=f.team)
        if history:
            st.info(history, icon=":material/history:")
        else:
            trend = state.cached(forecast.forecast_trend)(f.period, team=f.team, rep=f.rep)
            if trend.empty:
                st.info(
                    f"No snapshot is dated inside {f.period}: the trend starts with the first "
                    "snapshot of the period."
                )
            else:
                widgets.chart(forecast.trend_chart, trend, None if f.rep else calls, symbol)
                st.caption(
                    "Lines: closed to date, Commit, Best case and statistical P50 at each weekly "
                    "snapshot; shaded: statistical P10–P90; dashed red: quota; diamonds: manager "
                    "calls."
                )
                widgets.table(
                    trend,
                    f"forecast trend {f.period}",
                    money_cols=tuple(c for c in trend.columns if c != "as_of"),
                )
        st.markdown("**Manager forecast call**")
        names = forecast.managers(con, team=f.team)
        with st.form("forecast_call", clear_on_submit=False):
            c = st.columns([2, 2, 2, 2])
            if names:
                manager = c[0].selectbox("Manager", names, key="call_manager")
            else:
                manager = c[0].text_input("Manager", key="call_manager")
            commit = c[1].number_input(
                f"Commit ({symbol})", min_value=0.0, value=round(totals["commit"], -3), step=1000.0
            )
            best = c[2].number_input(
                f"Best case ({symbol})",
                min_value=0.0,
                value=round(totals["best_case"], -3),
                step=1000.0,
            )
            called_on = c[3].date_input("Called on", value=date.today())
            note = st.text_input("Note", placeholder="What the call rests on, what would change it")
            if st.form_submit_button("Save call"):
                try:
                    forecast.save_forecast_call(
                        con, f.period, str(manager or ""), commit, best, called_on, note
                    )
                    st.success(f"Call saved for {manager}, {f.period}.")
                    calls = forecast.forecast_calls(con, f.period, team=f.team)
                except ValueError as exc:
                    st.error(f"Call not saved: {exc}")
        if len(calls):
            widgets.table(
                calls, f"forecast calls {f.period}", money_cols=("commit", "best_case", "actual")
            )
            if not calls["period_closed"].any():
                st.caption("Actual is bookings to date; errors appear once the period has closed.")
        else:
            st.caption("No calls saved for this period yet.")

if t_changes.open:
    with t_changes:
        since_choice = st.radio(
            "Compare with",
            ["previous snapshot", "start of the quarter"],
            horizontal=True,
            key="changes_since",
        )
        since = period.start if since_choice == "start of the quarter" else None
        try:
            changes = state.cached(forecast.what_changed)(
                f.period, as_of=f.as_of, since=since, team=f.team, rep=f.rep
            )
        except forecast.ForecastError as exc:
            st.info(str(exc), icon=":material/history:")
        else:
            s0, s1 = changes.attrs["s0"], changes.attrs["s1"]
            changes = changes.copy()
            changes.attrs = {}  # dates in attrs cannot go to the browser
            st.caption(
                f"Deals closing in {f.period}: snapshot {s0:%d %b %Y} → {s1:%d %b %Y}. Value = the "
                "amount in question (the change itself for amount up/down)."
            )
            left, right = st.columns([1, 3])
            with left:
                widgets.table(
                    forecast.change_totals(changes),
                    f"change totals {f.period}",
                    money_cols=("value",),
                )
            with right:
                if changes.empty:
                    st.info("Nothing changed for deals in this period between these snapshots.")
                else:
                    widgets.table(
                        changes,
                        f"deal changes {f.period}",
                        money_cols=("amount_before", "amount_after", "value"),
                    )

if t_must.open:
    with t_must:
        candidates = forecast.must_win_candidates(
            con, f.period, as_of=f.as_of, team=f.team, rep=f.rep
        )
        if candidates.empty:
            st.info(f"No open deals close in {f.period} in this snapshot.")
        else:
            marked_any = bool(candidates["marked"].any())
            st.caption(
                "Tick the deals that decide the quarter and save; they are remembered for the "
                "period. "
                + (
                    ""
                    if marked_any
                    else "Pre-ticked: the largest open deals that together close the gap to quota."
                )
            )
            editor = candidates.assign(
                must_win=candidates["marked"] if marked_any else candidates["suggested"]
            )
            shown_cols = ["must_win", "opportunity_id", "rep", "stage", "forecast_category"]
            shown_cols += ["amount", "close_date", "risk", "name"]
            edited = st.data_editor(
                editor[shown_cols],
                hide_index=True,
                width="stretch",
                disabled=[c for c in shown_cols if c != "must_win"],
                column_config={
                    "must_win": st.column_config.CheckboxColumn("must win"),
                    "amount": st.column_config.NumberColumn("amount", format=f"{symbol}%,.0f"),
                    "close_date": st.column_config.DateColumn("close date", format="YYYY-MM-DD"),
                },
                key="must_win_editor",
            )
            if st.button("Save must-win deals", key="save_must_win", icon=":material/flag:"):
                chosen = edited.loc[edited["must_win"].astype(bool), "opportunity_id"].tolist()
                forecast.save_must_win(con, f.period, chosen, candidates["opportunity_id"].tolist())
                st.success(f"{len(chosen)} must-win deal(s) saved for {f.period}.")
            must = forecast.must_win_deals(con, f.period, as_of=f.as_of, team=f.team, rep=f.rep)
            st.markdown(f"**Must-win deals** ({widgets.money_text(must['amount'].sum())})")
            widgets.table(
                must[
                    [
                        "opportunity_id",
                        "rep",
                        "stage",
                        "forecast_category",
                        "amount",
                        "close_date",
                        "risk",
                        "status",
                        "name",
                        "account",
                    ]
                ],  # fmt: skip
                f"must-win deals {f.period}",
                money_cols=("amount",),
            )

if t_acc.open:
    with t_acc:
        latest = forecast.snapshot_on_or_before(con, None)
        last_closed = shift(
            quarter_of(latest, settings["fiscal_year_start_month"]),
            -1,
            settings["fiscal_year_start_month"],
        )
        if history:
            st.info(history, icon=":material/history:")
        else:
            try:
                accuracy = state.cached(forecast.forecast_accuracy)(
                    f.period, team=f.team, rep=f.rep
                )
                by_rep = state.cached(forecast.forecast_accuracy_by_rep)(
                    f.period, team=f.team, rep=f.rep
                )
            except forecast.ForecastError as exc:
                st.info(
                    f"{exc}. Pick a closed quarter such as {last_closed.label} in the sidebar.",
                    icon=":material/event_available:",
                )
            else:
                if accuracy.empty:
                    st.info(
                        f"No snapshot is dated inside {f.period}, so there is nothing to score."
                    )
                else:
                    final = accuracy.iloc[0]["actual"]
                    st.caption(
                        f"Actual bookings {widgets.money_text(final)}. Error = (forecast − actual) "
                        "/ "
                        "actual at the last snapshot of each week; above 0 = over-forecast."
                    )
                    widgets.chart(forecast.accuracy_chart, accuracy)
                    widgets.table(
                        accuracy,
                        f"forecast accuracy {f.period}",
                        money_cols=("actual", "commit", "best_case", "statistical"),
                    )
                    st.markdown("**Per rep** (mean absolute error over the weeks)")
                    summary = forecast.accuracy_summary(by_rep)
                    widgets.table(summary, f"accuracy by rep {f.period}", money_cols=("actual",))
                    with st.expander("Per rep and week"):
                        widgets.table(
                            by_rep,
                            f"accuracy by rep and week {f.period}",
                            money_cols=("actual", "commit", "best_case", "statistical"),
                        )

if t_rates.open:
    with t_rates:
        if history:
            st.info(history, icon=":material/history:")
        rates = state.cached(forecast.stage_win_rates)(as_of=f.as_of)
        st.markdown("**Stage-to-win rates** used by the statistical forecast")
        st.caption(
            f"Of the deals seen open in a stage that have closed, the share won. Stages with fewer "
            f"than {forecast.MIN_CLOSED_DEALS} closed deals use the stage mapping's default."
        )
        widgets.table(rates, "stage win rates")
        cal = state.cached(forecast.calibration)(as_of=f.as_of)
        st.markdown("**Calibration**: predicted probability vs realised win rate on closed deals")
        if cal.empty:
            st.caption("No closed deals with stage history yet.")
        else:
            left, right = st.columns([2, 3])
            with left:
                widgets.chart(forecast.calibration_chart, cal)
            with right:
                widgets.table(cal, "calibration")
                st.caption(
                    "Statistical: the stage's win rate known when the deal entered the stage (no "
                    "look-ahead). Stage mapping: the default probability. Points under the dashed "
                    "diagonal are over-optimistic."
                )
