"""Ingest: one small hand-made file per CRM format, rejects, idempotency, undo and real files."""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spm import store
from spm.ingest import IngestError, ingest_bytes, ingest_file, load_history, rejects_of, undo_load
from tests.conftest import FIXTURES, shared_file

AS_OF = date(2026, 3, 1)
DEAL_SQL = (
    "SELECT opportunity_id, owner, amount, stage, close_date, type, is_won, is_closed,"
    " forecast_category FROM opportunity_snapshots ORDER BY 1"
)


def deals(con) -> list[tuple]:
    return con.execute(DEAL_SQL).fetchall()


def test_salesforce_report_labels(con):
    result = ingest_file(con, FIXTURES / "salesforce_report.csv", as_of=AS_OF)
    assert (result.kind, result.rows_loaded, result.rows_rejected) == ("opportunities", 3, 1)
    assert result.rejects[["row_number", "column_name", "value", "reason"]].to_dict("records") == [
        {"row_number": 4, "column_name": "Amount", "value": "(1,200)", "reason": "negative amount"}
    ]
    assert deals(con) == [
        ("006A1", "Ana Diaz", Decimal("12000.00"), "Closed Won", date(2026, 3, 31), "existing",
         True, True, "Closed"),
        ("006A2", "Ana Diaz", Decimal("5500.00"), "Closed Lost", date(2026, 2, 15), "existing",
         False, True, "Omitted"),
        ("006A4", "Ben Ode", Decimal("25000.00"), "Negotiation/Review", date(2026, 5, 31), "new",
         False, False, "Commit"),
    ]  # fmt: skip


def test_salesforce_api_names_with_two_digit_years(con):
    ingest_file(con, FIXTURES / "salesforce_api.csv", as_of=AS_OF)
    assert deals(con) == [
        ("006B1", "Cara Lee", Decimal("15000.00"), "Closed Won", date(2026, 2, 3), None,
         True, True, "Closed"),
        ("006B2", "Cara Lee", Decimal("7000.00"), "Qualification", date(2026, 3, 15), None,
         False, False, "Pipeline"),
        ("006B3", "Dev Rao", Decimal("3000.00"), "Closed Lost", date(2026, 2, 20), None,
         False, True, "Omitted"),
    ]  # fmt: skip


def test_hubspot_export(con):
    ingest_file(con, FIXTURES / "hubspot.csv", as_of=AS_OF)
    assert deals(con) == [
        ("9001", "Eve Park", Decimal("4000.00"), "closedwon", date(2026, 1, 20), "new",
         True, True, "Closed"),
        ("9002", "Eve Park", Decimal("20000.00"), "contractsent", date(2026, 3, 10), "existing",
         False, False, "Commit"),
        ("9003", "Finn Wu", Decimal("1500.00"), "closedlost", date(2026, 2, 1), "new",
         False, True, "Omitted"),
    ]  # fmt: skip


def test_pipedrive_status_won_time_and_decimal_comma(con):
    result = ingest_file(con, FIXTURES / "pipedrive.csv", as_of=AS_OF)
    assert any("decimal comma" in n for n in result.notes)
    assert deals(con) == [
        ("501", "Gus Hale", Decimal("1234.56"), "Negotiations Started", date(2026, 2, 20), None,
         True, True, "Closed"),
        ("502", "Gus Hale", Decimal("2000.00"), "Proposal Made", date(2026, 3, 2), None,
         False, True, "Omitted"),
        ("503", "Ivy Moss", Decimal("3500.00"), "Demo Scheduled", date(2026, 4, 30), None,
         False, False, "Pipeline"),
    ]  # fmt: skip
    probs = con.execute("SELECT probability FROM opportunity_snapshots ORDER BY 1").fetchall()
    assert sorted(p for (p,) in probs) == [0.0, 0.4, 1.0]


def test_maven_open_deals_without_amount_load(con):
    result = ingest_file(con, FIXTURES / "maven_small.csv", as_of=AS_OF)
    assert (result.rows_loaded, result.rows_rejected) == (5, 0)
    assert deals(con)[2] == (
        "M3", "Darcel Schlecht", None, "Engaging", None, None, False, False, "Pipeline"
    )  # fmt: skip
    assert deals(con)[4][1] == "(unassigned)"


def test_bad_rows_are_rejected_with_reasons_and_the_rest_loads(con):
    result = ingest_file(con, FIXTURES / "bad_rows.csv", as_of=AS_OF)
    assert [r[0] for r in deals(con)] == ["B1", "B9"]
    assert rejects_of(con)[["row_number", "column_name", "value", "reason"]].to_dict(
        "records"
    ) == [
        {"row_number": 3, "column_name": "opportunity_id", "value": "",
         "reason": "missing opportunity id"},
        {"row_number": 4, "column_name": "amount", "value": "abc", "reason": "not an amount"},
        {"row_number": 5, "column_name": "amount", "value": "-50", "reason": "negative amount"},
        {"row_number": 6, "column_name": "close_date", "value": "2026-13-45",
         "reason": "not a date"},
        {"row_number": 7, "column_name": "amount", "value": "",
         "reason": "won deal without an amount"},
        {"row_number": 8, "column_name": "close_date", "value": "",
         "reason": "won deal without a close date"},
        {"row_number": 9, "column_name": "opportunity_id", "value": "B1",
         "reason": "duplicate opportunity id in the same snapshot"},
    ]  # fmt: skip
    assert result.rows_rejected == 7


def test_all_or_nothing_writes_nothing(con):
    before = store.data_version(con)
    with pytest.raises(IngestError, match="7 row\\(s\\) failed validation.*nothing was loaded"):
        ingest_file(con, FIXTURES / "bad_rows.csv", as_of=AS_OF, all_or_nothing=True)
    assert con.execute("SELECT count(*) FROM loads").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM opportunity_snapshot_rows").fetchone()[0] == 0
    assert store.data_version(con) == before


def test_same_file_twice_is_a_no_op_new_as_of_is_a_new_snapshot(con):
    data = (FIXTURES / "hubspot.csv").read_bytes()
    first = ingest_bytes(con, "hubspot.csv", data, as_of=AS_OF)
    again = ingest_bytes(con, "hubspot.csv", data, as_of=AS_OF)
    later = ingest_bytes(con, "hubspot.csv", data, as_of=date(2026, 3, 8))
    assert (again.skipped, again.load_id) == (True, first.load_id)
    assert later.load_id == first.load_id + 1
    snaps = con.execute("SELECT DISTINCT as_of FROM opportunity_snapshots ORDER BY 1").fetchall()
    assert snaps == [(date(2026, 3, 1),), (date(2026, 3, 8),)]


def test_undo_restores_the_previous_version(con):
    header = "opportunity_id,owner,amount,stage,close_date\n"
    ingest_bytes(
        con, "a.csv", (header + "X1,Ann,100,Prospecting,2026-04-01\n").encode(), as_of=AS_OF
    )
    second = ingest_bytes(
        con, "b.csv", (header + "X1,Ann,900,Prospecting,2026-05-01\n").encode(), as_of=AS_OF
    )
    assert deals(con)[0][2] == Decimal("900.00")
    undo_load(con, second.load_id)
    assert deals(con)[0][2] == Decimal("100.00")
    assert load_history(con)["status"].tolist() == ["undone", "active"]
    with pytest.raises(IngestError, match="already undone"):
        undo_load(con, second.load_id)


def test_as_of_column_makes_several_snapshots(con):
    text = (
        "Snapshot Date,opportunity_id,owner,amount,stage,close_date\n"
        "2026-01-05,D1,Ann,100,Prospecting,2026-03-01\n"
        "2026-01-12,D1,Ann,150,Negotiation/Review,2026-03-15\n"
    )
    result = ingest_bytes(con, "snaps.csv", text.encode())
    assert result.snapshots == [date(2026, 1, 5), date(2026, 1, 12)]


def test_missing_required_column_names_it_and_writes_nothing(con):
    with pytest.raises(IngestError, match="could not tell what this file holds"):
        ingest_bytes(con, "x.csv", b"foo,bar\n1,2\n")
    with pytest.raises(IngestError, match="no column for close_date"):
        ingest_bytes(con, "x.csv", b"opportunity_id,amount,stage\n1,2,Won\n", kind="opportunities")
    assert con.execute("SELECT count(*) FROM loads").fetchone()[0] == 0


def test_column_override_maps_an_unknown_header(con):
    text = b"Deal Ref,Rep,Size,Phase,Due\nQ1,Ann,100,Won,2026-02-01\n"
    result = ingest_bytes(
        con,
        "odd.csv",
        text,
        kind="opportunities",
        overrides={
            "Deal Ref": "opportunity_id",
            "Size": "amount",
            "Phase": "stage",
            "Due": "close_date",
        },
        as_of=AS_OF,
    )
    assert result.rows_loaded == 1
    assert deals(con)[0][:5] == ("Q1", "Ann", Decimal("100.00"), "Won", date(2026, 2, 1))


def test_quotas_spread_quarters_and_years_to_the_cent(con):
    text = b"rep,period,amount\nAnn,2026-Q1,100000\nBen,FY2026,1000\nCid,2026-03,500\n"
    ingest_bytes(con, "quotas.csv", text)
    rows = con.execute(
        "SELECT rep, count(*), sum(amount), min(amount), max(amount) FROM quotas"
        " GROUP BY rep ORDER BY rep"
    ).fetchall()
    assert rows == [
        ("Ann", 3, Decimal("100000.00"), Decimal("33333.33"), Decimal("33333.34")),
        ("Ben", 12, Decimal("1000.00"), Decimal("83.33"), Decimal("83.34")),
        ("Cid", 1, Decimal("500.00"), Decimal("500.00"), Decimal("500.00")),
    ]


def test_reps_roles_and_maven_teams(con):
    text = (
        b"Rep,Manager,Role,Hire Date,Ramp Months\n"
        b"Ann,Kelly,Hunter,2025-01-15,6\n"
        b"Ben,Kelly,Account Manager,2020-03-01,\n"
    )
    ingest_bytes(con, "reps.csv", text)
    assert con.execute(
        "SELECT rep, team, role, hire_date, ramp_months FROM reps ORDER BY 1"
    ).fetchall() == [
        ("Ann", "Kelly", "hunter", date(2025, 1, 15), 6),
        ("Ben", "Kelly", "farmer", date(2020, 3, 1), None),
    ]


def count_maven(path) -> dict:
    """Count the Maven pipeline file by hand with the csv module."""
    won = lost = open_ = 0
    won_amount = 0
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            if row["deal_stage"] == "Won":
                won += 1
                won_amount += int(row["close_value"])
            elif row["deal_stage"] == "Lost":
                lost += 1
            else:
                open_ += 1
    return {"won": won, "lost": lost, "open": open_, "won_amount": won_amount}


@pytest.mark.parametrize("name", ["sales_pipeline.csv", "sales_pipeline_excel_mdy_variant.csv"])
def test_real_maven_pipeline_loads_completely(con, name):
    path = shared_file("maven_crm", name)
    expected = count_maven(path)
    result = ingest_file(con, path, as_of=AS_OF)
    assert (result.rows_loaded, result.rows_rejected) == (
        sum(expected.values()) - expected["won_amount"],
        0,
    )
    got = con.execute(
        """SELECT count(*) FILTER (WHERE is_won), count(*) FILTER (WHERE is_closed AND NOT is_won),
                  count(*) FILTER (WHERE NOT is_closed), sum(amount) FILTER (WHERE is_won)
           FROM opportunity_snapshots"""
    ).fetchone()
    assert got == (
        expected["won"],
        expected["lost"],
        expected["open"],
        Decimal(expected["won_amount"]),
    )
    first = con.execute(
        "SELECT close_date FROM opportunity_snapshots WHERE opportunity_id = '1C1I7A6R'"
    ).fetchone()
    assert first == (date(2017, 3, 1),)


def test_real_maven_teams_and_accounts(con):
    ingest_file(con, shared_file("maven_crm", "sales_teams.csv"))
    ingest_file(con, shared_file("maven_crm", "accounts.csv"))
    with open(shared_file("maven_crm", "sales_teams.csv"), newline="") as fh:
        teams = list(csv.DictReader(fh))
    with open(shared_file("maven_crm", "accounts.csv"), newline="") as fh:
        accounts = list(csv.DictReader(fh))
    assert con.execute("SELECT count(*) FROM reps").fetchone()[0] == len(teams)
    assert con.execute("SELECT count(*) FROM accounts").fetchone()[0] == len(accounts)
    first = teams[0]
    assert con.execute(
        "SELECT manager, region FROM reps WHERE rep = ?", [first["sales_agent"]]
    ).fetchone() == (first["manager"], first["regional_office"])


def test_real_salesforce_opportunity_and_history(con):
    path = shared_file("salesforce_sample", "Opportunity.csv")
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    result = ingest_file(con, path, as_of=date(2026, 2, 23))
    assert (result.rows_loaded, result.rows_rejected) == (len(rows), 0)
    assert any("(unassigned)" in n for n in result.notes)
    won = [r for r in rows if r["IsWon"] == "TRUE"]
    got = con.execute(
        "SELECT count(*), sum(amount) FROM opportunity_snapshots WHERE is_won"
    ).fetchone()
    assert got == (len(won), Decimal(sum(int(r["Amount"]) for r in won)))
    hist_path = shared_file("salesforce_sample", "OpportunityHistory.csv")
    with open(hist_path, newline="") as fh:
        hist = [r for r in csv.DictReader(fh) if r["IsDeleted"] != "TRUE"]
    history = ingest_file(con, hist_path)
    assert history.kind == "opportunity_history"

    # The latest rebuilt snapshot holds each opportunity's last recorded stage.
    def edited(r):
        return datetime.strptime(r["CreatedDate"], "%m/%d/%y %I:%M %p")

    latest = {}
    for r in sorted(hist, key=edited):
        latest[r["OpportunityId"]] = r["StageName"]
    snap = dict(
        con.execute(
            "SELECT opportunity_id, stage FROM opportunity_snapshots WHERE as_of = ?",
            [history.snapshots[-1]],
        ).fetchall()
    )
    assert snap == latest
    owners = con.execute(
        "SELECT count(*) FROM opportunity_snapshots WHERE load_id = ? AND owner = '(unassigned)'",
        [history.load_id],
    ).fetchone()
    assert owners[0] > 0


ROW = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["A", "B", "C", "", "D"]),
        "amount": st.sampled_from(["100", "-5", "x", "", "1,000.50"]),
        "stage": st.sampled_from(["Prospecting", "Closed Won", "", "Weird"]),
        "close": st.sampled_from(["2026-01-01", "bad", "", "2026-02-30"]),
    }
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(ROW, min_size=1, max_size=8), strict=st.booleans())
def test_any_load_is_all_or_nothing(tmp_path_factory, rows, strict):
    con = store.connect(tmp_path_factory.mktemp("p") / "p.duckdb")
    ingest_bytes(
        con,
        "base.csv",
        b"opportunity_id,owner,amount,stage,close_date\nZ,Ann,1,Won,2026-01-01\n",
        as_of=AS_OF,
    )
    before = con.execute("SELECT * FROM opportunity_snapshot_rows ORDER BY ALL").fetchall()
    text = "opportunity_id,owner,amount,stage,close_date\n" + "".join(
        f'{r["id"]},Ann,"{r["amount"]}",{r["stage"]},{r["close"]}\n' for r in rows
    )
    try:
        result = ingest_bytes(con, "p.csv", text.encode(), as_of=AS_OF, all_or_nothing=strict)
    except IngestError:
        after = con.execute("SELECT * FROM opportunity_snapshot_rows ORDER BY ALL").fetchall()
        assert after == before
        assert con.execute("SELECT count(*) FROM loads").fetchone()[0] == 1
    else:
        loaded = con.execute(
            "SELECT count(*) FROM opportunity_snapshot_rows WHERE load_id = ?", [result.load_id]
        ).fetchone()[0]
        assert loaded == result.rows_loaded
        assert result.rows_loaded + result.rows_rejected == len(rows)
        assert not (strict and result.rows_rejected)
    con.close()
