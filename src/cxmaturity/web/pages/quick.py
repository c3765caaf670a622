"""The public quick evaluation of a built-in framework: one question per competency, answered by anyone with the
link (no account, no invitation, nothing stored), and the person's stage per competency with its uncertainty; and a
facilitator's published quick link (``/q/TOKEN``, services/quick_links.py), the same form whose answers are stored,
anonymously, in the facilitator's quick assessment, and the facilitator's actions on it (publish, withdraw, turn
into a full assessment).

Scoring runs posterior draws, so each client address may score a limited number of forms per window
(CXM_QUICK_MAX_PER_ADDRESS, one limit for both kinds of link); the form is protected by the anonymous double-submit
CSRF token, and unknown link tokens count against the address like unknown invitation links.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Form, Request, Response

from cxmaturity.frameworks import DONT_KNOW, NOT_APPLICABLE, builtin_ids, load_builtin
from cxmaturity.frameworks.describe import answer_options
from cxmaturity.frameworks.quick import QuickForm
from cxmaturity.i18n import gettext as _
from cxmaturity.i18n import ngettext, use_locale
from cxmaturity.i18n.names import language_choices
from cxmaturity.reporting import view
from cxmaturity.services import quick, quick_links
from cxmaturity.services.errors import Conflict, Invalid
from cxmaturity.services.quick import QuickResult
from cxmaturity.web import throttling
from cxmaturity.web.context import (
    SignedIn,
    check_csrf,
    page_language,
    redirect,
    refusal,
    render,
    require_signed_in,
    signed_in,
    unit_of_work,
)

router = APIRouter()

#: One person's answers and result: never kept by a shared cache or the browser's history.
NO_STORE = {"Cache-Control": "private, no-store"}
MAX_FIELD = 100


def _language(request: Request, form: QuickForm) -> str:
    """The language of a quick page: picked (``?lang=``, then earlier), else the browser's, among the framework's
    languages; else the framework's own (as on the respondent pages)."""
    fw = form.framework
    return page_language(request, fw.offered_languages, fw.language)


def _too_many(minutes: int) -> str:
    return ngettext(
        "Too many quick evaluations from your network. Try again in %(num)d minute.",
        "Too many quick evaluations from your network. Try again in %(num)d minutes.",
        minutes,
    ) % {"num": minutes}


def _questions(form: QuickForm, answers: dict[str, str], lang: str) -> list[dict[str, Any]]:
    fw = form.framework.in_language(lang)
    return [
        {
            "number": n,
            "key": ind.key,
            "competency": fw.text(comp.name),
            "text": fw.text(ind.text),
            "options": answer_options(fw, ind),
            "answer": answers.get(ind.key, ""),
        }
        for n, (comp, ind) in enumerate(fw.indicators, start=1)
    ]


def _who(request: Request) -> SignedIn | None:
    """The signed-in user, if any: their forms carry their session's token; anyone else's the anonymous one."""
    with unit_of_work(request) as db:
        return signed_in(request, db)


def _form_page(
    request: Request,
    who: SignedIn | None,
    form: QuickForm,
    answers: dict[str, str],
    status_code: int = 200,
    **extra: Any,
) -> Response:
    lang = _language(request, form)
    fw = form.framework.in_language(lang)
    response = render(
        request,
        "quick.html",
        who,
        status_code=status_code,
        lang=lang,
        languages=language_choices(form.framework.offered_languages),
        framework_id=form.source.id,
        framework_name=fw.text(fw.name),
        questions=_questions(form, answers, lang),
        minutes=max(1, round(form.minutes)),
        left_out=[form.source.text(form.source.competency(k).name, lang) for k in form.left_out],
        dont_know=DONT_KNOW,
        not_applicable=NOT_APPLICABLE,
        **extra,
    )
    response.headers.update(NO_STORE)
    return response


@router.get("/quick")
def quick_index(request: Request) -> Response:
    frameworks = [(fid, load_builtin(fid)) for fid in builtin_ids()]
    lang = page_language(request)
    return render(
        request,
        "quick_index.html",
        _who(request),
        frameworks=[(fid, fw.in_language(lang).text(fw.name)) for fid, fw in frameworks],
    )


@router.get("/quick/{framework_id}")
def quick_page(request: Request, framework_id: str) -> Response:
    return _form_page(request, _who(request), quick.form(framework_id), {})


@router.post("/quick/{framework_id}")
async def quick_submit(request: Request, framework_id: str) -> Response:
    form_data = await request.form()
    values = {k: str(v)[:MAX_FIELD] for k, v in form_data.items() if isinstance(v, str)}
    # The database and the posterior draws run on a worker thread, never on the event loop.
    return await anyio.to_thread.run_sync(_submit, request, framework_id, values)


def _submit(request: Request, framework_id: str, values: dict[str, str]) -> Response:
    who = _who(request)
    check_csrf(request, who, values.get("csrf_token", ""))
    form = quick.form(framework_id)
    answers = {k.removeprefix("answer:"): v for k, v in values.items() if k.startswith("answer:")}
    with unit_of_work(request) as db:
        blocked = throttling.start_quick(request, db)
    if blocked:
        with use_locale(_language(request, form)):
            error = _too_many(blocked.minutes)
        response = _form_page(request, who, form, answers, 429, error=error)
        response.headers.update(throttling.retry_after(blocked))
        return response
    try:
        # The form's mistakes are named in the page's language.
        with use_locale(_language(request, form)):
            scored = quick.evaluate(framework_id, answers)
    except Invalid as exc:
        return _form_page(
            request,
            who,
            form,
            answers,
            exc.status,
            error=refusal(request, exc),
            details=exc.details,
            error_field=exc.field,
        )
    return _result_page(request, who, scored)


def _result_page(request: Request, who: SignedIn | None, scored: QuickResult, **extra: Any) -> Response:
    lang = _language(request, scored.form)
    fw = scored.form.framework.in_language(lang)
    with use_locale(lang):
        results = view.build(scored.result, fw, title=_("Quick evaluation: %(name)s") % {"name": fw.text(fw.name)})
    response = render(
        request,
        "quick_result.html",
        who,
        lang=lang,
        framework_id=scored.form.source.id,
        framework_name=fw.text(fw.name),
        v=results,
        draws=quick.DRAWS,
        **extra,
    )
    response.headers.update(NO_STORE)
    return response


# --- a facilitator's published quick link: /q/TOKEN ----------------------------------------------------------------


def _link_extra(found: quick_links.Visit) -> dict[str, Any]:
    return {
        "action": f"/q/{found.link.token}",
        "organization": found.organization,
        "min_responses": found.assessment.min_group_size,
    }


@router.get("/q/{token}")
def link_page(request: Request, token: str) -> Response:
    with throttling.counting_unknown_links(request), unit_of_work(request) as db, use_locale(page_language(request)):
        who = signed_in(request, db)
        found = quick_links.visit(db, token[: quick_links.MAX_TOKEN + 1])
        extra = _link_extra(found)
    return _form_page(request, who, found.form, {}, **extra)


@router.post("/q/{token}")
async def link_submit(request: Request, token: str) -> Response:
    form_data = await request.form()
    values = {k: str(v)[:MAX_FIELD] for k, v in form_data.items() if isinstance(v, str)}
    return await anyio.to_thread.run_sync(_link_submit, request, token[: quick_links.MAX_TOKEN + 1], values)


def _link_submit(request: Request, token: str, values: dict[str, str]) -> Response:
    who = _who(request)
    check_csrf(request, who, values.get("csrf_token", ""))
    answers = {k.removeprefix("answer:"): v for k, v in values.items() if k.startswith("answer:")}
    with throttling.counting_unknown_links(request), unit_of_work(request) as db, use_locale(page_language(request)):
        found = quick_links.visit(db, token)
        extra = _link_extra(found)
        blocked = throttling.start_quick(request, db)
    if blocked:
        with use_locale(_language(request, found.form)):
            error = _too_many(blocked.minutes)
        response = _form_page(request, who, found.form, answers, 429, error=error, **extra)
        response.headers.update(throttling.retry_after(blocked))
        return response
    try:
        with unit_of_work(request) as db, use_locale(_language(request, found.form)):
            scored = quick_links.answer(db, token, answers)
    except (Invalid, Conflict) as exc:
        return _form_page(
            request, who, found.form, answers, exc.status, error=refusal(request, exc), details=exc.details, **extra
        )
    return _result_page(request, who, scored, organization=extra["organization"], min_responses=extra["min_responses"])


# --- the facilitator's actions (the overview page shows the link and its count) ------------------------------------


@router.post("/assessments/{assessment_id}/quick-link")
def publish_link(request: Request, assessment_id: int, csrf_token: Annotated[str, Form()] = "") -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        check_csrf(request, who, csrf_token)
        quick_links.publish(db, who.actor, assessment_id)
    return redirect(f"/assessments/{assessment_id}#quick-link")


@router.post("/assessments/{assessment_id}/quick-link/withdraw")
def withdraw_link(request: Request, assessment_id: int, csrf_token: Annotated[str, Form()] = "") -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        check_csrf(request, who, csrf_token)
        quick_links.withdraw(db, who.actor, assessment_id)
    return redirect(f"/assessments/{assessment_id}#quick-link")


@router.post("/assessments/{assessment_id}/full-assessment")
def full_assessment(
    request: Request,
    assessment_id: int,
    csrf_token: Annotated[str, Form()] = "",
    title: Annotated[str, Form(max_length=300)] = "",
    carry_answers: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        check_csrf(request, who, csrf_token)
        made = quick_links.to_full_assessment(
            db, who.actor, assessment_id, title=title, carry_answers=carry_answers == "yes"
        )
    # Post, then redirect: reloading the summary (or pressing back and forward) must not make another assessment.
    return redirect(f"/assessments/{made.assessment.id}/from-quick")


@router.get("/assessments/{assessment_id}/from-quick")
def from_quick(request: Request, assessment_id: int) -> Response:
    """What the full assessment ``assessment_id`` carried over from the quick evaluation it was made from."""
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        made = quick_links.conversion(db, who.actor, assessment_id)
        return render(
            request, "quick_to_full.html", who, made=made, source_id=made.source.id, source_title=made.source.title
        )
