"""Data: upload CRM exports, check the mapping and validation, undo loads, edit settings."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import streamlit as st

from spm import ingest, store
from spm.format import plain
from spm.ingest.mapping import ALIASES
from spm.metrics import summary as metrics
from spm.templates import TEMPLATE_KINDS, template_csv
from spm.ui import state, widgets

UPLOAD_TYPES = ["csv", "tsv", "txt", "parquet", "pq", "xlsx", "xlsm", "xls"]
IGNORE = "(ignore)"
AUTO = "(detect)"

st.title("Data")
con = state.connection()

upload_tab, history_tab, snapshot_tab, settings_tab, template_tab = st.tabs(
    ["Upload", "Load history", "Snapshots", "Settings", "Templates"]
)


def _mapping_editor(key: str, prep: ingest.Prepared) -> dict[str, str]:
    """Show the column mapping as an editable table; return it as overrides."""
    fields = list(ALIASES[prep.kind])
    by_header = {header: name for name, header in prep.mapping.columns.items()}
    headers = list(prep.mapping.columns.values()) + prep.mapping.unmapped
    frame = pd.DataFrame(
        {"column in file": headers, "field": [by_header.get(h, IGNORE) for h in headers]}
    )
    edited = st.data_editor(
        frame,
        key=f"map_{key}",
        hide_index=True,
        disabled=["column in file"],
        column_config={
            "field": st.column_config.SelectboxColumn(
                "maps to", options=[IGNORE, *fields], help="Which field this column holds"
            )
        },
        width="stretch",
    )
    return {
        row["column in file"]: ("-" if row["field"] in (IGNORE, None) else row["field"])
        for row in edited.to_dict("records")
    }


def _preview(upload, index: int) -> ingest.Prepared | None:  # type: ignore[no-untyped-def]
    """Show one uploaded file's detected kind, mapping and validation; return it prepared."""
    key = f"{index}_{upload.name}"
    data = upload.getvalue()
    kind_choice = st.selectbox(
        "Kind",
        [AUTO, *ALIASES],
        key=f"kind_{key}",
        help="What the file holds; detected from columns",
    )
    kind = None if kind_choice == AUTO else kind_choice
    as_of = st.date_input(
        "As-of date (used when the file has no snapshot-date column)",
        value=date.today(),
        key=f"asof_{key}",
    )
    overrides = st.session_state.get(f"overrides_{key}")
    try:
        prep = ingest.prepare(con, upload.name, data, kind=kind, overrides=overrides, as_of=as_of)
    except ingest.IngestError as exc:
        st.error(f"{exc}", icon=":material/error:")
        if overrides:
            st.session_state.pop(f"overrides_{key}", None)
            st.caption("Your column mapping was reset; pick the kind again.")
        return None
    n_bad = prep.rejects["row_number"].nunique()
    st.markdown(
        f"**{prep.kind}** · {prep.total_rows:,} rows · {len(prep.rows):,} ready to load · "
        f"{n_bad:,} rejected"
    )
    for note in prep.notes:
        st.caption(f"ℹ️ {note}")
    with st.expander("Column mapping", expanded=bool(prep.mapping.unmapped and n_bad)):
        new = _mapping_editor(f"{key}_{prep.kind}", prep)
        if st.button("Apply mapping", key=f"apply_{key}"):
            st.session_state[f"overrides_{key}"] = new
            st.rerun()
    if n_bad:
        st.warning(
            f"{n_bad:,} row(s) fail validation and will be kept in the rejects table, not loaded. "
            "Fix them in the file and load it again, or map the columns differently.",
            icon=":material/warning:",
        )
        widgets.table(prep.rejects, f"rejects of {upload.name}")
    return prep


with upload_tab:
    st.caption(
        "Drop CRM exports here: opportunities (Salesforce, HubSpot, Pipedrive, Maven CRM), "
        "opportunity history, reps, quotas, accounts, activities or report cards — CSV, Parquet "
        "or Excel. Each opportunities file is one weekly snapshot."
    )
    uploads = st.file_uploader(
        "Files", type=UPLOAD_TYPES, accept_multiple_files=True, key="uploads"
    )
    prepared: list[ingest.Prepared] = []
    for i, upload in enumerate(uploads or []):
        with st.container(border=True):
            st.subheader(plain(upload.name), anchor=False)
            prep = _preview(upload, i)
            if prep is not None:
                prepared.append(prep)
    if uploads:
        strict = st.checkbox(
            "All or nothing", help="Load nothing from a file if any of its rows is rejected"
        )
        if st.button(
            f"Load {len(prepared)} file(s)", type="primary", disabled=not prepared, key="load"
        ):
            bar = st.progress(0.0, text="Loading…")
            for n, prep in enumerate(prepared, start=1):
                try:
                    result = ingest.commit(con, prep, all_or_nothing=strict)
                except ingest.IngestError as exc:
                    st.error(str(exc), icon=":material/error:")
                except duckdb.Error as exc:
                    st.error(
                        f"{prep.source} was not loaded: the database refused the write "
                        f"({str(exc).splitlines()[0]}). Nothing changed; try again, or close "
                        "other programs using the database file.",
                        icon=":material/error:",
                    )
                else:
                    (st.info if result.skipped else st.success)(result.summary())
                bar.progress(n / len(prepared), text=f"Loaded {n} of {len(prepared)}")
            bar.empty()
            state.refresh(con)
    st.divider()
    st.markdown(
        "**No export at hand?** Load a demo company: 9 reps, two years of weekly snapshots."
    )
    if st.button("Load demo data", key="demo", icon=":material/auto_awesome:"):
        from spm.demo import build_demo

        with st.spinner("Building the demo company…"):
            counts = build_demo(con)
        state.refresh(con)
        st.success("Demo company loaded: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))

with history_tab:
    loads = state.cached(ingest.load_history)()
    if loads.empty:
        st.info("Nothing loaded yet.")
    else:
        widgets.table(loads, "load history")
        active = loads.loc[loads["status"] == "active", "load_id"].tolist()
        if active:
            col1, col2 = st.columns([3, 1])
            target = col1.selectbox(
                "Undo a load",
                active,
                key="undo_id",
                format_func=lambda i: f"#{i} {loads.set_index('load_id').at[i, 'source']}",
            )
            if col2.button("Undo", key="undo", icon=":material/undo:"):
                try:
                    ingest.undo_load(con, int(target))
                except (ingest.IngestError, duckdb.Error) as exc:
                    st.error(f"Load #{target} was not undone: {str(exc).splitlines()[0]}")
                else:
                    state.refresh(con)
                    st.success(f"Load #{target} undone; the previous data is back.")
                    st.rerun()
        rejects = state.cached(ingest.rejects_of)()
        st.subheader("Rejected rows")
        if rejects.empty:
            st.caption("No rejected rows.")
        else:
            widgets.table(rejects, "rejects")

with snapshot_tab:
    snaps = state.cached(metrics.snapshot_list)()
    if snaps.empty:
        st.info("No opportunity snapshots yet. Each opportunities export you load adds one.")
    else:
        st.caption(
            f"{len(snaps)} snapshot(s). Load an export every week to build the history that "
            "pushes, waterfalls and forecast accuracy need."
        )
        widgets.table(snaps, "snapshot list", money_cols=("open_amount",))

with settings_tab:
    current = store.get_settings(con)
    with st.form("settings"):
        c1, c2 = st.columns(2)
        month = c1.selectbox(
            "Fiscal year starts in month",
            list(range(1, 13)),
            index=int(current["fiscal_year_start_month"]) - 1,
            format_func=lambda m: date(2000, m, 1).strftime("%B"),
        )
        symbol = c2.text_input("Currency symbol", current["currency_symbol"], max_chars=4)
        stale = c1.number_input("Stale after (days without change)", 1, 365, current["stale_days"])
        pushed = c2.number_input(
            "Pushed flag after (close-date moves)", 1, 10, current["pushed_times"]
        )
        override = c1.number_input(
            "Required coverage override (0 = learn from win rate)",
            0.0,
            20.0,
            float(current["required_coverage_override"] or 0.0),
            step=0.5,
        )
        if st.form_submit_button("Save settings"):
            store.save_settings(
                con,
                {
                    "fiscal_year_start_month": int(month),
                    "currency_symbol": symbol.strip() or "$",
                    "stale_days": int(stale),
                    "pushed_times": int(pushed),
                    "required_coverage_override": float(override) or None,
                },
            )
            state.refresh(con)
            st.success("Settings saved.")
    st.subheader("Stage mapping")
    st.caption("Order, closed / won flags, default probability and forecast category per stage.")
    stages = st.data_editor(
        store.stage_table(con), num_rows="dynamic", hide_index=True, key="stages", width="stretch"
    )
    if st.button("Save stage mapping", key="save_stages"):
        try:
            store.save_stage_table(con, stages)
        except ValueError as exc:
            st.error(f"Stage mapping not saved: {exc}")
        else:
            state.refresh(con)
            st.success("Stage mapping saved.")

with template_tab:
    st.caption("Start from a template: required columns first, one example row.")
    cols = st.columns(3)
    for i, kind in enumerate(TEMPLATE_KINDS):
        cols[i % 3].download_button(
            f"{kind}.csv",
            template_csv(kind),
            file_name=f"{kind}_template.csv",
            mime="text/csv",
            key=f"tpl_{kind}",
            icon=":material/download:",
        )
