"""The facilitator's mail page of an assessment: its schedule (opening, closing, reminders, closing notice) and the
outbox (every message to the people invited by e-mail, with what became of it).

Every change goes through ``cxmaturity.services``; the messages themselves are sent by the queue's worker.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from cxmaturity.i18n import N_
from cxmaturity.services import access, mail, outbox, schedule
from cxmaturity.services.errors import Invalid, ServiceError
from cxmaturity.web.context import (
    check_csrf,
    is_access_error,
    jobs_of,
    redirect,
    refusal,
    render,
    require_signed_in,
    settings_of,
    unit_of_work,
)

router = APIRouter()

STATUSES = ("queued", "sending", "handed", "retrying", "sent", "bounced", "failed", "cancelled")


def _moment(value: str, field: str) -> datetime | None:
    """A ``datetime-local`` field's value, read as UTC (the page says so)."""
    value = value.strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(N_("enter a date and time like 2027-03-31T17:00"), field=field) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _days(value: str) -> list[int]:
    parts = [p for p in value.replace(";", ",").replace(" ", ",").split(",") if p]
    if not all(p.isdigit() for p in parts):
        raise Invalid(N_("reminder days are whole numbers separated by commas, e.g. 7, 2"), field="reminder_days")
    return [int(p) for p in parts]


def _page(request: Request, assessment_id: int, status_code: int = 200, **extra: object) -> Response:
    status = str(request.query_params.get("status", ""))
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        assessment = access.assessment(db, who.actor, assessment_id, "facilitator")
        plan = schedule.get(db, who.actor, assessment_id)
        box = outbox.outbox(db, who.actor, assessment_id, status=status if status in STATUSES else None)
        return render(
            request,
            "assessment_mail.html",
            who,
            status_code,
            assessment=assessment,
            org=assessment.organization,
            plan=plan,
            box=box,
            status=status,
            statuses=STATUSES,
            smtp=mail.configured(settings_of(request)),
            **extra,
        )


@router.get("/assessments/{assessment_id}/mail")
def mail_page(request: Request, assessment_id: int) -> Response:
    return _page(request, assessment_id)


@router.post("/assessments/{assessment_id}/schedule")
def save_schedule(
    request: Request,
    assessment_id: int,
    opens_at: Annotated[str, Form(max_length=40)] = "",
    closes_at: Annotated[str, Form(max_length=40)] = "",
    reminder_days: Annotated[str, Form(max_length=100)] = "",
    max_reminders: Annotated[str, Form(max_length=3)] = "2",
    closing_notice: Annotated[str, Form(max_length=3)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    try:
        wanted = schedule.Schedule(
            _moment(opens_at, "opens_at"),
            _moment(closes_at, "closes_at"),
            _days(reminder_days),
            int(max_reminders) if max_reminders.strip().isdigit() else -1,
            closing_notice == "1",
            "",
        )
        with unit_of_work(request) as db:
            who = require_signed_in(request, db)
            check_csrf(request, who, csrf_token)
            schedule.set_schedule(db, who.actor, assessment_id, wanted)
    except ServiceError as exc:
        if is_access_error(exc):
            raise
        # In the page's language where the message is marked for translation (N_), as written otherwise.
        error = refusal(request, exc)
        return _page(request, assessment_id, exc.status, error=error, details=exc.details, failed="schedule")
    # A schedule that is due already (an opening time in the past) is acted on now, not at the next sweep.
    jobs_of(request).enqueue([])
    return redirect(f"/assessments/{assessment_id}/mail?saved=1#schedule")


@router.post("/assessments/{assessment_id}/outbox/retry")
def retry_failed(request: Request, assessment_id: int, csrf_token: Annotated[str, Form()] = "") -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        check_csrf(request, who, csrf_token)
        ids = outbox.retry_failed(db, who.actor, assessment_id)
    jobs_of(request).enqueue(ids)
    return redirect(f"/assessments/{assessment_id}/mail#outbox")
