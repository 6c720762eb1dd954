"""Plans: business plans per rep by reverse funnel, the team's run rate, what-if quota scenarios."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from spm import plans
from spm.export import safe_csv
from spm.format import pct
from spm.ingest import IngestError, undo_load
from spm.metrics import summary
from spm.ui import state, widgets

st.title("Plans")
if not state.has_snapshots():
    widgets.empty_state(
        "Plans need an opportunities export (reps and quotas files make them better): "
        "load them on the Data page."
    )
    st.stop()

f = widgets.sidebar_filters()
symbol = state.settings()["currency_symbol"]
con = state.connection()
years = state.cached(plans.planning_years)(as_of=f.as_of)
if st.session_state.get("plans_year") not in years:
    from_url = st.query_params.get("year")
    st.session_state["plans_year"] = from_url if from_url in years else years[1]  # plans.warm
year = st.radio("Fiscal year", years, key="plans_year", horizontal=True)
st.query_params["year"] = year
RATES = ("win_rate", "proposal_rate", "qualify_rate")
CHART_REPS = 30  # reps drawn in the scenario chart, most stretched first
COUNTS = tuple(plans.NEEDED_COLUMNS)


def _percent_config(cols: tuple[str, ...]) -> dict:
    return {c: st.column_config.NumberColumn(c.replace("_", " "), format="%.0f%%") for c in cols}


def _table(
    frame: pd.DataFrame,
    name: str,
    money: tuple[str, ...] = (),
    rates: tuple[str, ...] = (),
    counts: tuple[str, ...] = (),
) -> None:
    """Show a table with currency, percentage and count columns formatted, and a CSV download."""
    shown = frame.round({c: 1 for c in counts if c in frame.columns})
    widgets.table(shown, name, money_cols=money, pct_cols=rates, download=frame)


def _chart(chart: plans.Chart) -> None:
    """Draw a chart of spm.plans (a Vega-Lite spec and its rows) across the page."""
    st.vega_lite_chart(chart.data, chart.spec, width="stretch")


def _shown(frame: pd.DataFrame, rates: tuple[str, ...]) -> pd.DataFrame:
    """Return a copy with fractions as percentages (display only)."""
    out = frame.copy()
    for c in rates:
        if c in out:
            out[c] = out[c].astype(float) * 100
    return out


def _keep_rep() -> None:
    st.session_state["plans_rep_kept"] = st.session_state["plans_rep"]


def _rep_plans() -> tuple[str, plans.RepPlans] | None:
    """Return the rep to plan for (sidebar rep, else picked here) and their plans; None if none.

    The pick is remembered across the Business plans and Monthly plans tabs: Streamlit forgets a
    widget's value while its tab does not run.
    """
    directory = state.cached(summary.rep_directory)()
    in_team = directory if f.team is None else directory[directory["team"] == f.team]
    names = in_team["rep"].tolist()
    if not names:
        st.info("No reps in this team. Pick another team in the sidebar.")
        return None
    rep = f.rep
    if rep is None:
        if st.session_state.get("plans_rep_kept") in names:
            st.session_state["plans_rep"] = st.session_state["plans_rep_kept"]
        rep = st.selectbox("Rep", names, key="plans_rep", on_change=_keep_rep)
        st.session_state["plans_rep_kept"] = rep
    try:
        # both years' plans, last year's funnels and the monthly plans, from one read of each
        # source; the funnel serves the plan, the drivers and the lead sources alike
        return rep, state.cached(plans.rep_plans)(rep, as_of=f.as_of)
    except plans.PlanError as exc:
        st.error(str(exc))
        return None


def _plan_tab() -> None:
    picked = _rep_plans()
    if picked is None:
        return
    rep, bundle = picked
    history, plan = bundle.history[year], bundle.plans[year]
    role = plan.attrs.get("role")
    who = {"hunter": "hunter (new accounts)", "farmer": "farmer (existing accounts)"}
    st.subheader(f"Business plan: {rep}, {year}")
    st.caption(
        f"{who.get(role or '', 'role not set (load a reps file with role)')} · inputs default "
        f"to {plan.attrs.get('window')} (team median where the rep decided fewer than "
        f"{plans.MIN_DEALS} deals of an offering) · edit the white cells, then save"
    )
    inputs = _shown(plan[[*plans.INPUT_COLUMNS, "basis"]], RATES)
    config = {
        "offering": st.column_config.TextColumn("offering", required=True),
        "target": st.column_config.NumberColumn("target", format=f"{symbol}%,.0f", min_value=0),
        "ads": st.column_config.NumberColumn(
            "average deal size", format=f"{symbol}%,.0f", min_value=0.01
        ),
        "basis": st.column_config.TextColumn("basis", disabled=True),
    }
    for c, label in zip(RATES, ("win rate", "proposal rate", "qualification rate"), strict=True):
        config[c] = st.column_config.NumberColumn(
            label, format="%.1f%%", min_value=0.1, max_value=100.0
        )
    edited = st.data_editor(
        inputs,
        key=f"plans_inputs_{rep}_{year}",
        hide_index=True,
        num_rows="dynamic",
        column_config=config,
        width="stretch",
    )
    edited = edited.assign(**{c: edited[c].astype(float) / 100 for c in RATES})
    try:
        funnel = plans.reverse_funnel(edited)
    except plans.PlanError as exc:
        st.error(f"Check the plan inputs: {exc}")
        return
    total = plans.plan_total(funnel)
    tiles = widgets.tile_row(5)
    tiles[0].metric("Target", widgets.money_text(total["target"]))
    for col, key, label in zip(
        tiles[1:], COUNTS, ("Deals", "Proposals", "Opportunities", "Prospects"), strict=True
    ):
        col.metric(f"{label} needed", "–" if pd.isna(total[key]) else f"{total[key]:,.0f}")
    save, reset, _ = st.columns([1, 1, 4])
    if save.button("Save plan", key="plans_save", icon=":material/save:", type="primary"):
        try:
            plans.save_plan(con, rep, year, edited)
            st.success(f"Plan for {rep}, {year} saved.")
        except plans.PlanError as exc:
            st.error(f"Plan not saved: {exc}")
    if reset.button("Reset to history", key="plans_reset", icon=":material/history:"):
        plans.delete_plan(con, rep, year)
        st.session_state.pop(f"plans_inputs_{rep}_{year}", None)
        st.rerun()
    st.markdown(
        "**Reverse funnel** (deals = target / ADS, proposals = deals / win rate, "
        "opportunities = proposals / proposal rate, prospects = opportunities / "
        "qualification rate)"
    )
    table = pd.concat([funnel, pd.DataFrame([total])], ignore_index=True)
    table = table[[*plans.INPUT_COLUMNS, *COUNTS]]
    _table(table, f"business plan {rep} {year}", money=("target", "ads"), rates=RATES,
           counts=COUNTS)  # fmt: skip
    left, right = st.columns([3, 2])
    with left:
        st.markdown(
            "**Against last year** — *aggressive but attainable*: above own history, "
            "within the team's best; *stretch*: beyond anything seen on the team"
        )
        drivers = plans.drivers_vs_last_year(
            con, rep, year, as_of=f.as_of, plan=funnel, history=history
        )
        widgets.table(plans.format_drivers(drivers, symbol), "plan drivers vs last year")
    with right:
        st.markdown("**Where the prospects come from** (last year's lead-source mix)")
        sources = plans.lead_source_plan(
            con, rep, year, as_of=f.as_of, plan=funnel, history=history
        )
        if sources.empty:
            st.caption("No closed deals last year to take a lead-source mix from.")
        else:
            _table(sources, "prospects by lead source", money=("target",), rates=("share",),
                   counts=("prospects_needed", "opportunities_needed"))  # fmt: skip
    st.caption("The 24 monthly plans of both fiscal years are on the Monthly plans tab.")


# A tab of its own: its chart would add ~0.3 s of browser time to every visit of the plan.
def _monthly_tab() -> None:
    picked = _rep_plans()
    if picked is None:
        return
    rep, bundle = picked
    st.markdown(
        f"**24 monthly plans: {rep}** (saved plans, or the defaults, for both fiscal years)"
    )
    phasing = st.radio(
        "Phasing",
        plans.PHASINGS,
        key="plans_phasing",
        horizontal=True,
        format_func={"history": "by last year's monthly shape", "even": "evenly"}.get,
    )
    monthly = bundle.monthly[phasing]
    _chart(plans.monthly_chart(monthly, symbol))
    _table(monthly, "monthly plan", money=("target", "actual", "variance"), counts=COUNTS)


def _team_tab() -> None:
    try:
        reps = state.cached(plans.roster)(year, as_of=f.as_of, team=f.team)
        team = state.cached(plans.team_plan)(year, as_of=f.as_of, team=f.team, reps=reps)
    except plans.PlanError as exc:
        st.error(str(exc))
        return
    total = team[team["segment"] == "total"].iloc[0]
    if not total["goal"]:
        st.info(f"No quotas for {year}: load a quotas file, or apply a scenario below.")
    for line in plans.team_sentences(team, symbol):
        st.markdown(f"- {line}")
    tiles = widgets.tile_row(4)
    tiles[0].metric("Revenue goal", widgets.money_text(total["goal"]))
    tiles[1].metric("Contracted", widgets.money_text(total["contracted"]))
    tiles[2].metric("Weighted pipeline", widgets.money_text(total["weighted_pipeline"]))
    tiles[3].metric(
        "Run rate vs goal",
        pct(total["run_rate_pct"]),
        help="(contracted + open pipeline × probability) / goal, for deals closing in the year",
    )
    st.caption(
        f"Goal = the reps' {year} quotas split into new and existing business (typed quotas, "
        f"else role: hunters new, farmers existing) · sizes and deal counts from "
        f"{team.attrs.get('window')}"
    )
    _chart(plans.run_rate_chart(team, symbol))
    _table(
        team,
        "team plan",
        money=("goal", "ads", "last_year_bookings", "contracted", "weighted_pipeline", "run_rate"),
        rates=("run_rate_pct",),
        counts=("deals_needed", "last_year_deals"),
    )


def _overrides(reps: pd.DataFrame) -> dict[str, float]:
    """Draw the manual-quota editor for the roster `reps`; return the overrides entered."""
    editor = pd.DataFrame(
        {"rep": reps["rep"], "role": reps["role"], "manual_quota": pd.Series(dtype=float)}
    )
    edited = st.data_editor(
        editor,
        key=f"plans_overrides_{year}_{f.team}",
        hide_index=True,
        disabled=["rep", "role"],
        width="stretch",
        column_config={
            "manual_quota": st.column_config.NumberColumn(
                "manual quota",
                format=f"{symbol}%,.0f",
                min_value=0,
                help="Leave blank to allocate by the method; the rest is re-spread",
            )
        },
    )
    return {
        r: float(v)
        for r, v in zip(edited["rep"], edited["manual_quota"], strict=True)
        if pd.notna(v)
    }


def _scenario_tab() -> None:
    reps = state.cached(plans.roster)(year, as_of=f.as_of, team=f.team)
    if reps.empty:
        widgets.empty_state(f"No reps can carry quota in {year}: load a reps file.")
        return
    st.caption(
        f"Quotas for {year} from a top-down budget · "
        f"{len(reps)} reps{' in ' + f.team if f.team else ''}"
    )
    a, b, c, d = st.columns(4)
    budget = a.number_input(
        f"Budget ({symbol})",
        min_value=0.0,
        value=state.cached(plans.default_budget)(year, as_of=f.as_of, team=f.team),
        step=100_000.0,
        key=f"plans_budget_{year}_{f.team}",
        format="%.0f",
    )
    over = b.number_input(
        "Over-assignment %",
        min_value=0.0,
        max_value=100.0,
        value=plans.DEFAULT_OVER_ASSIGN_PCT,
        step=1.0,
        format="%.0f",
        key="plans_over",
    )
    method = c.selectbox(
        "Allocation", plans.METHODS, key="plans_method", format_func=plans.METHOD_LABELS.get
    )
    phasing = d.selectbox(
        "Monthly phasing",
        plans.PHASINGS,
        key="plans_sc_phasing",
        format_func={"history": "By last year's shape", "even": "Evenly"}.get,
    )
    split = st.toggle("Set the new vs existing split (else by role)", key="plans_split")
    new_share = None
    if split:
        new_share = st.slider("New business share %", 0, 100, 40, key="plans_new_share") / 100
    with st.expander("Manual quotas per rep (the rest is re-spread by the method)", expanded=True):
        overrides = _overrides(reps)
    try:
        inputs = plans.scenario_inputs(
            year, budget, over / 100, method, new_share, phasing, overrides, team=f.team
        )
        result, monthly = state.cached(plans.scenario_tables)(inputs, as_of=f.as_of, reps=reps)
    except plans.PlanError as exc:
        st.error(f"Scenario cannot be built: {exc}")
        return
    team = result[result["rep"] == "Team"].iloc[0]
    manual = result[(result["rep"] != "Team") & result["manual"]]["quota"].sum()
    tiles = widgets.tile_row(5)
    tiles[0].metric(
        "Quota to allocate",
        widgets.money_text(team["quota"]),
        help="Budget × (1 + over-assignment); the quotas add up to it exactly",
    )
    tiles[1].metric(
        "Manual quotas", widgets.money_text(manual), help=f"{len(overrides)} rep(s) set by hand"
    )
    tiles[2].metric("Re-spread to the rest", widgets.money_text(team["quota"] - manual))
    tiles[3].metric("Growth vs last year", pct(team["growth"]))
    tiles[4].metric(
        "P(team makes budget)",
        pct(team["p_team_budget"]),
        help=f"Share of {plans.SIMULATIONS:,} seeded simulations from each rep's "
        "quarterly bookings (ramp-adjusted) that reach the budget",
    )
    if method == "history" and (result["weight"][result["rep"] != "Team"] == 0).any():
        st.caption(
            "Reps without last year's bookings get no quota by history: set theirs by "
            "hand above, or allocate by capacity."
        )
    shown = _shown(result.drop(columns=["weight"]), ("growth", "p_attain", "p_team_budget"))
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        key="plans_result",
        column_config={
            **{
                c: st.column_config.NumberColumn(c.replace("_", " "), format=f"{symbol}%,.0f")
                for c in ("quota", "quota_new", "quota_existing", "last_year_bookings")
            },
            **_percent_config(("growth", "p_attain", "p_team_budget")),
        },
    )
    st.download_button(
        "Download scenario (CSV)",
        safe_csv(result),
        file_name=f"scenario_{year}.csv",
        mime="text/csv",
        icon=":material/download:",
        key="dl_scenario",
    )
    # a bar pair per rep: beyond a few dozen reps the chart is too tall to read (and to draw)
    reps_only = result[result["rep"] != "Team"]
    if len(reps_only) > CHART_REPS:
        st.caption(
            f"Chart: the {CHART_REPS} of {len(reps_only):,} reps whose quota is furthest above "
            "last year's bookings; every rep is in the table and the CSV above."
        )
        stretch = reps_only["quota"] - reps_only["last_year_bookings"]
        reps_only = reps_only.loc[stretch.nlargest(CHART_REPS, keep="first").index]
    _chart(plans.scenario_chart(reps_only, symbol))
    with st.expander("Monthly quotas"):
        wide = plans.months_wide(monthly)
        widgets.table(wide, "scenario monthly quotas", money_cols=tuple(wide.columns[1:]))
    _saved(inputs)


def _flash(message: str) -> None:
    """Keep a success message across the rerun that redraws the saved-scenario list."""
    st.session_state["plans_flash"] = message
    st.rerun()


def _saved(inputs: dict) -> None:
    st.subheader("Saved scenarios")
    if message := st.session_state.pop("plans_flash", None):
        st.success(message)
    name_col, save_col = st.columns([3, 1])
    name = name_col.text_input("Scenario name", key="plans_sc_name", placeholder="e.g. Base 10%")
    save_col.write("")
    if save_col.button("Save scenario", key="plans_sc_save", icon=":material/save:"):
        try:
            plans.save_scenario(con, name, inputs, as_of=f.as_of)
        except plans.PlanError as exc:
            st.error(f"Scenario not saved: {exc}")
        else:
            _flash(f"Scenario '{name.strip()}' saved.")
    saved = plans.list_scenarios(con)
    if saved.empty:
        st.caption("No saved scenarios yet: name the one above and save it to compare later.")
        return
    _table(saved, "saved scenarios", money=("budget", "total_quota"), rates=("over_assign",))
    names = saved["name"].tolist()
    picked = st.multiselect("Compare side by side", names, default=names[:2], key="plans_compare")
    if picked:
        compared = plans.compare_scenarios(con, picked, as_of=f.as_of)
        rates = tuple(c for c in compared.columns if c.endswith(("growth", "P(attain)")))
        money_cols = tuple(c for c in compared.columns if c.endswith("quota"))
        st.dataframe(
            _shown(compared, rates),
            hide_index=True,
            width="stretch",
            column_config={
                **_percent_config(rates),
                **{
                    c: st.column_config.NumberColumn(c, format=f"{symbol}%,.0f")
                    for c in (*money_cols, "last_year_bookings")
                },
            },
        )
        st.caption("Saved quotas; last year and the odds from the data as loaded now. On the "
                   "Team row, P(attain) is P(team makes budget).")  # fmt: skip
        st.download_button(
            "Download comparison (CSV)",
            safe_csv(compared),
            file_name="scenario_comparison.csv",
            mime="text/csv",
            icon=":material/download:",
            key="dl_compare",
        )
    st.markdown("**Apply to quotas**")
    chosen = st.selectbox("Scenario", names, key="plans_apply_name")
    row = saved[saved["name"] == chosen].iloc[0]
    applied = row["applied_load_id"]
    go, _ = st.columns([1, 4])
    if pd.isna(applied):
        if go.button("Apply to quotas", key="plans_apply", icon=":material/publish:"):
            try:
                load_id = plans.apply_scenario(con, chosen)
            except plans.PlanError as exc:
                st.error(f"Not applied: {exc}")
            else:
                _flash(
                    f"'{chosen}' applied to quotas as load #{load_id}. Undo it here or in "
                    "the Data page's load history."
                )
    else:
        st.caption(
            f"'{chosen}' is applied as load #{int(applied)}: its monthly quotas are the "
            "ones in use. Undo to return to the quotas before it."
        )
        if go.button("Undo apply", key="plans_undo", icon=":material/undo:"):
            try:
                undo_load(con, int(applied))
            except IngestError as exc:
                st.error(f"Not undone: {exc}")
            else:
                _flash(f"Load #{int(applied)} undone: the quotas before it are back.")


# Only the open tab runs (?tab=Quota+scenarios opens that one): the scenario tab simulates.
tab_plan, tab_monthly, tab_team, tab_scenarios = st.tabs(
    ["Business plans", "Monthly plans", "Team view", "Quota scenarios"],
    key="tab",
    bind="query-params",
)
if tab_plan.open:
    with tab_plan:
        _plan_tab()
if tab_monthly.open:
    with tab_monthly:
        _monthly_tab()
if tab_team.open:
    with tab_team:
        _team_tab()
if tab_scenarios.open:
    with tab_scenarios:
        _scenario_tab()
