"""Turn one file into validated rows and load them in one transaction, with rejects and undo.

prepare() reads, maps, normalises and validates without touching the database's contents;
commit() writes the accepted rows, the rejects and the load record atomically. A file already
loaded for the same kind and as-of date is a no-op (content hash + kind + as_of).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from spm import store
from spm.ingest import values as v
from spm.ingest.errors import IngestError
from spm.ingest.mapping import Mapping, detect_kind, map_columns
from spm.ingest.readers import check_size, read_table
from spm.periods import PeriodError, parse_period

UNASSIGNED = "(unassigned)"

_TABLE = {
    "opportunities": "opportunity_snapshot_rows",
    "opportunity_history": "opportunity_snapshot_rows",
    "reps": "rep_rows",
    "quotas": "quota_rows",
    "accounts": "account_rows",
    "activities": "activity_rows",
    "report_cards": "report_card_rows",
}

# Field parsers per kind; fields not listed are text.
_DATES = {"as_of", "close_date", "created_date", "won_time", "lost_time", "edit_date"}
_DATES |= {"hire_date", "end_date", "first_won_date", "date"}
_AMOUNTS = {"amount"}
_PERCENTS = {"probability"}
_BOOLS = {"is_won", "is_closed", "is_deleted", "in_target_profile", "onboarded_to_standard"}
_BOOLS |= {"paid_assessment"}
_SCORES = {"listening", "trust", "problem_solving", "responsiveness"}
_INTS = {"ramp_months"}

# Sanity limits: a value outside them is a typo or a unit mistake, so the row is rejected.
MIN_YEAR, MAX_YEAR = 1990, 2100
MAX_AMOUNT = 1e13  # fits DECIMAL(18, 2) with room; no real deal or quota is this large
MAX_TEXT_CHARS = 10_000
DATE_RANGE_REASON = f"date outside {MIN_YEAR}–{MAX_YEAR}: check the year"
AMOUNT_RANGE_REASON = "amount of 10 trillion or more: check the units and the decimal separator"
TEXT_LENGTH_REASON = f"text longer than {MAX_TEXT_CHARS:,} characters: shorten it"

_NEW_TYPES = {"new", "newcustomer", "newbusiness", "newlogo", "newbusinessnew"}
_EXISTING_PREFIXES = ("existing", "renewal", "upsell", "crosssell", "expansion", "addon")


@dataclass
class Prepared:
    """A file read, mapped and validated: what a load would write."""

    source: str
    kind: str
    mapping: Mapping
    content_hash: str
    as_of: date | None
    rows: pd.DataFrame  # accepted rows in the target table's columns (no load_id yet)
    rejects: pd.DataFrame  # row_number, column_name, value, reason
    notes: list[str] = field(default_factory=list)
    total_rows: int = 0


@dataclass
class LoadResult:
    """The outcome of one load."""

    load_id: int | None
    kind: str
    source: str
    rows_loaded: int
    rows_rejected: int
    snapshots: list[date]
    notes: list[str]
    skipped: bool = False
    rejects: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary(self) -> str:
        """Return a one-line human summary of the load."""
        if self.skipped:
            return f"{self.source}: already loaded as load #{self.load_id}; nothing changed"
        text = (
            f"{self.source}: loaded {self.rows_loaded:,} {self.kind} rows as load #{self.load_id}"
        )
        if self.rows_rejected:
            text += f"; {self.rows_rejected:,} rows rejected (see rejects)"
        return text


def content_hash(data: bytes) -> str:
    """Return the SHA-256 hex digest of a file's bytes."""
    return hashlib.sha256(data).hexdigest()


def prepare(
    con: duckdb.DuckDBPyConnection,
    name: str,
    data: bytes,
    kind: str | None = None,
    overrides: dict[str, str] | None = None,
    as_of: date | None = None,
    today: date | None = None,
) -> Prepared:
    """Return the validated rows of one file; raise IngestError when the file cannot load."""
    raw = read_table(name, data, pick=lambda headers: _fits(headers, kind, overrides))
    headers = [str(c) for c in raw.columns]
    mapping = _mapping(name, headers, kind, overrides)
    if mapping.missing:
        raise IngestError(
            f"{name}: no column for {', '.join(mapping.missing)} ({mapping.kind}); "
            "rename the column in the file, or map it (Data page: Column mapping; "
            "CLI: --map 'Your Column=field')"
        )
    if raw.empty:
        raise IngestError(f"{name} has a header but no rows: export it again with the data")
    settings = store.get_settings(con)
    prep = Prepared(
        source=name,
        kind=mapping.kind,
        mapping=mapping,
        content_hash=content_hash(data),
        as_of=as_of,
        rows=pd.DataFrame(),
        rejects=pd.DataFrame(columns=["row_number", "column_name", "value", "reason"]),
        total_rows=len(raw),
    )
    prep.notes.extend(raw.attrs.get("notes", []))
    frame, bad = _parse(raw, mapping, settings, prep.notes)
    build = _BUILDERS[mapping.kind]
    rows, extra_bad = build(con, frame, mapping, prep, today or date.today(), settings)
    prep.rejects = pd.concat([bad, extra_bad], ignore_index=True).sort_values(
        ["row_number", "column_name"], kind="stable", ignore_index=True
    )
    rejected = set(prep.rejects["row_number"])
    if rejected and "_row" in rows.columns:
        rows = rows[~rows["_row"].isin(rejected)]
    prep.rows = rows.drop(columns=["_row"], errors="ignore").reset_index(drop=True)
    return prep


def _fits(headers: list[str], kind: str | None, overrides: dict[str, str] | None) -> bool:
    """Return True when these headers map onto a kind with every required column."""
    try:
        mapping = map_columns(headers, kind, overrides) if kind else detect_kind(headers, overrides)
    except IngestError:
        return False
    return not mapping.missing


def _mapping(
    name: str, headers: list[str], kind: str | None, overrides: dict[str, str] | None
) -> Mapping:
    """Return the column mapping, or raise an IngestError that names the file."""
    try:
        return map_columns(headers, kind, overrides) if kind else detect_kind(headers, overrides)
    except IngestError as exc:
        raise IngestError(f"{name}: {exc}{_delimiter_hint(headers)}") from None


def _delimiter_hint(headers: list[str]) -> str:
    """Return a hint when one lone column looks like a row split on an unusual character."""
    if len(headers) != 1:
        return ""
    counts = {ch: headers[0].count(ch) for ch in ":^~#!/ "}
    ch, n = max(counts.items(), key=lambda kv: kv[1])
    if n < 2:
        return ""
    shown = "space" if ch == " " else repr(ch)
    return (
        f" — the file has one column and its header contains {shown} {n} times: if that is "
        "the separator, save the file again as comma-separated CSV"
    )


class _RawCells(dict):
    """The file's cells per header, shared by every frame derived from the parsed one.

    pandas deep-copies `attrs` on almost every operation; copying a million-row column each
    time cost 6 s of a 1M-row load. The cells are only read, so a copy may share them.
    """

    def __deepcopy__(self, memo: dict) -> _RawCells:
        return self


def _parse(
    raw: pd.DataFrame, mapping: Mapping, settings: dict, notes: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return canonical typed columns plus a rejects frame for unparseable cells."""
    # Spreadsheet row numbers: the header is row 1.
    frame = pd.DataFrame({"_row": np.arange(2, len(raw) + 2)}, index=raw.index)
    frame.attrs["raw"] = _RawCells({header: raw[header] for header in mapping.columns.values()})
    problems = []
    for name, header in mapping.columns.items():
        col = raw[header]
        if name in _DATES:
            parsed = v.parse_dates(col)
            what = "a date"
        elif name in _AMOUNTS:
            parsed = v.parse_amounts(col, settings.get("decimal_comma"))
            what = "an amount"
        elif name in _PERCENTS:
            parsed = v.parse_percents(col)
            what = "a percentage"
        elif name in _BOOLS:
            parsed = v.parse_bools(col)
            what = "a true/false value"
        elif name in _INTS:
            parsed = v.parse_integers(col)
            what = "a whole number"
        elif name in _SCORES:
            parsed = v.parse_amounts(col)
            what = "a score from 1 to 5"
        else:
            parsed = v.parse_text(col)
            what = None
        if parsed.note:
            notes.append(f"{header}: {parsed.note}")
        values, bad = parsed.values, parsed.bad
        reasons = pd.Series(f"not {what}", index=bad.index, dtype=object)
        if parsed.reasons is not None:
            reasons = parsed.reasons.where(parsed.reasons.notna(), reasons)
        out_of_range, reason = _out_of_range(name, values)
        if out_of_range.any():
            bad = bad | out_of_range
            reasons = reasons.where(~out_of_range, reason)
            values = values.where(~out_of_range)
            if values.dtype == object:
                values = values.where(values.notna(), None)
        frame[name] = values
        if bad.any():
            idx = bad[bad].index
            problems.append(
                pd.DataFrame(
                    {
                        "row_number": frame.loc[idx, "_row"].to_numpy(),
                        "column_name": header,
                        "value": col.loc[idx].map(_cell_text).to_numpy(),
                        "reason": reasons.loc[idx].to_numpy(),
                    }
                )
            )
    return frame, _concat(problems)


def _out_of_range(name: str, values: pd.Series) -> tuple[pd.Series, str]:
    """Return which parsed values break the sanity limits for field `name`, and the reason."""
    if name in _DATES:
        years = values.dt.year
        return values.notna() & ((years < MIN_YEAR) | (years > MAX_YEAR)), DATE_RANGE_REASON
    if name in _AMOUNTS:
        return values.notna() & (values.abs() >= MAX_AMOUNT), AMOUNT_RANGE_REASON
    if values.dtype == object:
        if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
            # all str or missing: count characters in C (a Python lambda took 0.4 s per 1M)
            lengths = pc.utf8_length(
                pa.array(values.to_numpy(), type=pa.large_string(), from_pandas=True)
            )
            too_long = pd.Series(
                pc.fill_null(pc.greater(lengths, MAX_TEXT_CHARS), False).to_numpy(
                    zero_copy_only=False
                ),
                index=values.index,
            )
        else:
            too_long = values.map(lambda x: isinstance(x, str) and len(x) > MAX_TEXT_CHARS)
        return too_long.astype(bool), TEXT_LENGTH_REASON
    return pd.Series(False, index=values.index), ""


def _cell_text(value: object) -> str:
    """Return a raw cell as the text stored in the rejects table."""
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    cols = ["row_number", "column_name", "value", "reason"]
    parts = [p for p in parts if not p.empty]
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)


def _reject(frame: pd.DataFrame, mask: pd.Series, column: str, reason: str) -> pd.DataFrame:
    """Return reject records (with the cell as it was in the file) where `mask` holds."""
    hit = frame[mask.fillna(False).astype(bool)]
    raw = frame.attrs.get("raw", {}).get(column)
    if raw is not None:
        values = raw.loc[hit.index].map(_cell_text).to_numpy()
    else:
        values = [""] * len(hit)
    return pd.DataFrame(
        {"row_number": hit["_row"].to_numpy(), "column_name": column, "value": values}
    ).assign(reason=reason)


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame:
        return frame[name]
    return pd.Series(np.full(len(frame), None, dtype=object), index=frame.index)


def _per_value(s: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Return fn applied to the distinct values of s (missing ones as NaN), spread back over s.

    A file's category columns (stage, status, type) hold a few distinct values in a million
    rows; computing once per value is what makes them cheap.
    """
    codes, uniques = pd.factorize(s, use_na_sentinel=False)
    out = fn(pd.Series(uniques, dtype=object).where(pd.notna(uniques), np.nan))
    return pd.Series(out.to_numpy()[codes], index=s.index, dtype=out.dtype)


def _header(mapping: Mapping, name: str) -> str:
    return mapping.columns.get(name, name)


def _stage_flags(con: duckdb.DuckDBPyConnection, stages: pd.Series) -> pd.DataFrame:
    """Return is_closed / is_won per stage value from the stage mapping (NaN when unknown)."""
    table = con.execute("SELECT lower(stage) AS k, is_closed, is_won FROM stages").df()
    codes, uniques = pd.factorize(stages, use_na_sentinel=False)
    keys = pd.Series(uniques, dtype=object).fillna("").str.lower()
    per_value = keys.to_frame("k").merge(table, on="k", how="left")
    return per_value.iloc[codes].set_axis(stages.index)


def _opportunity_type(types: pd.Series) -> pd.Series:
    """Return new / existing / None from CRM type labels."""
    return _per_value(types, _type_of_labels)


def _type_of_labels(types: pd.Series) -> pd.Series:
    keys = types.fillna("").str.lower().str.replace(r"[^a-z]", "", regex=True)
    out = pd.Series([None] * len(types), index=types.index, dtype=object)
    out[keys.isin(_NEW_TYPES) | keys.str.startswith("new")] = "new"
    out[keys.str.startswith(_EXISTING_PREFIXES)] = "existing"
    return out


def _build_opportunities(
    con: duckdb.DuckDBPyConnection,
    f: pd.DataFrame,
    mapping: Mapping,
    prep: Prepared,
    today: date,
    settings: dict,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return snapshot rows and business-rule rejects for an opportunities file."""
    bad = []
    if "owner" not in mapping.columns:
        prep.notes.append(f"no owner column: every deal loads as owner '{UNASSIGNED}'")
    f["owner"] = _col(f, "owner").fillna(UNASSIGNED)
    if "as_of" in mapping.columns:
        if prep.as_of is not None:
            prep.notes.append("the file's own as-of column was used, not the as-of date given")
        prep.as_of = None
        missing_asof = f["as_of"].isna()
        bad.append(_reject(f, missing_asof, _header(mapping, "as_of"), "missing as-of date"))
    else:
        f["as_of"] = pd.Timestamp(prep.as_of or today)
        prep.as_of = prep.as_of or today
    # Closed/won flags: explicit columns, else a Pipedrive status, else the stage mapping.
    flags = _stage_flags(con, _col(f, "stage"))
    status = _col(f, "status")
    is_won = _col(f, "is_won").astype(object)
    is_closed = _col(f, "is_closed").astype(object)
    won_status = {"won": True, "lost": False, "open": False}
    closed_status = {"won": True, "lost": True, "open": False}
    is_won = is_won.where(
        is_won.notna(), _per_value(status, lambda u: u.fillna("").str.lower().map(won_status))
    )
    is_closed = is_closed.where(
        is_closed.notna(),
        _per_value(status, lambda u: u.fillna("").str.lower().map(closed_status)),
    )
    f["is_won"] = is_won.where(is_won.notna(), None)
    f["is_closed"] = is_closed.where(is_closed.notna(), None)
    won = is_won.where(is_won.notna(), flags["is_won"]).fillna(False).astype(bool)
    closed = is_closed.where(is_closed.notna(), flags["is_closed"]).fillna(False).astype(bool)
    closed = closed | won
    if "won_time" in f:
        f["close_date"] = f["close_date"].where(~(won & f["won_time"].notna()), f["won_time"])
    if "lost_time" in f:
        lost = closed & ~won
        f["close_date"] = f["close_date"].where(~(lost & f["lost_time"].notna()), f["lost_time"])
    unknown = sorted(set(f.loc[flags["is_closed"].isna() & f["stage"].notna(), "stage"]))
    if unknown:
        shown = ", ".join(unknown[:8]) + (" …" if len(unknown) > 8 else "")
        prep.notes.append(
            f"stages not in the stage mapping load as open: {shown} (map them in Settings)"
        )
    f["type"] = _opportunity_type(_col(f, "type"))
    h = lambda name: _header(mapping, name)  # noqa: E731
    bad += [
        _reject(f, f["opportunity_id"].isna(), h("opportunity_id"), "missing opportunity id"),
        _reject(f, f["stage"].isna(), h("stage"), "missing stage"),
        _reject(f, f["amount"] < 0, h("amount"), "negative amount"),
        _reject(f, won & f["amount"].isna(), h("amount"), "won deal without an amount"),
        _reject(f, won & f["close_date"].isna(), h("close_date"), "won deal without a close date"),
    ]
    if "created_date" in f:
        # CRM imports often stamp the import day as the created date, so this loads, with a note.
        early = f["close_date"].notna() & (f["close_date"] < f["created_date"])
        if early.any():
            prep.notes.append(
                f"{int(early.sum())} deal(s) close before their created date (first: row "
                f"{int(f.loc[early, '_row'].iloc[0])}); they load as they are — check "
                f"{h('created_date')} if sales cycles look wrong"
            )
    dup = f["opportunity_id"].notna() & f.duplicated(["as_of", "opportunity_id"], keep="first")
    bad.append(
        _reject(f, dup, h("opportunity_id"), "duplicate opportunity id in the same snapshot")
    )
    cols = [
        "as_of",
        "opportunity_id",
        "name",
        "account",
        "owner",
        "amount",
        "stage",
        "close_date",
        "created_date",
        "probability",
        "forecast_category",
        "type",
        "product",
        "lead_source",
        "loss_reason",
        "competitor",
        "region",
        "segment",
        "next_step",
        "is_closed",
        "is_won",
    ]
    # copy=False: no 2-D block of 20M object pointers to build (0.2 s per 1M rows)
    rows = pd.DataFrame({c: _col(f, c) for c in ["_row", *cols]}, copy=False)
    return rows, _concat(bad)


def _build_history(
    con: duckdb.DuckDBPyConnection,
    f: pd.DataFrame,
    mapping: Mapping,
    prep: Prepared,
    today: date,
    settings: dict,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return weekly snapshot rows rebuilt from an opportunity history export."""
    bad = [
        _reject(f, f["opportunity_id"].isna(), _header(mapping, "opportunity_id"), "missing id"),
        _reject(f, f["edit_date"].isna(), _header(mapping, "edit_date"), "missing edit date"),
    ]
    rejects = _concat(bad)
    ok = f[~f["_row"].isin(set(rejects["row_number"]))]
    if "is_deleted" in ok:
        ok = ok[ok["is_deleted"].fillna(False) != True]  # noqa: E712
    if ok.empty:
        return pd.DataFrame(columns=["_row"]), rejects
    last = ok["edit_date"].max()
    first = ok["edit_date"].min()
    weeks = int((last - first).days // 7)
    dates = pd.DataFrame({"as_of": [last - pd.Timedelta(days=7 * k) for k in range(weeks, -1, -1)]})
    history = ok.sort_values(["edit_date", "_row"]).copy()
    fields = [
        c
        for c in ("stage", "amount", "close_date", "probability", "forecast_category")
        if c in history
    ]
    # Edits on the same day are ordered by their time of day, which the date column drops.
    raw_edit = f.attrs["raw"][mapping.columns["edit_date"]].loc[history.index].astype(str)
    history["edit_time"] = pd.to_datetime(raw_edit, format="mixed", errors="coerce")
    history = history.sort_values(["edit_date", "edit_time", "_row"], na_position="first")
    history = history[["opportunity_id", "edit_date", "edit_time", "_row", *fields]]
    # Carry each field's last known value forward: an edit row may record only what changed.
    history[fields] = history.groupby("opportunity_id")[fields].ffill()
    con.register("_spm_hist", history)
    con.register("_spm_weeks", dates)
    try:
        snap = con.execute(
            """
            SELECT w.as_of, h.*
            FROM _spm_weeks w
            JOIN _spm_hist h ON h.edit_date <= w.as_of
            QUALIFY ROW_NUMBER() OVER (
                PARTITION BY w.as_of, h.opportunity_id
                ORDER BY h.edit_date DESC, h.edit_time DESC NULLS LAST, h._row DESC) = 1
            """
        ).df()
    finally:
        con.unregister("_spm_hist")
        con.unregister("_spm_weeks")
    owners = con.execute(
        """
        SELECT opportunity_id, arg_max(owner, as_of) AS owner, arg_max(account, as_of) AS account,
               arg_max(name, as_of) AS name, arg_max(created_date, as_of) AS created_date
        FROM opportunity_snapshot_rows GROUP BY opportunity_id
        """
    ).df()
    snap = snap.merge(owners, on="opportunity_id", how="left")
    snap["owner"] = snap["owner"].fillna(UNASSIGNED)
    if snap["owner"].eq(UNASSIGNED).any():
        prep.notes.append(
            f"deals not found in an opportunities load get owner '{UNASSIGNED}'; "
            "load the opportunities file first"
        )
    snap["stage"] = snap.get("stage", pd.Series(dtype=object)).fillna("(unknown)")
    prep.notes.append(f"rebuilt {len(dates)} weekly snapshot(s) from {len(ok)} history rows")
    prep.as_of = None
    return snap.drop(columns=["edit_date", "edit_time"]), rejects


def _build_reps(con, f, mapping, prep, today, settings):  # type: ignore[no-untyped-def]
    """Return rep rows; role text maps to hunter / farmer."""
    bad = [_reject(f, f["rep"].isna(), _header(mapping, "rep"), "missing rep name")]
    role = _col(f, "role").fillna("").str.lower()
    f["role"] = np.select(
        [role.str.contains("hunt|new"), role.str.contains("farm|exist|account manager")],
        ["hunter", "farmer"],
        default=None,
    )
    dup = f["rep"].notna() & f.duplicated(["rep"], keep="first")
    bad.append(_reject(f, dup, _header(mapping, "rep"), "duplicate rep in this file"))
    cols = ["rep", "manager", "team", "region", "role", "hire_date", "ramp_months", "end_date"]
    rows = pd.DataFrame({c: _col(f, c) for c in ["_row", *cols, "email"]})
    return rows, _concat(bad)


def _build_quotas(con, f, mapping, prep, today, settings):  # type: ignore[no-untyped-def]
    """Return monthly quota rows; quarters and years spread evenly to the cent."""
    start_month = int(settings["fiscal_year_start_month"])
    bad = [
        _reject(f, f["rep"].isna(), _header(mapping, "rep"), "missing rep name"),
        _reject(f, f["amount"].isna(), _header(mapping, "amount"), "missing quota amount"),
        _reject(f, f["amount"] < 0, _header(mapping, "amount"), "negative quota"),
    ]
    out = []
    period_bad = []
    for row, rep, period, amount, qtype in zip(
        f["_row"], f["rep"], _col(f, "period"), f["amount"], _col(f, "type"), strict=True
    ):
        try:
            p = parse_period(str(period or "")[:10].replace("/", "-"), start_month)
        except PeriodError as exc:
            period_bad.append((row, str(period), str(exc)))
            continue
        if pd.isna(amount) or rep is None:
            continue
        months = p.months()
        cents = int(round(float(amount) * 100))
        base, extra = divmod(cents, len(months))
        for i, m in enumerate(months):
            share = (base + (1 if i < extra else 0)) / 100
            out.append((row, rep, m, (qtype or "total").lower(), share))
    if period_bad:
        header = _header(mapping, "period")
        bad.append(
            pd.DataFrame(period_bad, columns=["row_number", "value", "reason"]).assign(
                column_name=header
            )
        )
    rows = pd.DataFrame(out, columns=["_row", "rep", "month", "type", "amount"])
    return rows, _concat(bad)


def _build_simple(required: list[str], cols: list[str]):  # type: ignore[no-untyped-def]
    def build(con, f, mapping, prep, today, settings):  # type: ignore[no-untyped-def]
        bad = [_reject(f, f[c].isna(), _header(mapping, c), f"missing {c}") for c in required]
        for score in _SCORES & set(cols):
            out = f[score].notna() & ~f[score].between(1, 5)
            bad.append(_reject(f, out, _header(mapping, score), "score outside 1 to 5"))
        return pd.DataFrame({c: _col(f, c) for c in ["_row", *cols]}), _concat(bad)

    return build


_BUILDERS = {
    "opportunities": _build_opportunities,
    "opportunity_history": _build_history,
    "reps": _build_reps,
    "quotas": _build_quotas,
    "accounts": _build_simple(
        ["account"],
        [
            "account",
            "segment",
            "region",
            "in_target_profile",
            "onboarded_to_standard",
            "paid_assessment",
            "first_won_date",
        ],
    ),
    "activities": _build_simple(
        ["date", "rep", "kind"], ["date", "rep", "kind", "account", "opportunity_id"]
    ),
    "report_cards": _build_simple(
        ["date", "account", "rep"],
        [
            "date",
            "account",
            "rep",
            "listening",
            "trust",
            "problem_solving",
            "responsiveness",
            "comment",
        ],
    ),
}


def find_duplicate_load(con: duckdb.DuckDBPyConnection, prep: Prepared) -> int | None:
    """Return the id of an active load with the same content, kind and as-of date, if any."""
    row = con.execute(
        """
        SELECT max(load_id) FROM loads
        WHERE status = 'active' AND content_hash = ? AND kind = ?
          AND as_of IS NOT DISTINCT FROM ?
        """,
        [prep.content_hash, prep.kind, prep.as_of],
    ).fetchone()
    return row[0]


def commit(
    con: duckdb.DuckDBPyConnection, prep: Prepared, all_or_nothing: bool = False
) -> LoadResult:
    """Write a prepared file in one transaction and return what was loaded."""
    existing = find_duplicate_load(con, prep)
    if existing is not None:
        return LoadResult(existing, prep.kind, prep.source, 0, 0, [], prep.notes, skipped=True)
    n_rejected = int(prep.rejects["row_number"].nunique())
    if all_or_nothing and n_rejected:
        first = prep.rejects.iloc[0]
        raise IngestError(
            f"{prep.source}: {n_rejected} row(s) failed validation (first: row "
            f"{first.row_number}, column {first.column_name}: {first.reason}); nothing was loaded"
        )
    if prep.rows.empty:
        detail = ""
        if len(prep.rejects):
            first = prep.rejects.iloc[0]
            detail = f" (first: row {first.row_number}, {first.column_name}: {first.reason})"
        raise IngestError(f"{prep.source}: no row passed validation{detail}; nothing was loaded")
    table = _TABLE[prep.kind]
    with store.transaction(con):
        load_id = store.register_load(
            con,
            prep.kind,
            prep.source,
            prep.content_hash,
            prep.as_of,
            len(prep.rows),
            n_rejected,
            message="; ".join(prep.notes) or None,
        )
        store.insert_frame(con, table, prep.rows.assign(load_id=load_id))
        if len(prep.rejects):
            store.insert_frame(con, "rejects", prep.rejects.assign(load_id=load_id))
        store.bump_version(con)
    snaps = (
        sorted(pd.Series(pd.to_datetime(prep.rows["as_of"]).unique()).dt.date.unique())
        if "as_of" in prep.rows
        else []
    )
    return LoadResult(
        load_id,
        prep.kind,
        prep.source,
        len(prep.rows),
        n_rejected,
        snaps,
        prep.notes,
        rejects=prep.rejects,
    )


def ingest_bytes(
    con: duckdb.DuckDBPyConnection,
    name: str,
    data: bytes,
    kind: str | None = None,
    overrides: dict[str, str] | None = None,
    as_of: date | None = None,
    all_or_nothing: bool = False,
    today: date | None = None,
) -> LoadResult:
    """Read, validate and load one file's bytes; return the load result."""
    prep = prepare(con, name, data, kind=kind, overrides=overrides, as_of=as_of, today=today)
    return commit(con, prep, all_or_nothing=all_or_nothing)


def ingest_file(con: duckdb.DuckDBPyConnection, path: str | Path, **kwargs) -> LoadResult:  # type: ignore[no-untyped-def]
    """Load one file from disk; see ingest_bytes for the options."""
    p = Path(path)
    if not p.is_file():
        raise IngestError(f"{path}: no such file — check the path and the file name")
    check_size(p.name, p.stat().st_size)  # before reading it into memory
    return ingest_bytes(con, p.name, p.read_bytes(), **kwargs)


def undo_load(con: duckdb.DuckDBPyConnection, load_id: int) -> None:
    """Remove one load's rows and rejects in one transaction; the previous state returns."""
    row = con.execute("SELECT kind, status FROM loads WHERE load_id = ?", [load_id]).fetchone()
    if row is None:
        raise IngestError(f"there is no load #{load_id}: pick one from the load history")
    if row[1] != "active":
        raise IngestError(f"load #{load_id} is already {row[1]}; nothing changed")
    with store.transaction(con):
        store.delete_load_rows(con, _TABLE[row[0]], load_id)
        con.execute("DELETE FROM rejects WHERE load_id = ?", [load_id])
        con.execute("UPDATE loads SET status = 'undone' WHERE load_id = ?", [load_id])
        store.bump_version(con)


def load_history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Return all loads, newest first."""
    return con.execute(
        """
        SELECT load_id, kind, source, as_of, loaded_at, rows_loaded, rows_rejected, status, message
        FROM loads ORDER BY load_id DESC
        """
    ).df()


def rejects_of(con: duckdb.DuckDBPyConnection, load_id: int | None = None) -> pd.DataFrame:
    """Return rejected rows (of one load, or all) with their reasons."""
    return con.execute(
        """
        SELECT r.load_id, l.source, r.row_number, r.column_name, r.value, r.reason
        FROM rejects r JOIN loads l USING (load_id)
        WHERE ? IS NULL OR r.load_id = ?
        ORDER BY r.load_id DESC, r.row_number
        """,
        [load_id, load_id],
    ).df()
