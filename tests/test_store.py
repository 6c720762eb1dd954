"""Store: schema, migrations, settings, stage mapping and the data version."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import duckdb
import pandas as pd
import pytest

from spm import store


def test_fresh_database_has_schema_stages_and_defaults(con):
    assert (
        con.execute("SELECT max(version) FROM schema_version").fetchone()[0]
        == store.SCHEMA_VERSION
        == 4
    )
    assert store.get_settings(con)["fiscal_year_start_month"] == 1
    stages = store.stage_table(con)
    assert {"Closed Won", "closedwon", "Won", "Lost", "Prospecting"} <= set(stages["stage"])
    assert store.data_version(con) == 0


def test_reopening_does_not_migrate_twice(tmp_path):
    path = tmp_path / "x.duckdb"
    store.connect(path).close()
    con = store.connect(path)
    assert con.execute("SELECT count(*) FROM schema_version").fetchone()[0] == 4
    assert con.execute("SELECT count(*) FROM stages").fetchone()[0] == len(store.DEFAULT_STAGES)


def test_settings_round_trip_and_validation(con):
    store.save_settings(con, {"fiscal_year_start_month": 2, "currency_symbol": "€"})
    s = store.get_settings(con)
    assert (s["fiscal_year_start_month"], s["currency_symbol"], s["stale_days"]) == (2, "€", 30)
    assert store.data_version(con) == 1
    with pytest.raises(ValueError, match="1 to 12"):
        store.save_settings(con, {"fiscal_year_start_month": 13})
    with pytest.raises(ValueError, match="unknown setting"):
        store.save_settings(con, {"colour": "red"})


def test_stage_table_edit_changes_the_view(con):
    con.execute(
        "INSERT INTO opportunity_snapshot_rows (load_id, as_of, opportunity_id, owner, stage)"
        " VALUES (1, DATE '2026-01-01', 'A', 'Ann', 'Signed')"
    )
    assert con.execute("SELECT is_won FROM opportunity_snapshots").fetchone() == (False,)
    stages = store.stage_table(con)
    extra = pd.DataFrame([["Signed", 9, True, True, 1.0, "Closed"]], columns=stages.columns)
    store.save_stage_table(con, pd.concat([stages, extra], ignore_index=True))
    assert con.execute(
        "SELECT is_won, forecast_category FROM opportunity_snapshots"
    ).fetchone() == (
        True,
        "Closed",
    )
    with pytest.raises(ValueError, match="only once"):
        store.save_stage_table(con, pd.concat([stages, stages.head(1)], ignore_index=True))


def test_failed_transaction_rolls_back(con):
    with pytest.raises(RuntimeError), store.transaction(con):
        con.execute("INSERT INTO settings VALUES ('currency_symbol', '\"£\"')")
        raise RuntimeError("boom")
    assert store.get_settings(con)["currency_symbol"] == "$"


def _imports_streamlit(source: str) -> bool:
    """Return whether any statement in `source`, at any depth, imports streamlit."""
    import ast

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import) and any(
            a.name.split(".")[0] == "streamlit" for a in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "streamlit":
            return True
    return False


def test_spm_never_imports_streamlit_outside_ui():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "spm"
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if "ui" not in p.relative_to(root).parts and _imports_streamlit(p.read_text())
    ]
    assert offenders == []
    # the check sees imports inside functions, and not a script held in a string
    assert _imports_streamlit("def f():\n    from streamlit.web import cli\n")
    assert not _imports_streamlit("SCRIPT = 'import streamlit as st'\n")


def test_version_1_database_migrates_and_resolves_duplicate_versions(tmp_path):
    path = tmp_path / "v1.duckdb"
    old = duckdb.connect(str(path))
    old.execute(store._MIGRATIONS[1])
    old.execute("INSERT INTO schema_version VALUES (1)")
    old.execute(
        "INSERT INTO opportunity_snapshot_rows (load_id, as_of, opportunity_id, owner, amount,"
        " stage) VALUES (1, DATE '2026-01-05', 'A', 'Ann', 100, 'Prospecting'),"
        " (2, DATE '2026-01-05', 'A', 'Ann', 900, 'Prospecting'),"
        " (1, DATE '2026-01-05', 'B', 'Ann', 50, 'Prospecting')"
    )
    old.close()
    con = store.connect(path)
    rows = con.execute("SELECT opportunity_id, amount FROM opportunity_snapshots ORDER BY 1")
    assert rows.fetchall() == [("A", Decimal("900.00")), ("B", Decimal("50.00"))]


def test_newer_load_of_the_same_snapshot_wins_and_undo_brings_back_the_older(con):
    from spm.ingest import ingest_bytes, undo_load

    header = "opportunity_id,owner,amount,stage,close_date\n"
    day = date(2026, 3, 1)
    one = ingest_bytes(
        con, "1.csv", (header + "A,Ann,1,Prospecting,2026-04-01\n").encode(), as_of=day
    )
    two = ingest_bytes(
        con, "2.csv", (header + "A,Ann,2,Prospecting,2026-04-01\n").encode(), as_of=day
    )
    three = ingest_bytes(
        con, "3.csv", (header + "A,Ann,3,Prospecting,2026-04-01\n").encode(), as_of=day
    )

    def amounts() -> list:
        return [r[0] for r in con.execute("SELECT amount FROM opportunity_snapshots").fetchall()]

    assert amounts() == [Decimal("3.00")]
    undo_load(con, two.load_id)
    assert amounts() == [Decimal("3.00")]
    undo_load(con, three.load_id)
    assert amounts() == [Decimal("1.00")]
    assert one.load_id == 1


def test_snapshot_dates_come_from_the_cache_only_while_it_matches_the_rows(con):
    from spm.ingest import ingest_bytes, undo_load

    header = "opportunity_id,owner,amount,stage,close_date\n"
    row = (header + "A,Ann,1,Prospecting,2026-04-01\n").encode()
    first = ingest_bytes(con, "1.csv", row, as_of=date(2026, 3, 1))
    ingest_bytes(con, "2.csv", row, as_of=date(2026, 3, 8))
    cached = con.execute("SELECT as_of FROM snapshot_date_cache ORDER BY 1").fetchall()
    assert (
        [d for (d,) in cached] == store.snapshot_dates(con) == [date(2026, 3, 1), date(2026, 3, 8)]
    )
    # a plain SQL insert does not refresh the cache: the view computes the list instead
    con.execute(
        "INSERT INTO opportunity_snapshot_rows (load_id, as_of, opportunity_id, owner, stage)"
        " VALUES (9, '2026-03-15', 'B', 'Bo', 'Prospecting')"
    )
    assert store.snapshot_dates(con)[-1] == date(2026, 3, 15)
    con.execute("DELETE FROM opportunity_snapshot_rows WHERE load_id = 9")
    undo_load(con, first.load_id)
    assert store.snapshot_dates(con) == [date(2026, 3, 8)]
