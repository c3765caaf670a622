"""Scheduled opening and closing of an assessment, and the follow-up its e-mailed respondents get: reminders to
those who have not finished, at chosen days before the close (at most N per person), and a closing notice.

``follow_up`` is the scheduled job (services/jobs.py runs it every CXM_QUEUE_POLL_SECONDS on some worker): it acts
for the facilitator who set the schedule, so a schedule whose author has lost the role does nothing and says why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import phrase
from cxmaturity.services import access, assessments, audit
from cxmaturity.services.access import Actor
from cxmaturity.services.errors import Invalid, ServiceError
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import (
    Assessment,
    AssessmentSchedule,
    Invitation,
    MailRecipient,
    OutboxMessage,
)

log = logging.getLogger(__name__)

MAX_REMINDER_DAYS = 6
MAX_DAYS_BEFORE = 90
MAX_REMINDERS = 5


@dataclass(frozen=True)
class Schedule:
    opens_at: datetime | None
    closes_at: datetime | None
    reminder_days: list[int]
    max_reminders: int
    closing_notice: bool
    problem: str


DEFAULT = Schedule(None, None, [], 2, True, "")


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def get(db: Session, actor: Actor, assessment_id: int) -> Schedule:
    assessment = access.assessment(db, actor, assessment_id, "viewer")
    row = db.get(AssessmentSchedule, assessment.id)
    if row is None:
        return DEFAULT
    return Schedule(
        _aware(row.opens_at),
        _aware(row.closes_at),
        list(row.reminder_days),
        row.max_reminders,
        row.closing_notice,
        row.problem,
    )


def set_schedule(db: Session, actor: Actor, assessment_id: int, wanted: Schedule, now: datetime | None = None) -> None:
    """Store the schedule (facilitators); the worker acts on it on behalf of ``actor``."""
    assessment = access.assessment(db, actor, assessment_id, "facilitator")
    now = now or datetime.now(UTC)
    opens, closes = _aware(wanted.opens_at), _aware(wanted.closes_at)
    if opens is not None and assessment.status != "draft":
        raise Invalid(
            N_("this assessment is already open or closed: it has no opening date to schedule"), field="opens_at"
        )
    if closes is not None and assessment.status == "closed":
        raise Invalid(N_("this assessment is closed: open it again before scheduling its close"), field="closes_at")
    if closes is not None and closes <= now:
        raise Invalid(N_("choose a closing time in the future"), field="closes_at")
    if opens is not None and closes is not None and closes <= opens:
        raise Invalid(N_("the closing time must come after the opening time"), field="closes_at")
    days = sorted(set(wanted.reminder_days), reverse=True)
    if len(days) > MAX_REMINDER_DAYS:
        raise Invalid(
            phrase(N_("choose at most %(max_reminder_days)s reminder days"), max_reminder_days=MAX_REMINDER_DAYS),
            field="reminder_days",
        )
    if any(not 1 <= d <= MAX_DAYS_BEFORE for d in days):
        raise Invalid(
            phrase(
                N_("reminder days are whole days before the close, 1 to %(max_days_before)s"),
                max_days_before=MAX_DAYS_BEFORE,
            ),
            field="reminder_days",
        )
    if days and closes is None:
        raise Invalid(N_("reminders are sent before the close: set a closing time too"), field="reminder_days")
    if not 0 <= wanted.max_reminders <= MAX_REMINDERS:
        raise Invalid(
            phrase(N_("at most 0 to %(max_reminders)s reminders per person"), max_reminders=MAX_REMINDERS),
            field="max_reminders",
        )
    row = db.get(AssessmentSchedule, assessment.id)
    if row is None:
        row = AssessmentSchedule(assessment_id=assessment.id)
        db.add(row)
    row.opens_at, row.closes_at, row.reminder_days = opens, closes, days
    row.max_reminders, row.closing_notice = wanted.max_reminders, wanted.closing_notice
    row.set_by, row.updated_at, row.problem = actor.user_id, now, ""
    audit.record(
        db,
        "assessment.schedule",
        organization_id=assessment.organization_id,
        user_id=actor.user_id,
        target=str(assessment.id),
        opens_at=opens.isoformat() if opens else None,
        closes_at=closes.isoformat() if closes else None,
        reminder_days=days,
        max_reminders=wanted.max_reminders,
        closing_notice=wanted.closing_notice,
    )


def follow_up(sessions: sessionmaker[Session], now: datetime | None = None) -> list[int]:
    """Open and close scheduled assessments and queue reminders and closing notices that are due; return the ids
    of the messages queued. Each assessment in a transaction of its own: one that fails does not stop the others."""
    now = now or datetime.now(UTC)
    with sessions() as db:
        ids = list(db.scalars(select(AssessmentSchedule.assessment_id).order_by(AssessmentSchedule.assessment_id)))
    queued: list[int] = []
    for assessment_id in ids:
        try:
            with transaction(sessions) as db:
                queued += _follow_up_one(db, assessment_id, now)
        except IntegrityError:
            # Another worker queued the same round at the same moment (the unique key held): it is done.
            log.info("schedule of assessment %s: followed up by another worker", assessment_id)
        except ServiceError as exc:
            log.warning("schedule of assessment %s: %s", assessment_id, exc.message)
            with transaction(sessions) as db:
                db.execute(
                    update(AssessmentSchedule)
                    .where(AssessmentSchedule.assessment_id == assessment_id)
                    .values(problem=exc.message[:500])
                )
    return queued


def _follow_up_one(db: Session, assessment_id: int, now: datetime) -> list[int]:
    # The schedule's row locked first: workers on several hosts follow up one at a time per assessment, and each
    # sees what the one before it queued (PostgreSQL; SQLite's one writer does the same).
    row = db.get(AssessmentSchedule, assessment_id, with_for_update=True)
    assessment = db.get(Assessment, assessment_id)
    if row is None or assessment is None:
        return []
    opens, closes = _aware(row.opens_at), _aware(row.closes_at)
    if row.set_by is None:
        if (opens and assessment.status == "draft" and opens <= now) or (
            closes and assessment.status == "open" and closes <= now
        ):
            row.problem = "the person who set this schedule has left: set it again to let it run"
        return []
    actor = Actor(row.set_by)
    queued: list[int] = []
    if opens is not None and assessment.status == "draft" and opens <= now:
        assessments.set_status(db, actor, assessment.id, "open")
        row.problem = ""
    if assessment.status == "open" and closes is not None:
        if closes <= now:
            assessments.set_status(db, actor, assessment.id, "closed")
            row.problem = ""
            if row.closing_notice:
                queued += _queue(db, assessment.id, "closing", 0, _recipients(db, assessment.id), now)
        elif row.reminder_days and row.max_reminders > 0:
            due_rounds = [d for d in row.reminder_days if closes - timedelta(days=d) <= now]
            if due_rounds:
                # Only the latest round that is due: a worker that was down does not catch up with a burst.
                day = min(due_rounds)
                since = closes - timedelta(days=day)
                queued += _queue(
                    db, assessment.id, "reminder", day, _unfinished(db, assessment.id, since, row.max_reminders), now
                )
    return queued


def _recipients(db: Session, assessment_id: int) -> list[int]:
    return list(
        db.scalars(
            select(MailRecipient.id).where(
                MailRecipient.assessment_id == assessment_id, MailRecipient.bounced_at.is_(None)
            )
        )
    )


def _unfinished(db: Session, assessment_id: int, since: datetime, most: int) -> list[int]:
    """Recipients invited before ``since`` who have not finished, have not bounced, and got fewer than ``most``
    reminders."""
    reminders = (
        select(func.count())
        .where(OutboxMessage.recipient_id == MailRecipient.id, OutboxMessage.kind == "reminder")
        .correlate(MailRecipient)
        .scalar_subquery()
    )
    return list(
        db.scalars(
            select(MailRecipient.id)
            .join(Invitation, Invitation.id == MailRecipient.invitation_id)
            .where(
                MailRecipient.assessment_id == assessment_id,
                MailRecipient.bounced_at.is_(None),
                MailRecipient.created_at < since,
                Invitation.completed_at.is_(None),
                reminders < most,
            )
        )
    )


def _queue(
    db: Session, assessment_id: int, kind: str, round_: int, recipient_ids: list[int], now: datetime
) -> list[int]:
    """Queue one message of ``kind``/``round_`` per recipient who has none yet (the unique key makes it once)."""
    if not recipient_ids:
        return []
    have = set(
        db.scalars(
            select(OutboxMessage.recipient_id).where(
                OutboxMessage.assessment_id == assessment_id,
                OutboxMessage.kind == kind,
                OutboxMessage.round == round_,
            )
        )
    )
    messages = [
        OutboxMessage(assessment_id=assessment_id, recipient_id=r, kind=kind, round=round_, due_at=now)
        for r in recipient_ids
        if r not in have
    ]
    db.add_all(messages)
    db.flush()
    return [m.id for m in messages]
