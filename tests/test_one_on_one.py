"""One-on-one tiles: a rep against their own prior quarter and against the team, by hand."""

from __future__ import annotations

from datetime import date

import pytest

from spm.metrics import one_on_one

D = date
SNAP = D(2026, 10, 1)
# (id, owner, stage, amount, created, close)
DEALS = [
    ("A1", "Ann", "Closed Won", 6000, D(2026, 6, 1), D(2026, 7, 11)),  # 40 days
    ("A2", "Ann", "Closed Won", 4000, D(2026, 7, 1), D(2026, 8, 20)),  # 50 days
    ("A3", "Ann", "Closed Lost", 1000, D(2026, 7, 1), D(2026, 8, 1)),
    ("A4", "Ann", "Closed Won", 5000, D(2026, 4, 1), D(2026, 5, 1)),  # Q2, 30 days
    ("A5", "Ann", "Closed Lost", 2000, D(2026, 4, 1), D(2026, 5, 10)),  # Q2
    ("B1", "Ben", "Closed Won", 20000, D(2026, 5, 1), D(2026, 7, 31)),  # 91 days
    ("B2", "Ben", "Closed Lost", 1000, D(2026, 6, 1), D(2026, 7, 5)),
    ("B3", "Ben", "Closed Lost", 1000, D(2026, 6, 1), D(2026, 8, 5)),
    ("B4", "Ben", "Closed Lost", 1000, D(2026, 6, 1), D(2026, 9, 5)),
    ("C1", "Cid", "Closed Lost", 3000, D(2026, 6, 1), D(2026, 9, 1)),
]


@pytest.fixture
def db(con):
    con.executemany(
        "INSERT INTO opportunity_snapshot_rows (load_id, as_of, opportunity_id, owner, stage,"
        " amount, created_date, close_date) VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
        [(SNAP, *d) for d in DEALS],
    )
    con.executemany(
        "INSERT INTO rep_rows (load_id, rep, team, hire_date, ramp_months)"
        " VALUES (1, ?, 'T', ?, 6)",
        [("Ann", D(2026, 6, 15)), ("Ben", D(2020, 1, 1)), ("Cid", D(2020, 1, 1))],
    )
    con.executemany(
        "INSERT INTO quota_rows (load_id, rep, month, type, amount)"
        " VALUES (1, ?, ?, 'total', 10000)",
        [(r, D(2026, m, 1)) for r in ("Ann", "Ben", "Cid") for m in range(4, 10)],
    )
    return con


def test_kpi_tiles_against_prior_quarter_and_team(db):
    tiles = one_on_one.kpi_tiles(db, "Ann", "2026-Q3")
    got = tiles[["metric", "value", "prior", "change", "team_median", "percentile"]]
    expected = [
        ("bookings", 10000, 5000, 5000, 10000, 0.5),
        ("attainment", 1 / 3, 1 / 6, 1 / 6, 1 / 3, 0.5),
        ("won", 2, 1, 1, 1, 1.0),
        ("win_rate", 2 / 3, 1 / 2, 1 / 6, 0.25, 1.0),
        ("ads", 5000, 5000, 0, 12500, 0.0),
        ("cycle_days", 45, 30, 15, 68, 1.0),
        ("coverage", 0.0, 0.0, 0.0, 0.0, 0.5),
    ]
    assert [tuple(r) for r in got.itertuples(index=False)] == [
        (m, *[pytest.approx(x) for x in rest]) for m, *rest in expected
    ]
    assert tiles.attrs["prior_period"] == "2026-Q2"


def test_strengths_and_weaknesses_and_ramp_month(db):
    tiles = one_on_one.kpi_tiles(db, "Ann", "2026-Q3")
    verdicts = one_on_one.strengths_and_weaknesses(tiles)
    assert dict(zip(verdicts["metric"], verdicts["verdict"], strict=True)) == {
        "won": "strength",
        "win_rate": "strength",
        "cycle_days": "strength",
        "bookings": "middle",
        "attainment": "middle",
        "coverage": "middle",
        "ads": "weakness",
    }
    profile = one_on_one.rep_profile(db, "Ann")
    assert profile["team"] == "T"
    assert one_on_one.ramp_month(profile, D(2026, 10, 1)) == 5
    assert one_on_one.ramp_month({}, D(2026, 10, 1)) is None
