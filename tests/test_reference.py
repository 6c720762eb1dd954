"""The pandas reference and the SQL metrics agree on the demo company; the bench runs."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from spm import bench, reference, store
from spm.demo import build_demo
from spm.metrics import kpis, summary
from spm.periods import parse_period


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("ref") / "demo.duckdb"
    con = store.connect(path)
    build_demo(con, today=date(2026, 11, 23))
    con.close()
    return path


@pytest.mark.parametrize("period", ["2025-Q2", "2026-Q3", "2026-Q4"])
def test_rep_kpis_match_the_pandas_reference(demo_path, period):
    con = store.connect(demo_path, read_only=True)
    sql = kpis.rep_kpis(con, period).sort_values("rep").reset_index(drop=True)
    ref = reference.rep_kpis(reference.load_tables(con), period)
    con.close()
    cols = ["won", "lost", "bookings", "open_pipeline", "quota", "win_rate", "ads", "attainment"]
    merged = sql[["rep", *cols]].merge(ref[["rep", *cols]], on="rep", suffixes=("", "_ref"))
    assert len(merged) == len(ref) > 0
    for col in cols:
        pd.testing.assert_series_equal(
            merged[col].astype(float), merged[f"{col}_ref"].astype(float), check_names=False
        )


def test_summary_matches_the_pandas_reference(demo_path):
    con = store.connect(demo_path, read_only=True)
    record = summary.summary(con, period="2026-Q3").iloc[0]
    ref = reference.summary(reference.load_tables(con), "2026-Q3")
    con.close()
    assert {k: record[k] for k in ref} == pytest.approx(ref)


def test_bench_reports_every_case(demo_path, monkeypatch):
    monkeypatch.setitem(bench.INGEST_ROWS, "small", 500)
    monkeypatch.setattr(bench, "PAGES", {"home": "/", "one_on_one": "/reps?rep={rep}"})
    out = bench.run("small", db=str(demo_path), runs=1)
    cases = set(out["case"])
    assert {"page:home", "page:one_on_one", "metric:rep_kpis", "ingest:csv"} <= cases
    assert {"forecast:statistical", "refresh:derived", "peak_rss_mb"} <= cases
    assert (out["cold_ms"] > 0).all()
    assert out.loc[out["case"] == "metric:rep_kpis", "reference_ms"].iloc[0] > 0


def test_recorded_page_calls_are_the_views_calls(demo_path):
    rec = bench.record_page(str(demo_path), "/reps?rep=Dana%20Kowalski")
    names = [name for name, _, _ in rec["calls"]]
    # the one-on-one view of views/reps.py, through the app's cache
    assert "spm.metrics.one_on_one:kpi_tiles" in names
    assert "spm.metrics.hygiene:deals_needing_attention" in names
    tiles = next(c for c in rec["calls"] if c[0] == "spm.metrics.one_on_one:kpi_tiles")
    assert "Dana Kowalski" in tiles[1] + list(tiles[2].values())
    assert rec["warm_ms"] >= 0 and rec["error"] is None


def test_recorded_frames_survive_the_trip():
    frame = pd.DataFrame({"rep": ["Ann", None], "hire": [date(2025, 1, 6), None], "n": [1.5, 2]})
    back = bench.decode_arg(json.loads(json.dumps(bench.encode_arg({"reps": frame}))))["reps"]
    pd.testing.assert_frame_equal(back, frame)


def test_recorded_arguments_survive_the_trip():
    period = parse_period("2026-Q1")
    value = [date(2026, 1, 5), "x", None, 1.5, {"a": [date(2026, 2, 1)]}, (1, 2), period]
    assert bench.decode_arg(json.loads(json.dumps(bench.encode_arg(value)))) == [
        date(2026, 1, 5),
        "x",
        None,
        1.5,
        {"a": [date(2026, 2, 1)]},
        [1, 2],
        period,
    ]
