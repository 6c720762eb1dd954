"""Pipeline waterfall: one hand-made deal per bucket, filters, windows, and the exact identity."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spm import store, waterfall

S_EARLY, S0, S1 = date(2026, 5, 31), date(2026, 6, 29), date(2026, 9, 28)
P = "2026-Q3"  # 2026-07-01 .. 2026-09-30

OPEN, COMMIT, WON, LOST = "Prospecting", "Negotiation/Review", "Closed Won", "Closed Lost"

# (as_of, id, owner, amount, stage, close_date, forecast_category)
DEALS = [
    (S_EARLY, "K1", "ana", 90, OPEN, "2026-08-01", None),  # only for the --from window
    # start pipeline, still open in P: K1 unchanged, I1 up, D1 down
    (S0, "K1", "ana", 100, OPEN, "2026-08-01", None),
    (S1, "K1", "ana", 100, OPEN, "2026-08-01", None),
    (S0, "I1", "ana", 200, OPEN, "2026-08-02", None),
    (S1, "I1", "ana", 250, COMMIT, "2026-08-02", None),
    (S0, "D1", "ana", 300, OPEN, "2026-08-03", None),
    (S1, "D1", "ana", 240, OPEN, "2026-09-03", None),  # re-dated inside P
    # start pipeline, won in P at a higher amount
    (S0, "W1", "ana", 400, COMMIT, "2026-09-01", None),
    (S1, "W1", "ana", 450, WON, "2026-08-20", None),
    # start pipeline, lost with a close date after P: still "lost" at the start amount
    (S0, "L1", "ana", 500, OPEN, "2026-09-10", None),
    (S1, "L1", "ana", 520, LOST, "2026-10-15", None),
    # start pipeline, pushed out: open in Q4, and won in Q4
    (S0, "P1", "ana", 600, OPEN, "2026-09-15", None),
    (S1, "P1", "ana", 650, OPEN, "2026-11-15", None),
    (S0, "P2", "ana", 700, COMMIT, "2026-09-20", None),
    (S1, "P2", "ana", 700, WON, "2026-10-05", None),
    # start pipeline, removed: deleted from the CRM, and set Omitted
    (S0, "R1", "ana", 800, OPEN, "2026-09-25", None),
    (S0, "R2", "ana", 900, OPEN, "2026-09-26", None),
    (S1, "R2", "ana", 900, OPEN, "2026-09-26", "Omitted"),
    # start pipeline of ana, handed to ben
    (S0, "O1", "ana", 210, OPEN, "2026-07-20", None),
    (S1, "O1", "ben", 210, OPEN, "2026-07-20", None),
    # created: still open, won, lost; Z1 belongs to an owner outside the reps file
    (S1, "C1", "ben", Decimal("110.55"), OPEN, "2026-09-30", None),
    (S1, "C2", "ben", 120, WON, "2026-07-05", None),
    (S1, "C3", "ben", 130, LOST, "2026-07-06", None),
    (S1, "Z1", "zed", 50, OPEN, "2026-07-07", None),
    # pulled in: from Q4, from Omitted, reopened after a loss
    (S0, "U1", "ben", 140, OPEN, "2026-12-01", None),
    (S1, "U1", "ben", 150, OPEN, "2026-09-01", None),
    (S0, "U2", "ben", 160, OPEN, "2026-08-01", "Omitted"),
    (S1, "U2", "ben", 170, OPEN, "2026-08-01", "Best Case"),
    (S0, "U3", "ben", 180, LOST, "2026-07-02", None),
    (S1, "U3", "ben", 190, OPEN, "2026-09-02", None),
    # never in the waterfall: open outside P in both, lost before P
    (S0, "X1", "ana", 999, OPEN, "2027-01-15", None),
    (S1, "X1", "ana", 999, OPEN, "2027-01-15", None),
    (S1, "X2", "ben", 777, LOST, "2026-06-15", None),
]
REPS = [("ana", "East"), ("ben", "East")]


def load(con, deals=DEALS, reps=REPS) -> None:
    """Insert snapshot rows and reps (load id 1) into a fresh database."""
    con.executemany(
        "INSERT INTO opportunity_snapshot_rows (load_id, as_of, opportunity_id, name, owner,"
        " amount, stage, close_date, forecast_category) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(a, i, f"Deal {i}", o, amt, s, c, fc) for a, i, o, amt, s, c, fc in deals],
    )
    con.executemany("INSERT INTO rep_rows (load_id, rep, team) VALUES (1, ?, ?)", reps)


@pytest.fixture
def db(con):
    load(con)
    return con


def _totals(**values: float) -> dict:
    return {name: values.get(name, 0.0) for name in waterfall.COLUMNS}


ALL = _totals(
    start=4710.0, created=410.55, pulled_in=510.0, increased=100.0, decreased=60.0, won=570.0,
    lost=630.0, pushed_out=1300.0, removed=1700.0, end=1470.55,
)  # fmt: skip


def test_one_deal_in_every_bucket(db):
    df = waterfall.waterfall(db, P)
    assert df.to_dict("records") == [ALL]
    assert (df.attrs["s0"], df.attrs["s1"]) == (S0, S1)


def test_identity_is_exact_in_decimals(db):
    t = waterfall.totals_exact(db, P)
    assert t == {
        "start": Decimal("4710.00"), "created": Decimal("410.55"), "pulled_in": Decimal("510.00"),
        "increased": Decimal("100.00"), "decreased": Decimal("60.00"), "won": Decimal("570.00"),
        "lost": Decimal("630.00"), "pushed_out": Decimal("1300.00"),
        "removed": Decimal("1700.00"), "end": Decimal("1470.55"),
    }  # fmt: skip
    assert _identity(t) == t["end"]


def test_deals_per_bucket(db):
    rows = waterfall.waterfall_deals(db, P)
    got = sorted(zip(rows["bucket"], rows["opportunity_id"], rows["amount"], strict=True))
    assert got == sorted(
        [
            ("start", "K1", 100.0), ("start", "I1", 200.0), ("start", "D1", 300.0),
            ("start", "W1", 400.0), ("start", "L1", 500.0), ("start", "P1", 600.0),
            ("start", "P2", 700.0), ("start", "R1", 800.0), ("start", "R2", 900.0),
            ("start", "O1", 210.0),
            ("created", "C1", 110.55), ("created", "C2", 120.0), ("created", "C3", 130.0),
            ("created", "Z1", 50.0),
            ("pulled_in", "U1", 150.0), ("pulled_in", "U2", 170.0), ("pulled_in", "U3", 190.0),
            ("increased", "I1", 50.0), ("increased", "W1", 50.0),
            ("decreased", "D1", 60.0),
            ("won", "W1", 450.0), ("won", "C2", 120.0),
            ("lost", "L1", 500.0), ("lost", "C3", 130.0),
            ("pushed_out", "P1", 600.0), ("pushed_out", "P2", 700.0),
            ("removed", "R1", 800.0), ("removed", "R2", 900.0),
            ("end", "K1", 100.0), ("end", "I1", 250.0), ("end", "D1", 240.0),
            ("end", "C1", 110.55), ("end", "U1", 150.0), ("end", "U2", 170.0),
            ("end", "U3", 190.0), ("end", "O1", 210.0), ("end", "Z1", 50.0),
        ]
    )  # fmt: skip
    r1 = rows[(rows["bucket"] == "removed") & (rows["opportunity_id"] == "R1")]
    assert r1[["owner", "team", "amount_s0", "stage_s0"]].to_dict("records") == [
        {"owner": "ana", "team": "East", "amount_s0": 800.0, "stage_s0": OPEN}
    ]
    assert r1["amount_s1"].isna().all() and r1["stage_s1"].isna().all()


def test_team_and_rep_filters(db):
    east = _totals(
        start=4710.0, created=360.55, pulled_in=510.0, increased=100.0, decreased=60.0,
        won=570.0, lost=630.0, pushed_out=1300.0, removed=1700.0, end=1420.55,
    )  # fmt: skip
    assert waterfall.waterfall(db, P, team="East").to_dict("records") == [east]
    # a deal handed from ana to ben leaves ana as removed and enters ben's as pulled in
    ana = _totals(
        start=4710.0, increased=100.0, decreased=60.0, won=450.0, lost=500.0, pushed_out=1300.0,
        removed=1910.0, end=590.0,
    )  # fmt: skip
    ben = _totals(created=360.55, pulled_in=720.0, won=120.0, lost=130.0, end=830.55)
    assert waterfall.waterfall(db, P, rep="ana").to_dict("records") == [ana]
    assert waterfall.waterfall(db, P, rep="ben").to_dict("records") == [ben]
    assert waterfall.waterfall(db, P, team="(no team)").to_dict("records") == [
        _totals(created=50.0, end=50.0)
    ]
    assert waterfall.waterfall(db, P, team="West").to_dict("records") == [_totals()]


def test_window_follows_the_spec_and_the_overrides(db):
    w = waterfall.window(db, P)
    assert (w.period.label, w.s0, w.s1) == (P, S0, S1)
    w = waterfall.window(db, P, start=date(2026, 6, 28))
    assert (w.s0, w.s1) == (S_EARLY, S1)
    w = waterfall.window(db, P, as_of=date(2026, 9, 1))
    assert (w.s0, w.s1) == (S0, S0)
    # From the early snapshot (only K1, at 90): I1, D1 and W1 did not exist yet.
    df = waterfall.waterfall(db, P, start=date(2026, 6, 1), rep="ana")
    assert df.to_dict("records") == [
        _totals(start=90.0, created=940.0, increased=10.0, won=450.0, end=590.0)
    ]


def test_window_errors_say_what_is_missing(db):
    with pytest.raises(waterfall.WaterfallError, match="needs two snapshots"):
        waterfall.window(db, "2026-Q1")
    with pytest.raises(waterfall.WaterfallError, match="after the end snapshot"):
        waterfall.window(db, P, as_of=date(2026, 6, 1), start=date(2026, 6, 30))


def test_steps_float_each_bar_from_the_running_total(db):
    steps = waterfall.steps(waterfall.waterfall(db, P, rep="ben"))
    assert steps[["bucket", "base", "top", "kind"]].to_dict("records") == [
        {"bucket": "start", "base": 0.0, "top": 0.0, "kind": "pipeline"},
        {"bucket": "created", "base": 0.0, "top": 360.55, "kind": "added"},
        {"bucket": "pulled_in", "base": 360.55, "top": 1080.55, "kind": "added"},
        {"bucket": "increased", "base": 1080.55, "top": 1080.55, "kind": "added"},
        {"bucket": "decreased", "base": 1080.55, "top": 1080.55, "kind": "taken out"},
        {"bucket": "won", "base": 960.55, "top": 1080.55, "kind": "taken out"},
        {"bucket": "lost", "base": 830.55, "top": 960.55, "kind": "taken out"},
        {"bucket": "pushed_out", "base": 830.55, "top": 830.55, "kind": "taken out"},
        {"bucket": "removed", "base": 830.55, "top": 830.55, "kind": "taken out"},
        {"bucket": "end", "base": 0.0, "top": 830.55, "kind": "pipeline"},
    ]
    spec = waterfall.chart(waterfall.waterfall(db, P), selected="won").to_dict()
    assert spec["encoding"]["y2"]["field"] == "top"
    assert {t["field"] for t in spec["encoding"]["tooltip"]} == {"label", "amount", "description"}


# --- the identity for any data ---------------------------------------------------------------


def _identity(t: dict) -> Decimal:
    return (
        t["start"] + t["created"] + t["pulled_in"] + t["increased"] - t["decreased"] - t["won"]
        - t["lost"] - t["pushed_out"] - t["removed"]
    )  # fmt: skip


CLOSES = [None, "2026-06-30", "2026-07-01", "2026-08-15", "2026-09-30", "2026-10-01"]
STAGES = [OPEN, COMMIT, WON, LOST]
CATEGORIES = [None, None, "Omitted", "Best Case"]

side = st.one_of(
    st.none(),  # absent from this snapshot (not created yet, or deleted)
    st.tuples(
        st.sampled_from(["ana", "ben", "zed"]),
        st.one_of(st.none(), st.decimals(0, 99999, places=2, allow_nan=False)),
        st.sampled_from(STAGES),
        st.sampled_from(CLOSES),
        st.sampled_from(CATEGORIES),
    ),
)


def _oracle(deals: list, team_of: dict, keep) -> dict[str, Decimal]:  # noqa: ANN001
    """Bucket totals straight from the SPEC table, deal by deal (the reference)."""
    lo, hi = date(2026, 7, 1), date(2026, 10, 1)
    out = dict.fromkeys(waterfall.COLUMNS, Decimal(0))
    for before, after in deals:
        a0 = Decimal(before[1] or 0) if before else None
        a1 = Decimal(after[1] or 0) if after else None

        def state(row):  # noqa: ANN001, ANN202
            _, _, stage, close, cat = row
            closed, won = stage in (WON, LOST), stage == WON
            category = cat or {WON: "Closed", LOST: "Omitted", COMMIT: "Commit"}.get(
                stage, "Pipeline"
            )
            in_p = close is not None and lo <= date.fromisoformat(close) < hi
            return closed, won, category, in_p

        in_s0 = False
        if before and keep(before[0]):
            closed, _, cat, in_p = state(before)
            in_s0 = not closed and cat != "Omitted" and in_p
        if after and keep(after[0]):
            closed, won, cat, in_p = state(after)
            open_ = not closed and cat != "Omitted"
            omitted = not closed and cat == "Omitted"
            lost = closed and not won
        else:
            closed = won = open_ = omitted = lost = in_p = False
            after = None
        if in_s0:
            out["start"] += a0
            if after is None or omitted:
                out["removed"] += a0
            elif lost:
                out["lost"] += a0
            elif in_p:
                out["increased" if a1 > a0 else "decreased"] += abs(a1 - a0)
            else:
                out["pushed_out"] += a0
        elif after is not None and in_p and (open_ or closed):
            out["pulled_in" if before else "created"] += a1
            if lost:
                out["lost"] += a1
        if after is not None and in_p and won:
            out["won"] += a1
        if after is not None and in_p and open_:
            out["end"] += a1
    return out


MEMORY = store.connect(":memory:")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pairs=st.lists(st.tuples(side, side), max_size=10))
def test_identity_holds_for_any_snapshot_pair(pairs):
    con = MEMORY
    con.execute("DELETE FROM opportunity_snapshot_rows")
    con.execute("DELETE FROM rep_rows")
    # a deal outside P in every snapshot keeps all three snapshot dates present
    rows = [(d, "seed", "ana", 1, OPEN, "2027-01-01", None) for d in (S_EARLY, S0, S1)]
    for n, (before, after) in enumerate(pairs):
        for as_of, row in ((S0, before), (S1, after)):
            if row:
                rows.append((as_of, f"D{n}", *row))
    load(con, rows, [("ana", "East"), ("ben", "West")])
    team_of = {"ana": "East", "ben": "West", "zed": "(no team)"}
    deals = [(b, a) for b, a in pairs]
    for team, rep, keep in (
        (None, None, lambda o: True),
        ("East", None, lambda o: team_of[o] == "East"),
        (None, "ben", lambda o: o == "ben"),
        ("(no team)", None, lambda o: team_of[o] == "(no team)"),
    ):
        t = waterfall.totals_exact(con, P, team=team, rep=rep, start=S0 + timedelta(days=1))
        assert _identity(t) == t["end"]
        assert all(v >= 0 for v in t.values())
        assert t == _oracle(deals, team_of, keep)
        per_deal = waterfall.waterfall_deals(con, P, team=team, rep=rep, start=S0)
        for name in waterfall.COLUMNS:
            amounts = per_deal.loc[per_deal["bucket"] == name, "amount"]
            assert sum((Decimal(str(a)) for a in amounts), Decimal(0)) == t[name]
