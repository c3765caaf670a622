"""The executive CX scorecard of an organization (reporting/scorecard.py renders it): gathers the scored assessments,
the watched outcome metrics and the customer asset, with the viewer's permission checked once."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import Text, phrase
from cxmaturity.outcomes import CesResult, OutcomeSummary, customer_asset
from cxmaturity.reporting.scorecard import (
    METRIC_NAMES,
    METRIC_UNITS,
    AssetLine,
    MaturityPoint,
    MetricLine,
    Scorecard,
    build,
    maturity_point,
    quarter_of,
    series_line,
    survey_line,
)
from cxmaturity.scoring.result import NotScorable, require_scorable
from cxmaturity.services import access, outcomes, results
from cxmaturity.services.access import Actor
from cxmaturity.services.assessments import framework_of
from cxmaturity.services.progress import day_of
from cxmaturity.storage.tables import Assessment, OutcomeSource

#: Quarters of customer-asset figures on the timeline.
ASSET_QUARTERS = 8


def _maturity(db: Session, organization_id: int, language: str | None) -> list[MaturityPoint]:
    """Every assessment of the organization with usable answers, scored (stored results are reused); competencies
    named in ``language`` where the framework offers it."""
    points = []
    for assessment in db.scalars(
        select(Assessment).where(Assessment.organization_id == organization_id, Assessment.status != "draft")
    ):
        found = results.results_of(db, assessment)
        try:
            require_scorable(found.result, assessment.title)
        except NotScorable:
            continue
        points.append(
            maturity_point(
                assessment.id,
                assessment.title,
                day_of(db, assessment),
                framework_of(assessment).in_language(language),
                found.result,
                assessment.synthetic,
            )
        )
    return points


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _asset_series(db: Session, organization_id: int, today: date) -> dict[str, list[tuple[str, float, int]]]:
    """Customers, their value, retention and churn per quarter for the last ``ASSET_QUARTERS`` quarters."""
    customers = list(outcomes.customers_of(db, organization_id))
    out: dict[str, list[tuple[str, float, int]]] = {
        k: [] for k in ("customers", "customer_value", "retention", "churn")
    }
    if not customers:
        return out
    start = _quarter_start(today)
    for back in range(ASSET_QUARTERS - 1, -1, -1):
        month = start.month - 3 * back
        year = start.year + (month - 1) // 12
        first = date(year, (month - 1) % 12 + 1, 1)
        last = min(_quarter_start(first + timedelta(days=95)) - timedelta(days=1), today)
        figures = customer_asset(customers, first, last).overall
        period = quarter_of(first)
        n = figures.start.customers
        out["customers"].append((period, float(figures.end.customers), figures.end.customers))
        out["customer_value"].append((period, figures.end.value, figures.end.customers))
        if figures.retention_rate is not None:
            out["retention"].append((period, 100.0 * figures.retention_rate, n))
        if figures.churn_rate is not None:
            out["churn"].append((period, 100.0 * figures.churn_rate, n))
    return out


def _line(
    db: Session,
    actor: Actor,
    organization_id: int,
    key: str,
    label: str,
    higher: bool,
    summary: OutcomeSummary,
    asset_series: dict[str, list[tuple[str, float, int]]],
) -> MetricLine:
    name = label or METRIC_NAMES.get(key, key.removeprefix("operational:"))
    if key in ("nps", "csat", "ces"):
        return survey_line(key, name, higher, summary.metrics.get(key))  # type: ignore[call-overload]
    if key in asset_series:
        return series_line(key, name, METRIC_UNITS[key], higher, asset_series[key])
    series = outcomes.operational_series(db, actor, organization_id, key.removeprefix("operational:"), "quarter")
    return series_line(key, name, "value", higher, series)


def metric_line(
    db: Session, actor: Actor, organization_id: int, key: str, label: str = "", today: date | None = None
) -> MetricLine:
    """One metric by quarter, as the scorecard shows it (for a plan initiative's success measure)."""
    access.require_role(db, actor, organization_id, "viewer")
    summary = (
        outcomes.summary(db, actor, organization_id, "quarter", metrics=(key,))
        if key in ("nps", "csat", "ces")
        else OutcomeSummary(0)
    )
    assets = _asset_series(db, organization_id, today or date.today()) if not key.startswith("operational:") else {}
    return _line(db, actor, organization_id, key, label, _higher_is_better(key, summary), summary, assets)


def _higher_is_better(key: str, summary: OutcomeSummary) -> bool:
    """Whether a rise of a metric is good news: not for churn, nor for CES asked as "how much effort"."""
    if key == "churn":
        return False
    found = summary.metrics.get("ces") if key == "ces" else None
    return not (found is not None and isinstance(found.overall, CesResult) and not found.overall.high_is_easy)


def scorecard(
    db: Session, actor: Actor, organization_id: int, today: date | None = None, language: str | None = None
) -> Scorecard:
    """The organization's scorecard: maturity per competency with its interval, the watched metrics by quarter
    (NPS, CSAT and CES with theirs, and a verdict on the last change), the customer asset over the last year.
    Frameworks' names and competencies read in ``language`` where offered (a page's, a report's); else their own."""
    org = access.organization(db, actor, organization_id, "viewer")
    today = today or date.today()
    maturity = _maturity(db, organization_id, language)
    summary = outcomes.summary(db, actor, organization_id, "quarter")
    asset_series = _asset_series(db, organization_id, today)
    has_customers = any(asset_series.values())
    watched = outcomes.watched(db, actor, organization_id)
    chosen = [(w.metric, w.label, w.higher_is_better) for w in watched]
    notes: list[Text] = []
    if not chosen:
        # Until the organization chooses, show what it has: the survey metrics answered and the customer asset.
        chosen = [(m, "", _higher_is_better(m, summary)) for m in ("nps", "csat", "ces") if m in summary.metrics]
        if has_customers:
            chosen += [("customers", "", True), ("retention", "", True)]
        if chosen:
            notes.append(
                phrase(N_("No metrics chosen to watch yet: showing every outcome metric the organization holds."))
            )
    lines = [
        _line(db, actor, organization_id, key, label, higher, summary, asset_series) for key, label, higher in chosen
    ]
    asset_line = None
    if has_customers:
        view = outcomes.asset(db, actor, organization_id, today - timedelta(days=365), today)
        asset_line = AssetLine(
            view.asset.first,
            view.asset.last,
            view.asset.overall,
            tuple(view.asset.by_segment.items()),
            view.withheld,
        )
    synthetic = (
        db.scalar(
            select(OutcomeSource.id)
            .where(OutcomeSource.organization_id == organization_id, OutcomeSource.synthetic.is_(True))
            .limit(1)
        )
        is not None
    )
    if summary.withheld_segments:
        notes.append(
            phrase(
                N_("Segments withheld: %(count)d (fewer than %(size)d responses, or they would reveal a smaller one)."),
                count=summary.withheld_segments,
                size=org.min_segment_size,
            )
        )
    return build(
        org.name,
        maturity,
        lines,
        asset_line,
        synthetic=synthetic,
        min_segment_size=org.min_segment_size,
        notes=notes,
    )
