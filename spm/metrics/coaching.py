"""One-on-one inputs beyond the KPIs: ramp curves, activities, report cards, coaching notes."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pandas as pd

from spm import sql, store

SCORES = ("listening", "trust", "problem_solving", "responsiveness")


def ramp_curves(
    con: duckdb.DuckDBPyConnection, as_of: date | None = None, max_months: int = 24
) -> pd.DataFrame:
    """Return cumulative bookings (money) by month since hire: rep, hire_date, month, cumulative.

    Every month from 1 to the rep's months of tenure (capped at `max_months`) is present, so
    flat stretches show as flat lines rather than gaps. Reps hired before the loaded history
    begins are left out: their early months would show as zeros that never happened.
    """
    monthly = sql.run(con, "ramp", as_of=as_of, max_months=max_months)
    # max over the rows, not over snapshot_dates: DuckDB reads it off row-group statistics
    latest = con.execute("SELECT max(as_of) FROM opportunity_snapshot_rows").fetchone()[0]
    reps = con.execute(
        "SELECT rep, hire_date FROM reps WHERE hire_date IS NOT NULL"
        " AND hire_date >= (SELECT min(close_date) FROM opportunity_snapshot_rows"
        " WHERE as_of = ?)",
        [latest],
    ).df()
    cols = ["rep", "hire_date", "month", "bookings", "cumulative"]
    if reps.empty:
        return pd.DataFrame(columns=cols)
    end = as_of or latest or date.today()
    hired = pd.to_datetime(reps["hire_date"])
    tenure = (end.year - hired.dt.year) * 12 + end.month - hired.dt.month + 1
    reps = reps.assign(hire_date=hired, months=tenure.clip(lower=0, upper=max_months))
    reps = reps[reps["months"] > 0]
    if reps.empty:
        return pd.DataFrame(columns=cols)
    grid = reps.loc[reps.index.repeat(reps["months"])].copy()
    grid["month"] = grid.groupby("rep").cumcount() + 1
    booked = monthly.rename(columns={"month_since_hire": "month"})[["rep", "month", "bookings"]]
    grid = grid.merge(booked, on=["rep", "month"], how="left")
    grid["bookings"] = grid["bookings"].fillna(0.0).astype(float)
    grid["cumulative"] = grid.groupby("rep")["bookings"].cumsum()
    return grid[cols].sort_values(["rep", "month"]).reset_index(drop=True)


def activity_counts(
    con: duckdb.DuckDBPyConnection, period: str, rep: str | None = None
) -> pd.DataFrame:
    """Return activity counts per rep and kind in the period (and distinct accounts touched)."""
    p = store.fiscal_period(con, period)
    return sql.run(con, "activity_counts", start=p.start, end=p.end, rep=rep)


def report_card_averages(con: duckdb.DuckDBPyConnection, start: date, end: date) -> pd.DataFrame:
    """Return mean report-card scores (1–5) per rep plus a 'Team' row, for cards in [start, end)."""
    per_rep = sql.run(con, "report_card_averages", start=start, end=end)
    if per_rep.empty:
        return per_rep
    weights = per_rep["cards"]
    team = {"rep": "Team", "cards": int(weights.sum())}
    for score in SCORES:
        team[score] = float((per_rep[score] * weights).sum() / weights.sum())
    return pd.concat([per_rep, pd.DataFrame([team])], ignore_index=True)


def save_coaching_note(
    con: duckdb.DuckDBPyConnection, rep: str, note_date: date, note: str
) -> None:
    """Store a coaching note for a rep and date (empty notes are refused)."""
    text = (note or "").strip()
    if not text:
        raise ValueError("the note is empty")
    if len(text) > 10_000:
        raise ValueError("notes are limited to 10,000 characters")
    with store.transaction(con):
        con.execute(
            "INSERT INTO coaching_notes VALUES (?, ?, ?, ?)",
            [rep, note_date, text, datetime.now()],
        )


def coaching_notes(con: duckdb.DuckDBPyConnection, rep: str) -> pd.DataFrame:
    """Return a rep's coaching notes, newest first."""
    return con.execute(
        "SELECT note_date, note, saved_at FROM coaching_notes WHERE rep = ?"
        " ORDER BY note_date DESC, saved_at DESC",
        [rep],
    ).df()
