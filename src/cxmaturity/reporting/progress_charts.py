"""Charts of progress over time as Vega-Lite specifications: pure functions of scored assessments (``Snapshot``s of a
series) and of a comparison, drawn in the browser by static/charts.js and reusable by the reports.

- A **trend chart** per competency (and one overall): the score of each assessment of the series on its day, with its
  interval as a vertical bar, and the latest assessment's target stage as a dashed line.
- A **change chart** of a comparison: per competency the earlier and the later score joined by a line, colored by
  the verdict.

Like ``reporting.charts``, the specs hold inline data only and no expressions that need ``eval``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from cxmaturity.frameworks.model import Framework
from cxmaturity.i18n import N_
from cxmaturity.i18n import gettext as _
from cxmaturity.i18n.formats import format_date, localized_number_text
from cxmaturity.progress.compare import Comparison, Snapshot
from cxmaturity.reporting.charts import (
    CURRENT_COLOR,
    GRID_COLOR,
    MUTED_COLOR,
    SCHEMA,
    TARGET_COLOR,
    Chart,
    Spec,
    _config,
    _r,
    targets,
)
from cxmaturity.scoring.display import score_text

TREND_WIDTH = 420
TREND_HEIGHT = 200
OVERALL = "overall"
#: Colors of the verdicts (Okabe-Ito: green, vermillion, grey, light grey).
VERDICT_COLORS = {
    "improved": "#009e73",
    "declined": "#d55e00",
    "no clear change": MUTED_COLOR,
    "not comparable": "#a0a7b0",
}


def trend_id(key: str) -> str:
    """The chart id of a competency's trend (``overall`` for the overall score): letters, digits and hyphens."""
    return "chart-trend-" + re.sub(r"[^A-Za-z0-9-]", "-", key)


def trend_data(series: Sequence[Snapshot], key: str) -> list[dict[str, Any]]:
    """One row per assessment of the series that has the competency (or, for ``overall``, every one) and a day; an
    assessment where it is not assessed (no usable answer) has no point, never one at the first stage.

    ``day`` is ISO (the temporal axis reads it); ``day_text`` is the day as the active locale writes it, for the
    tooltip, so that a German reader meets ``03.12.2026`` rather than Vega's English month names."""
    rows = []
    for snap in series:
        if snap.day is None or not snap.result.scorable:
            continue
        if key == OVERALL:
            found = snap.result.overall
            stage, score, interval = found.stage, found.score, found.interval
        else:
            comp = next((c for c in snap.result.competencies if c.key == key), None)
            if comp is None:
                continue
            stage, score, interval = comp.stage, comp.score, comp.interval
        if stage is None or score is None:
            continue
        stages = snap.framework.stage_keys
        rows.append(
            {
                "assessment": snap.label,
                "day": snap.day.isoformat(),
                "day_text": format_date(snap.day),
                "version": snap.framework.version,
                "respondents": snap.result.respondents,
                "score": _r(score),
                "stage": snap.framework.text(snap.framework.stages[stages.index(stage)].name),
                "lower": _r(interval[0]) if interval else _r(score),
                "upper": _r(interval[1]) if interval else _r(score),
            }
        )
    return rows


def _target_number(snap: Snapshot, key: str) -> int | None:
    if key == OVERALL:
        return None
    wanted = targets(snap.result, snap.framework).get(key)
    return snap.framework.stage_number(wanted) if wanted else None


def _trend_name(fw: Framework, key: str) -> str:
    return _("Overall") if key == OVERALL else fw.text(fw.competency(key).name)


def trend(series: Sequence[Snapshot], key: str) -> Spec:
    """The score of one competency (or ``overall``) across the series, with intervals and the current target.

    Titles, tooltips, the target's label and the description (the chart's accessible name) are in the active locale
    (``use_locale``), and so are the numbers and days the description reads out; the framework's names are in the
    snapshots' frameworks' language (``Framework.in_language``)."""
    latest = series[-1]
    fw = latest.framework
    name = _trend_name(fw, key)
    data = trend_data(series, key)
    target = _target_number(latest, key)
    x = {
        "field": "day",
        "type": "temporal",
        "title": None,
        # Month names follow the page's language in the browser (static/charts.js gives Vega the locale's).
        "axis": {"format": "%b %Y", "labelAngle": 0, "grid": False},
    }
    y_scale = {"domain": [1, len(fw.stages)], "nice": False, "zero": False}
    y = {
        "field": "score",
        "type": "quantitative",
        "title": _("Score (whole part = stage)"),
        "scale": y_scale,
        "axis": {"tickMinStep": 1, "grid": True, "gridColor": GRID_COLOR},
    }
    tooltip = [
        {"field": "assessment", "title": _("Assessment")},
        {"field": "day_text", "title": _("Day")},
        {"field": "version", "title": _("Framework version")},
        {"field": "respondents", "title": _("Respondents")},
        {"field": "stage", "title": _("Stage")},
        {"field": "score", "title": _("Score"), "format": ".2f"},
        {"field": "lower", "title": _("Interval from"), "format": ".2f"},
        {"field": "upper", "title": _("Interval to"), "format": ".2f"},
    ]
    layers: list[Spec] = [
        {
            "mark": {"type": "rule", "color": CURRENT_COLOR, "strokeWidth": 2, "opacity": 0.45},
            "encoding": {"x": x, "y": {**y, "field": "lower"}, "y2": {"field": "upper"}},
        },
        {"mark": {"type": "line", "color": CURRENT_COLOR, "strokeWidth": 2}, "encoding": {"x": x, "y": y}},
        {
            "mark": {"type": "point", "filled": True, "size": 80, "color": CURRENT_COLOR, "opacity": 1},
            "encoding": {"x": x, "y": y, "tooltip": tooltip},
        },
    ]
    target_text = _("Target: stage %(number)s") % {"number": target} if target is not None else None
    if target is not None:
        layers.append(
            {
                "data": {"values": [{"target": target, "label": target_text}]},
                "mark": {"type": "rule", "color": TARGET_COLOR, "strokeDash": [6, 4], "strokeWidth": 2},
                "encoding": {
                    "y": {"field": "target", "type": "quantitative", "scale": y_scale},
                    "tooltip": [{"field": "label", "title": _("Target")}],
                },
            }
        )
    points = "; ".join(
        _("%(day)s %(score)s (%(stage)s)")
        % {"day": row["day_text"], "score": localized_number_text(score_text(row["score"])), "stage": row["stage"]}
        for row in data
    )
    description = _("Trend of the %(name)s score across the series: %(points)s.") % {
        "name": name,
        "points": points or _("no answers yet"),
    }
    if target_text is not None:
        description += " " + target_text + "."
    return {
        "$schema": SCHEMA,
        "description": description,
        "width": TREND_WIDTH,
        "height": TREND_HEIGHT,
        "data": {"values": data},
        "config": _config(),
        "layer": layers,
    }


#: What a competency's trend chart shows (its caption).
COMPETENCY_TREND = N_(
    "The score of each assessment on its day; the bar is its interval, the dashed line the target stage."
)


def trend_charts(series: Sequence[Snapshot]) -> tuple[Chart, ...]:
    """The trend charts of a series, earliest assessment first: overall, then one per competency of the latest; in
    the active locale (see :func:`trend`)."""
    if not series:
        return ()
    fw = series[-1].framework
    found = [
        Chart(
            trend_id(OVERALL),
            _trend_name(fw, OVERALL),
            _("The overall score of each assessment on its day; the bar is its interval."),
            trend(series, OVERALL),
        )
    ]
    for comp in fw.competencies:
        found.append(
            Chart(
                trend_id(comp.key),
                fw.text(comp.name),
                _(COMPETENCY_TREND),
                trend(series, comp.key),
            )
        )
    return tuple(found)


#: The verdicts in words (the same ids as ``progress_view.VERDICT_WORDS``).
_VERDICTS = {
    "improved": N_("improved"),
    "declined": N_("declined"),
    "no clear change": N_("no clear change"),
    "not comparable": N_("not comparable"),
}


def _verdict(verdict: str) -> str:
    return _(_VERDICTS[verdict]) if verdict in _VERDICTS else verdict


def _name(fw: Framework, key: str) -> str:
    try:
        return fw.text(fw.competency(key).name)
    except KeyError:
        return key


def change_data(comparison: Comparison, fw: Framework) -> list[dict[str, Any]]:
    """Two rows per compared competency (earlier and later score) with the verdict."""
    rows = []
    for change in comparison.competencies:
        if change.before is None or change.after is None:
            continue
        try:
            name = fw.text(fw.competency(change.key).name)
        except KeyError:
            name = change.key
        for when, point in ((_("Earlier"), change.before), (_("Later"), change.after)):
            rows.append(
                {
                    "competency": name,
                    "when": when,
                    "score": _r(point.score),
                    "verdict": _verdict(change.verdict),
                    "change": _r(change.difference.change) if change.difference else None,
                }
            )
    return rows


def change(comparison: Comparison, fw: Framework) -> Spec:
    """Earlier and later score per competency, joined by a line colored by the verdict."""
    data = change_data(comparison, fw)
    # The legend shows the verdicts in the active locale; each keeps its color.
    shown = {c.verdict for c in comparison.competencies if c.before is not None and c.after is not None}
    verdicts = [v for v in VERDICT_COLORS if v in shown] or ["no clear change"]
    names = list(dict.fromkeys(row["competency"] for row in data))
    y = {"field": "competency", "type": "ordinal", "sort": names, "title": None}
    x = {
        "field": "score",
        "type": "quantitative",
        "title": _("Score (whole part = stage)"),
        "scale": {"domain": [1, len(fw.stages)], "nice": False},
        "axis": {"tickMinStep": 1, "grid": True, "gridColor": GRID_COLOR},
    }
    color = {
        "field": "verdict",
        "type": "nominal",
        "title": _("Verdict"),
        "scale": {"domain": [_verdict(v) for v in verdicts], "range": [VERDICT_COLORS[v] for v in verdicts]},
    }
    described = "; ".join(
        _("%(competency)s %(before)s to %(after)s (%(verdict)s)")
        % {
            "competency": _name(fw, c.key),
            "before": localized_number_text(score_text(c.before.score)),
            "after": localized_number_text(score_text(c.after.score)),
            "verdict": _verdict(c.verdict),
        }
        for c in comparison.competencies
        if c.before is not None and c.after is not None
    )
    return {
        "$schema": SCHEMA,
        "description": _("Earlier and later score per competency: %(changes)s.")
        % {"changes": described or _("nothing to compare")},
        "width": 520,
        "height": {"step": 34},
        "data": {"values": data},
        "config": _config(),
        "encoding": {"y": y, "x": x},
        "layer": [
            {
                "mark": {"type": "line", "strokeWidth": 3},
                "encoding": {"detail": {"field": "competency"}, "color": color},
            },
            {
                "mark": {"type": "point", "filled": True, "size": 90, "opacity": 1},
                "encoding": {
                    "color": color,
                    "shape": {
                        "field": "when",
                        "type": "nominal",
                        "title": None,
                        "scale": {"domain": [_("Earlier"), _("Later")]},
                    },
                    "tooltip": [
                        {"field": "competency", "title": _("Competency")},
                        {"field": "when", "title": _("Assessment")},
                        {"field": "score", "title": _("Score"), "format": ".2f"},
                        {"field": "verdict", "title": _("Verdict")},
                    ],
                },
            },
        ],
    }
