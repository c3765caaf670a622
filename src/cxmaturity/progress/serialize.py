"""A comparison (and a review of targets and plan) as JSON-ready data: the shape of ``cxm compare --format json`` and
of ``GET /api/v1/assessments/{id}/compare/{other_id}`` (docs/progress.md)."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from cxmaturity.progress.compare import Comparison, CompetencyChange, Point, Side
from cxmaturity.progress.targets import Forecast, Review, TargetOutcome, Velocity
from cxmaturity.scoring.display import floor_score

FORMAT = "cx-maturity/comparison@1"
#: Numbers are rounded for reading, as in a result's JSON.
DIGITS = 4


def _n(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else round(value, DIGITS)


def _score(value: float | None) -> float | None:
    """A score is floored, never rounded up into the next stage (scoring/display.py)."""
    return None if value is None or math.isnan(value) else floor_score(value, DIGITS)


def _pair(pair: tuple[float, float] | None) -> list[float | None] | None:
    return None if pair is None else [_n(pair[0]), _n(pair[1])]


def _day(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _point(point: Point | None) -> dict[str, Any] | None:
    if point is None:
        return None
    return {"stage": point.stage, "score": _score(point.score), "interval": _pair(point.interval)}


def _side(side: Side) -> dict[str, Any]:
    return {
        "label": side.label,
        "framework_version": side.framework_version,
        "respondents": side.respondents,
        "day": _day(side.day),
    }


def change_to_dict(change: CompetencyChange) -> dict[str, Any]:
    d = change.difference
    return {
        "key": change.key,
        "before": _point(change.before),
        "after": _point(change.after),
        "verdict": change.verdict,
        "change": None if d is None else _n(d.change),
        "interval": None if d is None else _pair(d.interval),
        "probability_improved": None if d is None else _n(d.probability),
        "stage_change": change.stage_change,
        "reason": change.reason,
    }


def comparison_to_dict(comparison: Comparison, review: Review | None = None) -> dict[str, Any]:
    """Return the comparison as plain data; with ``review``, the targets and the plan's initiatives too."""
    v = comparison.versions
    data: dict[str, Any] = {
        "format": FORMAT,
        "framework": comparison.framework,
        "before": _side(comparison.before),
        "after": _side(comparison.after),
        "confidence": comparison.confidence,
        "overall": change_to_dict(comparison.overall),
        "competencies": [change_to_dict(c) for c in comparison.competencies],
        "indicators": [
            {
                "key": m.key,
                "competency": m.competency,
                "before": _n(m.before),
                "after": _n(m.after),
                "change": _n(m.change),
                "before_n": m.before_n,
                "after_n": m.after_n,
            }
            for m in comparison.indicators
        ],
        "discussion_items": [
            {
                "indicator": d.indicator,
                "competency": d.competency,
                "status": d.status,
                "before_rwg": _n(d.before_rwg),
                "after_rwg": _n(d.after_rwg),
            }
            for d in comparison.discussion
        ],
        "framework_changes": {
            "before_version": v.before_version,
            "after_version": v.after_version,
            "stages_changed": v.stages_changed,
            "rules_changed": list(v.rules_changed),
            "changed": [
                {"key": i.key, "competency": i.competency_after, "changes": list(i.changes)} for i in v.changed
            ],
            "added": [{"key": i.key, "competency": i.competency_after} for i in v.added],
            "removed": [{"key": i.key, "competency": i.competency_before} for i in v.removed],
            "competencies": [
                {
                    "key": s.key,
                    "comparable": s.comparable,
                    "indicators": s.indicators,
                    "shared": s.shared,
                    "reason": s.reason,
                }
                for s in v.competencies
            ],
            "overall_comparable": v.overall_comparable,
            "overall_reason": v.overall_reason,
        },
        "notes": list(comparison.notes),
    }
    if review is not None:
        data.update(review_to_dict(review))
    return data


def _velocity(velocity: Velocity | None) -> dict[str, Any] | None:
    if velocity is None:
        return None
    return {"per_year": _n(velocity.per_year), "interval": _pair(velocity.interval), "years": _n(velocity.years)}


def _forecast(forecast: Forecast | None) -> dict[str, Any] | None:
    if forecast is None:
        return None
    return {
        "kind": "forecast",
        "reachable": forecast.reachable,
        "years": _n(forecast.years),
        "day": _day(forecast.day),
        "earliest": _day(forecast.earliest),
        "latest": _day(forecast.latest),
        "text": forecast.text,
    }


def _target(t: TargetOutcome) -> dict[str, Any]:
    return {
        "competency": t.competency,
        "target": t.target,
        "target_number": t.target_number,
        "chosen": t.chosen,
        "status": t.status,
        "probability": _n(t.probability),
        "before": _point(t.before),
        "after": _point(t.after),
        "verdict": t.verdict,
        "velocity": _velocity(t.velocity),
        "forecast": _forecast(t.forecast),
    }


def review_to_dict(review: Review) -> dict[str, Any]:
    return {
        "span": {"before": _day(review.before_day), "after": _day(review.after_day), "years": _n(review.years)},
        "targets": [_target(t) for t in review.targets],
        "initiatives": [
            {
                "key": i.key,
                "title": i.title,
                "competency": i.competency,
                "periods": [i.start, i.end - 1],
                "status": i.status,
                "due": _day(i.due),
                "overdue": i.overdue,
                "verdict": i.verdict,
            }
            for i in review.initiatives
        ],
        "initiative_counts": dict(review.status_counts),
        "review_notes": list(review.notes),
    }
