"""Hygiene flags on hand-made snapshots: pushes, pull-ins, stale runs, past due, missing fields."""

from __future__ import annotations

from datetime import date

import pytest

from spm.metrics.hygiene import deal_flags, deals_needing_attention, hygiene

D = date
# (as_of, id, owner, stage, amount, close_date)
ROWS = [
    # P2: pushed twice (Jan 12 and Feb 16), open throughout.
    (D(2026, 1, 5), "P2", "Ann", "Prospecting", 500, D(2026, 2, 1)),
    (D(2026, 1, 12), "P2", "Ann", "Prospecting", 500, D(2026, 2, 15)),
    (D(2026, 1, 19), "P2", "Ann", "Prospecting", 500, D(2026, 2, 15)),
    (D(2026, 2, 16), "P2", "Ann", "Prospecting", 500, D(2026, 3, 15)),
    # P1: pushed once, then pulled in; unchanged since Jan 19 (28 days: not stale).
    (D(2026, 1, 5), "P1", "Ann", "Qualification", 300, D(2026, 3, 1)),
    (D(2026, 1, 12), "P1", "Ann", "Qualification", 300, D(2026, 3, 20)),
    (D(2026, 1, 19), "P1", "Ann", "Qualification", 300, D(2026, 3, 10)),
    (D(2026, 2, 16), "P1", "Ann", "Qualification", 300, D(2026, 3, 10)),
    # S: identical in every snapshot since Jan 5 (42 days: stale).
    (D(2026, 1, 5), "S", "Ben", "Prospecting", 100, D(2026, 4, 1)),
    (D(2026, 1, 12), "S", "Ben", "Prospecting", 100, D(2026, 4, 1)),
    (D(2026, 1, 19), "S", "Ben", "Prospecting", 100, D(2026, 4, 1)),
    (D(2026, 2, 16), "S", "Ben", "Prospecting", 100, D(2026, 4, 1)),
    # D: close date Feb 10 has passed by Feb 16.
    (D(2026, 1, 19), "D", "Ben", "Negotiation/Review", 700, D(2026, 2, 10)),
    (D(2026, 2, 16), "D", "Ben", "Negotiation/Review", 700, D(2026, 2, 10)),
    # W: its close date moved when it was won: a record, not a push; closed, so not listed.
    (D(2026, 1, 5), "W", "Ann", "Prospecting", 900, D(2026, 2, 20)),
    (D(2026, 2, 16), "W", "Ann", "Closed Won", 900, D(2026, 2, 25)),
    # M: no amount and no close date yet.
    (D(2026, 2, 16), "M", "Ben", "Prospecting", None, None),
    # X: deleted from the CRM after Jan 5.
    (D(2026, 1, 5), "X", "Ben", "Prospecting", 50, D(2026, 1, 30)),
]


@pytest.fixture
def db(con):
    con.executemany(
        "INSERT INTO opportunity_snapshot_rows (load_id, as_of, opportunity_id, owner, stage,"
        " amount, close_date) VALUES (1, ?, ?, ?, ?, ?, ?)",
        ROWS,
    )
    con.execute("INSERT INTO rep_rows (load_id, rep, team) VALUES (1, 'Ann', 'East')")
    return con


def test_flags_as_of_the_latest_snapshot(db):
    got = deal_flags(db)[
        ["opportunity_id", "rep", "team", "past_due", "pushes", "days_unchanged", "stale"]
    ]
    assert got.to_dict("records") == [
        {"opportunity_id": "D", "rep": "Ben", "team": "(no team)", "past_due": True,
         "pushes": 0, "days_unchanged": 28, "stale": False},
        {"opportunity_id": "P2", "rep": "Ann", "team": "East", "past_due": False,
         "pushes": 2, "days_unchanged": 0, "stale": False},
        {"opportunity_id": "P1", "rep": "Ann", "team": "East", "past_due": False,
         "pushes": 1, "days_unchanged": 28, "stale": False},
        {"opportunity_id": "S", "rep": "Ben", "team": "(no team)", "past_due": False,
         "pushes": 0, "days_unchanged": 42, "stale": True},
        {"opportunity_id": "M", "rep": "Ben", "team": "(no team)", "past_due": False,
         "pushes": 0, "days_unchanged": 0, "stale": False},
    ]  # fmt: skip


def test_hygiene_rows_one_per_deal_and_flag(db):
    got = hygiene(db)[["opportunity_id", "rep", "flag"]].to_dict("records")
    assert got == [
        {"opportunity_id": "D", "rep": "Ben", "flag": "past_due"},
        {"opportunity_id": "M", "rep": "Ben", "flag": "missing_amount"},
        {"opportunity_id": "M", "rep": "Ben", "flag": "missing_close_date"},
        {"opportunity_id": "P2", "rep": "Ann", "flag": "pushed"},
        {"opportunity_id": "S", "rep": "Ben", "flag": "stale"},
    ]


def test_an_earlier_as_of_sees_only_the_history_up_to_it(db):
    # W is absent from the Jan 19 export, so it is not in that snapshot.
    got = deal_flags(db, as_of=date(2026, 1, 19))
    assert dict(zip(got["opportunity_id"], got["pushes"], strict=True)) == {
        "D": 0, "P2": 1, "P1": 1, "S": 0,
    }  # fmt: skip
    assert not got["stale"].any() and not got["past_due"].any()


def test_settings_change_the_thresholds(db):
    from spm import store

    store.save_settings(db, {"stale_days": 28, "pushed_times": 1})
    got = hygiene(db, rep="Ann")[["opportunity_id", "flag"]].to_dict("records")
    assert got == [
        {"opportunity_id": "P1", "flag": "pushed"},
        {"opportunity_id": "P1", "flag": "stale"},
        {"opportunity_id": "P2", "flag": "pushed"},
    ]


def test_deals_needing_attention_gives_reasons(db):
    got = deals_needing_attention(db, rep="Ann", largest=1)[["opportunity_id", "reason"]]
    assert got.to_dict("records") == [
        {"opportunity_id": "P2", "reason": "pushed 2×, large deal"},
    ]
