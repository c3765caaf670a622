"""Progress over time: series of assessments, re-assessing, comparing two assessments, and the status of each
initiative of a saved plan.

- A **series** is an organization's assessments on one framework id (any version), in the order of their days. An
  assessment's day is the day its answers describe: the day it closed, else the day of its latest answer, else the
  day it was created.
- **Re-assessing** starts a draft from an earlier assessment: the same groups, minimum group size, targets (those the
  new framework version still knows) and plan settings, linked through ``previous_id``. Facilitators and owners.
- **Comparing** two assessments of one series scores both as they are now (``services.results``) and runs the domain
  comparison (``cxmaturity.progress``), then reviews the earlier one's targets and latest saved plan, with the
  initiatives' statuses, against the later one. Viewers and up, as for results; others get 404.
- **Initiative statuses** (planned, in progress, done, dropped) belong to the initiatives of an assessment's latest
  saved plan; facilitators and owners set them, every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxmaturity import progress as domain
from cxmaturity.frameworks import Framework
from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import phrase
from cxmaturity.progress import INITIATIVE_STATUSES, Comparison, ComparisonError, Review, Snapshot
from cxmaturity.scoring import Result, validate_targets
from cxmaturity.services import access, assessments, audit, plans, results
from cxmaturity.services.access import Actor
from cxmaturity.services.assessments import FrameworkChoice, framework_of
from cxmaturity.services.errors import Invalid, NotFound
from cxmaturity.services.plans import SavedPlan
from cxmaturity.services.results import AssessmentResults
from cxmaturity.storage.tables import (
    Answer,
    Assessment,
    CampaignUnit,
    InitiativeStatus,
    PlanSettings,
    RespondentGroup,
    User,
)

#: The framework choice that keeps the earlier assessment's own framework version.
SAME_VERSION = "same"


# --------------------------------------------------------------------------------------------------------------------
# Series


@dataclass(frozen=True)
class SeriesEntry:
    assessment: Assessment
    day: date


def _days(db: Session, found: list[Assessment]) -> dict[int, date]:
    """Return each assessment's day: closed, else latest answer, else created."""
    open_ids = [a.id for a in found if a.closed_at is None]
    latest: dict[int, datetime] = {}
    if open_ids:
        rows = db.execute(
            select(Answer.assessment_id, func.max(Answer.answered_at))
            .where(Answer.assessment_id.in_(open_ids))
            .group_by(Answer.assessment_id)
        ).all()
        latest = {int(aid): at for aid, at in rows if at is not None}
    return {a.id: (a.closed_at or latest.get(a.id) or a.created_at).date() for a in found}


def day_of(db: Session, assessment: Assessment) -> date:
    return _days(db, [assessment])[assessment.id]


def series_of(db: Session, assessment: Assessment) -> list[SeriesEntry]:
    found = list(
        db.scalars(
            select(Assessment).where(
                Assessment.organization_id == assessment.organization_id,
                Assessment.framework_id == assessment.framework_id,
            )
        )
    )
    days = _days(db, found)
    return sorted((SeriesEntry(a, days[a.id]) for a in found), key=lambda e: (e.day, e.assessment.id))


def series(db: Session, actor: Actor, assessment_id: int) -> list[SeriesEntry]:
    """The series the assessment belongs to, earliest first (the assessment itself included)."""
    assessment = access.assessment(db, actor, assessment_id, "viewer")
    return series_of(db, assessment)


@dataclass(frozen=True)
class ScoredEntry:
    entry: SeriesEntry
    scored: AssessmentResults

    @property
    def day(self) -> date:
        return self.entry.day


def series_results(db: Session, actor: Actor, assessment_id: int) -> list[ScoredEntry]:
    """Every assessment of the series with its results as they are now (for trend charts), earliest first."""
    return [
        ScoredEntry(entry, results.results(db, actor, entry.assessment.id))
        for entry in series(db, actor, assessment_id)
    ]


# --------------------------------------------------------------------------------------------------------------------
# Initiative statuses


@dataclass(frozen=True)
class StatusEntry:
    key: str
    status: str
    changed_by: str
    changed_at: datetime


def _author(db: Session, user_id: int | None) -> str:
    user = db.get(User, user_id) if user_id is not None else None
    if user is None:
        return "someone (account deleted)"
    return user.name or user.email


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _statuses(db: Session, assessment_id: int) -> dict[str, StatusEntry]:
    rows = db.scalars(select(InitiativeStatus).where(InitiativeStatus.assessment_id == assessment_id))
    return {
        row.initiative_key: StatusEntry(
            row.initiative_key, row.status, _author(db, row.changed_by), _utc(row.changed_at)
        )
        for row in rows
    }


def initiative_statuses(db: Session, actor: Actor, assessment_id: int) -> dict[str, StatusEntry]:
    """The statuses set so far, by initiative key (an initiative without one is "planned")."""
    assessment = access.assessment(db, actor, assessment_id, "viewer")
    return _statuses(db, assessment.id)


def set_initiative_status(db: Session, actor: Actor, assessment_id: int, key: str, status: str) -> StatusEntry:
    """Set how an initiative of the latest saved plan is going (facilitator); audited."""
    assessment = access.assessment(db, actor, assessment_id, "facilitator")
    if status not in INITIATIVE_STATUSES:
        raise Invalid(
            phrase(N_("the status must be one of: %(value)s"), value=", ".join(INITIATIVE_STATUSES)), field="status"
        )
    latest = plans.latest(db, actor, assessment.id)
    if latest is None:
        raise NotFound(N_("this assessment has no saved plan yet, so it has no initiatives"))
    if key not in {i.key for i in latest.plan.initiatives}:
        raise NotFound(phrase(N_("there is no initiative %(key)s in this assessment's latest plan"), key=key))
    row = db.scalar(
        select(InitiativeStatus).where(
            InitiativeStatus.assessment_id == assessment.id, InitiativeStatus.initiative_key == key
        )
    )
    before = row.status if row is not None else "planned"
    if row is None:
        row = InitiativeStatus(assessment_id=assessment.id, initiative_key=key, status=status)
        db.add(row)
    if before != status or row.changed_by is None:
        row.status = status
        row.changed_by = actor.user_id
        row.changed_at = datetime.now(UTC)
        db.flush()
        audit.record(
            db,
            "initiative.status",
            organization_id=assessment.organization_id,
            user_id=actor.user_id,
            target=str(assessment.id),
            initiative=key,
            before=before,
            after=status,
        )
    return StatusEntry(key, row.status, _author(db, row.changed_by), _utc(row.changed_at))


# --------------------------------------------------------------------------------------------------------------------
# Comparing


@dataclass(frozen=True)
class Progress:
    """Two assessments of a series compared, and the earlier one's targets and plan reviewed against the later."""

    before: AssessmentResults
    after: AssessmentResults
    comparison: Comparison
    review: Review
    #: The earlier assessment's latest saved plan (None before its first) and its initiatives' statuses.
    plan: SavedPlan | None
    statuses: dict[str, StatusEntry]


def _check_same_series(before: Assessment, after: Assessment) -> None:
    if before.id == after.id:
        raise Invalid(N_("choose two different assessments to compare"), field="after")
    if before.organization_id != after.organization_id:
        raise Invalid(
            phrase(
                N_(
                    "assessments %(id)s and %(id2)s belong to different organizations; only the "
                    "assessments of one organization on one framework (a series) can be compared"
                ),
                id=before.id,
                id2=after.id,
            ),
            field="after",
        )
    if before.framework_id != after.framework_id:
        raise Invalid(
            phrase(
                N_(
                    "assessment %(id)s uses the framework %(framework_id)s and assessment %(id2)s "
                    "uses %(framework_id2)s; only assessments on one framework (a series) can be "
                    "compared"
                ),
                id=before.id,
                framework_id=before.framework_id,
                id2=after.id,
                framework_id2=after.framework_id,
            ),
            field="after",
        )


def compare(db: Session, actor: Actor, before_id: int, after_id: int) -> Progress:
    """Compare assessment ``before_id`` with the later ``after_id`` (viewer and up on both; 404 otherwise). A pair
    given the wrong way round is refused: read backwards, every rise would read as a decline."""
    before = access.assessment(db, actor, before_id, "viewer")
    after = access.assessment(db, actor, after_id, "viewer")
    _check_same_series(before, after)
    if in_order(db, actor, before.id, after.id) != (before.id, after.id):
        raise Invalid(
            phrase(
                N_(
                    "assessment %(after)s was surveyed before assessment %(before)s: compare %(after)s with "
                    "%(before)s, the earlier first"
                ),
                before=before.id,
                after=after.id,
            ),
            field="other_id",
        )
    return compare_stored(db, before, after)


def in_order(db: Session, actor: Actor, first_id: int, second_id: int) -> tuple[int, int]:
    """The two assessments' ids, the earlier first, as their series orders them (by day, then by id)."""
    first = access.assessment(db, actor, first_id, "viewer")
    second = access.assessment(db, actor, second_id, "viewer")
    days = _days(db, [first, second])
    if (days[second.id], second.id) < (days[first.id], first.id):
        return second.id, first.id
    return first.id, second.id


def previous_of(db: Session, assessment: Assessment) -> Assessment | None:
    """The assessment this one was re-assessed from, else the one just before it in its series (by day), or None
    for the first (no permission check: callers hold the assessment already, and its series is its own
    organization's)."""
    if assessment.previous_id is not None:
        linked = db.get(Assessment, assessment.previous_id)
        if linked is not None and linked.organization_id == assessment.organization_id:
            return linked
    entries = series_of(db, assessment)
    ids = [e.assessment.id for e in entries]
    at = ids.index(assessment.id) if assessment.id in ids else 0
    return entries[at - 1].assessment if at > 0 else None


def compare_stored(db: Session, before: Assessment, after: Assessment) -> Progress:
    """Compare two assessments the caller may already see (``compare`` checks permissions first)."""
    _check_same_series(before, after)
    scored_before = results.results_of(db, before)
    scored_after = results.results_of(db, after)
    days = _days(db, [before, after])
    old = Snapshot(scored_before.framework, scored_before.result, before.title, days[before.id])
    new = Snapshot(scored_after.framework, scored_after.result, after.title, days[after.id])
    try:
        comparison = domain.compare(old, new)
    except ComparisonError as exc:  # the checks above make this unreachable for stored assessments
        raise Invalid(str(exc), field="after") from None
    saved = plans.latest_of(db, before)
    statuses = _statuses(db, before.id)
    reviewed = domain.review(
        comparison,
        old,
        new,
        saved.plan if saved is not None else None,
        {k: s.status for k, s in statuses.items()},
        saved.start_date if saved is not None else None,
    )
    return Progress(scored_before, scored_after, comparison, reviewed, saved, statuses)


# --------------------------------------------------------------------------------------------------------------------
# Re-assessing


def version_choices(db: Session, actor: Actor, assessment_id: int) -> list[FrameworkChoice]:
    """The frameworks a re-assessment of this assessment may use: the versions of its framework id on offer."""
    assessment = access.assessment(db, actor, assessment_id, "viewer")
    return [
        c
        for c in assessments.framework_choices(db, actor, assessment.organization_id)
        if c.id == assessment.framework_id
    ]


def _framework_for(db: Session, previous: Assessment, ref: str | None) -> tuple[Framework, dict[str, object]]:
    if not ref or ref == SAME_VERSION:
        return framework_of(previous), dict(previous.framework_snapshot)
    fw = assessments._resolve_choice(db, previous.organization_id, ref)
    if fw.id != previous.framework_id:
        raise Invalid(
            phrase(
                N_("a re-assessment continues the series on %(framework_id)s; choose one of its versions"),
                framework_id=previous.framework_id,
            ),
            field="framework",
        )
    return fw, fw.model_dump(mode="json")


def _carried_settings(fw: Framework, current: plans.Settings) -> plans.Settings | None:
    """The plan settings for the new framework version: unknown keys dropped; None when they cannot be kept."""
    actions = set(plans.action_keys(fw))
    competencies = {c.key for c in fw.competencies}
    indicators = set(fw.indicator_keys)
    custom = [
        c
        for c in current.custom
        if c.key not in actions
        and c.competency in competencies
        and c.from_stage in fw.stage_keys
        and set(c.indicators) <= indicators
    ]
    known = actions | {c.key for c in custom}
    carried = replace(
        current,
        custom=tuple(replace(c, requires=tuple(k for k in c.requires if k in known)) for c in custom),
        must=tuple(k for k in current.must if k in known),
        must_not=tuple(k for k in current.must_not if k in known),
        # The first period of the next plan starts after the new assessment, not where the old plan started.
        start_date=None,
    )
    try:
        plans.validate(fw, carried)
    except Invalid:
        return None
    return carried


def reassess(
    db: Session, actor: Actor, assessment_id: int, *, title: str | None = None, framework_ref: str | None = None
) -> Assessment:
    """Start a new draft assessment from an earlier one: same groups, targets and plan settings (facilitator)."""
    previous = access.assessment(db, actor, assessment_id, "facilitator")
    fw, snapshot = _framework_for(db, previous, framework_ref)
    # Control characters (NUL among them, which PostgreSQL refuses in text) have no place in a title.
    printable = "".join(c for c in (title or "") if c.isprintable() or c.isspace())
    name = " ".join(printable.split()) or f"{previous.title} (re-assessment {datetime.now(UTC):%Y-%m})"
    targets = {str(k): str(v) for k, v in (previous.targets or {}).items()}
    kept = {k: v for k, v in targets.items() if not validate_targets(fw, {k: v})}
    new = Assessment(
        organization_id=previous.organization_id,
        title=name[: assessments.MAX_TITLE],
        framework_id=fw.id,
        framework_version=fw.version,
        framework_snapshot=snapshot,
        status="draft",
        targets=kept,
        min_group_size=previous.min_group_size,
        synthetic=False,
        created_by=actor.user_id,
        previous_id=previous.id,
    )
    db.add(new)
    db.flush()
    for group in assessments.groups(db, previous.id):
        db.add(RespondentGroup(assessment_id=new.id, name=group.name))
    # A campaign's next wave runs in the same units, with the same goals and name setting (docs/units.md).
    for unit_id, goal in db.execute(
        select(CampaignUnit.unit_id, CampaignUnit.goal).where(CampaignUnit.assessment_id == previous.id)
    ):
        db.add(CampaignUnit(assessment_id=new.id, unit_id=unit_id, goal=goal))
    new.hide_unit_names = previous.hide_unit_names
    settings_kept: bool | None = None
    if db.scalar(select(PlanSettings.id).where(PlanSettings.assessment_id == previous.id)) is not None:
        carried = _carried_settings(fw, plans.settings(db, actor, previous.id))
        settings_kept = carried is not None
        if carried is not None:
            plans.set_settings(db, actor, new.id, carried)
    saved = plans.carry_forward(db, actor, previous, new)
    if saved is not None:
        # Each initiative keeps how it is going: a plan carried forward shows what is done and what is under way.
        planned = {i.key for i in saved.plan.initiatives}
        for key, entry in _statuses(db, previous.id).items():
            if key in planned:
                db.add(
                    InitiativeStatus(
                        assessment_id=new.id,
                        initiative_key=key,
                        status=entry.status,
                        changed_by=actor.user_id,
                        changed_at=entry.changed_at,
                    )
                )
        db.flush()
    audit.record(
        db,
        "assessment.reassess",
        organization_id=new.organization_id,
        user_id=actor.user_id,
        target=str(new.id),
        previous=previous.id,
        framework=f"{fw.id} {fw.version}",
        targets_dropped=sorted(set(targets) - set(kept)),
        plan_settings="none" if settings_kept is None else "kept" if settings_kept else "reset",
        plan="carried forward" if saved is not None else "none",
    )
    return new


# --------------------------------------------------------------------------------------------------------------------
# The command line


def stored_snapshot(db: Session, assessment_id: int) -> tuple[Snapshot, int]:
    """Score a stored assessment for ``cxm compare``; return it and how many respondents answered.

    The command line works with the database's own access (like ``cxm tokens create``), so no actor is checked.
    """
    assessment = db.get(Assessment, assessment_id)
    if assessment is None:
        raise NotFound(
            phrase(N_("there is no assessment %(assessment_id)s in this database"), assessment_id=assessment_id)
        )
    found = results.results_of(db, assessment)
    result: Result = found.result
    title = f"#{assessment.id} {assessment.title}"
    return Snapshot(found.framework, result, title, day_of(db, assessment)), result.respondents
