"""Chart builders: the data and encodings behind each chart (AppTest cannot see Altair)."""

from __future__ import annotations

import pandas as pd

from spm import charts


def _data(spec: dict) -> list[dict]:
    return next(iter(spec["datasets"].values()))


def test_attainment_histogram_keeps_bucket_order_and_counts():
    dist = pd.DataFrame({"bucket": ["<50%", "50–75%", "≥125%"], "reps": [2, 5, 1]})
    spec = charts.attainment_histogram(dist).to_dict()
    assert [(r["bucket"], r["reps"]) for r in _data(spec)] == [
        ("<50%", 2),
        ("50–75%", 5),
        ("≥125%", 1),
    ]
    assert spec["encoding"]["x"]["sort"] == ["<50%", "50–75%", "≥125%"]
    assert {t["field"] for t in spec["encoding"]["tooltip"]} == {"bucket", "reps"}


def test_percentile_bars_colour_strengths_and_weaknesses():
    ranks = pd.DataFrame({"label": ["Win rate", "Deal size", "Bookings"], "rank": [0.9, 0.1, 0.5]})
    rows = _data(charts.percentile_bars(ranks).to_dict())
    assert [(r["label"], r["strength"]) for r in rows] == [
        ("Win rate", "strength"),
        ("Deal size", "weakness"),
        ("Bookings", "middle"),
    ]


def test_ramp_curves_highlight_the_focus_rep():
    curves = pd.DataFrame(
        {"rep": ["Ann", "Ann", "Ben"], "month": [1, 2, 1], "bookings": [5.0, 0.0, 7.0],
         "cumulative": [5.0, 5.0, 7.0]}
    )  # fmt: skip
    spec = charts.ramp_curves(curves, focus="Ben").to_dict()
    assert [(r["rep"], r["is_focus"]) for r in _data(spec)] == [
        ("Ann", False),
        ("Ann", False),
        ("Ben", True),
    ]
    assert spec["encoding"]["y"]["field"] == "cumulative"


def test_kpi_trend_facets_by_metric():
    trend = pd.DataFrame(
        {"period": ["2026-Q1", "2026-Q2"], "rep": ["Ann", "Ann"], "metric": ["won", "won"],
         "value": [1.0, 3.0]}
    )  # fmt: skip
    spec = charts.kpi_trend(trend, highlight="Ann").to_dict()
    assert spec["facet"]["field"] == "metric"
    assert [r["value"] for r in _data(spec)] == [1.0, 3.0]


def test_kpi_trend_quartiles_draws_the_median_and_the_middle_half():
    bands = pd.DataFrame(
        {"period": ["2026-Q1", "2026-Q2"], "metric": ["won", "won"], "reps": [40, 41],
         "p25": [1.0, 2.0], "median": [2.0, 3.0], "p75": [4.0, 5.0]}
    )  # fmt: skip
    spec = charts.kpi_trend_quartiles(bands).to_dict()
    layers = spec["spec"]["layer"]
    assert [layer["mark"]["type"] for layer in layers] == ["area", "line"]
    assert (
        layers[0]["encoding"]["y"]["field"] == "p25"
        and layers[0]["encoding"]["y2"]["field"] == "p75"
    )
    assert layers[1]["encoding"]["y"]["field"] == "median"
    assert spec["facet"]["field"] == "metric"
    data = next(iter(spec["datasets"].values()))
    assert [row["median"] for row in data] == [2.0, 3.0]


def test_to_vega_lite_names_each_frame_once_and_leaves_theme_out():
    dist = pd.DataFrame({"bucket": ["<50%", "≥125%"], "reps": [2, 1]})
    base = charts.alt.Chart(dist).encode(x="bucket:N", y="reps:Q")
    spec = charts.to_vega_lite(base.mark_bar() + base.mark_text())  # two layers, one frame
    assert list(spec["datasets"]) == ["spm_frame_0"]  # Vega names its own sources data_0, …
    assert spec["datasets"]["spm_frame_0"] is dist  # sent as a frame, not JSON records
    assert spec["data"] == {"name": "spm_frame_0"}
    assert "config" not in spec  # Altair's default theme (300×300 views) is not applied
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["bar", "text"]
