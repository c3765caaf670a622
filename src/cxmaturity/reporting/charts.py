"""Charts of a result as Vega-Lite specifications: plain dicts, pure functions of a Result and its Framework.

The web dashboard embeds these specs (rendered in the browser by vendored Vega-Lite), and the HTML/PDF reports reuse
exactly the same definitions, so a chart looks and means the same everywhere. Every chart has a text alternative in
the view model (``reporting.view``); a spec carries a ``description`` that becomes the chart's accessible label.

The specs use only inline data (no URLs), so they render without network access and under a strict Content
Security Policy (with Vega's expression interpreter, see ``web/static/charts.js``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cxmaturity.frameworks.model import Framework, Rubric, Statement
from cxmaturity.i18n import N_
from cxmaturity.i18n import gettext as _
from cxmaturity.i18n.formats import format_percent, localized_number_text
from cxmaturity.planning.model import Initiative, Plan
from cxmaturity.scoring.display import NOT_ASSESSED, score_text
from cxmaturity.scoring.result import CompetencyResult, Result

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"

#: Colors (WCAG AA against white where they carry text): current score, target, grid.
CURRENT_COLOR = "#0b5cad"
TARGET_COLOR = "#b35900"
GRID_COLOR = "#d0d7de"
LABEL_COLOR = "#1b1f24"
MUTED_COLOR = "#57606a"
#: Colors of groups in the comparison chart (a color-blind safe palette, Okabe-Ito), "Everyone" first.
GROUP_COLORS = ("#1b1f24", "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#8c6d1f")
#: Series names, translated where a chart is made (``_(CURRENT)``): they are the legend's labels.
EVERYONE = N_("Everyone")
CURRENT = N_("Current score")
TARGET = N_("Target")
DIGITS = 4
RADAR_SIZE = 380
#: A radar needs at least three spokes; with fewer competencies the same data is drawn as bars.
RADAR_MIN_COMPETENCIES = 3

Spec = dict[str, Any]


@dataclass(frozen=True)
class Chart:
    """One chart: its id (unique on a page), a title, a one-sentence description and the Vega-Lite spec."""

    id: str
    title: str
    description: str
    spec: Spec


def _r(value: float) -> float:
    return round(float(value), DIGITS)


def _config() -> Spec:
    return {
        # No ARIA on marks and axes: a screen reader gets the chart as one image named by its description (the
        # numbers in words; reporting/svg.py and static/charts.js), not dozens of marks with raw field labels.
        "aria": False,
        "font": "system-ui, -apple-system, Segoe UI, Roboto, DejaVu Sans, sans-serif",
        "view": {"stroke": None},
        "axis": {"labelColor": LABEL_COLOR, "titleColor": LABEL_COLOR, "labelFontSize": 12, "titleFontSize": 12},
        "legend": {"labelColor": LABEL_COLOR, "titleColor": LABEL_COLOR, "labelFontSize": 12, "orient": "bottom"},
    }


def targets(result: Result, fw: Framework) -> dict[str, str]:
    """Return each competency's target stage key: the assessment's target, or else the next stage (the top stays).

    A competency that is not assessed has no stage to go on from: it has a target only when the team chose one.
    """
    top = len(fw.stages)
    chosen = result.options.targets
    found = {}
    for c in result.competencies:
        target = chosen.get(c.key) or (
            fw.stage_keys[min(c.stage_number, top - 1)] if c.stage_number is not None else None
        )
        if target is not None:
            found[c.key] = target
    return found


def _label(fw: Framework, comp: CompetencyResult) -> str:
    """A competency's name on a chart axis, marked when it is not assessed (so no empty spot reads as a low one)."""
    name = fw.text(fw.competency(comp.key).name)
    return name if comp.assessed else f"{name} ({_(NOT_ASSESSED)})"


def current_vs_target_data(result: Result, fw: Framework) -> list[dict[str, Any]]:
    """Rows of the radar: one per competency and series (current score, target stage number); a competency that is
    not assessed has no current row, and a target row only when the team chose one."""
    target_of = targets(result, fw)
    n = len(result.competencies)
    rows = []
    for index, comp in enumerate(result.competencies):
        angle = 2 * math.pi * index / n
        target = target_of.get(comp.key)
        series_values = (
            (_(CURRENT), comp.score),
            (_(TARGET), float(fw.stage_number(target)) if target is not None else None),
        )
        for series, value in series_values:
            if value is None:
                continue
            rows.append(
                {
                    "competency": _label(fw, comp),
                    "key": comp.key,
                    "order": index,
                    "series": series,
                    "value": _r(value),
                    "stage": fw.text(fw.stages[math.floor(value + 1e-9) - 1].name),
                    "x": _r(value * math.sin(angle)),
                    "y": _r(value * math.cos(angle)),
                }
            )
    return rows


def radar(result: Result, fw: Framework) -> Spec:
    """Current score against target per competency, on one spoke per competency (rings are the stages).

    The polygon coordinates are computed here, so the spec is plain x/y marks that any Vega-Lite renders alike.
    With fewer than three competencies a radar has no area: the same data is drawn as bars instead.
    """
    data = current_vs_target_data(result, fw)
    if len(result.competencies) < RADAR_MIN_COMPETENCIES:
        return _score_bars(result, fw, data)
    n_stages = len(fw.stages)
    n = len(result.competencies)
    names = [_label(fw, c) for c in result.competencies]
    extent = n_stages + 1.9
    scale = {"domain": [-extent, extent], "nice": False, "zero": False}
    x = {"field": "x", "type": "quantitative", "scale": scale, "axis": None}
    y = {"field": "y", "type": "quantitative", "scale": scale, "axis": None}
    rings = [
        {
            "ring": stage_number,
            "order": index,
            "x": _r(stage_number * math.sin(2 * math.pi * index / n)),
            "y": _r(stage_number * math.cos(2 * math.pi * index / n)),
        }
        for stage_number in range(1, n_stages + 1)
        for index in range(n)
    ]
    spokes = [
        {
            "x": _r(n_stages * math.sin(2 * math.pi * index / n)),
            "y": _r(n_stages * math.cos(2 * math.pi * index / n)),
            "x0": 0,
            "y0": 0,
        }
        for index in range(n)
    ]
    labels: dict[str, list[dict[str, Any]]] = {"left": [], "right": [], "center": []}
    for index, name in enumerate(names):
        sx, sy = math.sin(2 * math.pi * index / n), math.cos(2 * math.pi * index / n)
        side = "center" if abs(sx) < 0.2 else ("left" if sx > 0 else "right")
        labels[side].append(
            {
                "label": name,
                "x": _r((n_stages + 0.3) * sx),
                "y": _r((n_stages + 0.3) * sy),
                "baseline": "middle" if side != "center" else ("bottom" if sy > 0 else "top"),
            }
        )
    ring_labels = [{"label": fw.text(s.name), "x": 0, "y": float(number)} for number, s in enumerate(fw.stages, 1)]
    color = {
        "field": "series",
        "type": "nominal",
        "title": None,
        "scale": {"domain": [_(CURRENT), _(TARGET)], "range": [CURRENT_COLOR, TARGET_COLOR]},
    }
    layers: list[Spec] = [
        {
            "data": {"values": rings},
            "mark": {"type": "line", "interpolate": "linear-closed", "stroke": GRID_COLOR, "strokeWidth": 1},
            "encoding": {"x": x, "y": y, "detail": {"field": "ring"}, "order": {"field": "order"}},
        },
        {
            "data": {"values": spokes},
            "mark": {"type": "rule", "stroke": GRID_COLOR, "strokeWidth": 1},
            "encoding": {"x": x, "y": y, "x2": {"field": "x0"}, "y2": {"field": "y0"}},
        },
        {
            "data": {"values": ring_labels},
            "mark": {
                "type": "text",
                "align": "left",
                "baseline": "top",
                "dx": 4,
                "dy": 3,
                "fontSize": 10,
                "color": MUTED_COLOR,
            },
            "encoding": {"x": x, "y": y, "text": {"field": "label"}},
        },
        *(
            {
                "data": {"values": [row for row in rows if row["baseline"] == baseline]},
                "mark": {"type": "text", "align": align, "baseline": baseline, "fontSize": 12, "fontWeight": 600},
                "encoding": {"x": x, "y": y, "text": {"field": "label"}, "color": {"value": LABEL_COLOR}},
            }
            for align, rows in labels.items()
            for baseline in ("middle", "bottom", "top")
            if any(row["baseline"] == baseline for row in rows)
        ),
        {
            "data": {"values": data},
            "mark": {"type": "line", "interpolate": "linear-closed", "strokeWidth": 2.5},
            "encoding": {
                "x": x,
                "y": y,
                "color": color,
                "strokeDash": {
                    "field": "series",
                    "type": "nominal",
                    "title": None,
                    "scale": {"domain": [_(CURRENT), _(TARGET)], "range": [[1, 0], [6, 4]]},
                },
                "order": {"field": "order"},
            },
        },
        {
            "data": {"values": data},
            "mark": {"type": "point", "filled": True, "size": 60},
            "encoding": {
                "x": x,
                "y": y,
                "color": color,
                "shape": {
                    "field": "series",
                    "type": "nominal",
                    "title": None,
                    "scale": {"domain": [_(CURRENT), _(TARGET)], "range": ["circle", "diamond"]},
                },
                "tooltip": [
                    {"field": "competency", "title": _("Competency")},
                    {"field": "series", "title": _("Series")},
                    {"field": "value", "title": _("Score"), "format": ".2f"},
                    {"field": "stage", "title": _("Stage")},
                ],
            },
        },
    ]
    return {
        "$schema": SCHEMA,
        "description": _radar_description(result, fw),
        "width": RADAR_SIZE,
        "height": RADAR_SIZE,
        "padding": 8,
        "config": _config(),
        "layer": layers,
    }


def _radar_description(result: Result, fw: Framework) -> str:
    names = {c.key: fw.text(c.name) for c in fw.competencies}
    target_of = targets(result, fw)
    parts = []
    for c in result.competencies:
        target = target_of.get(c.key)
        aim = _(" (target %(number)s)") % {"number": fw.stage_number(target)} if target is not None else ""
        parts.append(f"{names[c.key]} {localized_number_text(score_text(c.score, missing=_(NOT_ASSESSED)))}{aim}")
    return _("Radar chart of the current score against the target stage per competency: %(values)s.") % {
        "values": "; ".join(parts)
    }


def _score_bars(result: Result, fw: Framework, data: list[dict[str, Any]]) -> Spec:
    n_stages = len(fw.stages)
    return {
        "$schema": SCHEMA,
        "description": _radar_description(result, fw),
        "width": RADAR_SIZE,
        "data": {"values": data},
        "config": _config(),
        "mark": {"type": "bar"},
        "encoding": {
            "y": {
                "field": "competency",
                "type": "nominal",
                "title": None,
                "sort": [_label(fw, c) for c in result.competencies],
            },
            "yOffset": {"field": "series", "sort": [_(CURRENT), _(TARGET)]},
            "x": {
                "field": "value",
                "type": "quantitative",
                "title": _("Score (1 = first stage)"),
                "scale": {"domain": [0, n_stages]},
            },
            "color": {
                "field": "series",
                "type": "nominal",
                "title": None,
                "scale": {"domain": [_(CURRENT), _(TARGET)], "range": [CURRENT_COLOR, TARGET_COLOR]},
            },
            "tooltip": [
                {"field": "competency", "title": _("Competency")},
                {"field": "series", "title": _("Series")},
                {"field": "value", "title": _("Score"), "format": ".2f"},
            ],
        },
    }


def fulfilment_data(result: Result, fw: Framework) -> list[dict[str, Any]]:
    """Cells of the heat map: competency × stage (above the first) with the stage's fulfilment (None: no evidence)."""
    threshold = fw.scoring.threshold
    rows = []
    for comp in result.competencies:
        empty = _("no evidence") if comp.assessed else _(NOT_ASSESSED)
        for stage in fw.stages[1:]:
            value = comp.fulfilment.get(stage.key) if comp.assessed else None
            rows.append(
                {
                    "competency": _label(fw, comp),
                    "stage": fw.text(stage.name),
                    "stage_number": fw.stage_number(stage.key),
                    "fulfilment": None if value is None else _r(value),
                    "label": empty if value is None else ("✓ " if value >= threshold else "") + format_percent(value),
                    "met": value is not None and value >= threshold,
                }
            )
    return rows


def heatmap(result: Result, fw: Framework) -> Spec:
    """Competency × stage heat map of fulfilment: the share of each stage's evidence the team says is in place.

    A stage is met at the framework's threshold; the competency's stage is the highest stage met with every stage
    below it met, so a row reads left to right until the first cell below the threshold.
    """
    data = fulfilment_data(result, fw)
    stages = [fw.text(s.name) for s in fw.stages[1:]]
    competencies = [_label(fw, c) for c in result.competencies]
    threshold = fw.scoring.threshold
    x = {
        "field": "stage",
        "type": "ordinal",
        "sort": stages,
        "title": _("Stage"),
        "axis": {"orient": "top", "labelAngle": 0, "labelLimit": 110},
    }
    y = {"field": "competency", "type": "ordinal", "sort": competencies, "title": None}
    return {
        "$schema": SCHEMA,
        "description": _(
            "Heat map of how much of each stage's evidence is in place, per competency and stage (met at "
            "%(threshold)s, marked with a check): %(cells)s."
        )
        % {
            "threshold": format_percent(threshold),
            "cells": "; ".join(f"{row['competency']} {row['stage']} {row['label']}" for row in data),
        },
        "width": {"step": 86},
        "height": {"step": 36},
        "data": {"values": data},
        "config": _config(),
        "encoding": {"x": x, "y": y},
        "layer": [
            {
                "transform": [{"filter": "datum.fulfilment == null"}],
                "mark": {"type": "rect", "color": "#eaeef2", "stroke": "#ffffff", "strokeWidth": 2},
            },
            {
                "transform": [{"filter": "datum.fulfilment != null"}],
                "mark": {"type": "rect", "stroke": "#ffffff", "strokeWidth": 2},
                "encoding": {
                    "color": {
                        "field": "fulfilment",
                        "type": "quantitative",
                        "title": _("Fulfilment"),
                        "scale": {"domain": [0, 1], "scheme": "blues"},
                        "legend": {"format": ".0%", "gradientLength": 160},
                    },
                    "tooltip": [
                        {"field": "competency", "title": _("Competency")},
                        {"field": "stage", "title": _("Stage")},
                        {"field": "fulfilment", "title": _("Fulfilment"), "format": ".0%"},
                        {"field": "met", "title": _("Met")},
                    ],
                },
            },
            {
                "mark": {"type": "text", "fontSize": 12},
                "encoding": {
                    "text": {"field": "label"},
                    "color": {
                        "condition": {"test": "datum.fulfilment != null && datum.fulfilment > 0.55", "value": "#fff"},
                        "value": LABEL_COLOR,
                    },
                },
            },
        ],
    }


def group_data(result: Result, fw: Framework) -> list[dict[str, Any]]:
    """Scores per competency for everyone and for each group the scoring shows (large enough groups only)."""
    label = {c.key: _label(fw, c) for c in result.competencies}
    rows = [
        {"competency": label[c.key], "group": _(EVERYONE), "respondents": result.respondents, "score": _r(c.score)}
        for c in result.competencies
        if c.score is not None
    ]
    for group in result.groups:
        rows.extend(
            {"competency": label[gc.key], "group": group.group, "respondents": group.respondents, "score": _r(gc.score)}
            for gc in group.competencies
            if gc.score is not None
        )
    return rows


def group_comparison(result: Result, fw: Framework) -> Spec | None:
    """Dot plot of each shown group's score per competency next to everyone's; None when no group is shown."""
    if not result.groups:
        return None
    data = group_data(result, fw)
    groups = [_(EVERYONE), *(g.group for g in result.groups)]
    competencies = [_label(fw, c) for c in result.competencies]
    colors = [GROUP_COLORS[i % len(GROUP_COLORS)] for i in range(len(groups))]
    return {
        "$schema": SCHEMA,
        "description": _("Dot plot of the score per competency for everyone and for each group: %(values)s.")
        % {
            "values": "; ".join(
                f"{row['group']} {row['competency']} {localized_number_text(score_text(row['score']))}" for row in data
            )
        },
        "width": 520,
        "height": {"step": 34},
        "data": {"values": data},
        "config": _config(),
        "encoding": {
            "y": {"field": "competency", "type": "ordinal", "sort": competencies, "title": None},
            "x": {
                "field": "score",
                "type": "quantitative",
                "title": _("Score (whole part = stage)"),
                "scale": {"domain": [1, len(fw.stages)], "nice": False},
                "axis": {"tickMinStep": 1, "grid": True, "gridColor": GRID_COLOR},
            },
        },
        "layer": [
            {
                "mark": {"type": "rule", "color": GRID_COLOR, "strokeWidth": 2},
                "encoding": {"x": {"aggregate": "min", "field": "score"}, "x2": {"aggregate": "max", "field": "score"}},
            },
            {
                "mark": {"type": "point", "filled": True, "size": 90, "opacity": 1},
                "encoding": {
                    "color": {
                        "field": "group",
                        "type": "nominal",
                        "title": _("Group"),
                        "scale": {"domain": groups, "range": colors},
                    },
                    "shape": {"field": "group", "type": "nominal", "scale": {"domain": groups}},
                    "tooltip": [
                        {"field": "group", "title": _("Group")},
                        {"field": "respondents", "title": _("Respondents")},
                        {"field": "competency", "title": _("Competency")},
                        {"field": "score", "title": _("Score"), "format": ".2f"},
                    ],
                },
            },
        ],
    }


def charts(result: Result, fw: Framework) -> tuple[Chart, ...]:
    """Every chart of the results dashboard, in page order (the group chart only when a group is shown)."""
    threshold = fw.scoring.threshold
    found = [
        Chart(
            "chart-radar",
            _("Current score and target per competency"),
            _(
                "Each spoke is a competency; rings are the stages, from the first at the centre outwards. The solid "
                "line is the team's score, the dashed line the target stage."
            ),
            radar(result, fw),
        ),
        Chart(
            "chart-heatmap",
            _("Fulfilment of each stage per competency"),
            _(
                "The share of each stage's evidence that the team says is in place. A stage is met at %(threshold)s "
                "(marked ✓), and a competency reaches a stage only when every stage before it is met too."
            )
            % {"threshold": format_percent(threshold)},
            heatmap(result, fw),
        ),
    ]
    groups = group_comparison(result, fw)
    if groups is not None:
        found.append(
            Chart(
                "chart-groups",
                _("Scores by group"),
                _(
                    "Each group's score per competency next to everyone's; only groups of at least %(size)s "
                    "respondents are shown."
                )
                % {"size": result.options.min_group_size},
                groups,
            )
        )
    return tuple(found)


# --- Roadmap plans (planning.model.Plan): a Gantt chart per competency and the expected stage per period ----------

#: Colors of an initiative's bar: planned, quick win, locked by the team (Okabe-Ito, with text-safe contrast).
PLANNED = N_("Planned")
QUICK_WIN = N_("Quick win")
LOCKED = N_("Locked")
GANTT_COLORS = {PLANNED: "#0072b2", QUICK_WIN: "#009e73", LOCKED: "#b35900"}
GANTT_WIDTH = 520


#: Initiative titles on the timeline's axis are cut to this many characters (the table beside it has them in full).
GANTT_LABEL_CHARS = 34


def _short_label_expr(limit: int) -> str:
    """A Vega expression that cuts an axis label to ``limit`` characters with an ellipsis."""
    return f"length(datum.label) > {limit} ? substring(datum.label, 0, {limit - 1}) + '…' : datum.label"


def _kind(initiative: Initiative) -> str:
    return LOCKED if initiative.locked else QUICK_WIN if initiative.quick_win else PLANNED


def gantt_data(plan: Plan, competency: str | None = None) -> list[dict[str, Any]]:
    """One row per initiative (of one competency, or all), in the order they start."""
    rows = []
    chosen = [i for i in plan.initiatives if competency is None or i.competency == competency]
    for initiative in sorted(chosen, key=lambda i: (i.start, i.end, i.key)):
        rows.append(
            {
                "key": initiative.key,
                "title": initiative.title,
                "start": initiative.start,
                "end": initiative.end,
                "periods": f"{initiative.start}–{initiative.end - 1}"
                if initiative.end - initiative.start > 1
                else str(initiative.start),
                "cost": _r(initiative.cost),
                "effort": _r(initiative.effort),
                "kind": _(_kind(initiative)),
                "owner": initiative.owner or _("(none)"),
            }
        )
    return rows


def gantt(plan: Plan, fw: Framework, competency: str | None = None) -> Spec:
    """Timeline of one competency's initiatives (or, without one, the whole plan's): a bar per initiative from its
    first period up to its end.

    The x axis counts periods from 1; a bar covers its periods whole (an initiative in periods 2 and 3 spans 2 to 4).
    Locked initiatives and quick wins have their own colors.
    """
    horizon = plan.request.horizon
    data = gantt_data(plan, competency)
    name = fw.text(fw.competency(competency).name) if competency else _("the plan")
    kinds = [k for k in (PLANNED, QUICK_WIN, LOCKED) if any(row["kind"] == _(k) for row in data)] or [PLANNED]
    x = {
        "field": "start",
        "type": "quantitative",
        "title": _("Period"),
        "scale": {"domain": [1, horizon + 1], "nice": False, "zero": False},
        "axis": {"values": list(range(1, horizon + 2)), "format": "d", "grid": True, "gridColor": GRID_COLOR},
    }
    y = {
        "field": "title",
        "type": "nominal",
        "sort": [row["title"] for row in data],
        "title": None,
        # Shortened by character count, not by measured width (labelLimit): the same look, and server-side
        # drawing (the reports) does not measure each long title over and over.
        "axis": {"labelLimit": 0, "labelExpr": _short_label_expr(GANTT_LABEL_CHARS)},
    }
    return {
        "$schema": SCHEMA,
        "description": _("Timeline of the initiatives for %(name)s: %(initiatives)s.")
        % {
            "name": name,
            "initiatives": "; ".join(
                _("%(title)s in period %(periods)s (%(kind)s)")
                % {"title": row["title"], "periods": row["periods"], "kind": row["kind"].lower()}
                for row in data
            )
            or _("none"),
        },
        "width": GANTT_WIDTH,
        "height": {"step": 30},
        "data": {"values": data},
        "config": _config(),
        "encoding": {"y": y},
        "layer": [
            {
                "mark": {"type": "bar", "cornerRadius": 3, "height": {"band": 0.7}},
                "encoding": {
                    "x": x,
                    "x2": {"field": "end"},
                    "color": {
                        "field": "kind",
                        "type": "nominal",
                        "title": None,
                        "scale": {"domain": [_(k) for k in kinds], "range": [GANTT_COLORS[k] for k in kinds]},
                    },
                    "tooltip": [
                        {"field": "title", "title": _("Initiative")},
                        {"field": "key", "title": _("Key")},
                        {"field": "periods", "title": _("Periods")},
                        {"field": "cost", "title": _("Cost"), "format": ",.0f"},
                        {"field": "effort", "title": _("Effort (person-months)"), "format": ".1f"},
                        {"field": "kind", "title": _("Kind")},
                        {"field": "owner", "title": _("Owner")},
                    ],
                },
            },
        ],
    }


def expected_stage_data(plan: Plan, fw: Framework) -> list[dict[str, Any]]:
    """Cells of the expected-stage chart: competency × period with the stage expected by the end of that period."""
    rows = []
    for comp in fw.competencies:
        for period, stage in enumerate(plan.expected_stages.get(comp.key, ()), start=1):
            rows.append(
                {
                    "competency": fw.text(comp.name),
                    "period": period,
                    "stage": fw.text(fw.stages[fw.stage_number(stage) - 1].name),
                    "stage_number": fw.stage_number(stage),
                }
            )
    return rows


def _stage_runs(data: list[dict[str, Any]]) -> str:
    """The heat map in words, a run of periods at a time ("Lead: Initiate in periods 1-3, Mobilize in period 4"):
    a cell at a time, twelve periods of six competencies made a name too long for a screen reader (Chromium drops
    an accessible name of that length)."""
    runs: dict[str, list[list[Any]]] = {}
    for row in data:
        found = runs.setdefault(row["competency"], [])
        if found and found[-1][0] == row["stage"] and found[-1][2] == row["period"] - 1:
            found[-1][2] = row["period"]
        else:
            found.append([row["stage"], row["period"], row["period"]])
    return "; ".join(
        f"{name}: "
        + ", ".join(
            _("%(stage)s in period %(period)s") % {"stage": stage, "period": a}
            if a == b
            else _("%(stage)s in periods %(first)s-%(last)s") % {"stage": stage, "first": a, "last": b}
            for stage, a, b in spans
        )
        for name, spans in runs.items()
    )


def expected_stages(plan: Plan, fw: Framework) -> Spec:
    """Heat map of the stage each competency is expected to reach by each period, as the plan's initiatives finish."""
    data = expected_stage_data(plan, fw)
    competencies = [fw.text(c.name) for c in fw.competencies if c.key in plan.expected_stages]
    n_stages = len(fw.stages)
    return {
        "$schema": SCHEMA,
        "description": _("Heat map of the expected stage per competency and period: %(stages)s.")
        % {"stages": _stage_runs(data)},
        "width": {"step": 56},
        "height": {"step": 34},
        "data": {"values": data},
        "config": _config(),
        "encoding": {
            "x": {
                "field": "period",
                "type": "ordinal",
                "title": _("Period"),
                "axis": {"labelAngle": 0, "orient": "top"},
            },
            "y": {"field": "competency", "type": "ordinal", "sort": competencies, "title": None},
        },
        "layer": [
            {
                "mark": {"type": "rect", "stroke": "#ffffff", "strokeWidth": 2},
                "encoding": {
                    "color": {
                        "field": "stage_number",
                        "type": "quantitative",
                        "title": _("Stage"),
                        "scale": {"domain": [1, n_stages], "scheme": "blues"},
                        "legend": {"tickCount": n_stages, "format": "d", "gradientLength": 160},
                    },
                    "tooltip": [
                        {"field": "competency", "title": _("Competency")},
                        {"field": "period", "title": _("Period")},
                        {"field": "stage", "title": _("Expected stage")},
                    ],
                },
            },
            {
                "mark": {"type": "text", "fontSize": 12},
                "encoding": {
                    "text": {"field": "stage_number"},
                    "color": {
                        "condition": {"test": f"datum.stage_number > {(n_stages + 1) / 2}", "value": "#fff"},
                        "value": LABEL_COLOR,
                    },
                },
            },
        ],
    }


def plan_charts(plan: Plan, fw: Framework) -> tuple[Chart, ...]:
    """The charts of a plan page: a timeline per competency that has initiatives, then the expected stages."""
    found = []
    for comp in fw.competencies:
        if any(i.competency == comp.key for i in plan.initiatives):
            name = fw.text(comp.name)
            found.append(
                Chart(
                    gantt_id(comp.key),
                    _("Timeline: %(name)s") % {"name": name},
                    _(
                        "The initiatives for %(name)s by period: each bar runs from the period it starts in to the end "
                        "of its last period. Locked initiatives and quick wins have their own colors."
                    )
                    % {"name": name},
                    gantt(plan, fw, comp.key),
                )
            )
    if plan.expected_stages:
        found.append(
            Chart(
                "chart-expected-stages",
                _("Expected stage per competency and period"),
                _(
                    "The stage (1 = first) each competency is expected to have reached by the end of each period, as "
                    "the plan's initiatives finish."
                ),
                expected_stages(plan, fw),
            )
        )
    return tuple(found)


def gantt_id(competency: str) -> str:
    """The chart id of a competency's timeline (an id-safe form of its key: letters, digits and hyphens)."""
    return "chart-gantt-" + "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in competency.lower())


# --- Answer distributions (the reports): how the team answered each indicator, one chart per answer scale ---------

DONT_KNOW_LABEL = N_("Don't know")
NOT_APPLICABLE_LABEL = N_("Not applicable")
#: Options run from light to dark (lowest to highest); "don't know" and "not applicable" are greys, not a level.
LOW_COLOR = (0xC6, 0xDB, 0xEF)
HIGH_COLOR = (0x08, 0x30, 0x6B)
DONT_KNOW_COLOR = "#8c959f"
NOT_APPLICABLE_COLOR = "#d0d7de"
DISTRIBUTION_WIDTH = 300
#: At most this many indicators per chart, so that a chart fits on one printed page.
DISTRIBUTION_ROWS = 28
#: Labels are shortened here rather than by Vega's labelLimit: measuring text to truncate it costs server-side
#: rendering about 30 ms per label. The full texts are in the report's tables.
INDICATOR_LABEL_CHARS = 32
ANSWER_LABEL_CHARS = 34


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _ramp(n: int) -> list[str]:
    """Return ``n`` colors from light to dark blue (one per option, lowest first)."""
    colors = []
    for i in range(n):
        t = i / (n - 1) if n > 1 else 1.0
        r, g, b = (round(lo + (hi - lo) * t) for lo, hi in zip(LOW_COLOR, HIGH_COLOR, strict=True))
        colors.append(f"#{r:02x}{g:02x}{b:02x}")
    return colors


def answer_scale(fw: Framework, indicator: Statement | Rubric) -> tuple[str, str, list[str]]:
    """Return the key, title and option labels (lowest first) of the scale an indicator is answered on."""
    if isinstance(indicator, Statement):
        scale = fw.scales[indicator.scale]
        title = fw.text(scale.name) if scale.name else _("Statements (%(scale)s)") % {"scale": indicator.scale}
        return f"scale-{indicator.scale}", title, [fw.text(o.label) for o in scale.options]
    return "rubric", _("Rubrics (each answer is a stage)"), [fw.text(s.name) for s in fw.stages]


def answer_distribution_data(result: Result, fw: Framework, indicators: Sequence[str]) -> list[dict[str, Any]]:
    """One row per indicator (of ``indicators``, all on one scale) and answer: its options, don't know, not applicable.

    ``share`` is of everyone who gave that indicator an answer of any kind; skipped questions are not counted.
    """
    by_key = {ir.key: ir for ir in result.indicators}
    names = {c.key: fw.text(c.name) for c in fw.competencies}
    rows = []
    for key in indicators:
        ir = by_key[key]
        indicator = fw.indicator(key)
        labels = answer_scale(fw, indicator)[2]
        counts = [*ir.distribution.values(), ir.dont_know, ir.not_applicable]
        total = sum(counts)
        label = _short(f"{key}  {fw.text(indicator.text)}", INDICATOR_LABEL_CHARS)
        answers = [*(_short(a, ANSWER_LABEL_CHARS) for a in labels), _(DONT_KNOW_LABEL), _(NOT_APPLICABLE_LABEL)]
        for order, (answer, count) in enumerate(zip(answers, counts, strict=True)):
            rows.append(
                {
                    "indicator": label,
                    "key": key,
                    "competency": names[ir.competency],
                    "answer": answer,
                    "order": order,
                    "count": count,
                    "share": _r(count / total) if total else 0.0,
                }
            )
    return rows


def answer_distribution(result: Result, fw: Framework, indicators: Sequence[str], title: str) -> Spec:
    """Stacked bars of how the team answered each of ``indicators`` (all on one answer scale), lowest answer first."""
    data = answer_distribution_data(result, fw, indicators)
    labels = answer_scale(fw, fw.indicator(indicators[0]))[2]
    domain = [*(_short(a, ANSWER_LABEL_CHARS) for a in labels), _(DONT_KNOW_LABEL), _(NOT_APPLICABLE_LABEL)]
    return {
        "$schema": SCHEMA,
        "description": _("Stacked bars of how the team answered each indicator (%(scale)s): %(answers)s.")
        % {
            "scale": title,
            "answers": "; ".join(f"{row['key']} {row['answer']} {row['count']}" for row in data if row["count"]),
        },
        "width": DISTRIBUTION_WIDTH,
        "height": {"step": 22},
        "data": {"values": data},
        "config": _config(),
        "mark": {"type": "bar", "stroke": "#ffffff", "strokeWidth": 0.5},
        "encoding": {
            "y": {
                "field": "indicator",
                "type": "nominal",
                "sort": list(dict.fromkeys(row["indicator"] for row in data)),
                "title": None,
                "axis": {"labelLimit": 0},
            },
            "x": {
                "field": "share",
                "type": "quantitative",
                "stack": "zero",
                "title": _("Share of answers"),
                "scale": {"domain": [0, 1]},
                "axis": {"format": ".0%", "tickCount": 5, "grid": True, "gridColor": GRID_COLOR},
            },
            "color": {
                "field": "answer",
                "type": "nominal",
                "title": None,
                "scale": {"domain": domain, "range": [*_ramp(len(labels)), DONT_KNOW_COLOR, NOT_APPLICABLE_COLOR]},
                "legend": {"columns": 2, "symbolType": "square", "labelLimit": 0},
            },
            "order": {"field": "order", "type": "quantitative"},
            "tooltip": [
                {"field": "competency", "title": _("Competency")},
                {"field": "indicator", "title": _("Indicator")},
                {"field": "answer", "title": _("Answer")},
                {"field": "count", "title": _("Answers")},
                {"field": "share", "title": _("Share"), "format": ".0%"},
            ],
        },
    }


def _chunks(fw: Framework, keys: list[str]) -> list[list[str]]:
    """Split indicator keys into runs of at most DISTRIBUTION_ROWS, breaking between competencies where possible."""
    competency_of = {ind.key: comp.key for comp, ind in fw.indicators}
    runs: list[list[str]] = []
    for key in keys:
        if runs and competency_of[runs[-1][-1]] == competency_of[key]:
            runs[-1].append(key)
        else:
            runs.append([key])
    chunks: list[list[str]] = [[]]
    for run in runs:
        if chunks[-1] and len(chunks[-1]) + len(run) > DISTRIBUTION_ROWS:
            chunks.append([])
        for key in run:
            if len(chunks[-1]) == DISTRIBUTION_ROWS:
                chunks.append([])
            chunks[-1].append(key)
    return [c for c in chunks if c]


def answer_distribution_charts(result: Result, fw: Framework) -> tuple[Chart, ...]:
    """How the team answered every indicator: one chart per answer scale (split to fit a page), in framework order.

    Indicators on different scales (an agreement scale, a practice scale, rubrics whose answers are stages) cannot
    share a color legend, so each scale gets its own chart.
    """
    scales: dict[str, tuple[str, list[str]]] = {}
    for _comp, indicator in fw.indicators:
        key, title = answer_scale(fw, indicator)[:2]
        scales.setdefault(key, (title, []))[1].append(indicator.key)
    found = []
    for key, (title, keys) in scales.items():
        parts = _chunks(fw, keys)
        for n, part in enumerate(parts, start=1):
            suffix = _(" (%(n)s of %(count)s)") % {"n": n, "count": len(parts)} if len(parts) > 1 else ""
            found.append(
                Chart(
                    _chart_id("chart-answers-", key) + (f"-{n}" if len(parts) > 1 else ""),
                    _("How the team answered: %(scale)s") % {"scale": title + suffix},
                    _(
                        "Each bar is one indicator: the share of the team that chose each answer, lowest answer on "
                        "the left; don't know and not applicable are grey."
                    ),
                    answer_distribution(result, fw, part, title + suffix),
                )
            )
    return tuple(found)


def _chart_id(prefix: str, key: str) -> str:
    return prefix + "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in key.lower())
