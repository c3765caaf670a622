"""Charts of the executive CX scorecard: maturity over time beside each watched outcome metric, on the scorecard's one
timeline of quarters, so that a rise in maturity and a move of a customer metric line up by eye.

Vega-Lite specs like ``reporting.charts`` (plain dicts, inline data, pure functions of the ``Scorecard``): the
scorecard page and the report's outcomes section draw them on the server as SVG (``svg.draw``), the slides as PNG,
each with its numbers in words as the text alternative (the spec's ``description``). The tables beside them hold the
same numbers.
"""

from __future__ import annotations

import re
from typing import Any

from babel import numbers

from cxmaturity.i18n import active_locale, format_percent
from cxmaturity.i18n import gettext as _
from cxmaturity.i18n.formats import localized_number_text, percent_suffix
from cxmaturity.i18n.phrase import labelled, semicolons, translated
from cxmaturity.reporting.charts import CURRENT_COLOR, SCHEMA, TARGET_COLOR, Chart, Spec, _config
from cxmaturity.reporting.scorecard import MetricLine, Scorecard
from cxmaturity.scoring.display import score_text

WIDTH = 520
HEIGHT = 160
MATURITY_ID = "chart-scorecard-maturity"


def _num(x: float, digits: int) -> str:
    # Rounded as before (Python's), with the decimal sign of the active locale (the page's or the report's: charts
    # are made where they are shown).
    return f"{x:.{digits}f}".replace(".", numbers.get_decimal_symbol(active_locale()))


def _x(timeline: tuple[str, ...]) -> dict[str, Any]:
    # Every chart uses the whole timeline as its domain, so that quarters sit at the same place in each.
    return {
        "field": "period",
        "type": "ordinal",
        "title": None,
        "scale": {"domain": list(timeline)},
        "axis": {"labelAngle": 0},
    }


def maturity_data(card: Scorecard) -> list[dict[str, Any]]:
    return [
        {
            "period": m.period,
            "title": m.title,
            "score": round(m.score, 4),
            # As every page shows a score: floored (scoring/display.py), never rounded up into the next stage.
            "score_text": localized_number_text(score_text(m.score)),
            "lower": round(m.interval[0], 4) if m.interval else None,
            "upper": round(m.interval[1], 4) if m.interval else None,
            "stage": m.stage_name or m.stage or "",
        }
        for m in card.maturity
        if m.score is not None
    ]


def _maturity_description(data: list[dict[str, Any]]) -> str:
    parts = []
    for d in data:
        text = labelled(f"{d['period']} {d['title']}", d["score_text"])
        if d["lower"] is not None:
            text += " " + _("(%(level)s interval %(lower)s to %(upper)s)") % {
                "level": format_percent(0.9),
                "lower": _num(d["lower"], 2),
                "upper": _num(d["upper"], 2),
            }
        parts.append(text)
    return _("Overall maturity score by quarter: %(points)s.") % {"points": semicolons(parts)}


def maturity_chart(card: Scorecard) -> Chart | None:
    """The overall maturity score of each scored assessment, with its 90% interval; None without one."""
    data = maturity_data(card)
    if not data:
        return None
    description = _maturity_description(data)
    x = _x(card.timeline)
    spec: Spec = {
        "$schema": SCHEMA,
        "description": description,
        "config": _config(),
        "width": WIDTH,
        "height": HEIGHT,
        "data": {"values": data},
        "layer": [
            {
                "mark": {"type": "rule", "color": CURRENT_COLOR, "opacity": 0.5, "strokeWidth": 2},
                "encoding": {"x": x, "y": {"field": "lower", "type": "quantitative"}, "y2": {"field": "upper"}},
            },
            {
                "mark": {"type": "line", "point": {"size": 60, "color": CURRENT_COLOR}, "color": CURRENT_COLOR},
                "encoding": {
                    "x": x,
                    "y": {
                        "field": "score",
                        "type": "quantitative",
                        "title": _("Overall score"),
                        "scale": {"zero": False},
                    },
                    "tooltip": [
                        {"field": "title"},
                        {"field": "stage"},
                        {"field": "score_text", "title": _("Overall score")},
                    ],
                },
            },
        ],
    }
    return Chart(
        MATURITY_ID,
        _("Maturity over time"),
        _(
            "The overall maturity score of each assessment in its quarter, with its %(level)s interval as a vertical "
            "line."
        )
        % {"level": format_percent(0.9)},
        spec,
    )


def metric_data(line: MetricLine) -> list[dict[str, Any]]:
    return [
        {
            "period": p.period,
            "value": round(p.value, 4),
            "lower": round(p.interval[0], 4) if p.interval else None,
            "upper": round(p.interval[1], 4) if p.interval else None,
            "n": p.n,
        }
        for p in line.points
        if p.value is not None
    ]


def _unit_suffix(unit: str) -> str:
    # A share is written as the locale writes a percentage ("41,5 %" in German), as the report's tables do.
    return percent_suffix() if unit == "%" else ""


def metric_chart(card: Scorecard, line: MetricLine) -> Chart | None:
    """One watched metric by quarter, with its 90% interval where it has one (NPS, CSAT, CES); None without data."""
    data = metric_data(line)
    if not data:
        return None
    suffix = _unit_suffix(line.unit)
    parts = []
    for d in data:
        text = f"{d['period']} {_num(d['value'], 1)}{suffix}"
        if d["lower"] is not None:
            text += " " + _("(%(level)s interval %(lower)s to %(upper)s)") % {
                "level": format_percent(0.9),
                "lower": _num(d["lower"], 1),
                "upper": _num(d["upper"], 1),
            }
        parts.append(text)
    label = translated(line.label)
    description = _("%(metric)s by quarter: %(points)s.") % {"metric": label, "points": "; ".join(parts)}
    if line.verdict:
        description += " " + _("Last change: %(verdict)s.") % {"verdict": translated(line.verdict)}
    x = _x(card.timeline)
    unit_name = {"%": "%", "points": _("points")}.get(line.unit)
    y_title = label + (f" ({unit_name})" if unit_name else "")
    layers: list[Spec] = []
    if any(d["lower"] is not None for d in data):
        layers.append(
            {
                "mark": {"type": "area", "color": TARGET_COLOR, "opacity": 0.15},
                "encoding": {"x": x, "y": {"field": "lower", "type": "quantitative"}, "y2": {"field": "upper"}},
            }
        )
    layers.append(
        {
            "mark": {"type": "line", "point": {"size": 50, "color": TARGET_COLOR}, "color": TARGET_COLOR},
            "encoding": {
                "x": x,
                "y": {"field": "value", "type": "quantitative", "title": y_title, "scale": {"zero": False}},
                "tooltip": [{"field": "period"}, {"field": "value", "format": ".1f"}, {"field": "n"}],
            },
        }
    )
    spec: Spec = {
        "$schema": SCHEMA,
        "description": description,
        "config": _config(),
        "width": WIDTH,
        "height": HEIGHT,
        "data": {"values": data},
        "layer": layers,
    }
    return Chart(
        "chart-scorecard-" + re.sub(r"[^a-z0-9]+", "-", line.key.lower()).strip("-"),
        _("%(metric)s by quarter") % {"metric": label},
        _("On the same quarters as maturity above, with its %(level)s interval as a band.")
        % {"level": format_percent(0.9)}
        if layers[0]["mark"]["type"] == "area"
        else _("On the same quarters as maturity above."),
        spec,
    )


def charts(card: Scorecard) -> tuple[Chart, ...]:
    """Maturity over time, then each watched metric that has data, in the scorecard's order."""
    found = [maturity_chart(card), *(metric_chart(card, line) for line in card.metrics)]
    return tuple(c for c in found if c is not None)
