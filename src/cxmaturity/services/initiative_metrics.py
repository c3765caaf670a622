"""A plan initiative's success measure tied to an outcome metric, with a baseline and a target, and how the metric
has moved since (shown on the plan page and returned by the API)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import Text, phrase
from cxmaturity.reporting.scorecard import METRIC_NAMES, MetricLine, quarter_of
from cxmaturity.services import access, outcomes, plans, scorecard
from cxmaturity.services.access import Actor
from cxmaturity.services.errors import Invalid, NotFound
from cxmaturity.storage.tables import InitiativeMetric


@dataclass(frozen=True)
class InitiativeMetricView:
    initiative_key: str
    title: str
    metric: str
    #: The metric's name: a phrase for a built-in metric (written in the page's language).
    label: Text
    #: As set, or (None set) the metric's value in the plan's quarter or the last before it.
    baseline: float | None
    baseline_set: bool
    target: float
    #: The metric's latest value and its quarter; None without data.
    current: float | None
    current_period: str | None
    #: ``current - baseline``, and the share of the way from baseline to target covered (can be negative or > 1).
    moved: float | None
    progress: float | None


def _initiatives(db: Session, actor: Actor, assessment_id: int) -> tuple[dict[str, str], date | None]:
    assessment = access.assessment(db, actor, assessment_id, "viewer")
    saved = plans.latest_of(db, assessment)
    if saved is None:
        return {}, None
    return {i.key: i.title for i in saved.plan.initiatives}, saved.info.created_at.date()


def set_metric(
    db: Session,
    actor: Actor,
    assessment_id: int,
    initiative_key: str,
    metric: str,
    target: float,
    baseline: float | None = None,
) -> InitiativeMetric:
    """Tie an initiative of the assessment's latest plan to a metric (facilitator and up)."""
    assessment = access.assessment(db, actor, assessment_id, "facilitator")
    titles, _ = _initiatives(db, actor, assessment_id)
    if initiative_key not in titles:
        raise NotFound(
            phrase(N_("the latest plan has no initiative '%(value)s'"), value=initiative_key[:64]), field="initiative"
        )
    key = outcomes.check_metric(metric.strip())
    for name, value in (("target", target), ("baseline", baseline)):
        if value is not None and not math.isfinite(value):
            raise Invalid(phrase(N_("the %(name)s must be a number"), name=name), field=name)
    found = db.scalar(
        select(InitiativeMetric).where(
            InitiativeMetric.assessment_id == assessment.id, InitiativeMetric.initiative_key == initiative_key
        )
    )
    if found is None:
        found = InitiativeMetric(assessment_id=assessment.id, initiative_key=initiative_key, metric=key, target=target)
        db.add(found)
    found.metric, found.target, found.baseline, found.changed_by = key, target, baseline, actor.user_id
    db.flush()
    return found


def remove_metric(db: Session, actor: Actor, assessment_id: int, initiative_key: str) -> None:
    access.assessment(db, actor, assessment_id, "facilitator")
    db.execute(
        delete(InitiativeMetric).where(
            InitiativeMetric.assessment_id == assessment_id, InitiativeMetric.initiative_key == initiative_key
        )
    )


def _baseline(line: MetricLine, planned: date | None) -> float | None:
    shown = [p for p in line.points if p.value is not None]
    if not shown:
        return None
    if planned is not None:
        before = [p for p in shown if p.period <= quarter_of(planned)]
        if before:
            return before[-1].value
    return shown[0].value


def views(db: Session, actor: Actor, assessment_id: int, today: date | None = None) -> list[InitiativeMetricView]:
    """Each tied initiative with its metric's baseline, latest value, movement and progress toward the target."""
    assessment = access.assessment(db, actor, assessment_id, "viewer")
    titles, planned = _initiatives(db, actor, assessment_id)
    out = []
    rows = db.scalars(
        select(InitiativeMetric)
        .where(InitiativeMetric.assessment_id == assessment.id)
        .order_by(InitiativeMetric.initiative_key)
    )
    lines: dict[str, MetricLine] = {}
    for row in rows:
        if row.metric not in lines:
            lines[row.metric] = scorecard.metric_line(db, actor, assessment.organization_id, row.metric, today=today)
        line = lines[row.metric]
        latest = line.latest
        baseline = row.baseline if row.baseline is not None else _baseline(line, planned)
        current = latest.value if latest else None
        moved = None if current is None or baseline is None else current - baseline
        span = None if baseline is None else row.target - baseline
        out.append(
            InitiativeMetricView(
                row.initiative_key,
                titles.get(row.initiative_key, row.initiative_key),
                row.metric,
                METRIC_NAMES.get(row.metric, row.metric.removeprefix("operational:")),
                baseline,
                row.baseline is not None,
                row.target,
                current,
                latest.period if latest else None,
                moved,
                None if moved is None or not span else moved / span,
            )
        )
    return out
