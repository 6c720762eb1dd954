"""Pre-aggregated tables: rebuilt when their inputs change, exact on read-only connections,
stored forecasts equal recomputed ones (hand-made database of tests/test_forecast.py)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from spm import derived, forecast, store, waterfall
from spm.metrics import summary
from tests.test_forecast import NEG, S1, S2, S3, S4, _load

LOST = "Closed Lost"


def _neg(rates) -> tuple[int, int, int]:
    row = rates[rates["stage"] == NEG].iloc[0]
    return int(row["deals_seen"]), int(row["closed"]), int(row["won"])


def _add_lost_deal(con) -> None:
    """A deal seen in Negotiation at S2 and lost by S3, written with plain SQL (no version bump)."""
    con.executemany(
        "INSERT INTO opportunity_snapshot_rows (load_id, as_of, opportunity_id, owner, amount,"
        " stage, close_date) VALUES (1, ?, 'N1', 'ana', 50, ?, '2026-03-01')",
        [(S2, NEG), (S3, LOST)],
    )


def test_stage_rates_follow_rows_written_after_the_table_was_built(con):
    _load(con)
    # Negotiation by S3: A1, Z1 (S1), A7, B1, A2 (S2), C1, A6 (S3); A1, Z1, B1 won, A7 lost
    assert _neg(forecast.stage_win_rates(con, as_of=S3)) == (7, 4, 3)
    assert con.execute("SELECT count(*) FROM derived_state").fetchone()[0] == 1
    _add_lost_deal(con)
    assert _neg(forecast.stage_win_rates(con, as_of=S3)) == (8, 5, 3)


def test_read_only_connection_gets_exact_rates_without_writing(tmp_path):
    path = tmp_path / "ro.duckdb"
    con = store.connect(path)
    _load(con)
    derived.refresh(con)
    stored = con.execute("SELECT fingerprint FROM derived_state").fetchall()
    _add_lost_deal(con)  # the stored table is now stale
    con.close()
    ro = store.connect(path, read_only=True)
    try:
        assert _neg(forecast.stage_win_rates(ro, as_of=S3)) == (8, 5, 3)
        assert ro.execute("SELECT fingerprint FROM main.derived_state").fetchall() == stored
    finally:
        ro.close()


def test_stored_forecast_equals_a_fresh_simulation(con):
    _load(con)
    first = forecast.statistical_forecast(con, "2026-Q1", as_of=S3, min_deals=2)
    assert con.execute("SELECT count(*) FROM forecast_points").fetchone()[0] == 1
    again = forecast.statistical_forecast(con, "2026-Q1", as_of=S3, min_deals=2)
    con.execute("DELETE FROM forecast_points")
    fresh = forecast.statistical_forecast(con, "2026-Q1", as_of=S3, min_deals=2)
    assert first == again == fresh


def test_stored_forecast_is_read_until_the_data_changes(con):
    _load(con)
    forecast.statistical_forecast(con, "2026-Q1", as_of=S3, min_deals=2)
    con.execute("UPDATE forecast_points SET p50 = 12345")
    assert forecast.statistical_forecast(con, "2026-Q1", as_of=S3, min_deals=2)["p50"] == 12345
    _add_lost_deal(con)
    assert forecast.statistical_forecast(con, "2026-Q1", as_of=S3, min_deals=2)["p50"] != 12345
    # the stale point was replaced, not kept beside the new one
    assert con.execute("SELECT count(*), min(p50) FROM forecast_points").fetchone()[0] == 1


def test_refresh_stores_the_trend_of_the_latest_quarter_and_the_one_before(con):
    _load(con)
    derived.refresh(con)
    rows = con.execute(
        "SELECT period, as_of, team, rep FROM forecast_points ORDER BY as_of"
    ).fetchall()
    # S4 is the only snapshot of Q2; the quarter before (the QBR's) has S1, S2 and S3
    assert rows == [("2026-Q1", d, None, None) for d in (S1, S2, S3)] + [
        ("2026-Q2", S4, None, None)
    ]
    history = con.execute("SELECT count(*) FROM deal_stage_history").fetchone()[0]
    assert con.execute("SELECT sum(deals) FROM stage_history").fetchone()[0] == history
    assert (
        history
        == con.execute(
            "SELECT count(*) FROM (SELECT DISTINCT opportunity_id, stage FROM opportunity_snapshots"
            " WHERE NOT is_closed)"
        ).fetchone()[0]
    )


def test_trend_points_match_single_forecasts(con):
    _load(con)
    trend = forecast.forecast_trend(con, "2026-Q1", min_deals=2)
    single = forecast.statistical_forecast(con, "2026-Q1", as_of=date(2026, 2, 2), min_deals=2)
    row = trend[trend["as_of"] == "2026-02-02"].iloc[0]
    assert (row["stat_p50"], row["stat_expected"]) == (single["p50"], single["expected"])


def test_simulate_odds_resolution_is_one_in_65536():
    amounts = np.array([10.0, 20.0])
    # below half a step → never won; within half a step of 1 → always won
    totals = forecast.simulate(amounts, np.array([1 / 200_000, 1 - 1 / 200_000]), draws=1_000)
    assert (totals == 20.0).all()


def test_stored_stage_runs_equal_the_live_query(con):
    from spm import pipeline, sql

    _load(con)
    live = sql.run(con, "pipeline_stage_runs", as_of=None, team=None, rep=None)
    assert derived.stage_runs_date(con) == S4  # built: the connection may write
    stored = pipeline.stage_runs(con)
    assert len(stored) > 0
    assert stored.assign(days=stored["days"].astype(float)).equals(
        live.assign(days=live["days"].astype(float))
    )
    # an earlier as-of date is not what the table holds: the live query answers
    early = pipeline.stage_runs(con, as_of=S2)
    assert pd.Timestamp(early["entered"].max()) <= pd.Timestamp(S2)
    _add_lost_deal(con)  # stale until rebuilt; a read-only connection would use the live query
    assert "N1" in set(pipeline.stage_runs(con)["opportunity_id"])


def test_stored_deal_flags_equal_the_live_ones_and_follow_the_thresholds(con):
    from spm.metrics import hygiene

    _load(con)
    assert derived.deal_flags_date(con) == S4
    pd.testing.assert_frame_equal(hygiene.deal_flags(con), hygiene.deal_flags_live(con))
    pd.testing.assert_frame_equal(
        hygiene.deal_flags(con, rep="ana"), hygiene.deal_flags_live(con, rep="ana")
    )
    # open at S4: A5 and A6 unchanged since S3 (7 days before); A4's close date moved at S4
    assert not hygiene.deal_flags(con)["stale"].any()
    store.save_settings(con, {"stale_days": 7})
    stale = hygiene.deal_flags(con)
    assert set(stale.loc[stale["stale"], "opportunity_id"]) == {"A5", "A6"}


def test_memo_frame_is_read_until_the_data_changes(con):
    _load(con)
    first, other = pd.DataFrame({"x": [1.0]}), pd.DataFrame({"x": [2.0]})
    key = {"period": "2026-Q1", "team": None}
    pd.testing.assert_frame_equal(derived.memo_frame(con, "t", key, lambda: first), first)
    # stored: the second computation is never run
    pd.testing.assert_frame_equal(derived.memo_frame(con, "t", key, lambda: other), first)
    pd.testing.assert_frame_equal(
        derived.memo_frame(con, "t", {**key, "team": "East"}, lambda: other), other
    )
    # a quota row written with plain SQL (no load, no version bump) changes the fingerprint
    con.execute("INSERT INTO quota_rows VALUES (9, 'ana', '2026-01-01', 'bookings', 1)")
    pd.testing.assert_frame_equal(derived.memo_frame(con, "t", key, lambda: other), other)
    assert con.execute("SELECT count(*) FROM derived_frames").fetchone()[0] == 1


def test_memo_frame_on_a_read_only_connection_computes_without_writing(tmp_path):
    path = tmp_path / "ro.duckdb"
    store.connect(path).close()
    ro = store.connect(path, read_only=True)
    try:
        frame = pd.DataFrame({"x": [1.0]})
        pd.testing.assert_frame_equal(derived.memo_frame(ro, "t", {}, lambda: frame), frame)
        assert ro.execute("SELECT count(*) FROM derived_frames").fetchone()[0] == 0
    finally:
        ro.close()


def test_refresh_stores_the_last_closed_quarters_accuracy_equal_to_a_fresh_one(con):
    _load(con)
    derived.refresh(con)
    names = con.execute("SELECT name, key FROM derived_frames ORDER BY name, key").fetchall()
    # S4 (2026-04-06) is after Q1's end: Q1 is closed and the QBR opens on it
    assert ("forecast_accuracy_by_rep", '{"min_deals": 20, "period": "2026-Q1", "rep": null, '
            '"team": null}') in names  # fmt: skip
    stored = forecast.forecast_accuracy_by_rep(con, "2026-Q1")
    fresh = forecast._accuracy_by_rep(
        con, store.fiscal_period(con, "2026-Q1"), None, None, forecast.MIN_CLOSED_DEALS
    )
    pd.testing.assert_frame_equal(stored, fresh, check_exact=True)
    assert not stored.empty
    trend = forecast.forecast_trend(con, "2026-Q1")
    con.execute("DELETE FROM derived_frames")
    pd.testing.assert_frame_equal(trend, forecast.forecast_trend(con, "2026-Q1"), check_exact=True)


def test_a_closed_quarters_waterfall_is_kept_and_equal_to_a_fresh_one(con):
    _load(con)
    # the first call computes and keeps it
    fresh = waterfall.waterfall_tables(con, "2026-Q1", start=S1)
    assert con.execute("SELECT name FROM derived_frames").fetchall() == [("waterfall_tables",)]
    kept = waterfall.waterfall_tables(con, "2026-Q1", start=S1)
    for a, b in zip(fresh, kept, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        assert a.attrs == b.attrs and b.attrs["s1"] == S4
    # the open quarter (S4 is inside Q2) is never kept
    waterfall.waterfall_tables(con, "2026-Q2", start=S1)
    assert con.execute("SELECT count(*) FROM derived_frames").fetchone()[0] == 1
    # a Q1 deal won by S4, written with plain SQL: the kept waterfall is stale and recomputed
    con.execute(
        "INSERT INTO opportunity_snapshot_rows (load_id, as_of, opportunity_id, owner, amount,"
        " stage, close_date) VALUES (1, ?, 'N2', 'ana', 70, 'Closed Won', '2026-03-15')",
        [S4],
    )
    after = waterfall.waterfall_tables(con, "2026-Q1", start=S1)[0]
    assert after["won"].iloc[0] == fresh[0]["won"].iloc[0] + 70


def test_refresh_stores_the_snapshot_list_and_this_weeks_changes_which_follow_the_data(con):
    _load(con)
    derived.refresh(con)
    names = {n for (n,) in con.execute("SELECT name FROM derived_frames").fetchall()}
    assert {"snapshot_list", "what_changed", "summary", "forecast_rollup", "trailing_kpis"} <= names
    before = summary.snapshot_list(con)
    record = summary.summary(con, period="2026-Q2").iloc[0]
    assert list(before["as_of"].dt.date) == [S4, S3, S2, S1]
    changes = forecast.what_changed(con, "2026-Q2", as_of=S4)
    assert (changes.attrs["s0"], changes.attrs["s1"]) == (S3, S4)
    # one more open deal in S4, written with plain SQL: both are recomputed
    con.execute(
        "INSERT INTO opportunity_snapshot_rows (load_id, as_of, opportunity_id, owner, amount,"
        " stage, close_date) VALUES (1, ?, 'N3', 'ana', 40, ?, '2026-05-15')",
        [S4, NEG],
    )
    after = summary.snapshot_list(con)
    assert after["opportunities"].iloc[0] == before["opportunities"].iloc[0] + 1
    assert after["open_amount"].iloc[0] == before["open_amount"].iloc[0] + 40
    assert summary.summary(con, period="2026-Q2").iloc[0]["open"] == record["open"] + 1
    new = forecast.what_changed(con, "2026-Q2", as_of=S4)
    assert new[new["change"] == "new"]["opportunity_id"].tolist().count("N3") == 1
    assert len(new) == len(changes) + 1
    pd.testing.assert_frame_equal(summary.snapshot_list(con, limit=2), after.head(2))


def test_kept_frames_keep_object_columns_and_attrs(con):
    _load(con)
    role = pd.Series(["hunter", None], dtype=object)  # as the Plans scenario's Team row has it
    frame = pd.DataFrame({"rep": ["ana", "Team"], "role": role, "x": [1.0, 2.0]})
    frame.attrs.update(year="FY2027", target=1.5, s0=S1)
    derived.memo_frame(con, "t", {}, lambda: frame)
    kept = derived.memo_frame(con, "t", {}, lambda: None)
    pd.testing.assert_frame_equal(kept, frame, check_exact=True)
    assert kept["role"].tolist() == ["hunter", None] and kept.attrs == frame.attrs
