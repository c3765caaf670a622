"""Progress pages: the series of an assessment (trend charts, the assessments, re-assess, the initiatives' statuses)
and the comparison of two assessments of a series.

Every read and change goes through ``services.progress``; pages render only from the view models of
``reporting.progress_view``, and their charts are Vega-Lite specs drawn by static/charts.js, each with a table of the
same numbers. Viewers read, facilitators and owners re-assess and set statuses, outsiders get 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.datastructures import FormData

from cxmaturity.i18n import N_, use_locale
from cxmaturity.progress import INITIATIVE_STATUSES
from cxmaturity.reporting import progress_view
from cxmaturity.services import access, initiative_metrics, plans, workshops
from cxmaturity.services import progress as series_service
from cxmaturity.services.errors import Invalid, ServiceError
from cxmaturity.web.context import (
    PostedForm,
    check_csrf,
    form_text,
    is_access_error,
    page_language,
    page_text,
    redirect,
    refusal,
    render,
    require_signed_in,
    unit_of_work,
)

router = APIRouter()

EDITORS = ("owner", "facilitator")
NO_STORE = {"Cache-Control": "private, no-store"}
#: Notices after a change (chosen by a fixed word in the redirect, never by text from the URL).
NOTICES = {
    "reassessed": N_(
        "A new draft assessment was started from the previous one, with the same groups, targets and plan "
        "settings. Open it to invite people."
    ),
    "statuses": N_("The initiatives' statuses were saved."),
}
MAX_FIELD = 300


def _text(form: FormData, name: str, limit: int = MAX_FIELD) -> str:
    return form_text(form, name, limit)


def _series_page(request: Request, assessment_id: int, status_code: int = 200, **extra: Any) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        assessment = access.assessment(db, who.actor, assessment_id, "viewer")
        role = access.require_role(db, who.actor, assessment.organization_id)
        entries = series_service.series_results(db, who.actor, assessment.id)
        lang = page_language(request)
        view = progress_view.series(entries, assessment.id, lang)
        ids = [row.id for row in view.rows]
        position = ids.index(assessment.id)
        saved = plans.latest(db, who.actor, assessment.id)
        statuses = series_service.initiative_statuses(db, who.actor, assessment.id)
        fw = next(e.scored.framework for e in entries if e.scored.assessment.id == assessment.id).in_language(lang)
        names = {c.key: fw.text(c.name) for c in fw.competencies}
        initiatives = (
            [
                {
                    "key": i.key,
                    "title": i.title,
                    "competency": names.get(i.competency, i.competency),
                    "periods": str(i.start) if i.end - i.start <= 1 else f"{i.start}–{i.end - 1}",
                    "status": statuses[i.key].status if i.key in statuses else "planned",
                    "changed_by": statuses[i.key].changed_by if i.key in statuses else None,
                    "changed_at": statuses[i.key].changed_at if i.key in statuses else None,
                }
                for i in sorted(saved.plan.initiatives, key=lambda i: (i.start, i.competency, i.key))
            ]
            if saved is not None
            else []
        )
        response = render(
            request,
            "progress.html",
            who,
            status_code=status_code,
            assessment=assessment,
            organization=assessment.organization,
            can_edit=role in EDITORS,
            view=view,
            compare_before=ids[position - 1] if position > 0 else ids[0],
            compare_after=assessment.id if position > 0 else ids[-1],
            choices=series_service.version_choices(db, who.actor, assessment.id),
            same_version=series_service.SAME_VERSION,
            plan_number=saved.number if saved is not None else None,
            initiatives=initiatives,
            statuses=INITIATIVE_STATUSES,
            status_words=progress_view.STATUS_WORDS,
            initiative_metrics=initiative_metrics.views(db, who.actor, assessment.id) if saved is not None else [],
            commitments=workshops.to_review(db, who.actor, assessment.id),
            **extra,
        )
    response.headers.update(NO_STORE)
    return response


@router.get("/assessments/{assessment_id}/progress")
def series_page(request: Request, assessment_id: int, done: str = "") -> Response:
    notice = NOTICES.get(done)
    return _series_page(request, assessment_id, notice=page_text(request, notice) if notice else None)


def _whole(value: str, name: str) -> int:
    value = value.strip()
    if not value.isdigit() or len(value) > 12:
        raise Invalid(N_("choose the two assessments to compare"), field=name)
    return int(value)


@router.get("/assessments/{assessment_id}/compare")
def compare_form(request: Request, assessment_id: int, before: str = "", after: str = "") -> Response:
    """The series page's compare form: send the chosen pair to its own address."""
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        access.assessment(db, who.actor, assessment_id, "viewer")
    if not before and not after:
        return redirect(f"/assessments/{assessment_id}/progress#compare")
    return redirect(f"/assessments/{_whole(before, 'before')}/compare/{_whole(after, 'after')}")


@router.get("/assessments/{assessment_id}/compare/{other_id}")
def compare_page(request: Request, assessment_id: int, other_id: int) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        before = access.assessment(db, who.actor, assessment_id, "viewer")
        earlier, later = series_service.in_order(db, who.actor, before.id, other_id)
        if earlier != before.id:
            # An address typed or kept the other way round: the page always reads from the earlier to the later.
            return redirect(f"/assessments/{earlier}/compare/{later}")
        found = series_service.compare(db, who.actor, before.id, other_id)
        lang = page_language(request)
        # Reasons, notes and names in the page's language (the framework's names where it offers that language).
        with use_locale(lang):
            view = progress_view.localized(progress_view.build(found), found.after.framework.in_language(lang))
        response = render(
            request,
            "progress_compare.html",
            who,
            assessment=before,
            organization=before.organization,
            view=view,
            status_words=progress_view.STATUS_WORDS,
        )
    response.headers.update(NO_STORE)
    return response


@router.post("/assessments/{assessment_id}/reassess")
def reassess(request: Request, assessment_id: int, form: PostedForm) -> Response:
    try:
        with unit_of_work(request) as db:
            who = require_signed_in(request, db)
            check_csrf(request, who, _text(form, "csrf_token", 200))
            created = series_service.reassess(
                db,
                who.actor,
                assessment_id,
                title=_text(form, "title") or None,
                framework_ref=_text(form, "framework") or None,
            )
            new_id = created.id
    except ServiceError as exc:
        if is_access_error(exc):
            raise
        return _series_page(
            request, assessment_id, exc.status, failed="reassess", error=refusal(request, exc), details=exc.details
        )
    return redirect(f"/assessments/{new_id}/progress?done=reassessed")


@router.post("/assessments/{assessment_id}/commitments")
def set_kept(request: Request, assessment_id: int, form: PostedForm) -> Response:
    """The commitments table: every ``kept:ID`` field (yes, no, or empty for not known yet)."""
    values = {"yes": True, "no": False, "": None}
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        check_csrf(request, who, _text(form, "csrf_token", 200))
        sent: dict[int, bool | None] = {}
        for name, value in form.multi_items():
            if name.startswith("kept:") and isinstance(value, str):
                number = name.removeprefix("kept:")
                if not number.isdigit() or len(number) > 10 or value not in values:
                    raise Invalid(
                        page_text(request, N_("%(field)s: choose kept, not kept or not known yet")) % {"field": name},
                        field="kept",
                    )
                sent[int(number)] = values[value]
        workshops.mark_kept(db, who.actor, assessment_id, sent)
    return redirect(f"/assessments/{assessment_id}/progress#commitments")


@router.post("/assessments/{assessment_id}/initiatives")
def set_statuses(request: Request, assessment_id: int, form: PostedForm) -> Response:
    """The initiatives table: every ``status:KEY`` field sent; only changed statuses are saved (and audited)."""
    try:
        with unit_of_work(request) as db:
            who = require_signed_in(request, db)
            check_csrf(request, who, _text(form, "csrf_token", 200))
            access.assessment(db, who.actor, assessment_id, "facilitator")
            current = series_service.initiative_statuses(db, who.actor, assessment_id)
            sent = {
                name.removeprefix("status:"): value
                for name, value in form.multi_items()
                if name.startswith("status:") and isinstance(value, str)
            }
            if not sent:
                raise Invalid(
                    page_text(request, N_("nothing to save: the plan has no initiatives")), field="initiatives"
                )
            for key, status in sent.items():
                if status != (current[key].status if key in current else "planned"):
                    series_service.set_initiative_status(db, who.actor, assessment_id, key, status)
    except ServiceError as exc:
        if is_access_error(exc):
            raise
        return _series_page(
            request, assessment_id, exc.status, failed="initiatives", error=refusal(request, exc), details=exc.details
        )
    return redirect(f"/assessments/{assessment_id}/progress?done=statuses#initiatives")
