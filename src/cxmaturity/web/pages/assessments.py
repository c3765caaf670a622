"""The facilitator's assessment pages: create one, upload a framework, groups, targets, opening and closing,
invitation links (CSV download, shown once, or e-mail), answer imports, and the live response rate.

Every change goes through ``cxmaturity.services``; this module only reads forms and chooses what to show.
Facilitators and owners change things, viewers read, and people outside the organization get 404.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from cxmaturity.answers.formulas import guard
from cxmaturity.i18n import N_, gettext, ngettext, use_locale
from cxmaturity.i18n.formats import format_percent
from cxmaturity.i18n.names import language_choices
from cxmaturity.i18n.phrase import phrase
from cxmaturity.services import access, assessments, imports, long_jobs, mail, outbox, quick_links, results, units
from cxmaturity.services.assessments import GroupRate
from cxmaturity.services.errors import Conflict, Invalid, ServiceError
from cxmaturity.storage.tables import Assessment
from cxmaturity.web import heavy
from cxmaturity.web.context import (
    SignedIn,
    check_csrf,
    is_access_error,
    jobs_of,
    page_language,
    read_upload,
    redirect,
    refusal,
    render,
    require_signed_in,
    settings_of,
    size_text,
    unit_of_work,
)

router = APIRouter()

EDITORS = ("owner", "facilitator")
DELIVERIES = ("csv", "show", "email")
MAX_TEXT_FIELD = 200_000


def _say(request: Request, message: str, **values: object) -> str:
    """``message`` (a text marked for translation) in the page's language, its ``%(name)s`` filled from ``values``."""
    with use_locale(page_language(request)):
        text = gettext(message)
    return text % values if values else text


def _percent(rate: GroupRate) -> str:
    """The rate in the active locale (``42%``, ``42 %``)."""
    return format_percent(rate.rate) if rate.invited else "—"


def _rates_payload(request: Request, rates: list[GroupRate]) -> dict[str, Any]:
    """The rates as the overview's table and its live refresh (rates.json) show them, in the page's language."""
    with use_locale(page_language(request)):
        return _rates(rates, gettext("All groups"))


def _rates(rates: list[GroupRate], all_groups: str) -> dict[str, Any]:
    total = GroupRate(
        all_groups,
        sum(r.invited for r in rates),
        sum(r.started for r in rates),
        sum(r.completed for r in rates),
    )

    def row(rate: GroupRate) -> dict[str, Any]:
        return {
            "group": rate.group,
            "invited": rate.invited,
            "started": rate.started,
            "completed": rate.completed,
            "rate": round(rate.rate, 4),
            "percent": _percent(rate),
        }

    return {"groups": [row(r) for r in rates], "total": row(total)}


def _group_id(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise Invalid(N_("choose a group of this assessment"), field="group")
    return int(value)


def _unit_id(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise Invalid(N_("choose the campaign unit these invitations are for"), field="unit")
    return int(value)


def _campaign_units(db: Session, assessment: Assessment) -> list[tuple[int, str]]:
    """Return the campaign's units as (id, path), in tree order; empty when the assessment is not a campaign."""
    chosen = assessments.campaign_units(db, assessment.id)
    if not chosen:
        return []
    tree = units.tree_of(db, assessment.organization_id)
    return [(u, tree.path(u)) for u, _ in tree.walk() if u in chosen]


def _count(request: Request, value: str, limit: int) -> int:
    value = value.strip()
    if not value.isdigit() or not 1 <= int(value) <= limit:
        raise Invalid(
            _say(request, N_("enter how many links to create: a whole number from 1 to %(limit)s"), limit=limit),
            field="count",
        )
    return int(value)


def _addresses(request: Request, text: str) -> list[str]:
    """Return the addresses, one per line, without blanks and repeats; refuse lines that are not addresses."""
    found: list[str] = []
    seen: set[str] = set()
    bad: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        address = line.strip()
        if not address:
            continue
        if not mail.valid_address(address):
            bad.append(_say(request, N_("line %(number)s: %(text)s"), number=number, text=address[:100]))
        elif address.lower() not in seen:
            seen.add(address.lower())
            found.append(address)
    if bad:
        raise Invalid(
            N_("some lines are not e-mail addresses; write one address per line"), field="emails", details=bad
        )
    if not found:
        raise Invalid(N_("enter the e-mail addresses to invite, one per line"), field="emails")
    return found


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


def _parse_targets(request: Request, values: list[str]) -> dict[str, str]:
    targets: dict[str, str] = {}
    for value in values:
        competency, sep, stage = value.partition("=")
        if not sep or not competency:
            raise Invalid(
                _say(request, N_("'%(value)s' is not a target: expected competency=stage"), value=value[:80]),
                field="targets",
            )
        targets[competency] = stage
    return targets


# --------------------------------------------------------------------------------------------------------------------
# New assessment and framework upload


def _new_page(
    request: Request,
    organization_id: int,
    status_code: int = 200,
    *,
    form: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    settings = settings_of(request)
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        org = access.organization(db, who.actor, organization_id, "facilitator")
        choices = assessments.framework_choices(db, who.actor, organization_id, page_language(request))
        values = {
            "title": "",
            "framework": choices[0].ref if choices else "",
            "min_group_size": str(settings.default_min_group_size),
            "groups": "",
            **(form or {}),
        }
        return render(
            request,
            "assessment_new.html",
            who,
            status_code=status_code,
            org=org,
            builtin=[c for c in choices if not c.uploaded],
            quick=[(f"quick:{c.id}", c.name) for c in choices if not c.uploaded],
            uploaded=[c for c in choices if c.uploaded],
            form=values,
            max_upload=size_text(settings.max_upload_bytes),
            **extra,
        )


@router.get("/orgs/{organization_id}/assessments/new")
def new_assessment_page(
    request: Request,
    organization_id: int,
    uploaded: Annotated[str, Query(max_length=100)] = "",
    framework: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    if uploaded.startswith("uploaded:"):
        return _new_page(request, organization_id, form={"framework": uploaded}, just_uploaded=uploaded)
    if framework:
        # Chosen in the framework browser; a ref that is not in the list simply selects nothing.
        return _new_page(request, organization_id, form={"framework": framework})
    return _new_page(request, organization_id)


@router.post("/orgs/{organization_id}/assessments/new")
def create_assessment(
    request: Request,
    organization_id: int,
    title: Annotated[str, Form(max_length=1000)] = "",
    framework: Annotated[str, Form(max_length=100)] = "",
    min_group_size: Annotated[str, Form(max_length=20)] = "",
    groups: Annotated[str, Form(max_length=MAX_TEXT_FIELD)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    form = {"title": title, "framework": framework, "min_group_size": min_group_size, "groups": groups}
    try:
        with unit_of_work(request) as db:
            who = require_signed_in(request, db)
            check_csrf(request, who, csrf_token)
            access.require_role(db, who.actor, organization_id, "facilitator")
            size = min_group_size.strip()
            if not size.isdigit():
                raise Invalid(
                    N_("the minimum group size must be a whole number between 1 and 100"), field="min_group_size"
                )
            created = assessments.create(
                db,
                who.actor,
                organization_id,
                title,
                framework,
                groups=groups.splitlines(),
                min_group_size=int(size),
            )
    except ServiceError as exc:
        if is_access_error(exc):
            raise
        return _new_page(
            request,
            organization_id,
            exc.status,
            form=form,
            failed="create",
            error=refusal(request, exc),
            details=exc.details,
        )
    return redirect(f"/assessments/{created.id}")


@router.post("/orgs/{organization_id}/frameworks")
def upload_framework(
    request: Request,
    organization_id: int,
    file: Annotated[UploadFile | None, File()] = None,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    try:
        with unit_of_work(request, write=False) as db:
            who = require_signed_in(request, db)
            check_csrf(request, who, csrf_token)
            access.require_role(db, who.actor, organization_id, "facilitator")
        name, text = read_upload(file, settings_of(request).max_upload_bytes, N_("framework (YAML)"))
        # Parsed in a child process, holding no transaction: a large file is seconds of an interpreter.
        fw = heavy.in_child(
            request, assessments.check_framework, name, text, settings_of(request).max_framework_indicators
        )
        with unit_of_work(request) as db:
            row = assessments.upload_framework(db, who.actor, organization_id, name, text, checked=fw)
    except ServiceError as exc:
        if is_access_error(exc):
            raise
        return _new_page(
            request,
            organization_id,
            exc.status,
            failed="upload",
            error=refusal(request, exc),
            details=exc.details,
        )
    return redirect(f"/orgs/{organization_id}/assessments/new?uploaded=uploaded:{row.id}")


# --------------------------------------------------------------------------------------------------------------------
# Overview


def _overview(
    request: Request,
    assessment_id: int,
    status_code: int = 200,
    *,
    form: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    settings = settings_of(request)
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        assessment = assessments.get(db, who.actor, assessment_id)
        role = access.require_role(db, who.actor, assessment.organization_id)
        own = assessments.framework_of(assessment)
        # Competency and stage names in the page's language where the framework offers it.
        fw = own.in_language(page_language(request))
        rates = _rates_payload(request, assessments.response_rates(db, who.actor, assessment.id))
        targets = dict(assessment.targets or {})
        competencies = [
            {
                "key": comp.key,
                "name": fw.text(comp.name),
                "target": targets.get(comp.key, ""),
            }
            for comp in fw.competencies
        ]
        stages = [(stage.key, fw.text(stage.name)) for stage in fw.stages]
        groups = assessments.groups(db, assessment.id)
        defaults = {
            "group": str(groups[0].id) if groups else "",
            "count": "5",
            "delivery": "csv",
            "emails": "",
            "language": own.language,
            "unit": "",
        }
        return render(
            request,
            "assessment_overview.html",
            who,
            status_code=status_code,
            assessment=assessment,
            org=assessment.organization,
            role=role,
            can_edit=role in EDITORS,
            framework_name=fw.text(fw.name),
            groups=groups,
            campaign_units=_campaign_units(db, assessment),
            rates=rates,
            competencies=competencies,
            stages=stages,
            stage_names=dict(stages),
            smtp=mail.configured(settings),
            max_invitations=settings.max_invitations_per_request,
            max_upload=size_text(settings.max_upload_bytes),
            minutes=assessments.estimated_minutes(fw),
            languages=language_choices(own.offered_languages),
            form={**defaults, **(form or {})},
            quick_link=quick_links.status_of(db, assessment) if role in EDITORS else None,
            base_url=settings.base_url.rstrip("/"),
            **extra,
        )


@router.get("/assessments/{assessment_id}")
def overview_page(
    request: Request, assessment_id: int, imported: str = "", queued: str = "", skipped: str = ""
) -> Response:
    notice = None
    with use_locale(page_language(request)):
        if imported.isdigit():
            n = int(imported)
            notice = ngettext(
                "Imported the answers of %(num)s respondent.", "Imported the answers of %(num)s respondents.", n
            ) % {"num": n}
        elif queued.isdigit():
            n = int(queued)
            notice = ngettext(
                "Queued %(num)s invitation by e-mail: it is sent in the background; the outbox shows its delivery.",
                "Queued %(num)s invitations by e-mail: they are sent in the background; the outbox shows each one's "
                "delivery.",
                n,
            ) % {"num": n}
            if skipped.isdigit() and int(skipped):
                m = int(skipped)
                notice += " " + ngettext(
                    "%(num)s address was already invited, not again.",
                    "%(num)s addresses were already invited, not again.",
                    m,
                ) % {"num": m}
    return _overview(request, assessment_id, notice=notice)


@router.get("/assessments/{assessment_id}/rates.json")
def rates_json(request: Request, assessment_id: int) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        try:
            rates = assessments.response_rates(db, who.actor, assessment_id)
        except ServiceError as exc:
            return JSONResponse({"detail": exc.message}, status_code=exc.status)
    return JSONResponse(_rates_payload(request, rates), headers={"Cache-Control": "no-store"})


def _change(
    request: Request, assessment_id: int, section: str, csrf_token: str, action: Callable[[Session, SignedIn], object]
) -> Response:
    """Run ``action(db, who)`` in a unit of work; redirect to the overview, or show the error beside the form."""
    try:
        with unit_of_work(request) as db:
            who = require_signed_in(request, db)
            check_csrf(request, who, csrf_token)
            action(db, who)
    except ServiceError as exc:
        if is_access_error(exc):
            raise
        return _overview(
            request,
            assessment_id,
            exc.status,
            failed=section,
            error=refusal(request, exc),
            details=exc.details,
        )
    return redirect(f"/assessments/{assessment_id}#{section}")


@router.post("/assessments/{assessment_id}/status")
def set_status(
    request: Request,
    assessment_id: int,
    status: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    if status == "closed":
        with unit_of_work(request, write=False) as db:
            who = require_signed_in(request, db)
            check_csrf(request, who, csrf_token)
        results.warm(request.app.state.sessions, who.actor, assessment_id)  # scored before the writer lock
    return _change(
        request,
        assessment_id,
        "status",
        csrf_token,
        lambda db, who: assessments.set_status(db, who.actor, assessment_id, status),
    )


@router.post("/assessments/{assessment_id}/targets")
def set_targets(
    request: Request,
    assessment_id: int,
    target: Annotated[list[str] | None, Form()] = None,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    def action(db: Session, who: SignedIn) -> None:
        access.assessment(db, who.actor, assessment_id, "facilitator")
        assessments.set_targets(db, who.actor, assessment_id, _parse_targets(request, target or []))

    return _change(request, assessment_id, "targets", csrf_token, action)


@router.post("/assessments/{assessment_id}/groups")
def add_groups(
    request: Request,
    assessment_id: int,
    groups: Annotated[str, Form(max_length=MAX_TEXT_FIELD)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    def action(db: Session, who: SignedIn) -> None:
        access.assessment(db, who.actor, assessment_id, "facilitator")
        names = [n for n in groups.splitlines() if n.strip()]
        if not names:
            raise Invalid(N_("enter the names of the groups to add, one per line"), field="groups")
        assessments.add_groups(db, who.actor, assessment_id, names)

    return _change(request, assessment_id, "groups", csrf_token, action)


@router.post("/assessments/{assessment_id}/import")
def import_answers(
    request: Request,
    assessment_id: int,
    file: Annotated[UploadFile | None, File()] = None,
    allow_duplicate: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    duplicate = bool(allow_duplicate)
    try:
        with unit_of_work(request, write=False) as db:
            who = require_signed_in(request, db)
            check_csrf(request, who, csrf_token)
            access.assessment(db, who.actor, assessment_id, "facilitator")
        _refuse_workbook(file)
        name, text = read_upload(file, settings_of(request).max_upload_bytes, N_("answers (CSV)"))
        if len(text.encode()) > settings_of(request).import_job_bytes:
            # A large file: the job queue imports it, the page shows its progress (services/long_jobs.py).
            with unit_of_work(request) as db:
                job_id = long_jobs.start_import(db, who.actor, assessment_id, name, text, allow_duplicate=duplicate)
            jobs_of(request).run_long(job_id)
            return redirect(f"/jobs/{job_id}")
        # The import opens its own transactions: it reads and checks the file holding none, then writes in batches.
        count = imports.import_answers(
            request.app.state.sessions,
            who.actor,
            assessment_id,
            name,
            text,
            max_values=settings_of(request).max_import_values,
            allow_duplicate=duplicate,
        )
    except ServiceError as exc:
        if is_access_error(exc):
            raise
        return _overview(
            request,
            assessment_id,
            exc.status,
            failed="import",
            error=refusal(request, exc),
            details=exc.details,
        )
    return redirect(f"/assessments/{assessment_id}?imported={count}#import")


#: The first bytes of a spreadsheet workbook: XLSX (a zip archive) and the older XLS (an OLE2 compound file).
_WORKBOOK_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")


def _refuse_workbook(upload: UploadFile | None) -> None:
    """Refuse a spreadsheet workbook chosen for the CSV import by what it is (it would be refused as "not UTF-8
    text"): the page imports CSV; ``cxm score`` reads XLSX."""
    if upload is None or not upload.filename:
        return
    start = upload.file.read(4)
    upload.file.seek(0)
    if start in _WORKBOOK_SIGNATURES:
        raise Invalid(
            phrase(
                N_("%(file)s is a spreadsheet workbook; this import reads CSV: save its answers sheet as CSV UTF-8"),
                file=upload.filename,
            ),
            field="file",
        )


# --------------------------------------------------------------------------------------------------------------------
# Invitations


@router.post("/assessments/{assessment_id}/invitations")
def create_invitations(
    request: Request,
    assessment_id: int,
    delivery: Annotated[str, Form(max_length=10)] = "csv",
    group: Annotated[str, Form(max_length=20)] = "",
    count: Annotated[str, Form(max_length=20)] = "",
    emails: Annotated[str, Form(max_length=MAX_TEXT_FIELD)] = "",
    language: Annotated[str, Form(max_length=16)] = "",
    unit: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    settings = settings_of(request)
    form = {"group": group, "count": count, "delivery": delivery, "emails": emails, "language": language, "unit": unit}
    addresses: list[str] = []
    try:
        with unit_of_work(request) as db:
            who = require_signed_in(request, db)
            check_csrf(request, who, csrf_token)
            assessment = access.assessment(db, who.actor, assessment_id, "facilitator")
            group_id = _group_id(group)
            limit = settings.max_invitations_per_request
            if delivery == "email":
                addresses = _addresses(request, emails)
                if not mail.configured(settings):
                    raise Conflict(
                        N_(
                            "e-mail is not set up on this server (CXM_SMTP_HOST is empty): download the links as a "
                            "CSV file or show them on a page, and send them yourself"
                        ),
                        field="delivery",
                    )
                if len(addresses) > limit:
                    raise Invalid(
                        _say(request, N_("invite at most %(limit)s addresses at a time"), limit=limit), field="emails"
                    )
            elif delivery in ("csv", "show"):
                number = _count(request, count, limit)
            else:
                raise Invalid(N_("choose how to deliver the links: CSV file, on a page or by e-mail"), field="delivery")
            if delivery == "email":
                # The e-mail's language and the pages' first language: one the framework offers, else its own.
                fw = assessments.framework_of(assessment)
                language = language if language in fw.offered_languages else fw.language
                # Queued, not sent: the queue's worker sends them (services/jobs.py), never this request.
                invited = outbox.invite_by_email(
                    db,
                    who.actor,
                    settings,
                    assessment.id,
                    group_id,
                    addresses,
                    settings.max_invitations_per_request,
                    language=language,
                    unit_id=_unit_id(unit),
                )
            else:
                # Links shown or downloaded are held by the facilitator (docs/security.md).
                tokens = assessments.create_invitations(
                    db, who.actor, assessment.id, group_id, number, limit, unit_id=_unit_id(unit)
                )
            group_name = next((g.name for g in assessments.groups(db, assessment.id) if g.id == group_id), "")
        if delivery == "email":
            jobs_of(request).enqueue(invited.message_ids)
            skipped = f"&skipped={len(invited.skipped)}" if invited.skipped else ""
            return redirect(f"/assessments/{assessment_id}?queued={len(invited.message_ids)}{skipped}#invitations")
        base = settings.base_url.rstrip("/")
        links = [f"{base}/r/{token}" for token in tokens]
    except ServiceError as exc:
        if is_access_error(exc):
            raise
        return _overview(
            request,
            assessment_id,
            exc.status,
            form=form,
            failed="invitations",
            error=refusal(request, exc),
            details=exc.details,
        )
    if delivery == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["group", "link"])
        writer.writerows([guard(group_name), link] for link in links)
        filename = f"invitations-{assessment_id}-{_slug(group_name) or 'links'}.csv"
        return Response(
            out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
        )
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        assessment = assessments.get(db, who.actor, assessment_id)
        response = render(
            request,
            "assessment_links.html",
            who,
            assessment=assessment,
            org=assessment.organization,
            group_name=group_name,
            links=links,
        )
    response.headers["Cache-Control"] = "no-store"
    return response
