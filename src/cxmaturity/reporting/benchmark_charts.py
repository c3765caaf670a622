"""Charts of a benchmark as Vega-Lite specifications (drawn in the browser by static/charts.js).

Pure functions of the framework and the benchmark's figures: the cohort's quartiles and the organization's own
score per competency, and the share of organizations per stage beside imported datasets and published reference
distributions. Every series carries its label (imported datasets their source and date, references their title),
so a chart never passes one source off as another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cxmaturity.benchmarks.model import OVERALL, Aggregate, Standing
from cxmaturity.benchmarks.reference import Reference
from cxmaturity.benchmarks.statistics import stage_shares
from cxmaturity.frameworks.model import Framework
from cxmaturity.reporting.charts import LABEL_COLOR, SCHEMA, Chart

Spec = dict[str, Any]
OWN = "Your score"
#: Okabe-Ito (color-blind safe): the sources in order, and the organization's own score apart from all of them.
SERIES_COLORS = ("#0072b2", "#009e73", "#e69f00", "#cc79a7", "#56b4e9", "#8c6d1f", "#000000")
OWN_COLOR = "#d55e00"
OVERALL_NAME = "Overall"
DIGITS = 4


@dataclass(frozen=True)
class Series:
    """One set of figures with the label it is shown under (this installation's cohort, or an imported dataset)."""

    label: str
    aggregates: Sequence[Aggregate]


def _config() -> Spec:
    return {
        # No ARIA on marks and axes: a screen reader gets the chart as one image named by its description (the
        # numbers in words; reporting/svg.py and static/charts.js), not dozens of marks with raw field labels.
        "aria": False,
        "font": "system-ui, -apple-system, Segoe UI, Roboto, DejaVu Sans, sans-serif",
        "view": {"stroke": None},
        "axis": {"labelColor": LABEL_COLOR, "titleColor": LABEL_COLOR, "labelFontSize": 12, "titleFontSize": 12},
        "legend": {
            "labelColor": LABEL_COLOR,
            "titleColor": LABEL_COLOR,
            "labelFontSize": 12,
            "orient": "bottom",
            "direction": "vertical",
            "labelLimit": 320,
        },
    }


def competency_names(fw: Framework) -> dict[str, str]:
    """Return the display name of each competency key, "Overall" for the overall result."""
    return {OVERALL: OVERALL_NAME, **{c.key: fw.text(c.name) for c in fw.competencies}}


def _colors(labels: Sequence[str]) -> list[str]:
    return [SERIES_COLORS[i % len(SERIES_COLORS)] for i in range(len(labels))]


def quartile_data(fw: Framework, series: Sequence[Series], standings: Sequence[Standing]) -> list[dict[str, Any]]:
    """Rows of the quartile chart: one per competency and series (Q1, median, Q3), and the organization's score."""
    names = competency_names(fw)
    order = list(names)
    rows: list[dict[str, Any]] = []
    for s in series:
        for a in s.aggregates:
            if a.competency in names:
                rows.append(
                    {
                        "competency": names[a.competency],
                        "order": order.index(a.competency),
                        "series": s.label,
                        "q1": round(a.q1, DIGITS),
                        "median": round(a.median, DIGITS),
                        "q3": round(a.q3, DIGITS),
                        "n": a.n,
                    }
                )
    for st in standings:
        if st.competency in names:
            rows.append(
                {
                    "competency": names[st.competency],
                    "order": order.index(st.competency),
                    "series": OWN,
                    "score": round(st.score, DIGITS),
                    "position": st.position,
                }
            )
    return rows


def quartile_chart(fw: Framework, series: Sequence[Series], standings: Sequence[Standing]) -> Spec:
    """The middle half of each cohort (Q1 to Q3, a bar with the median as a tick) and the organization's score."""
    labels = [s.label for s in series]
    names = list(competency_names(fw).values())
    y = {"field": "competency", "type": "nominal", "title": None, "sort": names}
    x_scale = {"domain": [1, len(fw.stages)]}
    cohort = {"filter": "datum.series !== '" + OWN + "'"}
    color = {
        "field": "series",
        "type": "nominal",
        "title": None,
        "scale": {"domain": [*labels, OWN], "range": [*_colors(labels), OWN_COLOR]},
    }
    return {
        "$schema": SCHEMA,
        "description": "The middle half of each cohort's scores per competency, its median, and your score.",
        "width": 420,
        # A fixed height (a band step would conflict with the offset of several cohorts within a band).
        "height": max(160, len(names) * 30 * max(1, len(labels))),
        "data": {"values": quartile_data(fw, series, standings)},
        "config": _config(),
        "encoding": {"y": y, "color": color},
        "layer": [
            {
                "transform": [cohort],
                "mark": {"type": "bar", "height": {"band": 0.5}, "opacity": 0.55},
                "encoding": {
                    "yOffset": {"field": "series", "sort": labels},
                    "x": {"field": "q1", "type": "quantitative", "title": "Score (1 = first stage)", "scale": x_scale},
                    "x2": {"field": "q3"},
                    "tooltip": [
                        {"field": "competency", "title": "Competency"},
                        {"field": "series", "title": "Cohort"},
                        {"field": "q1", "title": "Lower quartile", "format": ".2f"},
                        {"field": "median", "title": "Median", "format": ".2f"},
                        {"field": "q3", "title": "Upper quartile", "format": ".2f"},
                        {"field": "n", "title": "Organizations"},
                    ],
                },
            },
            {
                "transform": [cohort],
                "mark": {"type": "tick", "thickness": 3, "color": LABEL_COLOR},
                "encoding": {
                    "yOffset": {"field": "series", "sort": labels},
                    "x": {"field": "median", "type": "quantitative", "scale": x_scale},
                    "color": {"value": LABEL_COLOR},
                },
            },
            {
                "transform": [{"filter": "datum.series === '" + OWN + "'"}],
                "mark": {"type": "point", "filled": True, "size": 110, "shape": "diamond"},
                "encoding": {
                    "x": {"field": "score", "type": "quantitative", "scale": x_scale},
                    "tooltip": [
                        {"field": "competency", "title": "Competency"},
                        {"field": "score", "title": "Your score", "format": ".2f"},
                        {"field": "position", "title": "Your position"},
                    ],
                },
            },
        ],
    }


def reference_label(reference: Reference) -> str:
    return f"Published: {reference.title}"


def stage_data(fw: Framework, series: Sequence[Series], references: Sequence[Reference]) -> list[dict[str, Any]]:
    """Rows of the stage chart: the share of organizations at each stage (overall), per series and reference."""
    stage_names = [fw.text(s.name) for s in fw.stages]
    rows: list[dict[str, Any]] = []
    for s in series:
        overall = next((a for a in s.aggregates if a.competency == OVERALL), None)
        if overall is None:
            continue
        for number, share in stage_shares(overall.stages, len(stage_names)).items():
            rows.append(
                {
                    "stage": stage_names[number - 1],
                    "series": s.label,
                    "share": round(share, DIGITS),
                    "organizations": overall.stages.get(number, 0),
                }
            )
    for reference in references:
        for key, stage in zip(fw.stage_keys, stage_names, strict=True):
            rows.append(
                {
                    "stage": stage,
                    "series": reference_label(reference),
                    "share": round(reference.shares.get(key, 0.0), DIGITS),
                    "organizations": None,
                }
            )
    return rows


def stage_chart(fw: Framework, series: Sequence[Series], references: Sequence[Reference]) -> Spec:
    """Share of organizations at each overall stage: this installation's cohort beside the other sources."""
    labels = [s.label for s in series] + [reference_label(r) for r in references]
    return {
        "$schema": SCHEMA,
        "description": "Share of organizations at each overall stage, per source.",
        "width": 420,
        "data": {"values": stage_data(fw, series, references)},
        "config": _config(),
        "mark": {"type": "bar"},
        "encoding": {
            "x": {
                "field": "stage",
                "type": "nominal",
                "title": None,
                "sort": [fw.text(s.name) for s in fw.stages],
                "axis": {"labelAngle": 0},
            },
            "xOffset": {"field": "series", "sort": labels},
            "y": {"field": "share", "type": "quantitative", "title": "Share of organizations", "axis": {"format": "%"}},
            "color": {
                "field": "series",
                "type": "nominal",
                "title": None,
                "scale": {"domain": labels, "range": _colors(labels)},
            },
            "tooltip": [
                {"field": "series", "title": "Source"},
                {"field": "stage", "title": "Stage"},
                {"field": "share", "title": "Share", "format": ".0%"},
                {"field": "organizations", "title": "Organizations"},
            ],
        },
    }


def benchmark_charts(
    fw: Framework, series: Sequence[Series], standings: Sequence[Standing], references: Sequence[Reference]
) -> tuple[Chart, ...]:
    """Return the benchmark page's charts (none when there is nothing to draw)."""
    found = []
    if any(s.aggregates for s in series):
        found.append(
            Chart(
                "chart-benchmark-quartiles",
                "Where you stand, per competency",
                "Bars: the middle half of each cohort (lower to upper quartile), with its median as a line; "
                "diamonds: your scores.",
                quartile_chart(fw, series, standings),
            )
        )
    if any(s.aggregates for s in series) or references:
        found.append(
            Chart(
                "chart-benchmark-stages",
                "Organizations per stage",
                "Share of organizations at each overall stage, in each cohort and published reference.",
                stage_chart(fw, series, references),
            )
        )
    return tuple(found)
