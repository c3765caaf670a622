"""Respondent pages: the invitation link's welcome page, one page per competency, and the thank-you page.

Respondents do not sign in. Their form token is derived from the invitation token (no cookie is set), the pages never
show the facilitator's navigation, and every page is sent with ``Cache-Control: no-store`` so that answers do not
linger in a shared computer's cache. Each POST saves its page in its own transaction before redirecting.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.routing import BaseRoute, Route

from cxmaturity.frameworks import DONT_KNOW, NOT_APPLICABLE, Competency, Framework
from cxmaturity.frameworks.describe import answer_options
from cxmaturity.frameworks.lint import estimated_minutes
from cxmaturity.frameworks.model import Rubric
from cxmaturity.i18n import DEFAULT_LOCALE, LOCALES, N_, negotiate, ngettext, use_locale
from cxmaturity.i18n import gettext as _
from cxmaturity.i18n.names import language_choices
from cxmaturity.i18n.phrase import render as render_phrase
from cxmaturity.services import respond
from cxmaturity.services.errors import Conflict, Invalid, NotFound
from cxmaturity.services.respond import MAX_COMMENT, PageInput, Visit
from cxmaturity.services.throttle import Blocked
from cxmaturity.services.tokens import same
from cxmaturity.web import security, throttling
from cxmaturity.web.context import CsrfFailed, redirect, settings_of, templates, unit_of_work

router = APIRouter()
#: Routes mounted on the app ahead of the FastAPI routers (see ``save``).
ROUTES: list[BaseRoute] = []

IMPORTANCE = (
    ("1", N_("1 · not important")),
    ("2", "2"),
    ("3", "3"),
    ("4", "4"),
    ("5", N_("5 · very important")),
)
ACTIONS = ("back", "next", "finish")


@dataclass(frozen=True)
class Question:
    """One indicator as a page shows it: texts in the respondent's language and the answer to pre-select."""

    number: int
    key: str
    text: str
    help: str | None
    rubric: bool
    options: list[tuple[str, str]]
    answer: str
    importance: str
    comment: str
    error: str | None = None
    #: Which of the question's controls the error is about: "answer" (the options) or "importance".
    error_on: str | None = None


def _questions(
    fw: Framework, competency: Competency, values: PageInput, lang: str, error: Invalid | None = None
) -> list[Question]:
    questions = []
    for number, ind in enumerate(competency.indicators, start=1):
        message = error_on = None
        if error is not None and error.field is not None and error.field.split(":")[0] == ind.key:
            with use_locale(lang):
                message = render_phrase(error.phrase)
            error_on = error.field.split(":")[1] if ":" in error.field else "answer"
        questions.append(
            Question(
                number=number,
                key=ind.key,
                text=fw.text(ind.text, lang),
                help=fw.text(ind.help, lang) if ind.help is not None else None,
                rubric=isinstance(ind, Rubric),
                options=answer_options(fw, ind, lang),
                answer=values.answers.get(ind.key, ""),
                importance=values.importance.get(ind.key, ""),
                comment=values.comments.get(ind.key, ""),
                error=message,
                error_on=error_on,
            )
        )
    return questions


def _saved_input(db: Session, v: Visit, competency: Competency) -> PageInput:
    saved = respond.saved_answers(db, v, competency)
    return PageInput(
        answers={k: a.option_key for k, a in saved.items()},
        importance={k: str(a.importance) for k, a in saved.items() if a.importance is not None},
        comments={k: a.comment for k, a in saved.items() if a.comment},
    )


def _sent_input(form: FormData, competency: Competency) -> PageInput:
    def value(name: str) -> str:
        raw = form.get(name)
        return raw if isinstance(raw, str) else ""

    keys = [i.key for i in competency.indicators]
    return PageInput(
        answers={k: value(f"answer:{k}") for k in keys},
        importance={k: value(f"importance:{k}") for k in keys},
        comments={k: value(f"comment:{k}") for k in keys},
    )


def _language(request: Request, v: Visit | None) -> str:
    """The language to show: one chosen on the page (``?lang=``), then the one the respondent answered in before,
    then the browser's (``Accept-Language``), among the framework's languages; else the framework's own."""
    offered = v.framework.offered_languages if v is not None else LOCALES
    stored = v.invitation.language if v is not None else None
    chosen = negotiate([request.query_params.get("lang"), stored], request.headers.get("accept-language"), offered)
    return chosen or (v.framework.language if v is not None else DEFAULT_LOCALE)


def _chosen(request: Request, lang: str) -> str:
    """``?lang=…`` for the links of a page whose language was chosen on it (else "": the same negotiation applies on
    the next page, and once a page is saved the invitation remembers the language)."""
    return f"?lang={lang}" if request.query_params.get("lang") else ""


def _render(request: Request, template: str, token: str, status_code: int = 200, **context: Any) -> Response:
    """Render a respondent page: no signed-in user, the invitation's form token, nothing cached or indexed."""
    csrf = security.respondent_csrf(settings_of(request), token)
    context.setdefault("lang", _language(request, None))
    context.setdefault("lang_query", _chosen(request, context["lang"]))
    with use_locale(context["lang"]):
        response = templates.TemplateResponse(
            request, template, {"who": None, "csrf_token": csrf, "token": token, **context}, status_code=status_code
        )
    _private(response)
    # The page differs by the browser's language: a shared cache must not serve one person's language to another.
    response.headers["Vary"] = "Accept-Language"
    return response


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _missing(request: Request, token: str, message: str | None = None) -> Response:
    return _render(
        request,
        "respond_message.html",
        token,
        status_code=404,
        title=_("This link does not work"),
        message=message
        or _(
            "We could not find an assessment for this link. Check that you copied the whole link from your "
            "invitation, or ask the person who sent it to you for a new one."
        ),
    )


def _unknown(request: Request, db: Session, token: str) -> Response:
    """The page for a token that does not exist; counted, so that guessing links soon meets a refusal."""
    blocked = throttling.link_failed(request, db)
    return _too_many(request, token, blocked) if blocked else _missing(request, token)


def _too_many(request: Request, token: str, blocked: Blocked) -> Response:
    response = _render(
        request,
        "respond_message.html",
        token,
        status_code=429,
        title=_("Too many links that do not work"),
        message=ngettext(
            "Many links that do not exist were opened from your network. Please wait %(num)d minute, then open "
            "the link from your invitation again; check that you copied all of it.",
            "Many links that do not exist were opened from your network. Please wait %(num)d minutes, then open "
            "the link from your invitation again; check that you copied all of it.",
            blocked.minutes,
        )
        % {"num": blocked.minutes},
    )
    response.headers.update(throttling.retry_after(blocked))
    return response


def _state_page(request: Request, v: Visit, token: str, status_code: int) -> Response | None:
    """Return the polite page for an invitation that cannot take answers now, or None when it can."""
    with use_locale(_language(request, v)):
        return _state_page_in_language(request, v, token, status_code)


def _state_page_in_language(request: Request, v: Visit, token: str, status_code: int) -> Response | None:
    org = v.organization.name
    if v.completed:
        title = _("You have already submitted your answers")
        message = _("Thank you for taking part. %(org)s has received your answers; there is nothing more to do.") % {
            "org": org
        }
    elif v.not_open_yet:
        title = _("This assessment is not open yet")
        message = _("%(org)s has not opened this assessment yet. Please try the link again later.") % {"org": org}
    elif v.closed:
        title = _("This assessment is closed")
        message = _(
            "%(org)s is no longer collecting answers for this assessment. "
            "The answers you saved before it closed are kept. Thank you for your time."
        ) % {"org": org}
    else:
        return None
    return _render(
        request,
        "respond_message.html",
        token,
        status_code=status_code,
        title=title,
        message=message,
        assessment=v.assessment,
        organization=v.organization,
        lang=_language(request, v),
    )


def _no_page(request: Request, v: Visit, n: int) -> str:
    with use_locale(_language(request, v)):
        return _("This assessment has pages 1 to %(pages)d; there is no page %(n)d.") % {"pages": v.pages, "n": n}


def _competency(v: Visit, n: int) -> Competency | None:
    return v.framework.competencies[n - 1] if 1 <= n <= v.pages else None


def _page(
    request: Request,
    v: Visit,
    token: str,
    n: int,
    competency: Competency,
    values: PageInput,
    error: Invalid | None = None,
) -> Response:
    fw = v.framework
    lang = _language(request, v)
    with use_locale(lang):
        error_summary = _summary(competency, error) if error else None
    return _render(
        request,
        "respond_page.html",
        token,
        status_code=422 if error else 200,
        v=v,
        n=n,
        pages=v.pages,
        lang=lang,
        competency_name=fw.text(competency.name, lang),
        competency_description=fw.text(competency.description, lang) if competency.description is not None else None,
        questions=_questions(fw, competency, values, lang, error),
        importance_choices=[(value, _(label)) for value, label in IMPORTANCE],
        dont_know=DONT_KNOW,
        not_applicable=NOT_APPLICABLE,
        max_comment=MAX_COMMENT,
        error=error_summary,
        error_href=_anchor(competency, error) if error else None,
    )


def _anchor(competency: Competency, error: Invalid) -> str | None:
    """The link from the error summary to the question it names (its fieldset), or None."""
    keys = [i.key for i in competency.indicators]
    key = (error.field or "").split(":")[0]
    return f"#q{keys.index(key) + 1}" if key in keys else None


def _summary(competency: Competency, error: Invalid) -> str:
    """The message above the form: which question to fix, and why."""
    keys = [i.key for i in competency.indicators]
    key = (error.field or "").split(":")[0]
    message = _("%(problem)s. Nothing on this page was saved yet; please correct it and try again.") % {
        "problem": render_phrase(error.phrase)
    }
    if key not in keys:
        return message
    return _("Question %(number)d: %(message)s") % {"number": keys.index(key) + 1, "message": message}


async def _form(request: Request) -> FormData:
    """The posted form: its field names (``answer:KEY``…) depend on the framework, so they are read here."""
    return await request.form()


@router.get("/r/{token}")
def welcome(request: Request, token: str) -> Response:
    with use_locale(_language(request, None)):
        if blocked := throttling.link_blocked(request):
            return _too_many(request, token, blocked)
        with unit_of_work(request) as db:
            try:
                v = respond.visit(db, token)
            except NotFound:
                return _unknown(request, db, token)
            fw = v.framework
            lang = _language(request, v)
            return _render(
                request,
                "respond_welcome.html",
                token,
                v=v,
                lang=lang,
                languages=language_choices(fw.offered_languages),
                minutes=max(1, round(estimated_minutes(fw))),
                framework_name=fw.text(fw.name, lang),
                resume=v.resume_page() + 1 if v.saved else None,
                questions=len(fw.indicators),
            )


@router.get("/r/{token}/p/{n}")
def page(request: Request, token: str, n: int) -> Response:
    with use_locale(_language(request, None)):
        if blocked := throttling.link_blocked(request):
            return _too_many(request, token, blocked)
        with unit_of_work(request) as db:
            try:
                v = respond.visit(db, token)
            except NotFound:
                return _unknown(request, db, token)
            if (state := _state_page(request, v, token, 409)) is not None:
                return state
            competency = _competency(v, n)
            if competency is None:
                return _missing(request, token, _no_page(request, v, n))
            return _page(request, v, token, n, competency, _saved_input(db, v, competency))


async def save(request: Request) -> Response:
    """POST /r/{token}/p/{n}: save a page.

    The busiest route of the app is a plain Starlette route (see ``ROUTES``): FastAPI's dependency and per-field form
    handling would cost more than the database work. The form's field names depend on the framework anyway.
    """
    token: str = request.path_params["token"]
    n: int = request.path_params["n"]
    form = await request.form()
    csrf_token, action = form.get("csrf_token"), form.get("action")
    work = partial(
        _save,
        request,
        token,
        n,
        form,
        csrf_token if isinstance(csrf_token, str) else "",
        action if isinstance(action, str) else "next",
    )
    return await anyio.to_thread.run_sync(work, limiter=_save_limiter(request))


def _save_limiter(request: Request) -> anyio.CapacityLimiter:
    """The page saves' own thread pool (``CXM_SAVE_THREADS``), made on first use in the app's event loop."""
    state = request.app.state
    limiter: anyio.CapacityLimiter | None = getattr(state, "save_limiter", None)
    if limiter is None:
        limiter = state.save_limiter = anyio.CapacityLimiter(settings_of(request).save_threads)
    return limiter


def _save(request: Request, token: str, n: int, form: FormData, csrf_token: str, action: str) -> Response:
    with use_locale(_language(request, None)):
        if blocked := throttling.link_blocked(request):
            return _too_many(request, token, blocked)
        if not (csrf_token and same(security.respondent_csrf(settings_of(request), token), csrf_token)):
            raise CsrfFailed()
        if action not in ACTIONS:
            action = "next"
        try:
            # One transaction: the page is committed when this block ends, before the redirect is sent.
            with unit_of_work(request) as db:
                v = respond.visit(db, token, lock=True)
                if (state := _state_page(request, v, token, 409)) is not None:
                    return state
                competency = _competency(v, n)
                if competency is None:
                    return _missing(request, token, _no_page(request, v, n))
                v = respond.save_page(
                    db, token, competency.key, _sent_input(form, competency), current=v, language=_language(request, v)
                )
                if action == "finish":
                    v = respond.finish(db, token, current=v)
        except NotFound:
            with unit_of_work(request) as db:
                return _unknown(request, db, token)
        except Conflict:
            # Closed (or submitted in another tab) since the page was shown.
            with unit_of_work(request) as db:
                state = _state_page(request, respond.visit(db, token), token, 409)
            assert state is not None
            return state
        except Invalid as exc:
            # Nothing was written: the transaction rolled back. Show the page again with what the respondent sent.
            with unit_of_work(request) as db:
                v = respond.visit(db, token)
                competency = v.framework.competencies[n - 1]
                return _page(request, v, token, n, competency, _sent_input(form, competency), exc)
        # A chosen language goes with the redirect (the invitation also remembers it from now on).
        lang = _chosen(request, _language(request, v))
        if action == "finish":
            return _private(redirect(f"/r/{token}/done{lang}"))
        if action == "back":
            return _private(redirect(f"/r/{token}/p/{n - 1}{lang}" if n > 1 else f"/r/{token}{lang}"))
        return _private(redirect(f"/r/{token}/p/{min(n + 1, v.pages)}{lang}"))


@router.get("/r/{token}/done")
def done(request: Request, token: str) -> Response:
    with use_locale(_language(request, None)):
        if blocked := throttling.link_blocked(request):
            return _too_many(request, token, blocked)
        with unit_of_work(request) as db:
            try:
                v = respond.visit(db, token)
            except NotFound:
                return _unknown(request, db, token)
            if not v.completed:
                return _private(redirect(f"/r/{token}"))
            return _render(request, "respond_done.html", token, v=v, lang=_language(request, v))


ROUTES.append(Route("/r/{token}/p/{n:int}", save, methods=["POST"]))
