"""API version 1, invitations by e-mail: queue them, set the schedule (opening, closing, reminders, closing notice)
and read the outbox. Same tokens, errors and bounds as ``v1``; docs/api.md has examples. Nothing here sends mail:
the queue's worker does (services/jobs.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cxmaturity.services import mail, outbox, schedule
from cxmaturity.services.errors import Conflict, Invalid
from cxmaturity.storage import ID_MAX
from cxmaturity.web.api.deps import ApiRoute, Token, acting
from cxmaturity.web.api.schemas import Utc
from cxmaturity.web.api.v1 import CONFLICT, ERRORS
from cxmaturity.web.context import jobs_of, settings_of

router = APIRouter(prefix="/api/v1", route_class=ApiRoute, responses=ERRORS, tags=["invitations"])

AssessmentId = Annotated[int, Path(ge=1, le=ID_MAX, description="An assessment's id.")]
Status = Literal["queued", "sending", "handed", "retrying", "sent", "bounced", "failed", "cancelled"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class EmailInvitationsCreate(_In):
    group_id: int | None = Field(default=None, description="A group of this assessment, or null for no group.")
    unit_id: int | None = Field(default=None, description="In a campaign, the unit these invitations are for.")
    language: str | None = Field(
        default=None,
        max_length=10,
        description="The e-mail's language, and the first language of the pages its link opens: one the framework is "
        "offered in (left out: the framework's own).",
    )
    emails: list[Annotated[str, StringConstraints(min_length=3, max_length=254)]] = Field(
        min_length=1,
        max_length=100_000,
        description="One invitation per address; at most CXM_MAX_INVITATIONS_PER_REQUEST.",
    )


class EmailInvitationsPublic(_Out):
    queued: int = Field(description="Invitations queued; the worker sends them (when the assessment opens).")
    skipped: list[str] = Field(description="Addresses already invited to this assessment by e-mail: not again.")


class SchedulePublic(_Out):
    opens_at: Utc | None = Field(description="When a draft assessment opens by itself; null: opened by hand.")
    closes_at: Utc | None = Field(description="When it closes by itself; null: closed by hand.")
    reminder_days: list[int] = Field(description="Days before the close on which those not finished are reminded.")
    max_reminders: int = Field(description="At most this many reminders per person.")
    closing_notice: bool = Field(description="Whether everyone invited by e-mail is told when it closes.")
    problem: str = Field(description="Why the worker could not act on the schedule, or empty.")

    @classmethod
    def of(cls, plan: schedule.Schedule) -> SchedulePublic:
        return cls(
            opens_at=plan.opens_at,
            closes_at=plan.closes_at,
            reminder_days=plan.reminder_days,
            max_reminders=plan.max_reminders,
            closing_notice=plan.closing_notice,
            problem=plan.problem,
        )


class ScheduleUpdate(_In):
    opens_at: datetime | None = Field(default=None, description="With a time zone, e.g. 2027-03-01T09:00:00Z.")
    closes_at: datetime | None = None
    reminder_days: list[int] = Field(default_factory=list, max_length=schedule.MAX_REMINDER_DAYS)
    max_reminders: int = Field(default=2, ge=0, le=schedule.MAX_REMINDERS)
    closing_notice: bool = True


class OutboxEntryPublic(_Out):
    id: int
    to: str
    kind: Literal["invitation", "reminder", "closing"]
    round: int = Field(description="For a reminder: days before the close it was for; 0 otherwise.")
    status: Status
    attempts: int
    due_at: Utc = Field(description="Not sent before this time (a later opening, a retry's back-off).")
    sent_at: Utc | None
    last_error: str = Field(description="The mail server's last answer, or what went wrong reaching it.")


class OutboxPublic(_Out):
    counts: dict[str, int] = Field(description="Messages per state.")
    bounced: list[str] = Field(description="Addresses refused for good by the mail server: nothing more goes there.")
    total: int = Field(description="Messages matching the filter (the entries are a page of them).")
    entries: list[OutboxEntryPublic]


class RetryPublic(_Out):
    queued: int = Field(description="Failed messages queued again (bounced ones never are).")


def _moment(value: datetime | None, field: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise Invalid("give the time with its zone, e.g. 2027-03-01T09:00:00Z", field=field)
    return value


@router.post(
    "/assessments/{assessment_id}/invitations/email",
    status_code=202,
    summary="Invite people by e-mail: one link each, sent by the worker (accepted, not yet sent)",
    responses=CONFLICT,
)
def invite_by_email(
    request: Request, token: Token, assessment_id: AssessmentId, body: EmailInvitationsCreate
) -> EmailInvitationsPublic:
    settings = settings_of(request)
    addresses = list(dict.fromkeys(a.strip() for a in body.emails if a.strip()))
    bad = [a for a in addresses if not mail.valid_address(a)]
    if bad:
        raise Invalid(f"not an e-mail address: {bad[0]}", field="emails")
    if not mail.configured(settings):
        raise Conflict("e-mail is not set up on this server (CXM_SMTP_HOST is empty)", field="emails")
    if len(addresses) > settings.max_invitations_per_request:
        raise Invalid(f"invite at most {settings.max_invitations_per_request} addresses at a time", field="emails")
    with acting(request, token) as (db, actor):
        invited = outbox.invite_by_email(
            db,
            actor,
            settings,
            assessment_id,
            body.group_id,
            addresses,
            settings.max_invitations_per_request,
            language=body.language,
            unit_id=body.unit_id,
        )
    jobs_of(request).enqueue(invited.message_ids)
    return EmailInvitationsPublic(queued=len(invited.message_ids), skipped=invited.skipped)


@router.get("/assessments/{assessment_id}/schedule", summary="The schedule: opening, closing, reminders")
def get_schedule(request: Request, token: Token, assessment_id: AssessmentId) -> SchedulePublic:
    with acting(request, token) as (db, actor):
        return SchedulePublic.of(schedule.get(db, actor, assessment_id))


@router.put("/assessments/{assessment_id}/schedule", summary="Set the schedule (facilitators)")
def put_schedule(request: Request, token: Token, assessment_id: AssessmentId, body: ScheduleUpdate) -> SchedulePublic:
    wanted = schedule.Schedule(
        _moment(body.opens_at, "opens_at"),
        _moment(body.closes_at, "closes_at"),
        body.reminder_days,
        body.max_reminders,
        body.closing_notice,
        "",
    )
    with acting(request, token) as (db, actor):
        schedule.set_schedule(db, actor, assessment_id, wanted)
        found = schedule.get(db, actor, assessment_id)
    jobs_of(request).enqueue([])
    return SchedulePublic.of(found)


@router.get("/assessments/{assessment_id}/outbox", summary="Every message to people invited by e-mail, newest first")
def get_outbox(
    request: Request,
    token: Token,
    assessment_id: AssessmentId,
    status: Annotated[Status | None, Query(description="Only messages in this state.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> OutboxPublic:
    with acting(request, token) as (db, actor):
        box = outbox.outbox(db, actor, assessment_id, status=status, limit=limit, offset=offset)
    return OutboxPublic(
        counts=box.counts,
        bounced=box.bounced_addresses,
        total=box.total,
        entries=[
            OutboxEntryPublic(
                id=e.id,
                to=e.address,
                kind=e.kind,
                round=e.round,
                status=e.status,
                attempts=e.attempts,
                due_at=e.due_at,
                sent_at=e.sent_at,
                last_error=e.last_error,
            )
            for e in box.entries
        ],
    )


@router.post("/assessments/{assessment_id}/outbox/retry", summary="Queue the failed messages again (facilitators)")
def retry_outbox(request: Request, token: Token, assessment_id: AssessmentId) -> RetryPublic:
    with acting(request, token) as (db, actor):
        ids = outbox.retry_failed(db, actor, assessment_id)
    jobs_of(request).enqueue(ids)
    return RetryPublic(queued=len(ids))
