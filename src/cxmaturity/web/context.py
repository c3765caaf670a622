"""Request helpers shared by every page: the unit of work, the signed-in user, CSRF and rendering."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request, Response, UploadFile
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from cxmaturity.i18n import DEFAULT_LOCALE, LOCALES, N_, gettext, negotiate, use_locale
from cxmaturity.i18n import jinja as i18n_jinja
from cxmaturity.i18n.phrase import Phrase, phrase
from cxmaturity.i18n.phrase import render as render_phrase
from cxmaturity.reporting.scorecard import METRIC_NAMES
from cxmaturity.scoring.display import score_text
from cxmaturity.services import accounts
from cxmaturity.services.access import Actor
from cxmaturity.services.errors import Invalid, ServiceError
from cxmaturity.services.jobs import JobQueue
from cxmaturity.services.tokens import same
from cxmaturity.settings import Settings
from cxmaturity.storage.database import reading
from cxmaturity.storage.tables import User, UserSession
from cxmaturity.web import security

SESSION_COOKIE = "cxm_session"
#: The language a person picked with ``?lang=`` on a page, kept for the next pages (docs/translations.md).
LANGUAGE_COOKIE = "cxm_lang"
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["score_text"] = score_text
# The built-in outcome metrics by name (phrases: ``|tr`` writes them in the page's language), for the forms that list
# them by key.
templates.env.globals["metric_names"] = METRIC_NAMES
i18n_jinja.install(templates.env)


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def jobs_of(request: Request) -> JobQueue:
    """The job queue web requests add jobs to (services/jobs.py): they never do the jobs' work themselves."""
    queue: JobQueue = request.app.state.jobs
    return queue


#: Methods whose requests only read: their unit of work never takes SQLite's writer lock (storage/database.py).
READ_METHODS = frozenset({"GET", "HEAD"})


@contextmanager
def unit_of_work(request: Request, *, write: bool | None = None) -> Iterator[Session]:
    """Yield a database session that commits when the block succeeds (before any response is sent).

    A GET or HEAD reads only (unless ``write``): results, reports and exports are computed and rendered while it is
    open, and on SQLite a reading transaction never holds up a writer. Other methods write, taking the writer lock
    from their first statement: they parse and check their input before it, or open the unit of work late.
    """
    if write is None:
        write = request.method not in READ_METHODS
    if not write:
        with reading(request.app.state.sessions) as db:
            yield db
        return
    with request.app.state.sessions() as db, db.begin():
        yield db


@dataclass(frozen=True)
class SignedIn:
    user: User
    session: UserSession

    @property
    def actor(self) -> Actor:
        return Actor(self.user.id)


def signed_in(request: Request, db: Session) -> SignedIn | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    session = accounts.session_for(db, token)
    if session is None:
        return None
    user = db.get(User, session.user_id)
    return SignedIn(user, session) if user else None


class SignInRequired(Exception):
    """Raised by pages that need a signed-in user; turned into a redirect to the sign-in page."""


def require_signed_in(request: Request, db: Session) -> SignedIn:
    who = signed_in(request, db)
    if who is None:
        raise SignInRequired()
    return who


class CsrfFailed(Exception):
    """A form arrived without the token of the page that showed it."""


def check_csrf(request: Request, who: SignedIn | None, submitted: str | None) -> None:
    if who is not None:
        if not (submitted and same(who.session.csrf_token, submitted)):
            raise CsrfFailed()
    elif not security.check_anonymous_csrf(request, submitted):
        raise CsrfFailed()


def page_language(request: Request, offered: Sequence[str] = LOCALES, default: str = DEFAULT_LOCALE) -> str:
    """The language of a page: the one picked on it (``?lang=``), else the one picked on an earlier page (the
    ``cxm_lang`` cookie), else the browser's (``Accept-Language``), among ``offered``; else ``default``."""
    picked = [request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)]
    return negotiate(picked, request.headers.get("accept-language"), offered) or default


def page_text(request: Request, message: str, **params: object) -> str:
    """``message`` (a text marked with ``N_``) in the page's language: for messages a page module hands a template;
    its ``%(name)s`` placeholders filled in from ``params``."""
    with use_locale(page_language(request)):
        text = gettext(message)
    return text % params if params else text


def refusal(request: Request, exc: ServiceError) -> str:
    """A service's refusal in the page's language (a sentence the service marked for translation; any other as
    written), for the page that shows it beside its form."""
    with use_locale(page_language(request)):
        return render_phrase(exc.phrase)


def remember_language(request: Request, response: Response) -> None:
    """Keep a language picked with ``?lang=`` for the next pages (a catalog's language only)."""
    picked = request.query_params.get("lang")
    if picked in LOCALES and picked != request.cookies.get(LANGUAGE_COOKIE):
        response.set_cookie(
            LANGUAGE_COOKIE, picked, httponly=True, secure=settings_of(request).cookie_secure, samesite="lax"
        )


def render(
    request: Request,
    template: str,
    who: SignedIn | None = None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """Render a page; forms on it get the right CSRF token (the session's, or a double-submit cookie's). Its texts
    are in the context's ``lang`` when given (a page whose content limits the choice), else in ``page_language``."""
    new_cookie = None
    if who is not None:
        csrf = who.session.csrf_token
    else:
        csrf, is_new = security.anonymous_csrf(request)
        new_cookie = csrf if is_new else None
    # The facilitator's pages follow the language picked or the browser's where a catalog has it (their catalogs may
    # be partial: an untranslated text shows in English).
    with use_locale(context.pop("lang", None) or page_language(request)) as chosen:
        response = templates.TemplateResponse(
            request, template, {"who": who, "csrf_token": csrf, "lang": chosen, **context}, status_code=status_code
        )
    response.headers["Vary"] = "Accept-Language, Cookie"
    remember_language(request, response)
    if new_cookie:
        security.set_csrf_cookie(response, new_cookie, settings_of(request))
    return response


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- forms whose field names depend on the data (``owner:KEY``, ``status:KEY``…) -----------------------------------


async def _posted_form(request: Request) -> FormData:
    return await request.form()


#: The posted form as a dependency, for pages whose fields are named after plan initiatives or indicators.
PostedForm = Annotated[FormData, Depends(_posted_form)]


def form_text(form: FormData, name: str, limit: int) -> str:
    """A field's text, cut to ``limit`` characters ("" when it is missing or a file)."""
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def is_access_error(exc: ServiceError) -> bool:
    """Errors about who may see or change what: shown as the error page; the rest are shown beside the form."""
    return exc.status in (403, 404) and exc.field is None


# --- uploaded files ------------------------------------------------------------------------------------------------


class TooLarge(ServiceError):
    """A file or text above the size limit."""

    status = 413


def read_upload(upload: UploadFile | None, limit: int, what: str) -> tuple[str, str]:
    """Return the uploaded file's name and text; refuse a missing, too large or non-UTF-8 file. ``what`` names the
    kind of file, marked with ``N_`` by the caller (the refusal reads in the page's language)."""
    if upload is None or not upload.filename:
        raise Invalid(phrase(N_("choose the %(what)s file to upload"), what=Phrase(what)), field="file")
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(
            phrase(
                N_("%(file)s is larger than the limit of %(limit)s; nothing was stored"),
                file=upload.filename,
                limit=size_text(limit),
            ),
            field="file",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(
            phrase(N_("%(file)s is not UTF-8 text; save it as UTF-8 and upload it again"), file=upload.filename),
            field="file",
        ) from None
    return upload.filename, text


def size_text(n: int) -> str:
    """A size in bytes as people read it: 5 MB, 512 KB."""
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MB"
    if n >= 1024:
        return f"{n / 1024:g} KB"
    return f"{n} bytes"
