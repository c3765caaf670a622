"""Turn failures into pages or JSON that say what happened, never a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException

from cxmaturity.i18n import N_, gettext, use_locale
from cxmaturity.i18n.catalogs import LOCALES
from cxmaturity.i18n.phrase import Phrase, Text, render
from cxmaturity.json_text import refusal
from cxmaturity.services.errors import Invalid, ServiceError, TooMany
from cxmaturity.storage.database import NotMigratedError, NulInText
from cxmaturity.web.context import CsrfFailed, SignInRequired, page_language, redirect, templates
from cxmaturity.web.security import loggable

log = logging.getLogger("cxmaturity.web")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


#: Pages for the HTTP errors the router itself raises (an unknown address, a wrong method): a browser gets a page with
#: a title, a heading and a way home, like every other page, instead of the framework's bare JSON.
HTTP_PAGES = {
    404: (
        N_("Page not found"),
        N_("There is no page at this address. Check the link, or start again from the home page."),
    ),
    405: (N_("This address does not take that request"), N_("Open the page from its link instead.")),
    # A form body that cannot be parsed (a broken upload, a wrong encoding): the framework's own 400.
    400: (
        N_("This request cannot be read"),
        N_("The browser sent something the server cannot read. Go back, reload the page and try again."),
    ),
}


def validation_body(errors: Any) -> dict[str, object]:
    """Request-shape errors in the shape of every other error: detail, field and a list of problems."""
    problems, first_field = validation_problems(errors)
    body: dict[str, object] = {"detail": "the request is not valid", "problems": problems}
    if first_field:
        body["field"] = first_field
    return body


def validation_problems(errors: Any) -> tuple[list[str], str | None]:
    """One line per request-shape error, naming its field (``title: String should have at most …``), and the
    first field named."""
    problems = []
    first_field: str | None = None
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        if error.get("type") == "json_invalid":
            reason = error.get("ctx", {}).get("error", "")
            at = f" at character {loc[-1]}" if len(loc) > 1 else ""
            problems.append(f"body: not valid JSON{at}" + (f" ({reason})" if reason else ""))
            continue
        if loc and loc[0] == "body":
            where = ".".join(loc[1:]) or "body"
        elif len(loc) >= 2:
            where = f"{loc[-1]} ({loc[0]})"
        else:
            where = ".".join(loc) or "request"
        first_field = first_field or (loc[-1] if len(loc) > 1 else None)
        problems.append(f"{where}: {error.get('msg', 'not valid')}")
    return problems, first_field


def unreadable_body(exc: HTTPException) -> RequestValidationError | None:
    """The request-shape error for a JSON body the framework could not even decode (it answers a bare 400 "There
    was an error parsing the body"): bytes that are not UTF-8, nesting too deep for the parser, a number of thousands
    of digits (``json_text.refusal``). None for any other HTTP error."""
    cause = exc.__cause__
    if exc.status_code != 400 or cause is None or (reason := refusal(cause)) is None:
        return None
    return RequestValidationError([{"type": "json_invalid", "loc": ("body",), "ctx": {"error": reason}}])


def _error_page(
    request: Request,
    title: str,
    message: Text,
    status_code: int,
    details: list[str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The error page in the page's language (``page_language``): a message marked for translation where it was
    raised (``N_``, or a ``Phrase``) reads in that language; any other as it was written."""
    with use_locale(page_language(request)):
        shown = render(message) if isinstance(message, Phrase) else gettext(message)
        return templates.TemplateResponse(
            request,
            "error.html",
            {"who": None, "title": gettext(title), "message": shown, "details": details},
            status_code=status_code,
            headers=headers,
        )


def install(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if _wants_json(request) or exc.status_code not in HTTP_PAGES:
            return await http_exception_handler(request, exc)
        title, message = HTTP_PAGES[exc.status_code]
        return _error_page(request, title, message, exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def request_shape(request: Request, exc: RequestValidationError) -> Response:
        # The API's routes answer these themselves (deps.ApiRoute); this is for pages: a path or query value that
        # is not a number, a form field too long or missing. A page, not the framework's JSON, with each field named.
        if _wants_json(request):
            return JSONResponse(validation_body(exc.errors()), status_code=422)
        problems, _field = validation_problems(exc.errors())
        return _error_page(
            request,
            N_("That did not work"),
            N_("Part of this request cannot be used; the lines below name each field and what is wrong with it."),
            422,
            problems,
        )

    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, _exc: SignInRequired) -> Response:
        # A language picked in the link (an invitation to join in German carries ``?lang=de``) goes with it.
        picked = request.query_params.get("lang")
        return redirect(f"/signin?next={request.url.path}" + (f"&lang={picked}" if picked in LOCALES else ""))

    @app.exception_handler(CsrfFailed)
    async def csrf(request: Request, _exc: CsrfFailed) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "CSRF token missing or wrong"}, status_code=403)
        return _error_page(
            request,
            N_("This form has expired"),
            N_("The page was open too long or was sent from somewhere else. Go back, reload it and try again."),
            403,
        )

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> Response:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooMany) else None
        if _wants_json(request):
            body: dict[str, object] = {"detail": exc.message}
            if exc.field:
                body["field"] = exc.field
            if exc.details:
                body["problems"] = exc.details
            return JSONResponse(body, status_code=exc.status, headers=headers)
        # The JSON above keeps the English sentence (the API's words); the page writes it in its reader's language.
        return _error_page(request, N_("That did not work"), exc.phrase, exc.status, exc.details, headers)

    @app.exception_handler(NulInText)
    async def nul_in_text(request: Request, exc: NulInText) -> Response:
        return await service_error(request, Invalid(str(exc), field=exc.field))

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def out_of_range(request: Request, _exc: Exception) -> Response:
        # A value the database cannot hold (an id past its integer range, ...): the request's fault, not the server's.
        return await service_error(request, Invalid(N_("a number in the request is out of range")))

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def database_unavailable(request: Request, exc: DBAPIError) -> Response:
        # The database went away (restarting, unreachable), gave up on a lock, or could not commit (a full disk, a
        # read-only file, an I/O error): nothing was committed by this request. The pool checks connections before
        # use, so the app recovers as soon as the database is back. Logged here once, with the driver's own words.
        log.warning(
            "database unavailable on %s %s, nothing saved: %s", request.method, loggable(request.url.path), exc.orig
        )
        message = N_(
            "The database is not available right now. Nothing was saved by this request; try again in a moment."
        )
        headers = {"Retry-After": "5"}
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=503, headers=headers)
        return _error_page(request, N_("Please try again in a moment"), message, 503, headers=headers)

    @app.exception_handler(NotMigratedError)
    async def not_migrated(request: Request, exc: NotMigratedError) -> Response:
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, loggable(request.url.path))
        if _wants_json(request):
            return JSONResponse({"detail": "internal error; the server log has the details"}, status_code=500)
        return _error_page(
            request,
            N_("Something went wrong"),
            N_("The server could not complete this request. Nothing you saved before is lost."),
            500,
        )
