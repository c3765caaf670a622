"""The outbox: respondents invited by e-mail, and every message to them (invitation, reminders, closing notice)
with what became of it. Web pages and the API only write rows here; the queue's workers send them
(services/delivery.py), never a web request. Invitations to join an organization are messages here too (kind
``join``, no assessment), queued and listed by services/member_invitations.py; an assessment's outbox never shows them.

What the facilitator can read: each address, each message's kind, state, attempts and the mail server's last
answer. Never the link (the invitation stays one the facilitator never held) and never answers. With reminders on,
who got a reminder tells who had not finished by then, as in any survey tool that reminds; docs/security.md says so.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import phrase
from cxmaturity.services import access, assessments, audit, sealing
from cxmaturity.services.access import Actor
from cxmaturity.services.errors import Conflict, Invalid
from cxmaturity.services.tokens import digest
from cxmaturity.settings import Settings
from cxmaturity.storage.tables import (
    AssessmentSchedule,
    Invitation,
    MailRecipient,
    OutboxMessage,
)

KINDS = ("invitation", "reminder", "closing")
#: States a message can still leave by itself.
PENDING = ("queued", "sending", "handed", "retrying")


@dataclass(frozen=True)
class Invited:
    """What an e-mail invitation request did: the messages queued, and the addresses already invited before."""

    message_ids: list[int]
    skipped: list[str]


def invite_by_email(
    db: Session,
    actor: Actor,
    settings: Settings,
    assessment_id: int,
    group_id: int | None,
    addresses: list[str],
    limit: int,
    *,
    language: str | None = None,
    unit_id: int | None = None,
) -> Invited:
    """Create one invitation per new address and queue its e-mail; the worker sends it (when the assessment opens,
    if it opens later). An address already invited to this assessment by e-mail is skipped, not invited twice.

    ``language``: the e-mail's language, kept on the invitation so that its pages open in it too; one the framework
    is offered in (None: the framework's own)."""
    assessment = access.assessment(db, actor, assessment_id, "facilitator")
    if language:
        offered = assessments.framework_of(assessment).offered_languages
        if language not in offered:
            raise Invalid(phrase(N_("language must be one of %(value)s"), value=", ".join(offered)), field="language")
    if assessment.status == "closed":
        raise Conflict(N_("this assessment is closed: open it again before inviting anyone"), field="emails")
    if not addresses:
        raise Invalid(N_("enter at least one e-mail address"), field="emails")
    known = set(
        db.scalars(
            select(func.lower(MailRecipient.address)).where(
                MailRecipient.assessment_id == assessment.id,
                func.lower(MailRecipient.address).in_([a.lower() for a in addresses]),
            )
        )
    )
    new = [a for a in addresses if a.lower() not in known]
    skipped = [a for a in addresses if a.lower() in known]
    if not new:
        return Invited([], skipped)
    tokens = assessments.create_invitations(
        db, actor, assessment.id, group_id, len(new), limit, emailed=True, unit_id=unit_id
    )
    db.flush()
    found = select(Invitation.token_hash, Invitation.id).where(Invitation.token_hash.in_([digest(t) for t in tokens]))
    ids: dict[str, int] = {row[0]: row[1] for row in db.execute(found)}
    if language:
        db.execute(update(Invitation).where(Invitation.id.in_(list(ids.values()))).values(language=language))
    schedule = db.get(AssessmentSchedule, assessment.id)
    now = datetime.now(UTC)
    due = now
    if assessment.status == "draft" and schedule is not None and schedule.opens_at is not None:
        due = max(now, _aware(schedule.opens_at))
    recipients = [
        MailRecipient(
            assessment_id=assessment.id,
            invitation_id=ids[digest(token)],
            address=address,
            sealed_token=sealing.seal(settings.secret_key, token),
        )
        for address, token in zip(new, tokens, strict=True)
    ]
    db.add_all(recipients)
    db.flush()
    messages = [
        OutboxMessage(assessment_id=assessment.id, recipient_id=r.id, kind="invitation", round=0, due_at=due)
        for r in recipients
    ]
    db.add_all(messages)
    db.flush()
    audit.record(
        db,
        "invitations.queue",
        organization_id=assessment.organization_id,
        user_id=actor.user_id,
        target=str(assessment.id),
        count=len(messages),
    )
    return Invited([m.id for m in messages], skipped)


def _aware(moment: datetime) -> datetime:
    # SQLite gives back naive datetimes; every time stored here is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Entry:
    """One message as the facilitator sees it."""

    id: int
    address: str
    kind: str
    round: int
    status: str
    attempts: int
    due_at: datetime
    sent_at: datetime | None
    last_error: str


@dataclass(frozen=True)
class Outbox:
    counts: dict[str, int]
    bounced_addresses: list[str]
    entries: list[Entry]
    total: int


def outbox(
    db: Session, actor: Actor, assessment_id: int, *, status: str | None = None, limit: int = 500, offset: int = 0
) -> Outbox:
    """Return the assessment's messages, newest first (``status`` filters), with counts per state (facilitators)."""
    assessment = access.assessment(db, actor, assessment_id, "facilitator")
    counts: Counter[str] = Counter()
    for state, number in db.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.assessment_id == assessment.id)
        .group_by(OutboxMessage.status)
    ):
        counts[state] = number
    query = (
        select(OutboxMessage, MailRecipient.address)
        .join(MailRecipient, MailRecipient.id == OutboxMessage.recipient_id)
        .where(OutboxMessage.assessment_id == assessment.id)
    )
    if status:
        query = query.where(OutboxMessage.status == status)
    rows = db.execute(query.order_by(OutboxMessage.id.desc()).limit(limit).offset(offset)).all()
    bounced = list(
        db.scalars(
            select(MailRecipient.address)
            .where(MailRecipient.assessment_id == assessment.id, MailRecipient.bounced_at.is_not(None))
            .order_by(MailRecipient.address)
        )
    )
    entries = [
        Entry(
            m.id,
            address,
            m.kind,
            m.round,
            m.status,
            m.attempts,
            _aware(m.due_at),
            _aware(m.sent_at) if m.sent_at else None,
            m.last_error,
        )
        for m, address in rows
    ]
    total = counts[status] if status else sum(counts.values())
    return Outbox(
        {
            s: counts.get(s, 0)
            for s in ("queued", "sending", "handed", "retrying", "sent", "bounced", "failed", "cancelled")
        },
        bounced,
        entries,
        total,
    )


def retry_failed(db: Session, actor: Actor, assessment_id: int) -> list[int]:
    """Queue again the messages that failed (never those that bounced); return their ids."""
    assessment = access.assessment(db, actor, assessment_id, "facilitator")
    ids = list(
        db.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.assessment_id == assessment.id, OutboxMessage.status == "failed"
            )
        )
    )
    if ids:
        db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(status="queued", attempts=0, due_at=datetime.now(UTC))
            .execution_options(synchronize_session=False)
        )
        audit.record(
            db,
            "outbox.retry",
            organization_id=assessment.organization_id,
            user_id=actor.user_id,
            target=str(assessment.id),
            count=len(ids),
        )
    return ids


def due(db: Session, now: datetime, limit: int = 500) -> list[int]:
    """Return the ids of messages due to be sent (for a worker's sweep), oldest first."""
    return list(
        db.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.status.in_(("queued", "retrying")), OutboxMessage.due_at <= now)
            .order_by(OutboxMessage.due_at, OutboxMessage.id)
            .limit(limit)
        )
    )


def recover(db: Session, now: datetime, lease: timedelta) -> tuple[list[int], int]:
    """Take back messages claimed by workers that stopped (claimed longer ago than ``lease``): ``sending`` ones
    are queued again (the server never had them), ``handed`` ones are counted as sent (it had them).
    Return the ids queued again and how many were counted as sent."""
    stale = now - lease
    again = list(
        db.scalars(select(OutboxMessage.id).where(OutboxMessage.status == "sending", OutboxMessage.claimed_at < stale))
    )
    if again:
        db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(again), OutboxMessage.status == "sending")
            .values(
                status="queued",
                claim=None,
                due_at=now,
                last_error="the worker stopped before handing the message to the mail server; sent again",
            )
            .execution_options(synchronize_session=False)
        )
    handed = db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "handed", OutboxMessage.claimed_at < stale)
        .values(
            status="sent",
            claim=None,
            sent_at=OutboxMessage.claimed_at,
            last_error="the worker stopped after handing the whole message to the mail server; its answer was not seen",
        )
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    return again, handed
