"""Ramp curves, activities, report cards and coaching notes on a tiny hand-made database."""

from __future__ import annotations

from datetime import date

import pytest

from spm.metrics import coaching

D = date


@pytest.fixture
def db(con):
    con.executemany(
        "INSERT INTO opportunity_snapshot_rows (load_id, as_of, opportunity_id, owner, stage,"
        " amount, close_date) VALUES (1, DATE '2026-06-30', ?, ?, ?, ?, ?)",
        [
            ("A1", "Ann", "Closed Won", 1000, D(2026, 1, 20)),  # Ann month 1
            ("A2", "Ann", "Closed Won", 500, D(2026, 3, 5)),  # Ann month 3
            ("A3", "Ann", "Closed Lost", 800, D(2026, 2, 1)),  # lost: not bookings
            ("A4", "Ann", "Prospecting", 900, D(2026, 4, 1)),  # open: not bookings
            ("B1", "Ben", "Closed Won", 2000, D(2026, 4, 10)),  # Ben month 2
            ("V1", "Vet", "Closed Won", 50, D(2025, 12, 1)),  # earliest close date
        ],
    )
    con.executemany(
        "INSERT INTO rep_rows (load_id, rep, hire_date) VALUES (1, ?, ?)",
        [("Ann", D(2026, 1, 10)), ("Ben", D(2026, 3, 15)), ("Vet", D(2019, 1, 1))],
    )
    return con


def test_ramp_curves_are_cumulative_by_month_since_hire(db):
    got = coaching.ramp_curves(db, as_of=D(2026, 6, 30))[["rep", "month", "cumulative"]]
    assert got.to_dict("records") == [
        {"rep": "Ann", "month": 1, "cumulative": 1000.0},
        {"rep": "Ann", "month": 2, "cumulative": 1000.0},
        {"rep": "Ann", "month": 3, "cumulative": 1500.0},
        {"rep": "Ann", "month": 4, "cumulative": 1500.0},
        {"rep": "Ann", "month": 5, "cumulative": 1500.0},
        {"rep": "Ann", "month": 6, "cumulative": 1500.0},
        {"rep": "Ben", "month": 1, "cumulative": 0.0},
        {"rep": "Ben", "month": 2, "cumulative": 2000.0},
        {"rep": "Ben", "month": 3, "cumulative": 2000.0},
        {"rep": "Ben", "month": 4, "cumulative": 2000.0},
    ]  # Vet was hired before the history starts, so has no curve


def test_activities_and_report_cards(db):
    db.executemany(
        "INSERT INTO activity_rows (load_id, date, rep, kind, account) VALUES (1, ?, ?, ?, ?)",
        [
            (D(2026, 4, 2), "Ann", "call", "X"),
            (D(2026, 4, 9), "Ann", "call", "Y"),
            (D(2026, 5, 1), "Ann", "joint_call", "X"),
            (D(2026, 7, 1), "Ann", "call", "X"),  # next quarter
            (D(2026, 4, 3), "Ben", "meeting", "Z"),
        ],
    )
    got = coaching.activity_counts(db, "2026-Q2", rep="Ann").to_dict("records")
    assert got == [
        {"rep": "Ann", "kind": "call", "activities": 2, "accounts": 2},
        {"rep": "Ann", "kind": "joint_call", "activities": 1, "accounts": 1},
    ]
    db.executemany(
        "INSERT INTO report_card_rows (load_id, date, account, rep, listening, trust,"
        " problem_solving, responsiveness) VALUES (1, ?, 'X', ?, ?, ?, ?, ?)",
        [
            (D(2026, 4, 1), "Ann", 4, 5, 3, 4),
            (D(2026, 5, 1), "Ann", 2, 3, 5, 4),
            (D(2026, 5, 1), "Ben", 3, 4, 4, 1),
            (D(2025, 1, 1), "Ben", 1, 1, 1, 1),  # outside the window
        ],
    )
    cards = coaching.report_card_averages(db, D(2026, 1, 1), D(2026, 7, 1))
    assert cards.to_dict("records") == [
        {"rep": "Ann", "cards": 2, "listening": 3.0, "trust": 4.0, "problem_solving": 4.0,
         "responsiveness": 4.0},
        {"rep": "Ben", "cards": 1, "listening": 3.0, "trust": 4.0, "problem_solving": 4.0,
         "responsiveness": 1.0},
        {"rep": "Team", "cards": 3, "listening": 3.0, "trust": 4.0, "problem_solving": 4.0,
         "responsiveness": 3.0},
    ]  # fmt: skip


def test_coaching_notes_round_trip(db):
    coaching.save_coaching_note(db, "Ann", D(2026, 5, 1), "  Work on multi-threading.  ")
    coaching.save_coaching_note(db, "Ann", D(2026, 6, 1), "Good discovery calls.")
    coaching.save_coaching_note(db, "Ben", D(2026, 6, 1), "Ramp check-in.")
    notes = coaching.coaching_notes(db, "Ann")[["note_date", "note"]]
    assert [(d.date(), n) for d, n in notes.itertuples(index=False)] == [
        (D(2026, 6, 1), "Good discovery calls."),
        (D(2026, 5, 1), "Work on multi-threading."),
    ]
    with pytest.raises(ValueError, match="empty"):
        coaching.save_coaching_note(db, "Ann", D(2026, 6, 1), "   ")
