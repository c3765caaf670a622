"""Security headers, CSRF tokens for forms, and paths with their secrets taken out for logs."""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cxmaturity.services.tokens import new_token, same, sign
from cxmaturity.settings import Settings

CSRF_COOKIE = "cxm_csrf"
CSRF_FIELD = "csrf_token"

# No inline scripts or styles: every script and stylesheet is a file under /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeaders:
    """Pure ASGI middleware adding the security headers to every response (cheaper than BaseHTTPMiddleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                # Invitation links carry their token in the path: never send it to another site as a referrer.
                headers["Referrer-Policy"] = "no-referrer"
                if https:
                    headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def body_limit(settings: Settings) -> int:
    """The most bytes a request body may have: room for the largest allowed CSV or YAML text, JSON-escaped."""
    return 4 * settings.max_upload_bytes + 1024 * 1024


class BodyLimit:
    """Pure ASGI middleware refusing request bodies above ``body_limit`` with 413, before the app reads them.

    Every route is covered, pages included: Starlette reads a URL-encoded form whole, so without this a single
    request could make a worker hold any amount of memory. A body without Content-Length is read here up to the limit
    and then handed on as it came.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["app"].state.settings)  # read per request: the settings may be changed at run time
        length = Headers(scope=scope).get("content-length")
        if length is not None:
            if not length.isdigit() or int(length) > limit:
                await self._refuse(scope, receive, send, limit)
                return
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if size > limit:
                await self._refuse(scope, receive, send, limit)
                return
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        queued = iter(messages)

        async def replay() -> Message:
            return next(queued, None) or await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        message = f"the request body is larger than {limit} bytes"
        response: Response
        if scope["path"].startswith("/api/"):
            response = JSONResponse({"detail": message}, status_code=413)
        else:
            response = PlainTextResponse(f"This request is too large: {message}. Nothing was saved.", status_code=413)
        await response(scope, receive, send)


#: Paths whose next segment is a secret: an invitation's token (a respondent's only key, stored as a digest), a link
#: to join an organization, a published quick link.
_SECRET_SEGMENT = re.compile(
    r"^(/r/|/q/|/join/|/api/v1/respond/|/api/v1/member-invitations/|/api/v1/quick-links/)[^/?#]+"
)
#: Query parameters that carry secrets: a provider's sign-in code and state, the connect token of /sso/start.
_SECRET_PARAMETER = re.compile(r"([?&](?:code|state|connect|token)=)[^&#]*")
HIDDEN = "…"


def loggable(path: str) -> str:
    """Return a request's path (and query) with its secrets replaced by an ellipsis, for logs."""
    return _SECRET_PARAMETER.sub(r"\1" + HIDDEN, _SECRET_SEGMENT.sub(r"\1" + HIDDEN, path))


class HideSecrets(logging.Filter):
    """Takes the secrets out of uvicorn's access log lines (``client - "METHOD PATH HTTP/x" status``), which would
    otherwise keep every respondent's link in full: its args are (client, method, path with query, version,
    status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], loggable(args[2]), args[3], args[4])
        return True


def _hide_secrets_in_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, HideSecrets) for f in access.filters):
        access.addFilter(HideSecrets())


def install(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders)
    _hide_secrets_in_access_log()


def anonymous_csrf(request: Request) -> tuple[str, bool]:
    """Return the browser's double-submit CSRF value for forms shown before sign-in, and whether it is new."""
    current = request.cookies.get(CSRF_COOKIE)
    if current and len(current) >= 20:
        return current, False
    return new_token(), True


def set_csrf_cookie(response: Response, value: str, settings: Settings) -> None:
    response.set_cookie(CSRF_COOKIE, value, httponly=True, secure=settings.cookie_secure, samesite="strict")


def check_anonymous_csrf(request: Request, submitted: str | None) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE)
    return bool(cookie and submitted and same(cookie, submitted))


def respondent_csrf(settings: Settings, token: str) -> str:
    """A respondent's form token: derived from the invitation, so no cookie is needed to answer."""
    return sign(settings.secret_key or "demo", "respond:" + token)
