"""Altair chart builders: pure functions from a DataFrame to a chart, tooltips on every mark."""

from __future__ import annotations

import threading
from typing import Any

import altair as alt
import pandas as pd

BLUE, GREY, RED, GREEN = "#2563eb", "#9ca3af", "#dc2626", "#16a34a"

# Altair's theme and data transformer are process-wide settings: hold them for one conversion.
_ALTAIR_SETTINGS = threading.Lock()


def to_vega_lite(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """Return the chart's Vega-Lite spec, validated, its frames kept as named pandas datasets.

    The spec is what Streamlit draws for the chart (no Altair theme, data by name); converting
    once and drawing the spec spares the schema validation Altair runs on every conversion.
    """
    frames: dict[str, Any] = {}
    # A frame shared by layers is sent once. Vega names its own data sources data_0, data_1…
    names: dict[int, str] = {}

    def by_name(data: Any) -> dict[str, str]:
        if id(data) not in names:
            names[id(data)] = f"spm_frame_{len(frames)}"
            frames[names[id(data)]] = data
        return {"name": names[id(data)]}

    with _ALTAIR_SETTINGS:
        alt.data_transformers.register("spm_by_name", by_name)
        with alt.theme.enable("none"), alt.data_transformers.enable("spm_by_name"):
            spec = chart.to_dict()
    spec["datasets"] = {**spec.get("datasets", {}), **frames}
    return spec


def attainment_histogram(dist: pd.DataFrame) -> alt.Chart:
    """Return a bar chart of rep counts per attainment bucket (columns: bucket, reps)."""
    order = dist["bucket"].tolist()
    return (
        alt.Chart(dist)
        .mark_bar(color=BLUE)
        .encode(
            x=alt.X("bucket:N", sort=order, title="Attainment"),
            y=alt.Y("reps:Q", title="Reps", axis=alt.Axis(tickMinStep=1)),
            tooltip=[alt.Tooltip("bucket:N", title="Attainment"), alt.Tooltip("reps:Q")],
        )
        .properties(height=220)
    )


def kpi_trend(trend: pd.DataFrame, highlight: str | None = None) -> alt.FacetChart:
    """Return small multiples of each KPI by quarter (columns: period, rep, metric, value)."""
    data = trend.assign(is_focus=trend["rep"].eq(highlight) if highlight else True)
    base = alt.Chart(data).encode(
        x=alt.X("period:N", title=None, sort=sorted(data["period"].unique())),
        y=alt.Y("value:Q", title=None),
        detail="rep:N",
        tooltip=[
            alt.Tooltip("rep:N"),
            alt.Tooltip("period:N"),
            alt.Tooltip("metric:N"),
            alt.Tooltip("value:Q", format=",.2f"),
        ],
    )
    lines = base.mark_line(point=True).encode(
        color=alt.condition("datum.is_focus", alt.value(BLUE), alt.value(GREY)),
        opacity=alt.condition("datum.is_focus", alt.value(1.0), alt.value(0.35)),
    )
    return (
        lines.properties(width=220, height=140)
        .facet(facet=alt.Facet("metric:N", title=None), columns=3)
        .resolve_scale(y="independent")
    )


def kpi_trend_quartiles(bands: pd.DataFrame) -> alt.FacetChart:
    """Return small multiples of each KPI's team median by quarter, shaded 25th-75th percentile."""
    base = alt.Chart(bands).encode(
        x=alt.X("period:N", title=None, sort=sorted(bands["period"].unique())),
        tooltip=[
            alt.Tooltip("period:N"),
            alt.Tooltip("metric:N"),
            alt.Tooltip("reps:Q", title="Reps"),
            alt.Tooltip("p25:Q", title="25th percentile", format=",.2f"),
            alt.Tooltip("median:Q", title="Median", format=",.2f"),
            alt.Tooltip("p75:Q", title="75th percentile", format=",.2f"),
        ],
    )
    band = base.mark_area(opacity=0.25, color=BLUE).encode(y=alt.Y("p25:Q", title=None), y2="p75:Q")
    line = base.mark_line(point=True, color=BLUE).encode(y="median:Q")
    return (
        (band + line)
        .properties(width=220, height=140)
        .facet(facet=alt.Facet("metric:N", title=None), columns=3)
        .resolve_scale(y="independent")
    )


def ramp_curves(curves: pd.DataFrame, focus: str | None = None, symbol: str = "$") -> alt.Chart:
    """Return cumulative bookings by month since hire, one line per rep, `focus` highlighted."""
    data = curves.assign(is_focus=curves["rep"].eq(focus) if focus else True)
    return (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("month:Q", title="Months since hire", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("cumulative:Q", title=f"Cumulative bookings ({symbol})"),
            color=alt.Color("rep:N", title="Rep"),
            strokeWidth=alt.condition("datum.is_focus", alt.value(3.5), alt.value(1.2)),
            tooltip=[
                alt.Tooltip("rep:N"),
                alt.Tooltip("month:Q", title="Month since hire"),
                alt.Tooltip("bookings:Q", title=f"Booked that month ({symbol})", format=",.0f"),
                alt.Tooltip("cumulative:Q", title=f"Cumulative ({symbol})", format=",.0f"),
            ],
        )
        .properties(height=280)
    )


def percentile_bars(ranks: pd.DataFrame) -> alt.Chart:
    """Return horizontal bars of one rep's percentile rank per KPI (columns: label, rank)."""
    data = ranks.assign(strength=ranks["rank"].map(_strength))
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y(
                "label:N", title=None, sort=None, axis=alt.Axis(labelOverlap=False, labelLimit=220)
            ),
            x=alt.X(
                "rank:Q",
                title="Percentile in team",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%"),
            ),  # fmt: skip
            color=alt.Color(
                "strength:N",
                scale=alt.Scale(
                    domain=["strength", "middle", "weakness"], range=[GREEN, GREY, RED]
                ),
                title=None,
            ),
            tooltip=[alt.Tooltip("label:N", title="KPI"), alt.Tooltip("rank:Q", format=".0%")],
        )
        .properties(height=alt.Step(26))
    )


def _strength(rank: float) -> str:
    if pd.isna(rank):
        return "middle"
    return "strength" if rank >= 0.75 else "weakness" if rank <= 0.25 else "middle"
