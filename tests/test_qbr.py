"""QBR rear-view: surprises, the attainment diagnosis, win/loss, accounts, plan vs actual with
notes, the export pack and the CLI reports — on hand-made databases with hand-written figures."""

from __future__ import annotations

import io
import json
import math
import zipfile
from datetime import date
from html.parser import HTMLParser

import pandas as pd
import pytest

from spm import cli, qbr, store
from tests.test_waterfall import load as load_waterfall

NA = math.nan
P = "2026-Q3"
T = date(2026, 10, 5)  # one snapshot after the quarter closed

# (id, owner, amount, stage, close, created, product, type, region, reason, competitor, account)
DEALS = [
    (
        "A1",
        "ana",
        100,
        "Closed Won",
        "2026-07-10",
        "2026-06-10",
        "Core",
        "new",
        "North",
        None,
        None,
        "Acme",
    ),  # noqa: E501
    (
        "A2",
        "ana",
        50,
        "Closed Lost",
        "2026-08-01",
        "2026-07-01",
        "Core",
        "new",
        "North",
        "Price",
        "Vantora",
        "Beta",
    ),  # noqa: E501
    (
        "A3",
        "ana",
        30,
        "Closed Lost",
        "2026-08-15",
        "2026-07-15",
        "Support",
        "new",
        "North",
        " timing ",
        None,
        None,
    ),  # noqa: E501
    (
        "B1",
        "ben",
        200,
        "Closed Won",
        "2026-09-01",
        "2026-06-03",
        "Support",
        "existing",
        "South",
        None,
        None,
        "Acme",
    ),  # noqa: E501
    (
        "B2",
        "ben",
        80,
        "Closed Lost",
        "2026-09-20",
        "2026-08-01",
        "Core",
        "existing",
        "South",
        "price",
        "Helixly",
        None,
    ),  # noqa: E501
    (
        "C1",
        "cat",
        60,
        "Closed Won",
        "2026-08-20",
        "2026-08-10",
        "Core",
        None,
        None,
        None,
        None,
        "Gamma",
    ),  # noqa: E501
    (
        "H0",
        "ana",
        80,
        "Closed Won",
        "2024-05-01",
        "2024-03-01",
        "Core",
        "new",
        "North",
        None,
        None,
        "Acme",
    ),  # noqa: E501
    (
        "H1",
        "ana",
        300,
        "Closed Won",
        "2026-03-15",
        "2026-01-15",
        "Core",
        "new",
        "North",
        None,
        None,
        "Acme",
    ),  # noqa: E501
    (
        "H2",
        "ben",
        100,
        "Closed Won",
        "2026-05-10",
        "2026-03-10",
        "Support",
        "existing",
        "South",
        None,
        None,
        None,
    ),  # noqa: E501
    (
        "X1",
        "ana",
        999,
        "Negotiation/Review",
        "2026-09-25",
        "2026-08-01",
        "Core",
        "new",
        "North",
        None,
        None,
        None,
    ),  # noqa: E501
    (
        "Y1",
        "cat",
        70,
        "Closed Won",
        "2026-10-02",
        "2026-09-01",
        "Core",
        "new",
        "South",
        None,
        None,
        None,
    ),  # noqa: E501
]
# (rep, team, role, region)
REPS = [("ana", "East", "hunter", "North"), ("ben", "East", "farmer", "South"),
        ("cat", "West", "hunter", "South")]  # fmt: skip
QUOTA_PER_MONTH = {"ana": 50, "ben": 100, "cat": 30}
# (account, in_target_profile, onboarded_to_standard, paid_assessment, first_won_date)
ACCOUNTS = [
    ("Acme", True, True, False, "2024-05-01"),
    ("Beta", None, None, None, "2025-01-01"),
    ("Gamma", None, False, None, None),  # first won from its deals: C1 in 2026-08
    ("Delta", True, True, True, "2026-02-01"),
    ("Echo", True, True, True, None),  # never won: in neither group
]
# (date, rep, kind, account)
ACTIVITIES = [
    *[(d, "ana", "qbr", "Acme") for d in ("2025-11-01", "2026-02-01", "2026-05-01", "2026-08-01")],
    *[(d, "ana", "QBR", "Beta") for d in ("2025-09-15", "2025-12-01", "2026-03-01", "2026-06-01")],
    ("2026-08-01", "cat", "assessment", "Gamma"),
    ("2026-08-02", "cat", "meeting", "Gamma"),
]


def _load(con, accounts: bool = True) -> None:
    con.executemany(
        "INSERT INTO opportunity_snapshot_rows (load_id, as_of, opportunity_id, owner, amount,"
        " stage, close_date, created_date, product, type, region, loss_reason, competitor,"
        " account) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(T, *d) for d in DEALS],
    )
    con.executemany(
        "INSERT INTO rep_rows (load_id, rep, team, role, region) VALUES (1, ?, ?, ?, ?)", REPS
    )
    con.executemany(
        "INSERT INTO quota_rows VALUES (1, ?, ?, 'total', ?)",
        [(r, f"2026-{m:02d}-01", q) for r, q in QUOTA_PER_MONTH.items() for m in (7, 8, 9)],
    )
    if accounts:
        con.executemany(
            "INSERT INTO account_rows (load_id, account, in_target_profile, onboarded_to_standard,"
            " paid_assessment, first_won_date) VALUES (1, ?, ?, ?, ?, ?)",
            ACCOUNTS,
        )
        con.executemany(
            "INSERT INTO activity_rows (load_id, date, rep, kind, account) VALUES (1, ?, ?, ?, ?)",
            ACTIVITIES,
        )


@pytest.fixture
def db(con):
    _load(con)
    return con


@pytest.fixture
def wf(con):
    load_waterfall(con)
    return con


def _approx(rows: list[dict]) -> list:
    return [pytest.approx(r, nan_ok=True) for r in rows]


# --- surprises -------------------------------------------------------------------------------


def test_surprises_are_wins_missing_from_the_start_pipeline(wf):
    # won in Q3: W1 450 (in the start pipeline), C2 120 (created during the quarter)
    assert qbr.surprises(wf, P).to_dict("records") == _approx(
        [{"bookings": 570.0, "surprise_bookings": 120.0, "surprise_share": 120 / 570,
          "surprise_deals": 1}]
    )  # fmt: skip
    assert qbr.surprises_by_rep(wf, P).to_dict("records") == _approx(
        [
            {"rep": "ben", "team": "East", "bookings": 120.0, "surprise_bookings": 120.0,
             "surprise_share": 1.0, "won_deals": 1, "surprise_deals": 1},
            {"rep": "ana", "team": "East", "bookings": 450.0, "surprise_bookings": 0.0,
             "surprise_share": 0.0, "won_deals": 1, "surprise_deals": 0},
        ]
    )  # fmt: skip


def test_surprises_without_wins(wf):
    assert qbr.surprises(wf, P, team="West").to_dict("records") == _approx(
        [{"bookings": 0.0, "surprise_bookings": 0.0, "surprise_share": NA, "surprise_deals": 0}]
    )
    assert qbr.surprises_by_rep(wf, P, team="West").empty


def test_surprises_match_the_waterfall_won_bucket(wf):
    deals = qbr.waterfall.waterfall_deals(wf, P)
    won = set(deals.loc[deals["bucket"] == "won", "opportunity_id"])
    started = set(deals.loc[deals["bucket"] == "start", "opportunity_id"])
    assert won - started == {"C2"}
    assert qbr.surprises(wf, P)["surprise_deals"].tolist() == [len(won - started)]


# --- attainment and its diagnosis ------------------------------------------------------------


@pytest.mark.parametrize(
    ("team", "reps", "case"),
    [
        (1.05, [1.6, 0.9, 0.8], "team_only"),  # one star carries the team
        (0.95, [1.1, 1.05, 0.2], "reps_only"),
        (1.10, [1.2, 1.1, 0.7], "both"),
        (0.70, [1.2, 0.6, 0.5, 0.4], "neither"),
        (1.00, [1.0, 1.0, 0.99, 0.5], "team_only"),  # half is not "most"
        (NA, [NA, NA], "no_quota"),
        (1.2, [], "no_quota"),
    ],
)
def test_diagnosis_cases(team, reps, case):
    assert qbr.diagnose(team, reps).case == case


def test_diagnosis_words():
    d = qbr.diagnose(1.05, [1.6, 0.9, 0.8, NA])
    assert d == qbr.Diagnosis(
        "team_only",
        "Team made budget, most reps did not",
        "1 of 3 reps made quota; the team is at 105%. Individual quotas are probably too high, "
        "or too concentrated: the number rests on a few reps. Review how quota is spread "
        "before next quarter.",
    )
    assert "under-assigned" in qbr.diagnose(0.9, [1.1, 1.2, 0.1]).text


def test_attainment_per_rep(db):
    assert qbr.attainment(db, P).to_dict("records") == _approx(
        [
            {"rep": "ana", "team": "East", "won": 1, "bookings": 100.0, "quota": 150.0,
             "attainment": 100 / 150, "made_quota": False},
            {"rep": "ben", "team": "East", "won": 1, "bookings": 200.0, "quota": 300.0,
             "attainment": 200 / 300, "made_quota": False},
            {"rep": "cat", "team": "West", "won": 1, "bookings": 60.0, "quota": 90.0,
             "attainment": 60 / 90, "made_quota": False},
        ]
    )  # fmt: skip


# --- win / loss ------------------------------------------------------------------------------


def test_win_loss_in_total_by_product_and_by_rep(db):
    rows = qbr.win_loss(db, P)
    assert rows.to_dict("records") == _approx(
        [
            {"dimension": "total", "value": "all", "won": 3, "lost": 3, "win_rate": 0.5,
             "won_amount": 360.0, "lost_amount": 160.0, "value_win_rate": 360 / 520,
             "cycle_days": 130 / 3, "cycle_median_days": 30.0},
            {"dimension": "product", "value": "Support", "won": 1, "lost": 1, "win_rate": 0.5,
             "won_amount": 200.0, "lost_amount": 30.0, "value_win_rate": 200 / 230,
             "cycle_days": 90.0, "cycle_median_days": 90.0},
            {"dimension": "product", "value": "Core", "won": 2, "lost": 2, "win_rate": 0.5,
             "won_amount": 160.0, "lost_amount": 130.0, "value_win_rate": 160 / 290,
             "cycle_days": 20.0, "cycle_median_days": 20.0},
            {"dimension": "rep", "value": "ben", "won": 1, "lost": 1, "win_rate": 0.5,
             "won_amount": 200.0, "lost_amount": 80.0, "value_win_rate": 200 / 280,
             "cycle_days": 90.0, "cycle_median_days": 90.0},
            {"dimension": "rep", "value": "ana", "won": 1, "lost": 2, "win_rate": 1 / 3,
             "won_amount": 100.0, "lost_amount": 80.0, "value_win_rate": 100 / 180,
             "cycle_days": 30.0, "cycle_median_days": 30.0},
            {"dimension": "rep", "value": "cat", "won": 1, "lost": 0, "win_rate": 1.0,
             "won_amount": 60.0, "lost_amount": 0.0, "value_win_rate": 1.0,
             "cycle_days": 10.0, "cycle_median_days": 10.0},
        ]
    )  # fmt: skip
    west = qbr.win_loss(db, P, team="West")
    assert west[["dimension", "value", "won", "lost"]].to_dict("records") == [
        {"dimension": "total", "value": "all", "won": 1, "lost": 0},
        {"dimension": "product", "value": "Core", "won": 1, "lost": 0},
        {"dimension": "rep", "value": "cat", "won": 1, "lost": 0},
    ]


def test_loss_reasons_competitors_and_the_price_callout(db):
    rows = qbr.losses(db, P)
    assert rows.to_dict("records") == _approx(
        [
            {"dimension": "reason", "value": "price", "deals": 2, "amount": 130.0,
             "share_of_deals": 2 / 3, "share_of_value": 130 / 160},
            {"dimension": "reason", "value": "timing", "deals": 1, "amount": 30.0,
             "share_of_deals": 1 / 3, "share_of_value": 30 / 160},
            {"dimension": "competitor", "value": "Helixly", "deals": 1, "amount": 80.0,
             "share_of_deals": 1 / 3, "share_of_value": 80 / 160},
            {"dimension": "competitor", "value": "Vantora", "deals": 1, "amount": 50.0,
             "share_of_deals": 1 / 3, "share_of_value": 50 / 160},
            {"dimension": "competitor", "value": "(none named)", "deals": 1, "amount": 30.0,
             "share_of_deals": 1 / 3, "share_of_value": 30 / 160},
        ]
    )  # fmt: skip
    assert qbr.price_callout(rows) == (
        "Price: 67% of losses (81% of lost value) — price is often a symptom — check value selling."
    )


def test_price_callout_edge_cases():
    def reasons(**deals: int) -> pd.DataFrame:
        total = sum(deals.values())
        return pd.DataFrame(
            [{"dimension": "reason", "value": k, "deals": v, "amount": 10.0 * v,
              "share_of_deals": v / total, "share_of_value": v / total}
             for k, v in deals.items()]
        )  # fmt: skip

    assert qbr.price_callout(reasons(timing=3)) is None  # too few losses to judge
    assert qbr.price_callout(reasons(timing=6, competitor=4)) == (
        "None of 10 losses were on price: we are probably priced too low."
    )
    assert qbr.price_callout(reasons(price=2)).endswith(
        "Every loss was on price: we are priced too high or not showing value."
    )
    assert qbr.price_callout(pd.DataFrame(columns=["dimension", "value", "deals"])) is None


# --- accounts --------------------------------------------------------------------------------


def test_accounts_new_and_existing(db):
    assert qbr.accounts_health(db, P).to_dict("records") == _approx(
        [
            {"group": "new", "measure": "paid assessment", "accounts": 2, "yes": 2,
             "unknown": 0, "share": 1.0},
            {"group": "new", "measure": "in target profile", "accounts": 2, "yes": 1,
             "unknown": 1, "share": 0.5},
            {"group": "new", "measure": "onboarded to standard", "accounts": 2, "yes": 1,
             "unknown": 0, "share": 0.5},
            {"group": "existing", "measure": "≥ 4 customer QBRs in the year", "accounts": 2,
             "yes": 1, "unknown": 0, "share": 0.5},
            {"group": "existing", "measure": "bought a new offering", "accounts": 2, "yes": 1,
             "unknown": 0, "share": 0.5},
            {"group": "existing", "measure": "price increase", "accounts": 2, "yes": 1,
             "unknown": 0, "share": 0.5},
        ]
    )  # fmt: skip
    # with a filter only accounts with a deal of that team count: Gamma (cat, West)
    west = qbr.accounts_health(db, P, team="West")
    assert west[["group", "accounts", "yes"]].to_dict("records") == [
        {"group": "new", "accounts": 1, "yes": 1},
        {"group": "new", "accounts": 1, "yes": 0},
        {"group": "new", "accounts": 1, "yes": 0},
        {"group": "existing", "accounts": 0, "yes": 0},
        {"group": "existing", "accounts": 0, "yes": 0},
        {"group": "existing", "accounts": 0, "yes": 0},
    ]


def test_accounts_section_is_empty_without_an_accounts_file(con):
    _load(con, accounts=False)
    assert qbr.accounts_health(con, P).empty


# --- plan vs actual and notes ----------------------------------------------------------------

MIX = "quota × bookings mix of the 4 prior quarters"


def _plan(dimension: str, value: str, plan: float, actual: float, basis: str = MIX) -> dict:
    return {
        "dimension": dimension, "value": value, "plan": plan, "actual": actual,
        "variance": actual - plan, "variance_pct": actual / plan - 1, "basis": basis,
        "bucket": f"{dimension}: {value}", "note": None,
    }  # fmt: skip


def test_plan_vs_actual_by_bucket(db):
    rows = qbr.plan_vs_actual(db, P).drop(columns=["note_saved_at"])
    # team quota 540; history (2025-Q3..2026-Q2): H1 300 Core/North/new, H2 100
    # Support/South/existing, so each dimension splits the quota 3:1
    assert rows.to_dict("records") == _approx(
        [
            _plan("product", "Core", 405.0, 160.0),
            _plan("product", "Support", 135.0, 200.0),
            _plan("region", "North", 405.0, 100.0),
            _plan("region", "South", 135.0, 260.0),  # C1 has no region: cat's region
            _plan("type", "new", 405.0, 160.0),  # C1 has no type: cat is a hunter
            _plan("type", "existing", 135.0, 200.0),
            _plan("rep", "ben", 300.0, 200.0, "quota"),
            _plan("rep", "ana", 150.0, 100.0, "quota"),
            _plan("rep", "cat", 90.0, 60.0, "quota"),
        ]
    )


def test_plan_uses_typed_quotas_for_new_vs_existing(con):
    _load(con, accounts=False)
    con.execute("DELETE FROM quota_rows")
    con.executemany(
        "INSERT INTO quota_rows VALUES (1, ?, '2026-07-01', ?, ?)",
        [("ana", "new", 40), ("ben", "existing", 60)],
    )
    rows = qbr.plan_vs_actual(con, P)
    typed = rows[rows["dimension"] == "type"][["value", "plan", "actual", "basis"]]
    assert typed.to_dict("records") == [
        {"value": "existing", "plan": 60.0, "actual": 200.0, "basis": "typed quota"},
        {"value": "new", "plan": 40.0, "actual": 160.0, "basis": "typed quota"},
    ]


def test_notes_are_saved_and_the_latest_shows(db):
    qbr.save_note(db, P, "product: Core", "More Core demos")
    qbr.save_note(db, "2026-q3", "product: Core", "  Pair juniors on Core deals  ")
    rows = qbr.plan_vs_actual(db, P)
    assert rows.set_index("bucket")["note"].to_dict()["product: Core"] == (
        "Pair juniors on Core deals"
    )
    assert qbr.notes(db, P)[["bucket", "note"]].to_dict("records") == [
        {"bucket": "product: Core", "note": "Pair juniors on Core deals"},
        {"bucket": "product: Core", "note": "More Core demos"},
    ]
    # the filter is part of the key: a team's note does not leak into the whole-org view
    qbr.save_note(db, P, "team West · product: Core", "West only")
    west = qbr.plan_vs_actual(db, P, team="West").set_index("bucket")["note"].to_dict()
    assert west["team West · product: Core"] == "West only"
    for bad in ("", "   ", "x" * 2001):
        with pytest.raises(ValueError):
            qbr.save_note(db, P, "product: Core", bad)


# --- export pack -----------------------------------------------------------------------------


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.h2: list[str] = []
        self.tags: set[str] = set()
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):  # noqa: ANN001, ANN201
        self.tags.add(tag)
        self._in_h2 = tag == "h2"

    def handle_data(self, data):  # noqa: ANN001, ANN201
        if self._in_h2:
            self.h2.append(data)
            self._in_h2 = False


def _pack_db(con) -> None:
    _load(con)
    evil = [
        (date(2026, 6, 29), "E1", "ana", 70, "Prospecting", "2026-08-01", "=HYPERLINK(\"x\")",
         "<script>alert(1)</script>"),
        (T, "E1", "ana", 70, "Prospecting", "2026-08-01", "=HYPERLINK(\"x\")",
         "<script>alert(1)</script>"),
    ]  # fmt: skip
    con.executemany(
        "INSERT INTO opportunity_snapshot_rows (load_id, as_of, opportunity_id, owner, amount,"
        " stage, close_date, account, name) VALUES (2, ?, ?, ?, ?, ?, ?, ?, ?)",
        evil,
    )


def test_export_pack_holds_every_section_and_opens_offline(con):
    _pack_db(con)
    pack = qbr.build_pack(con, P)
    parser = _Html()
    parser.feed(pack.html)
    for heading in (
        "Bookings vs quota", "Attainment spread", "Pipeline waterfall",
        "Pipeline waterfall: chart", "Pipeline waterfall: deals", "Surprises",
        "Forecast accuracy", "Forecast calls vs actual", "Win / loss", "Loss reasons",
        "Loss reasons: price", "Competitors", "Sales cycle by product", "Accounts",
        "Plan vs actual",
    ):  # fmt: skip
        assert heading in parser.h2, heading
    assert "svg" in parser.tags  # charts are inline SVG
    assert "script" not in parser.tags  # nothing to fetch, nothing to run
    assert "src=" not in pack.html and "http://cdn" not in pack.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pack.html
    assert "qbrchart" not in pack.html  # every chart placeholder was replaced
    assert "price is often a symptom — check value selling" in pack.html


def test_export_zip_neutralises_formula_cells(con, tmp_path):
    _pack_db(con)
    pack = qbr.build_pack(con, P)
    paths = qbr.write_pack(pack, tmp_path / "out")
    assert [p.name for p in paths] == ["qbr_2026-q3.html", "qbr_2026-q3_tables.zip"]
    with zipfile.ZipFile(paths[1]) as z:
        names = set(z.namelist())
        assert {"waterfall.csv", "waterfall_deals.csv", "surprises.csv", "win_loss.csv",
                "loss_reasons.csv", "competitors.csv", "accounts.csv",
                "plan_vs_actual.csv"} <= names  # fmt: skip
        deals = pd.read_csv(io.BytesIO(z.read("waterfall_deals.csv")))
    e1 = deals[deals["opportunity_id"] == "E1"]
    assert e1["name"].unique().tolist() == ["<script>alert(1)</script>"]
    assert e1["account"].unique().tolist() == ['\'=HYPERLINK("x")']


# --- command line ----------------------------------------------------------------------------


def _cli(capsys, *argv: str) -> tuple[int, object]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, (json.loads(out.out) if code == 0 and "--format" in argv else out.err)


def test_cli_waterfall_surprises_and_win_loss(tmp_path, capsys):
    path = tmp_path / "cli.duckdb"
    con = store.connect(path)
    load_waterfall(con)
    con.close()
    db = str(path)
    code, records = _cli(capsys, "report", "waterfall", "--db", db, "--period", P,
                         "--format", "json")  # fmt: skip
    assert code == 0 and records == [
        {"start": 4710.0, "created": 410.55, "pulled_in": 510.0, "increased": 100.0,
         "decreased": 60.0, "won": 570.0, "lost": 630.0, "pushed_out": 1300.0,
         "removed": 1700.0, "end": 1470.55}
    ]  # fmt: skip
    code, records = _cli(capsys, "report", "waterfall", "--db", db, "--period", P, "--rep",
                         "ben", "--by-deal", "--format", "json")  # fmt: skip
    assert code == 0
    assert sorted((r["bucket"], r["opportunity_id"]) for r in records if r["bucket"] != "end") == [
        ("created", "C1"), ("created", "C2"), ("created", "C3"), ("lost", "C3"),
        ("pulled_in", "O1"), ("pulled_in", "U1"), ("pulled_in", "U2"), ("pulled_in", "U3"),
        ("won", "C2"),
    ]  # fmt: skip
    code, records = _cli(capsys, "report", "waterfall", "--db", db, "--period", P, "--from",
                         "2026-06-01", "--rep", "ana", "--format", "json")  # fmt: skip
    assert records[0]["start"] == 90.0
    code, records = _cli(capsys, "report", "surprises", "--db", db, "--period", P,
                         "--format", "json")  # fmt: skip
    assert code == 0 and records == [
        {"bookings": 570.0, "surprise_bookings": 120.0, "surprise_share": pytest.approx(120 / 570),
         "surprise_deals": 1}
    ]  # fmt: skip
    code, records = _cli(capsys, "report", "win-loss", "--db", db, "--period", P,
                         "--format", "json")  # fmt: skip
    assert code == 0 and records[0]["dimension"] == "total" and records[0]["won"] == 2


def test_cli_errors_are_one_line_with_exit_code_2(tmp_path, capsys):
    path = tmp_path / "cli.duckdb"
    con = store.connect(path)
    load_waterfall(con)
    con.close()
    code, err = _cli(capsys, "report", "waterfall", "--db", str(path), "--period", "2026-Q1")
    assert code == 2 and "needs two snapshots" in err and err.count("\n") == 1
    code, err = _cli(capsys, "report", "qbr", "--db", str(path), "--period", P)
    assert code == 2 and "--out DIR" in err


def test_cli_qbr_writes_the_pack(tmp_path, capsys):
    path = tmp_path / "cli.duckdb"
    con = store.connect(path)
    _pack_db(con)
    con.close()
    out = tmp_path / "pack"
    code = cli.main(["report", "qbr", "--db", str(path), "--period", P, "--out", str(out),
                     "--format", "json"])  # fmt: skip
    assert code == 0
    files = json.loads(capsys.readouterr().out)
    assert [f["file"] for f in files] == [
        str(out / "qbr_2026-q3.html"),
        str(out / "qbr_2026-q3_tables.zip"),
    ]
    assert all(f["bytes"] > 0 for f in files)


def test_default_period_is_the_last_closed_quarter(db):
    assert qbr.default_period(db) == "2026-Q3"  # latest snapshot 2026-10-05 is in Q4
