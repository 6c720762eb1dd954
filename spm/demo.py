"""Deterministic demo company modelled on the seeds (SPEC §7): Kelly's team and, scaled up, more.

Everything is drawn from one `numpy.random.default_rng(seed)` in a fixed order, so the same
(reps, years, seed, today) always writes the same table contents. Deals are simulated week by
week with vector updates across all deals (never a Python loop over deals), which keeps
`reps=1000, years=3` (about ten million snapshot rows) within a few minutes.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator

import duckdb
import numpy as np
import pandas as pd

from spm import store
from spm.periods import fiscal_year_of, fiscal_year_start

# --- the story -----------------------------------------------------------------------------

MANAGER = "Kelly Morgan"
TEAM = "Kelly's team"
DOMAIN = "contouriq.com"
RAMP_MONTHS = 6
TEAM_SIZE = 9

# Kelly's nine sellers, in PROFILE_PATTERN order: 2 top, 4 core, 1 struggler, 2 new hires.
KELLY_REPS = (
    "Maria Alvarez",
    "Tom Becker",
    "Priya Raman",
    "Greg Olsen",
    "Dana Kowalski",
    "Marcus Reed",
    "Linda Hayes",
    "Jordan Ellis",
    "Sam Patel",
)
PROFILE_PATTERN = ("top", "core", "new", "struggler", "core", "top", "core", "new", "core")
ROLE_PATTERN = ("hunter", "farmer", "hunter", "farmer", "hunter", "farmer", "farmer", "hunter")
ROLE_PATTERN += ("hunter",)

# profile -> (deal-creation rate, win probability, deal-size factor, target attainment);
# rate x win x size is proportional to the target so quotas can be shared across a team.
PROFILES: dict[str, tuple[float, float, float, float]] = {
    "top": (1.25, 0.33, 1.12, 1.30),
    "core": (1.00, 0.25, 1.00, 0.70),
    "struggler": (0.85, 0.18, 0.93, 0.40),
    "new": (1.00, 0.20, 0.90, 0.0),
}
PROFILE_NAMES = ("top", "core", "struggler", "new")
DEALS_PER_WEEK = 1.4  # a core rep's new opportunities per week at full ramp
GROWTH = 1.08  # yearly growth of deal flow and quotas
_FALLBACK_QUOTA = 52 / 12 * DEALS_PER_WEEK * PROFILES["core"][1] * 30_000 / PROFILES["core"][3]
WARM_UP = 300  # days of deal flow simulated before the first snapshot, to reach a steady state
ZOMBIE_SHARE = 0.04
EARLY_LOSS = 0.45  # share of losses that are disqualified before the close date
OWN_RECORD = 0.25  # weight of a rep's own history in their quota (vs the team's)

FIRST_NAMES = (
    "Aaron Abby Adam Alice Amir Ana Andre Angela Ben Beth Brian Carla Chen Chris Claire Dan "
    "Daniel Diego Elena Emma Eric Fatima Frank Grace Hannah Hugo Ian Irene Jack Jade Jamal "
    "Julia Kevin Laura Leo Lucy Mark Megan Mia Nadia Nathan Nina Omar Paula Peter Quinn Rachel "
    "Raj Rosa Ryan Sara Sean Sofia Steve Tara Tyler Uma Victor Wendy Zoe"
).split()
LAST_NAMES = (
    "Adams Baker Bennett Brooks Campbell Carter Chang Clark Collins Cooper Diaz Edwards Evans "
    "Fischer Foster Garcia Gordon Gray Green Hall Harris Hughes Jensen Johnson Khan Kim Larsen "
    "Lee Lopez Martin Meyer Miller Mitchell Moore Murphy Nguyen Novak Ortiz Parker Perez "
    "Phillips Price Rivera Roberts Rossi Russell Sanders Schmidt Scott Shah Silva Stewart "
    "Sullivan Taylor Turner Walker Ward Watson Young Zimmer"
).split()
ACCOUNT_STEMS = (
    "Acme Apex Arbor Atlas Beacon Birch Blue Bolt Cascade Cedar Cobalt Compass Crest Delta "
    "Ember Evergreen Falcon Fjord Granite Harbor Horizon Iron Juniper Keystone Lakeside Lumen "
    "Maple Meridian Summit Nimbus Northwind Oak Orion Pinnacle Prairie Quarry Redwood Ridge "
    "River Sable Sequoia Sierra Silver Spruce Sterling Stone Sun Tandem Titan Trident Union "
    "Vertex Vista Willow Zenith Aurora Bison Copper Drift Echo"
).split()
ACCOUNT_KINDS = (
    "Logistics Foods Health Manufacturing Energy Financial Labs Retail Media Insurance "
    "Telecom Builders Pharma Analytics Motors Dynamics Software Hospitality Freight Capital "
    "Systems Outfitters Utilities Medical Robotics Textiles Airlines Brewing Semiconductors "
    "Agritech"
).split()
ACCOUNT_FORMS = ("Inc.", "Group", "Holdings", "LLC", "Partners", "Co.")

REGIONS = ("Central", "East", "West")
# (name, typical amount, typical cycle in days, share of deals)
PRODUCTS = (
    ("Core Platform", 48_000.0, 110.0, 0.35),
    ("Analytics", 30_000.0, 80.0, 0.25),
    ("Services", 20_000.0, 55.0, 0.20),
    ("Support Plus", 14_000.0, 40.0, 0.20),
)
# (name, amount factor, cycle factor, share of accounts)
SEGMENTS = (
    ("SMB", 0.7, 0.7, 0.40),
    ("Mid-Market", 1.0, 1.0, 0.35),
    ("Enterprise", 1.5, 1.35, 0.25),
)
LEAD_SOURCES = ("self", "marketing", "executive", "partner")
LEAD_WEIGHTS = {"hunter": (0.35, 0.35, 0.10, 0.20), "farmer": (0.55, 0.15, 0.15, 0.15)}
LOSS_REASONS = ("price", "competitor", "no decision", "timing", "product fit")
LOSS_WEIGHTS = (0.34, 0.24, 0.20, 0.13, 0.09)
COMPETITORS = ("Vantora", "Helixly", "Brightpath", "Quantive")
COMPETITOR_WEIGHTS = (0.55, 0.20, 0.15, 0.10)  # the seeds: one very strong competitor
NEXT_STEPS = (
    "Schedule discovery call",
    "Demo with stakeholders",
    "Confirm budget with CFO",
    "Send proposal",
    "Security review",
    "Legal redlines",
    "Reference call",
    "Book executive sponsor meeting",
    "Mutual action plan review",
    "Follow up after pricing call",
)
STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
)
WON, LOST, DECIDED = 5, 6, 7  # DECIDED: closed, won or lost still to be assigned (_decide)
FORECAST_CATEGORIES = ("Pipeline", "Best Case", "Commit", "Closed", "Omitted")
STAGE_CATEGORY = np.array([0, 0, 0, 1, 2, 3, 4], dtype=np.int8)
ACTIVITY_KINDS = ("meeting", "call", "qbr", "joint_call", "assessment")
GOOD_COMMENTS = (
    "Always well prepared",
    "Understands our business",
    "Quick to answer our questions",
    "Brought good ideas to our QBR",
)
BAD_COMMENTS = (
    "Slow to respond",
    "Pushes product before understanding our needs",
    "We had to chase for the proposal",
)
CARD_BASE = {"top": 4.3, "core": 3.7, "struggler": 3.0, "new": 3.4}

ROWS_PER_INSERT = 2_000_000
EPOCH = dt.date(1970, 1, 1)


def build_demo(
    con: duckdb.DuckDBPyConnection,
    reps: int = 9,
    years: int = 2,
    seed: int = 7,
    today: dt.date | None = None,
) -> dict[str, int]:
    """Replace any previous demo data with a fresh demo company; return rows written per table."""
    if reps < 1 or years < 1:
        raise ValueError("reps and years must be at least 1")
    if today is None:
        today = dt.date.today()
    elif isinstance(today, dt.datetime):
        today = today.date()
    fsm = int(store.get_settings(con)["fiscal_year_start_month"])
    rng = np.random.default_rng(seed)

    team = _reps(rng, reps, _day(today), years)
    acct = _accounts(rng, team)
    deals = _deals(rng, team, acct, _day(today), years)
    snaps = _simulate(rng, deals, team, _day(today), years)
    quotas = _quotas(team, deals, _day(today), fsm, years)
    acct_frame = _account_frame(acct, deals)
    activities = _activities(rng, team, acct, deals, _day(today), years)
    cards = _report_cards(rng, team, acct, deals, _day(today), years)

    frames = {
        "reps": ("rep_rows", team["frame"]),
        "quotas": ("quota_rows", quotas),
        "accounts": ("account_rows", acct_frame),
        "activities": ("activity_rows", activities),
        "report_cards": ("report_card_rows", cards),
    }
    counts: dict[str, int] = {}
    with store.transaction(con):
        _clear_demo(con)
        n_snap = int(sum(len(s["idx"]) for s in snaps))
        load_id = store.register_load(
            con,
            "opportunities",
            source="demo:opportunities",
            content_hash=f"demo-{seed}-{reps}-{years}-{today}-opportunities",
            as_of=today,
            rows_loaded=n_snap,
            rows_rejected=0,
        )
        for frame in _snapshot_frames(load_id, snaps, deals, team, acct):
            store.insert_frame(con, "opportunity_snapshot_rows", frame)
        counts["opportunity_snapshot_rows"] = n_snap
        for kind, (table, frame) in frames.items():
            load_id = store.register_load(
                con,
                kind,
                source=f"demo:{kind}",
                content_hash=f"demo-{seed}-{reps}-{years}-{today}-{kind}",
                as_of=None,
                rows_loaded=len(frame),
                rows_rejected=0,
            )
            store.insert_frame(con, table, frame.assign(load_id=np.int32(load_id)))
            counts[table] = len(frame)
        store.bump_version(con)
    return counts


def _clear_demo(con: duckdb.DuckDBPyConnection) -> None:
    """Delete every row that belongs to a demo load (inside the caller's transaction)."""
    tables = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND (suffix(table_name, '_rows') OR table_name = 'rejects') "
        "ORDER BY 1"
    ).fetchall()
    demo = "SELECT load_id FROM loads WHERE source LIKE 'demo:%'"
    for (table,) in tables:
        con.execute(f'DELETE FROM "{table}" WHERE load_id IN ({demo})')  # noqa: S608
    con.execute("DELETE FROM loads WHERE source LIKE 'demo:%'")


# --- helpers -------------------------------------------------------------------------------


def _day(d: dt.date) -> int:
    """Return the date as days since 1970-01-01."""
    return (d - EPOCH).days


def _dates(days: np.ndarray) -> np.ndarray:
    """Return day numbers as a datetime64[s] array (the unit pandas keeps for dates)."""
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[s]")


def _month(days: np.ndarray) -> np.ndarray:
    """Return the month number (months since 1970-01) of each day number."""
    return (
        np.asarray(days, dtype=np.int64)
        .astype("datetime64[D]")
        .astype("datetime64[M]")
        .astype(np.int64)
    )


def _cat(codes: np.ndarray, categories: list[str] | tuple[str, ...]) -> pd.Categorical:
    """Return a categorical from integer codes (-1 = missing)."""
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int32), list(categories))


def _unique_names(
    first: list[str],
    second: list[str],
    n: int,
    taken: set[str],
    fmt: Callable[[str, str, int], str],
) -> list[str]:
    """Return `n` distinct names combining `first` and `second` (tier > 0 adds a variant)."""
    f, s = len(first), len(second)
    stride = 7 * f + 1  # coprime with len(second), so each (first, second) pair comes up once
    out: list[str] = []
    seen = set(taken)
    i = 0
    while len(out) < n:
        tier, j = divmod(i, f * s)
        q, r = divmod(j, f)
        name = fmt(first[r], second[(q * stride + 7 * r) % s], tier)
        if name not in seen:
            seen.add(name)
            out.append(name)
        i += 1
    return out


def _person(first: str, last: str, tier: int) -> str:
    """Return a person's name; later tiers add a middle initial, then a number."""
    if tier == 0:
        return f"{first} {last}"
    initial = chr(ord("A") + (tier - 1) % 26)
    suffix = "" if tier <= 26 else f" {tier // 26 + 1}"
    return f"{first} {initial}. {last}{suffix}"


def _company(stem: str, kind: str, tier: int) -> str:
    """Return a company name; later tiers add a legal form, then a number."""
    if tier == 0:
        return f"{stem} {kind}"
    form = ACCOUNT_FORMS[(tier - 1) % len(ACCOUNT_FORMS)]
    suffix = "" if tier <= len(ACCOUNT_FORMS) else f" {(tier - 1) // len(ACCOUNT_FORMS) + 1}"
    return f"{stem} {kind} {form}{suffix}"


def _email(name: str) -> str:
    """Return the work email address for a person's name."""
    return ".".join(p.strip(".").lower() for p in name.split()) + "@" + DOMAIN


# --- reps and accounts ---------------------------------------------------------------------


def _reps(rng: np.random.Generator, reps: int, today: int, years: int) -> dict:
    """Return rep names, attributes and parameter arrays plus the rep_rows frame."""
    n_teams = math.ceil(reps / TEAM_SIZE)
    team_of = (np.arange(reps) * n_teams) // reps
    team_start = np.searchsorted(team_of, np.arange(n_teams))
    pos = np.arange(reps) - team_start[team_of]
    in_kelly = team_of == 0
    taken = set(KELLY_REPS) | {MANAGER}
    generated = _unique_names(
        FIRST_NAMES, LAST_NAMES, int((~in_kelly).sum()) + n_teams - 1, taken, _person
    )
    n_other = int((~in_kelly).sum())
    names = [KELLY_REPS[p] for p in pos[in_kelly]] + generated[:n_other]
    managers = [MANAGER] + generated[n_other:]
    team_names, seen = [], set()
    for m in managers:
        label = "Kelly's team" if m == MANAGER else f"{m.split()[0]}'s team"
        if label in seen:
            label = f"{m}'s team"
        seen.add(label)
        team_names.append(label)

    profile = np.array([PROFILE_NAMES.index(PROFILE_PATTERN[p % TEAM_SIZE]) for p in pos])
    role = np.array([ROLE_PATTERN[p % TEAM_SIZE] == "farmer" for p in pos], dtype=np.int8)
    region = np.array([(t + p) % len(REGIONS) for t, p in zip(team_of, pos, strict=True)])
    is_new = profile == PROFILE_NAMES.index("new")
    lo, hi = max(2.0, years + 0.5), max(8.0, years + 4.0)
    veteran_days = (rng.uniform(lo, hi, reps) * 365).astype(np.int64)
    new_days = rng.integers(21, 165, reps)  # within the last 6 months
    hire = today - np.where(is_new, new_days, veteran_days)
    params = np.array([PROFILES[PROFILE_NAMES[p]] for p in profile])
    rate = params[:, 0] * rng.uniform(0.95, 1.05, reps)
    pwin = params[:, 1] * rng.uniform(0.95, 1.05, reps)

    frame = pd.DataFrame(
        {
            "rep": names,
            "manager": [managers[t] for t in team_of],
            "team": [team_names[t] for t in team_of],
            "region": [REGIONS[r] for r in region],
            "role": ["farmer" if r else "hunter" for r in role],
            "hire_date": _dates(hire),
            "ramp_months": np.full(reps, RAMP_MONTHS, dtype=np.int32),
            "end_date": np.full(reps, np.datetime64("NaT"), dtype="datetime64[s]"),
            "email": [_email(n) for n in names],
        }
    )
    return {
        "n": reps,
        "names": names,
        "team": team_of,
        "profile": profile,
        "role": role,
        "region": region,
        "hire": hire,
        "rate": rate,
        "pwin": pwin,
        "size": params[:, 2],
        "target": params[:, 3],
        "frame": frame,
    }


def _accounts(rng: np.random.Generator, team: dict) -> dict:
    """Return the accounts with their owner, segment and flags, plus each rep's book."""
    reps = team["n"]
    n = max(reps, round(reps * 60 / TEAM_SIZE))
    names = _unique_names(ACCOUNT_STEMS, ACCOUNT_KINDS, n, set(), _company)
    owner = np.concatenate([np.arange(reps), rng.integers(0, reps, n - reps)])
    segment = rng.choice(len(SEGMENTS), n, p=[s[3] for s in SEGMENTS])
    farmer_owned = team["role"][owner] == 1
    strategic = rng.random(n) < 0.5
    in_target = rng.random(n) < 0.7
    paid = rng.random(n) < np.where(farmer_owned, 0.1, 0.35)
    onboard_u = rng.random(n)
    book = np.argsort(owner, kind="stable")
    book_n = np.bincount(owner, minlength=reps)
    return {
        "n": n,
        "names": names,
        "owner": owner,
        "segment": segment,
        "region": team["region"][owner],
        "strategic": strategic,
        "in_target": in_target,
        "paid": paid,
        "onboard_u": onboard_u,
        "book": book,
        "book_start": np.cumsum(book_n) - book_n,
        "book_n": book_n,
    }


# --- opportunities -------------------------------------------------------------------------


def _history_start(today: int, years: int) -> int:
    """Return the day number from which weekly snapshots exist."""
    return today - (years * 365 + 30)


def _deals(rng: np.random.Generator, team: dict, acct: dict, today: int, years: int) -> dict:
    """Return every deal's static attributes (sorted by created date) and its fate."""
    gen_start = _history_start(today, years) - WARM_UP
    n_weeks = (today - gen_start) // 7 + 1
    week = gen_start + 7 * np.arange(n_weeks)
    tenure = week[None, :] - team["hire"][:, None]
    ramp = np.clip((tenure / 30.4 + 1) / RAMP_MONTHS, 0.25, 1.0) * (tenure + 6 >= 14)
    growth = GROWTH ** ((week - today) / 365.0)
    lam = DEALS_PER_WEEK * team["rate"][:, None] * ramp * growth[None, :]
    # Counts follow the cumulative (noisy) rate with a random phase rather than independent
    # Poisson draws, so a year's deal flow per rep stays close to its profile.
    cum = np.cumsum(lam * rng.gamma(4.0, 0.25, lam.shape), axis=1)
    cum = np.floor(rng.random(team["n"])[:, None] + cum)
    per_week = np.diff(cum, axis=1, prepend=0).astype(np.int64).ravel()
    rep = np.repeat(np.repeat(np.arange(team["n"]), n_weeks), per_week)
    created = np.repeat(np.tile(week, team["n"]), per_week) + rng.integers(0, 7, len(rep))
    keep = (created <= today) & (created >= team["hire"][rep] + 14)
    rep, created = rep[keep], created[keep]
    order = np.lexsort((rep, created))
    rep, created = rep[order], created[order]
    n = len(rep)

    role = team["role"][rep]
    account = acct["book"][acct["book_start"][rep] + rng.integers(0, acct["book_n"][rep])]
    segment = acct["segment"][account]
    product = rng.choice(len(PRODUCTS), n, p=[p[3] for p in PRODUCTS])
    is_new = rng.random(n) < np.where(role == 1, 0.12, 0.88)
    cum = np.cumsum([LEAD_WEIGHTS["hunter"], LEAD_WEIGHTS["farmer"]], axis=1)
    lead = (rng.random(n)[:, None] > cum[role]).sum(axis=1).clip(0, len(LEAD_SOURCES) - 1)
    base = np.array([p[1] for p in PRODUCTS])[product] * np.array([s[1] for s in SEGMENTS])[segment]
    raw = base * team["size"][rep] * np.exp(rng.normal(0.0, 0.3, n))
    amount = np.maximum(np.round(raw / 100) * 100, 1000.0)
    cycle_f = (
        np.array([p[2] for p in PRODUCTS])[product] * np.array([s[2] for s in SEGMENTS])[segment]
    )
    cycle = np.clip(np.round(cycle_f * np.exp(rng.normal(0.0, 0.3, n))), 30, 150).astype(np.int64)

    # Zombies are never decided (cleaned up as "no decision" later); early losers are
    # disqualified before the close date; contenders go to a decision, won or lost (_decide).
    pwin = team["pwin"][rep]
    u = rng.random(n)
    zombie = u < ZOMBIE_SHARE
    early = ~zombie & (u < ZOMBIE_SHARE + EARLY_LOSS * (1 - pwin))
    loss_at = created + np.maximum((rng.uniform(0.25, 0.9, n) * cycle).astype(np.int64), 7)
    pushes = rng.choice(4, n, p=[0.5, 0.28, 0.14, 0.08]).astype(np.int8)
    max_stage = np.where(
        early | zombie,
        rng.choice(4, n, p=[0.3, 0.35, 0.25, 0.1]),
        rng.choice([3, 4], n, p=[0.3, 0.7]),
    ).astype(np.int8)
    start_stage = np.minimum(np.where(rng.random(n) < 0.4, 1, 0), max_stage).astype(np.int8)
    deleted_u = rng.random(n)
    deleted_at = np.where(
        deleted_u < 0.025,
        created + (rng.uniform(0.2, 1.2, n) * cycle).astype(np.int64) + 7,
        np.iinfo(np.int64).max // 2,
    )
    zombie_wait = rng.integers(60, 200, n)
    reason = rng.choice(len(LOSS_REASONS), n, p=LOSS_WEIGHTS)
    reason = np.where(zombie, LOSS_REASONS.index("no decision"), reason)
    has_comp = (reason == 1) | ((reason == 0) & (rng.random(n) < 0.5))
    competitor = np.where(has_comp, rng.choice(len(COMPETITORS), n, p=COMPETITOR_WEIGHTS), -1)
    return {
        "n": n,
        "rep": rep,
        "created": created,
        "account": account,
        "segment": segment,
        "product": product,
        "is_new": is_new,
        "lead": lead,
        "amount": amount,
        "close": created + cycle,
        "discount": np.where(rng.random(n) < 0.3, rng.uniform(0.85, 0.98, n), 1.0),
        "zombie": zombie,
        "early": early,
        "loss_at": loss_at,
        "pushes": pushes,
        "max_stage": max_stage,
        "stage": start_stage,
        "deleted_at": deleted_at,
        "zombie_wait": zombie_wait,
        "reason": reason,
        "competitor": competitor,
        "fc_u": rng.random(n),
        "next_has": rng.random(n) < 0.4,
        "next_base": rng.integers(0, len(NEXT_STEPS), n),
        "deleted": np.zeros(n, dtype=bool),
    }


def _simulate(
    rng: np.random.Generator, deals: dict, team: dict, today: int, years: int
) -> list[dict]:
    """Advance all deals week by week (mutating `deals`); return each snapshot's rows."""
    created, max_stage = deals["created"], deals["max_stage"]
    stage = deals["stage"].copy()
    amount = deals["amount"].copy()
    close = deals["close"].copy()
    pushes = deals["pushes"].copy()
    deleted = deals["deleted"]
    live = np.ones(deals["n"], dtype=bool)  # open and not deleted
    n_record = (today - _history_start(today, years)) // 7
    n_sim = -(-(today - _history_start(today, years) + WARM_UP) // 7)
    snaps: list[dict] = []
    for k in range(n_sim, -1, -1):
        t = today - 7 * k
        prev = t - 7
        c = np.flatnonzero(live[: np.searchsorted(created, prev, side="right")])
        u = rng.random((6, len(c)))
        back = rng.integers(0, 7, len(c))
        gone = deals["deleted_at"][c] <= t
        lost_early = ~gone & deals["early"][c] & (deals["loss_at"][c] <= t)
        busy = gone | lost_early
        cleanup = ~busy & deals["zombie"][c] & (t >= close[c] + deals["zombie_wait"][c])
        busy |= cleanup
        push = ~busy & (pushes[c] > 0) & (close[c] <= t + 7) & (u[0] < 0.85)
        busy |= push
        contender = ~deals["zombie"][c] & ~deals["early"][c]
        due = ~busy & contender & (pushes[c] == 0) & (close[c] <= t) & (u[1] < 0.6)
        busy |= due

        deleted[c[gone]] = True
        day_closed = np.maximum(t - back, created[c])
        stage[c[lost_early]] = LOST
        close[c[lost_early]] = deals["loss_at"][c[lost_early]]
        stage[c[cleanup]] = LOST
        close[c[cleanup]] = day_closed[cleanup]
        close[c[push]] = np.maximum(close[c[push]], t) + rng.integers(14, 75, int(push.sum()))
        pushes[c[push]] -= 1
        stage[c[due]] = DECIDED
        close[c[due]] = day_closed[due]
        live[c[gone | lost_early | cleanup | due]] = False

        # Stage follows the share of the (possibly pushed) cycle elapsed, capped by the fate.
        rest = ~busy
        span = np.maximum(close[c] - created[c], 7)
        target = np.minimum(((t - created[c]) * 5) // span, max_stage[c])
        advance = rest & (stage[c] < target) & (u[4] < 0.6)
        stage[c[advance]] += 1
        change = rest & (u[5] < 0.02)
        factor = np.where(u[2] < 0.55, 0.7 + 0.2 * u[3], 1.1 + 0.2 * u[3])
        amount[c[change]] = np.maximum(
            np.round(amount[c[change]] * factor[change] / 100) * 100, 1000
        )

        if k <= n_record:
            n_c = np.searchsorted(created, t, side="right")
            # A CRM's "all opportunities" export keeps closed deals, and bookings of past
            # quarters are read from the latest snapshot, so closed deals stay in every snapshot.
            keep = ~deleted[:n_c]
            idx = np.flatnonzero(keep)
            snaps.append(
                {
                    "as_of": t,
                    "idx": idx.astype(np.int32),
                    "stage": stage[idx],
                    "amount": amount[idx],
                    "close": close[idx],
                }
            )
    _decide(rng, deals, team, stage, amount, close, snaps)
    deals["final_stage"], deals["final_amount"], deals["final_close"] = stage, amount, close
    return snaps


def _decide(
    rng: np.random.Generator,
    deals: dict,
    team: dict,
    stage: np.ndarray,
    amount: np.ndarray,
    close: np.ndarray,
    snaps: list[dict],
) -> None:
    """Turn DECIDED into Closed Won or Closed Lost, in place, in the final state and snapshots."""
    # Wins are spread evenly along each rep's decisions in date order (a random phase, not a
    # coin per deal), so a rep's wins per quarter track their win rate and attainment profile.
    decided = np.flatnonzero(stage == DECIDED)
    rep = deals["rep"][decided]
    order = np.lexsort((decided, close[decided], rep))
    decided, rep = decided[order], rep[order]
    counts = np.bincount(rep, minlength=team["n"])
    rank = np.arange(len(decided)) - np.repeat(np.cumsum(counts) - counts, counts)
    pwin = team["pwin"][rep]
    p = pwin / (1 - ZOMBIE_SHARE - EARLY_LOSS * (1 - pwin))
    phase = rng.random(team["n"])[rep] + (rank + 1) * p
    won = np.zeros(deals["n"], dtype=bool)
    won[decided] = np.floor(phase) > np.floor(phase - p)
    final = np.round(amount * deals["discount"] / 100) * 100
    stage[decided] = np.where(won[decided], WON, LOST)
    amount[won] = final[won]
    for snap in snaps:
        mask = snap["stage"] == DECIDED
        d = snap["idx"][mask]
        snap["stage"][mask] = np.where(won[d], WON, LOST)
        snap["amount"][mask] = np.where(won[d], final[d], snap["amount"][mask])


def _snapshot_frames(
    load_id: int, snaps: list[dict], deals: dict, team: dict, acct: dict
) -> Iterator[pd.DataFrame]:
    """Yield opportunity_snapshot_rows frames of about ROWS_PER_INSERT rows each."""
    ids = [f"OPP-{i + 1:06d}" for i in range(deals["n"])]
    products = [p[0] for p in PRODUCTS]
    # Deal names: one per account x product x new/existing.
    deal_names = [
        f"{a} - {p}" + ("" if new else " expansion")
        for a in acct["names"]
        for p in products
        for new in (False, True)
    ]
    name_code = (deals["account"] * len(products) + deals["product"]) * 2 + deals["is_new"]
    prob_of = dict((s[0], s[4]) for s in store.DEFAULT_STAGES)
    stage_prob = np.array([prob_of[s] for s in STAGES])
    seg_names = [s[0] for s in SEGMENTS]
    batch: list[dict] = []
    size = 0
    for i, snap in enumerate(snaps):
        batch.append(snap)
        size += len(snap["idx"])
        if size >= ROWS_PER_INSERT or i == len(snaps) - 1:
            d = np.concatenate([s["idx"] for s in batch])
            st = np.concatenate([s["stage"] for s in batch]).astype(np.int64)
            as_of = np.concatenate([np.full(len(s["idx"]), s["as_of"]) for s in batch])
            amount = np.concatenate([s["amount"] for s in batch])
            close = np.concatenate([s["close"] for s in batch])
            batch, size = [], 0
            is_open = st < WON
            fc_u = deals["fc_u"][d]
            fc = STAGE_CATEGORY[st]
            fc = np.where((st == 4) & (fc_u >= 0.03) & (fc_u < 0.13), 1, fc)
            fc = np.where((st == 3) & (fc_u >= 0.03) & (fc_u < 0.13), 2, fc)
            fc = np.where(is_open & (fc_u < 0.03), 4, fc)
            lost = st == LOST
            next_code = np.where(
                is_open & deals["next_has"][d], (deals["next_base"][d] + st) % len(NEXT_STEPS), -1
            )
            rep = deals["rep"][d]
            yield pd.DataFrame(
                {
                    "load_id": np.full(len(d), load_id, dtype=np.int32),
                    "as_of": _dates(as_of),
                    "opportunity_id": _cat(d, ids),
                    "name": _cat(name_code[d], deal_names),
                    "account": _cat(deals["account"][d], acct["names"]),
                    "owner": _cat(rep, team["names"]),
                    "amount": amount,
                    "stage": _cat(st, STAGES),
                    "close_date": _dates(close),
                    "created_date": _dates(deals["created"][d]),
                    "probability": stage_prob[st],
                    "forecast_category": _cat(fc, FORECAST_CATEGORIES),
                    "type": _cat(~deals["is_new"][d], ("new", "existing")),
                    "product": _cat(deals["product"][d], products),
                    "lead_source": _cat(deals["lead"][d], LEAD_SOURCES),
                    "loss_reason": _cat(np.where(lost, deals["reason"][d], -1), LOSS_REASONS),
                    "competitor": _cat(np.where(lost, deals["competitor"][d], -1), COMPETITORS),
                    "region": _cat(team["region"][rep], REGIONS),
                    "segment": _cat(deals["segment"][d], seg_names),
                    "next_step": _cat(next_code, NEXT_STEPS),
                    "is_closed": ~is_open,
                    "is_won": st == WON,
                }
            )


# --- quotas, accounts, activities, report cards --------------------------------------------


def _quotas(team: dict, deals: dict, today: int, fsm: int, years: int) -> pd.DataFrame:
    """Return monthly total quotas per rep, calibrated so each profile's attainment holds."""
    first = _month(np.array([_history_start(today, years)]))[0]
    today_d = EPOCH + dt.timedelta(days=today)
    fy = fiscal_year_of(today_d, fsm)
    end_d = fiscal_year_start(fy + 2, fsm)
    last = (end_d.year - 1970) * 12 + end_d.month - 1  # exclusive
    months = np.arange(first, last)
    month_dates = months.astype("datetime64[M]").astype("datetime64[D]")
    fy_of = np.array([fiscal_year_of(d.astype(dt.date), fsm) for d in month_dates])
    hire_m = _month(team["hire"])
    k = months[None, :] - hire_m[:, None] + 1
    ramp = np.clip(k / RAMP_MONTHS, 0.0, 1.0)

    won_m = _month(deals["final_close"])
    won = (deals["final_stage"] == WON) & (won_m >= first) & (won_m < last)
    won_m = won_m[won]
    bookings = np.zeros((team["n"], len(months)))
    np.add.at(bookings, (deals["rep"][won], won_m - first), deals["final_amount"][won])

    # One quota per rep for the whole history, growing by GROWTH each fiscal year.
    today_m = _month(np.array([today]))[0]
    calib = (months > first) & (months < today_m)  # complete months only
    growth = GROWTH ** (fy_of - fy).astype(float)
    per_rep = _full_quota(team, bookings[:, calib], ramp[:, calib] * growth[calib])
    full = np.round(per_rep[:, None] * growth[None, :] / 1000) * 1000

    amount = np.round(full * ramp / 100) * 100
    rep_i, month_i = np.nonzero(k >= 1)
    return pd.DataFrame(
        {
            "rep": _cat(rep_i, team["names"]),
            "month": _dates(month_dates[month_i].astype(np.int64)),
            "type": "total",
            "amount": amount[rep_i, month_i],
        }
    )


def _full_quota(team: dict, bookings: np.ndarray, ramp: np.ndarray) -> np.ndarray:
    """Return each rep's monthly full-ramp quota that fits the bookings (ramp: quota weights)."""
    # A team quota from the veterans' bookings, nudged towards each rep's own record (territories
    # differ), so every profile's attainment holds without quotas looking tailor-made.
    veteran = team["profile"] != PROFILE_NAMES.index("new")
    weight = team["target"] * ramp.sum(axis=1)
    booked = bookings.sum(axis=1)
    n_teams = int(team["team"].max()) + 1
    num = np.bincount(team["team"], weights=booked * veteran, minlength=n_teams)
    den = np.bincount(team["team"], weights=weight * veteran, minlength=n_teams)
    per_team = np.where((den > 0) & (num > 0), num / np.maximum(den, 1e-9), _FALLBACK_QUOTA)
    base = per_team[team["team"]]
    own = np.where(veteran & (weight > 0) & (booked > 0), booked / np.maximum(weight, 1e-9), base)
    return base ** (1 - OWN_RECORD) * own**OWN_RECORD


def _account_frame(acct: dict, deals: dict) -> pd.DataFrame:
    """Return account_rows: segment, region, flags and the first won date."""
    won = deals["final_stage"] == WON
    first_won = np.full(acct["n"], np.iinfo(np.int64).max)
    np.minimum.at(first_won, deals["account"][won], deals["final_close"][won])
    has_won = first_won < np.iinfo(np.int64).max
    acct["first_won"] = np.where(has_won, first_won, -1)
    dates = _dates(np.where(has_won, first_won, 0))
    dates[~has_won] = np.datetime64("NaT")
    return pd.DataFrame(
        {
            "account": acct["names"],
            "segment": _cat(acct["segment"], [s[0] for s in SEGMENTS]),
            "region": _cat(acct["region"], REGIONS),
            "in_target_profile": acct["in_target"],
            "onboarded_to_standard": has_won & (acct["onboard_u"] < 0.75),
            "paid_assessment": acct["paid"],
            "first_won_date": dates,
        }
    )


def _activities(
    rng: np.random.Generator, team: dict, acct: dict, deals: dict, today: int, years: int
) -> pd.DataFrame:
    """Return activity_rows: deal meetings and calls, joint calls, assessments and QBRs."""
    start = _history_start(today, years)
    # Deal work: about one touch every two weeks while the deal is alive.
    end = np.where(deals["final_stage"] >= WON, deals["final_close"], today)
    end = np.minimum(np.minimum(end, deals["deleted_at"]), today)
    span = np.maximum(end - deals["created"], 1)
    n_touch = rng.poisson(span / 14.0)
    d = np.repeat(np.arange(deals["n"]), n_touch)
    day = deals["created"][d] + (rng.random(len(d)) * span[d]).astype(np.int64)
    rep = deals["rep"][d]
    coached = np.isin(team["profile"][rep], [PROFILE_NAMES.index(p) for p in ("new", "struggler")])
    p_joint = np.where(coached, 0.15, 0.05)  # the manager rides along more with these reps
    p_assess = np.where(deals["is_new"][d], 0.04, 0.0)
    u = rng.random(len(d))
    kind = np.where(
        u < p_joint,
        3,
        np.where(u < p_joint + p_assess, 4, np.where(rng.random(len(d)) < 0.5, 0, 1)),
    )
    deal_rows = (day, rep, kind, deals["account"][d], d)

    # Account upkeep: a couple of calls and meetings per rep and week, not tied to a deal.
    weeks = np.arange(start, today + 1, 7)
    active = weeks[None, :] >= team["hire"][:, None]
    n_week = rng.poisson(1.5 * active)
    rep2 = np.repeat(np.repeat(np.arange(team["n"]), len(weeks)), n_week.ravel())
    day2 = np.repeat(np.tile(weeks, team["n"]), n_week.ravel()) + rng.integers(0, 7, len(rep2))
    acc2 = acct["book"][acct["book_start"][rep2] + rng.integers(0, acct["book_n"][rep2])]
    kind2 = np.where(rng.random(len(rep2)) < 0.4, 0, 1)
    upkeep = (day2, rep2, kind2, acc2, np.full(len(rep2), -1))

    # Customer QBRs by farmers: strategic accounts every quarter (4+ a year), others sometimes.
    quarters = np.arange(start, today + 1, 91)
    farmed = np.flatnonzero(team["role"][acct["owner"]] == 1)
    p_qbr = np.where(acct["strategic"][farmed], 1.0, 0.35)
    hit = rng.random((len(farmed), len(quarters))) < p_qbr[:, None]
    a_i, q_i = np.nonzero(hit)
    acc3 = farmed[a_i]
    day3 = quarters[q_i] + rng.integers(0, 91, len(acc3))
    rep3 = acct["owner"][acc3]
    ok = (day3 <= today) & (day3 >= team["hire"][rep3])
    qbrs = (day3[ok], rep3[ok], np.full(int(ok.sum()), 2), acc3[ok], np.full(int(ok.sum()), -1))

    day, rep, kind, acc, opp = (
        np.concatenate(c) for c in zip(deal_rows, upkeep, qbrs, strict=True)
    )
    keep = day <= today
    day, rep, kind, acc, opp = day[keep], rep[keep], kind[keep], acc[keep], opp[keep]
    # Only some deal touches are logged against the opportunity itself.
    opp = np.where((opp >= 0) & (rng.random(len(opp)) < 0.6), opp, -1)
    order = np.lexsort((opp, acc, kind, rep, day))
    ids = [f"OPP-{i + 1:06d}" for i in range(deals["n"])]
    return pd.DataFrame(
        {
            "date": _dates(day[order]),
            "rep": _cat(rep[order], team["names"]),
            "kind": _cat(kind[order], ACTIVITY_KINDS),
            "account": _cat(acc[order], acct["names"]),
            "opportunity_id": _cat(opp[order], ids),
        }
    )


def _report_cards(
    rng: np.random.Generator, team: dict, acct: dict, deals: dict, today: int, years: int
) -> pd.DataFrame:
    """Return report_card_rows: quarterly customer scores (1-5) for accounts that bought."""
    start = _history_start(today, years)
    quarters = np.arange(start, today + 1, 91)
    buyers = np.flatnonzero(acct["first_won"] >= 0)
    a_i, q_i = np.nonzero(rng.random((len(buyers), len(quarters))) < 0.6)
    acc = buyers[a_i]
    lo = np.maximum(quarters[q_i], acct["first_won"][acc])
    hi = np.minimum(quarters[q_i] + 90, today)
    ok = lo <= hi
    acc, lo, hi = acc[ok], lo[ok], hi[ok]
    day = lo + (rng.random(len(acc)) * (hi - lo + 1)).astype(np.int64)
    rep = acct["owner"][acc]
    base = np.array([CARD_BASE[p] for p in PROFILE_NAMES])[team["profile"][rep]]
    scores = np.clip(np.round(base[:, None] + rng.normal(0.0, 0.7, (len(acc), 4))), 1, 5)
    mean = scores.mean(axis=1)
    pick = rng.integers(0, 1000, len(acc))
    comments = list(GOOD_COMMENTS) + list(BAD_COMMENTS)
    comment = np.where(
        mean >= 3.5, pick % len(GOOD_COMMENTS), len(GOOD_COMMENTS) + pick % len(BAD_COMMENTS)
    )
    comment = np.where(rng.random(len(acc)) < 0.3, comment, -1)
    order = np.lexsort((acc, day))
    return pd.DataFrame(
        {
            "date": _dates(day[order]),
            "account": _cat(acc[order], acct["names"]),
            "rep": _cat(rep[order], team["names"]),
            "listening": scores[order, 0],
            "trust": scores[order, 1],
            "problem_solving": scores[order, 2],
            "responsiveness": scores[order, 3],
            "comment": _cat(comment[order], comments),
        }
    )
