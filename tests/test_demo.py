"""The demo company: determinism, the story from the seeds, and realistic deal histories."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd
import pytest

from spm import store
from spm.demo import build_demo
from spm.periods import add_months, trailing_quarters

TODAY = date(2026, 11, 23)
TABLES = (
    "opportunity_snapshot_rows",
    "rep_rows",
    "quota_rows",
    "account_rows",
    "activity_rows",
    "report_card_rows",
)
TOP = ("Maria Alvarez", "Marcus Reed")
STRUGGLER = "Greg Olsen"

# Per-deal history: each snapshot row next to the deal's previous snapshot row.
HISTORY = """
CREATE TEMP VIEW history AS
SELECT *, lag(close_date) OVER w AS prev_close, lag(amount) OVER w AS prev_amount,
       lag(is_closed) OVER w AS prev_closed, lag(as_of) OVER w AS prev_as_of
FROM opportunity_snapshot_rows
WINDOW w AS (PARTITION BY opportunity_id ORDER BY as_of)
"""
LATEST = """
CREATE TEMP VIEW latest AS
SELECT * FROM opportunity_snapshot_rows
QUALIFY row_number() OVER (PARTITION BY opportunity_id ORDER BY as_of DESC) = 1
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[duckdb.DuckDBPyConnection, dict[str, int]]:
    """Return a database holding the default demo company, and build_demo's counts."""
    con = store.connect(tmp_path_factory.mktemp("demo") / "demo.duckdb")
    counts = build_demo(con, today=TODAY)
    con.execute(HISTORY)
    con.execute(LATEST)
    yield con, counts
    con.close()


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    """Return the single value the query yields."""
    return con.execute(sql, params or []).fetchone()[0]


def contents(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    """Return a table's rows without load ids, sorted on every column."""
    frame = con.execute(f"SELECT * EXCLUDE (load_id) FROM {table}").df()  # noqa: S608
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def test_counts_and_loads(demo):
    con, counts = demo
    assert set(counts) == set(TABLES)
    for table in TABLES:
        assert counts[table] == one(con, f"SELECT count(*) FROM {table}")  # noqa: S608
        assert counts[table] > 0
    loads = con.execute("SELECT kind, source, as_of, rows_loaded FROM loads ORDER BY 1").df()
    assert list(loads["source"]) == [f"demo:{k}" for k in loads["kind"]]
    assert len(loads) == 6
    opp = loads[loads["kind"] == "opportunities"].iloc[0]
    assert opp["as_of"].date() == TODAY
    assert opp["rows_loaded"] == counts["opportunity_snapshot_rows"]


def test_same_arguments_give_identical_tables(demo, con):
    first, _ = demo
    build_demo(con, today=TODAY)
    for table in TABLES:
        pd.testing.assert_frame_equal(contents(first, table), contents(con, table))


def test_another_seed_gives_other_data(demo, con):
    first, _ = demo
    build_demo(con, seed=8, today=TODAY)
    assert not contents(first, "opportunity_snapshot_rows").equals(
        contents(con, "opportunity_snapshot_rows")
    )
    assert not contents(first, "quota_rows").equals(contents(con, "quota_rows"))


def test_rebuilding_replaces_only_demo_data(con):
    load_id = store.register_load(con, "reps", "mine.csv", "x", None, 1, 0)
    store.insert_frame(con, "rep_rows", pd.DataFrame({"load_id": [load_id], "rep": ["Own Rep"]}))
    version = store.data_version(con)
    counts = build_demo(con, today=TODAY)
    again = build_demo(con, today=TODAY)
    assert again == counts
    assert store.data_version(con) == version + 2
    for table in TABLES:
        own = 1 if table == "rep_rows" else 0
        assert one(con, f"SELECT count(*) FROM {table}") == counts[table] + own  # noqa: S608
    assert one(con, "SELECT count(*) FROM loads") == 7
    assert one(con, "SELECT count(*) FROM rep_rows WHERE rep = 'Own Rep'") == 1


def test_kellys_team(demo):
    con, _ = demo
    reps = con.execute("SELECT * FROM rep_rows").df()
    assert len(reps) == 9
    assert set(reps["manager"]) == {"Kelly Morgan"}
    assert set(reps["team"]) == {"Kelly's team"}
    assert set(reps["role"]) == {"hunter", "farmer"}
    assert reps["email"].is_unique and reps["rep"].is_unique
    assert (reps["ramp_months"] == 6).all() and reps["end_date"].isna().all()
    hire = reps["hire_date"].dt.date
    new = hire > date(2026, 5, 23)
    assert new.sum() == 2
    assert (hire[~new] <= TODAY - timedelta(days=2 * 365)).all()


def test_larger_companies_have_teams_of_about_nine(con):
    counts = build_demo(con, reps=30, years=1, today=TODAY)
    teams = con.execute("SELECT team, manager, count(*) n FROM rep_rows GROUP BY ALL").df()
    assert counts["rep_rows"] == 30 and one(con, "SELECT count(DISTINCT rep) FROM rep_rows") == 30
    assert len(teams) == 4 and teams["n"].between(7, 9).all()
    assert teams["team"].is_unique and teams["manager"].is_unique
    assert "Kelly's team" in set(teams["team"])


def test_weekly_snapshots_up_to_today(demo):
    con, _ = demo
    dates = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT as_of FROM opportunity_snapshot_rows ORDER BY 1"
        ).fetchall()
    ]
    assert dates[-1] == TODAY
    assert dates[0] <= TODAY - timedelta(days=2 * 365)
    assert all((b - a).days == 7 for a, b in zip(dates, dates[1:], strict=False))
    duplicates = one(
        con,
        "SELECT count(*) FROM (SELECT as_of, opportunity_id FROM opportunity_snapshot_rows "
        "GROUP BY ALL HAVING count(*) > 1)",
    )
    assert duplicates == 0


def test_eight_fiscal_quarters_of_closed_deals(demo):
    con, _ = demo
    quarters = one(
        con,
        "SELECT count(DISTINCT (year(close_date), quarter(close_date))) FROM latest "
        "WHERE is_closed",
    )
    assert quarters >= 8


def test_row_states_are_consistent(demo):
    con, _ = demo
    assert (
        one(con, "SELECT count(*) FROM opportunity_snapshot_rows WHERE is_won AND NOT is_closed")
        == 0
    )
    bad_stage = one(
        con,
        "SELECT count(*) FROM opportunity_snapshot_rows r LEFT JOIN stages s USING (stage) "
        "WHERE s.stage IS NULL OR s.is_closed <> r.is_closed OR s.is_won <> r.is_won "
        "OR s.probability <> r.probability",
    )
    assert bad_stage == 0
    assert (
        one(
            con,
            "SELECT count(*) FROM opportunity_snapshot_rows WHERE close_date > as_of AND is_closed",
        )
        == 0
    )
    assert (
        one(con, "SELECT count(*) FROM opportunity_snapshot_rows WHERE created_date > as_of") == 0
    )
    # Closed deals stay in every later snapshot, so past quarters read from the latest one.
    assert (
        one(
            con,
            "SELECT count(DISTINCT opportunity_id) FROM opportunity_snapshot_rows o "
            "WHERE is_closed AND opportunity_id NOT IN (SELECT opportunity_id "
            "FROM opportunity_snapshot_rows WHERE as_of = (SELECT max(as_of) "
            "FROM opportunity_snapshot_rows))",
        )
        == 0
    )
    categories = con.execute(
        "SELECT DISTINCT stage, forecast_category FROM opportunity_snapshot_rows"
    ).fetchall()
    assert ("Negotiation/Review", "Best Case") in categories
    assert ("Proposal/Price Quote", "Commit") in categories
    assert ("Closed Won", "Closed") in categories and ("Closed Lost", "Omitted") in categories


def test_pushes_amount_changes_and_hygiene(demo):
    con, _ = demo
    pushed_twice = one(
        con,
        "SELECT count(*) FROM (SELECT opportunity_id FROM history WHERE close_date > prev_close "
        "AND NOT is_closed AND NOT prev_closed GROUP BY 1 HAVING count(*) >= 2)",
    )
    assert pushed_twice > 0
    changes = one(
        con,
        "SELECT count(*) FROM history WHERE amount <> prev_amount AND NOT prev_closed",
    )
    assert changes > 0
    past_due = one(
        con,
        "SELECT count(*) FROM opportunity_snapshot_rows "
        "WHERE as_of = ? AND NOT is_closed AND close_date < as_of",
        [TODAY],
    )
    assert past_due > 0
    deleted = one(con, "SELECT count(*) FROM latest WHERE NOT is_closed AND as_of < ?", [TODAY])
    assert deleted > 0
    assert one(
        con, "SELECT count(next_step) FROM opportunity_snapshot_rows WHERE as_of = ?", [TODAY]
    )


def test_win_rate_and_loss_reasons(demo):
    con, _ = demo
    latest = con.execute("SELECT * FROM latest").df()
    closed = latest[latest["is_closed"]]
    win_rate = closed["is_won"].mean()
    assert 0.2 <= win_rate <= 0.35
    lost = closed[~closed["is_won"]]
    reasons = lost["loss_reason"].value_counts()
    assert reasons.index[0] == "price"
    assert {"competitor", "no decision", "timing", "product fit"} <= set(reasons.index)
    assert lost.loc[lost["loss_reason"] == "competitor", "competitor"].notna().all()
    assert closed.loc[closed["is_won"], ["loss_reason", "competitor"]].isna().all().all()
    assert set(latest["product"]) == {"Core Platform", "Analytics", "Services", "Support Plus"}
    assert set(latest["lead_source"]) == {"self", "marketing", "executive", "partner"}
    assert set(latest["type"]) == {"new", "existing"}


def test_quotas_cover_every_rep_month(demo):
    con, _ = demo
    first = one(con, "SELECT min(as_of) FROM opportunity_snapshot_rows")
    missing = one(
        con,
        """
        SELECT count(*) FROM rep_rows r,
            generate_series(date_trunc('month', ?::DATE), date_trunc('month', ?::DATE),
                            INTERVAL 1 MONTH) AS m(month)
        WHERE m.month >= date_trunc('month', r.hire_date)
          AND NOT EXISTS (SELECT 1 FROM quota_rows q
                          WHERE q.rep = r.rep AND q.month = m.month AND q.type = 'total')
        """,
        [first, add_months(TODAY, 12)],
    )
    assert missing == 0
    assert one(con, "SELECT count(*) FROM quota_rows WHERE amount <= 0") == 0


def test_attainment_profiles(demo):
    con, _ = demo
    span = trailing_quarters(TODAY, 4)
    att = (
        con.execute(
            """
        WITH b AS (SELECT owner AS rep, sum(amount) AS booked FROM latest
                   WHERE is_won AND close_date >= ? AND close_date < ? GROUP BY 1),
             q AS (SELECT rep, sum(amount) AS quota FROM quota_rows
                   WHERE month >= ? AND month < ? GROUP BY 1)
        SELECT rep, COALESCE(booked, 0) AS booked, quota FROM q LEFT JOIN b USING (rep)
        """,
            [span.start, span.end, span.start, span.end],
        )
        .df()
        .set_index("rep")
    )
    team = float(att["booked"].sum() / att["quota"].sum())
    assert 0.6 <= team <= 1.2
    rate = att["booked"] / att["quota"]
    assert min(rate[r] for r in TOP) > rate[STRUGGLER]
    assert rate[STRUGGLER] < 0.6 and min(rate[r] for r in TOP) > 1.0


def test_accounts_activities_and_report_cards(demo):
    con, _ = demo
    accounts = con.execute("SELECT * FROM account_rows").df()
    assert 50 <= len(accounts) <= 70 and accounts["account"].is_unique
    assert accounts["first_won_date"].notna().any() and accounts["first_won_date"].isna().any()
    deal_accounts = one(
        con,
        "SELECT count(*) FROM (SELECT DISTINCT account FROM opportunity_snapshot_rows) "
        "WHERE account NOT IN (SELECT account FROM account_rows)",
    )
    assert deal_accounts == 0
    kinds = dict(con.execute("SELECT kind, count(*) FROM activity_rows GROUP BY 1").fetchall())
    assert set(kinds) == {"meeting", "call", "qbr", "joint_call", "assessment"}
    assert one(con, "SELECT count(opportunity_id) FROM activity_rows") > 0
    assert one(con, "SELECT max(date) FROM activity_rows") <= TODAY
    frequent_qbrs = one(
        con,
        "SELECT count(*) FROM (SELECT account, year(date) FROM activity_rows WHERE kind = 'qbr' "
        "GROUP BY ALL HAVING count(*) >= 4)",
    )
    assert frequent_qbrs > 0
    cards = con.execute("SELECT * FROM report_card_rows").df()
    scores = cards[["listening", "trust", "problem_solving", "responsiveness"]]
    assert len(cards) > 0 and scores.min().min() >= 1 and scores.max().max() <= 5
    assert cards["comment"].notna().any()
