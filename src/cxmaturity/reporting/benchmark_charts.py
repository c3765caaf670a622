"""Charts of a benchmark as Vega-Lite specifications (drawn in the browser by static/charts.js).

Pure functions of the framework and the benchmark's figures: the cohort's quartiles and the organization's own
score per competency (with its interval), and the share of organizations per stage beside imported datasets and
published reference distributions, with the organization's own overall stage marked on it ("you are here") and shaded
by how likely each stage is. Every series carries its label (imported datasets their source and date, references
their title), so a chart never passes one source off as another.

Titles, legends, tooltips and sentences are in the active locale (``i18n.use_locale``), so a chart is built where its
page or report chooses the language; its stage and competency names come from the framework given.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cxmaturity.benchmarks.model import OVERALL, Aggregate, Standing
from cxmaturity.benchmarks.reference import Reference
from cxmaturity.benchmarks.statistics import BANDS, stage_shares
from cxmaturity.frameworks.model import Framework
from cxmaturity.i18n import N_
from cxmaturity.i18n import gettext as _
from cxmaturity.i18n.formats import format_decimal, format_percent, localized_number_text
from cxmaturity.reporting.charts import LABEL_COLOR, SCHEMA, Chart
from cxmaturity.scoring.display import score_text
from cxmaturity.scoring.result import Result

Spec = dict[str, Any]
#: Labels translated where a chart is made (``_(OWN)``): they are the legend's and the marks' labels.
OWN = N_("Your score")
#: The label of the organization's own overall stage on a stage distribution.
HERE = N_("You are here")
#: Okabe-Ito (color-blind safe): the sources in order, and the organization's own score apart from all of them.
SERIES_COLORS = ("#0072b2", "#009e73", "#e69f00", "#cc79a7", "#56b4e9", "#8c6d1f", "#000000")
OWN_COLOR = "#d55e00"
OVERALL_NAME = N_("Overall")
DIGITS = 4
#: Where a score falls among a cohort's quartiles (``benchmarks.statistics.BANDS``, the domain's English words), as
#: the pages and the report say it.
BAND_TEXTS = dict(
    zip(BANDS, (N_("lowest quarter"), N_("second quarter"), N_("third quarter"), N_("top quarter")), strict=True)
)


def band_text(band: str) -> str:
    """``band`` (one of ``BANDS``, or "") in the active locale."""
    return _(BAND_TEXTS[band]) if band in BAND_TEXTS else band


def _score(value: float) -> str:
    return localized_number_text(score_text(value))


@dataclass(frozen=True)
class Series:
    """One set of figures with the label it is shown under (this installation's cohort, or an imported dataset)."""

    label: str
    aggregates: Sequence[Aggregate]


@dataclass(frozen=True)
class YouAreHere:
    """The organization's own overall result as a stage distribution shows it, with its uncertainty."""

    stage_number: int
    stage_name: str
    score: float
    #: The interval of the overall score at ``confidence``; None when the result has no posterior draws.
    interval: tuple[float, float] | None
    confidence: float
    #: How likely each stage is (stage number -> share of posterior draws); empty without draws.
    probabilities: dict[int, float] = field(default_factory=dict)
    #: Names of the stages the interval spans, lowest first (the stage itself without an interval).
    spanned: tuple[str, ...] = ()

    @property
    def probability(self) -> float | None:
        return self.probabilities.get(self.stage_number)

    @property
    def sentence(self) -> str:
        """E.g. "You are here: Mobilize (stage 3 of 5, score 3.12), 64% likely; the 90% interval of your overall
        score, 2.71 to 3.40, spans Initiate to Mobilize." """
        # In the active locale, assembled from whole clauses so that each language orders its own words.
        text = _("You are here: %(stage)s (score %(score)s)") % {"stage": self.stage_name, "score": _score(self.score)}
        if self.probability is not None:
            text += _(", %(share)s likely") % {"share": format_percent(self.probability)}
        if self.interval is None:
            return text + _(" (no interval: the result was scored without posterior draws).")
        low, high = self.interval
        # The interval's ends rounded, as the table beside it and the results page write them (only a score is
        # floored, so that it never reads as the next stage).
        text += _("; the %(level)s interval of your overall score is %(low)s to %(high)s") % {
            "level": format_percent(self.confidence),
            "low": format_decimal(low),
            "high": format_decimal(high),
        }
        if len(self.spanned) > 1:
            return text + _(", which spans %(first)s to %(last)s.") % {
                "first": self.spanned[0],
                "last": self.spanned[-1],
            }
        return text + _(", within %(stage)s.") % {"stage": self.stage_name}


def _stage_at(score: float, stages: int) -> int:
    """Return the stage number of a score (the floor, as scoring places it), within 1..``stages``."""
    return min(max(math.floor(score + 1e-12), 1), stages)


def you_are_here(fw: Framework, result: Result | None) -> YouAreHere | None:
    """Return the overall stage of ``result`` to mark on a stage distribution; None when it has none."""
    if result is None:
        return None
    overall = result.overall
    number, score = overall.stage_number, overall.score
    if number is None or score is None:
        return None
    names = [fw.text(s.name) for s in fw.stages]
    probabilities = {fw.stage_number(k): p for k, p in overall.stage_probabilities.items()}
    if overall.interval is not None:
        low, high = (_stage_at(x, len(names)) for x in overall.interval)
        spanned = tuple(names[n - 1] for n in range(low, high + 1))
    else:
        spanned = (names[number - 1],)
    return YouAreHere(
        stage_number=number,
        stage_name=names[number - 1],
        score=score,
        interval=overall.interval,
        confidence=result.options.confidence,
        probabilities=probabilities,
        spanned=spanned,
    )


def intervals_of(result: Result | None) -> dict[str, tuple[float, float]]:
    """Return the interval of the organization's score per competency key (and overall), where there is one."""
    if result is None:
        return {}
    found = {c.key: c.interval for c in result.competencies if c.interval is not None}
    if result.overall.interval is not None:
        found[OVERALL] = result.overall.interval
    return found


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
    """Return the display name of each competency key, "Overall" (in the active locale) for the overall result."""
    return {OVERALL: _(OVERALL_NAME), **{c.key: fw.text(c.name) for c in fw.competencies}}


def _colors(labels: Sequence[str]) -> list[str]:
    return [SERIES_COLORS[i % len(SERIES_COLORS)] for i in range(len(labels))]


def quartile_data(
    fw: Framework,
    series: Sequence[Series],
    standings: Sequence[Standing],
    intervals: Mapping[str, tuple[float, float]] | None = None,
) -> list[dict[str, Any]]:
    """Rows of the quartile chart: one per competency and series (Q1, median, Q3), and the organization's score with
    its interval where ``intervals`` has one."""
    intervals = intervals or {}
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
                    "series": _(OWN),
                    "score": round(st.score, DIGITS),
                    "position": band_text(st.position),
                    "lower": round(intervals[st.competency][0], DIGITS) if st.competency in intervals else None,
                    "upper": round(intervals[st.competency][1], DIGITS) if st.competency in intervals else None,
                }
            )
    return rows


def quartile_chart(
    fw: Framework,
    series: Sequence[Series],
    standings: Sequence[Standing],
    intervals: Mapping[str, tuple[float, float]] | None = None,
) -> Spec:
    """The middle half of each cohort (Q1 to Q3, a bar with the median as a tick) and the organization's score, with
    its interval as a line through it."""
    labels = [s.label for s in series]
    names = list(competency_names(fw).values())
    y = {"field": "competency", "type": "nominal", "title": None, "sort": names}
    x_scale = {"domain": [1, len(fw.stages)]}
    own = _(OWN)
    # A string literal of Vega's expression language (JSON's quoting), whatever quotes a translation holds.
    own_literal = json.dumps(own)
    cohort = {"filter": "datum.series !== " + own_literal}
    color = {
        "field": "series",
        "type": "nominal",
        "title": None,
        "scale": {"domain": [*labels, own], "range": [*_colors(labels), OWN_COLOR]},
    }
    return {
        "$schema": SCHEMA,
        "description": _(
            "The middle half of each cohort's scores per competency, its median, and your score with its interval."
        ),
        "width": 420,
        # A fixed height (a band step would conflict with the offset of several cohorts within a band).
        "height": max(160, len(names) * 30 * max(1, len(labels))),
        "data": {"values": quartile_data(fw, series, standings, intervals)},
        "config": _config(),
        "encoding": {"y": y, "color": color},
        "layer": [
            {
                "transform": [cohort],
                "mark": {"type": "bar", "height": {"band": 0.5}, "opacity": 0.55},
                "encoding": {
                    "yOffset": {"field": "series", "sort": labels},
                    "x": {
                        "field": "q1",
                        "type": "quantitative",
                        "title": _("Score (1 = first stage)"),
                        "scale": x_scale,
                    },
                    "x2": {"field": "q3"},
                    "tooltip": [
                        {"field": "competency", "title": _("Competency")},
                        {"field": "series", "title": _("Cohort")},
                        {"field": "q1", "title": _("Lower quartile"), "format": ".2f"},
                        {"field": "median", "title": _("Median"), "format": ".2f"},
                        {"field": "q3", "title": _("Upper quartile"), "format": ".2f"},
                        {"field": "n", "title": _("Organizations")},
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
                "transform": [{"filter": "datum.series === " + own_literal + " && isValid(datum.lower)"}],
                "mark": {"type": "rule", "strokeWidth": 2, "color": OWN_COLOR},
                "encoding": {
                    "x": {"field": "lower", "type": "quantitative", "scale": x_scale},
                    "x2": {"field": "upper"},
                    "color": {"value": OWN_COLOR},
                },
            },
            {
                "transform": [{"filter": "datum.series === " + own_literal}],
                "mark": {"type": "point", "filled": True, "size": 110, "shape": "diamond"},
                "encoding": {
                    "x": {"field": "score", "type": "quantitative", "scale": x_scale},
                    "tooltip": [
                        {"field": "competency", "title": _("Competency")},
                        {"field": "score", "title": _(OWN), "format": ".2f"},
                        {"field": "lower", "title": _("Interval from"), "format": ".2f"},
                        {"field": "upper", "title": _("Interval to"), "format": ".2f"},
                        {"field": "position", "title": _("Your position")},
                    ],
                },
            },
        ],
    }


def reference_label(reference: Reference) -> str:
    return _("Published: %(title)s") % {"title": reference.title}


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


def here_data(fw: Framework, you: YouAreHere) -> list[dict[str, Any]]:
    """Rows of the "you are here" layer: each stage with how likely the organization's overall stage is it."""
    return [
        {
            "stage": fw.text(stage.name),
            "series": _(HERE),
            "probability": round(you.probabilities.get(number, 0.0), DIGITS) if you.probabilities else None,
            "here": number == you.stage_number,
            "label": _(HERE) + (f" ({format_percent(you.probability)})" if you.probability is not None else ""),
        }
        for number, stage in enumerate(fw.stages, start=1)
    ]


def stage_chart(
    fw: Framework, series: Sequence[Series], references: Sequence[Reference], you: YouAreHere | None = None
) -> Spec:
    """Share of organizations at each overall stage: this installation's cohort beside the other sources, and the
    organization's own overall stage marked, each stage shaded by how likely it is the organization's."""
    labels = [s.label for s in series] + [reference_label(r) for r in references]
    stage_names = [fw.text(s.name) for s in fw.stages]
    x = {
        "field": "stage",
        "type": "nominal",
        "title": None,
        "sort": stage_names,
        "axis": {"labelAngle": 0},
        "scale": {"paddingInner": 0.2, "paddingOuter": 0.1},
    }
    domain = [*labels, _(HERE)] if you is not None else labels
    colors = [*_colors(labels), OWN_COLOR] if you is not None else _colors(labels)
    bars: Spec = {
        "data": {"values": stage_data(fw, series, references)},
        "mark": {"type": "bar"},
        "encoding": {
            "x": x,
            "xOffset": {"field": "series", "sort": labels},
            "y": {
                "field": "share",
                "type": "quantitative",
                "title": _("Share of organizations"),
                "axis": {"format": "%"},
            },
            "color": {
                "field": "series",
                "type": "nominal",
                "title": None,
                "scale": {"domain": domain, "range": colors},
            },
            "tooltip": [
                {"field": "series", "title": _("Source")},
                {"field": "stage", "title": _("Stage")},
                {"field": "share", "title": _("Share"), "format": ".0%"},
                {"field": "organizations", "title": _("Organizations")},
            ],
        },
    }
    spec: Spec = {
        "$schema": SCHEMA,
        "description": _("Share of organizations at each overall stage, per source")
        + (f"; {you.sentence}" if you is not None else "."),
        "width": 420,
        "config": _config(),
    }
    if you is None:
        return {**spec, **bars}
    here = {"values": here_data(fw, you)}
    # The shading's opacity is the stage's probability (up to 0.35 at certainty), so a wide interval shows as a
    # spread of pale bands rather than one confident mark; without posterior draws only the stage itself is shaded.
    opacity: Spec = (
        {
            "field": "probability",
            "type": "quantitative",
            "scale": {"domain": [0, 1], "range": [0, 0.35]},
            "legend": None,
        }
        if you.probabilities
        else {"condition": {"test": "datum.here", "value": 0.25}, "value": 0}
    )
    shading: Spec = {
        "data": here,
        "mark": {"type": "rect"},
        "encoding": {
            "x": x,
            "y": {"value": 0},
            "y2": {"value": "height"},
            "color": {"field": "series", "type": "nominal", "title": None},
            "opacity": opacity,
            "tooltip": [
                {"field": "stage", "title": _("Stage")},
                {"field": "probability", "title": _("How likely it is your overall stage"), "format": ".0%"},
            ],
        },
    }
    outline: Spec = {
        "data": here,
        "transform": [{"filter": "datum.here"}],
        "mark": {"type": "rect", "filled": False, "stroke": OWN_COLOR, "strokeWidth": 2, "strokeDash": [6, 3]},
        "encoding": {"x": x, "y": {"value": 0}, "y2": {"value": "height"}},
    }
    marker: Spec = {
        "data": here,
        "transform": [{"filter": "datum.here"}],
        "mark": {"type": "text", "baseline": "bottom", "dy": -4, "fontWeight": "bold", "color": OWN_COLOR},
        "encoding": {"x": {**x, "bandPosition": 0.5}, "y": {"value": 0}, "text": {"field": "label"}},
    }
    return {**spec, "layer": [shading, bars, outline, marker]}


def benchmark_charts(
    fw: Framework,
    series: Sequence[Series],
    standings: Sequence[Standing],
    references: Sequence[Reference],
    result: Result | None = None,
) -> tuple[Chart, ...]:
    """Return the benchmark page's charts (none when there is nothing to draw); ``result``, the organization's own,
    gives its intervals and its overall stage to mark."""
    found = []
    if any(s.aggregates for s in series):
        found.append(
            Chart(
                "chart-benchmark-quartiles",
                _("Where you stand, per competency"),
                _(
                    "Bars: the middle half of each cohort (lower to upper quartile), with its median as a line; "
                    "diamonds: your scores, with their interval as a line through them."
                ),
                quartile_chart(fw, series, standings, intervals_of(result)),
            )
        )
    if any(s.aggregates for s in series) or references:
        found.append(stage_distribution(fw, series, references, you_are_here(fw, result)))
    return tuple(found)


def stage_distribution(
    fw: Framework, series: Sequence[Series], references: Sequence[Reference], you: YouAreHere | None
) -> Chart:
    """The stage chart as the page and the report show it, its description saying where you are."""
    about = _("Share of organizations at each overall stage, in each cohort and published reference.")
    if you is not None:
        about += " " + _("Shaded: how likely each stage is yours.") + " " + you.sentence
    return Chart(
        "chart-benchmark-stages",
        _("Organizations per stage, and where you are"),
        about,
        stage_chart(fw, series, references, you),
    )
