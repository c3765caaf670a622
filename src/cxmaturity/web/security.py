"""Security headers and CSRF tokens for forms."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from cxmaturity.services.tokens import new_token, same, sign
from cxmaturity.settings import Settings

CSRF_COOKIE = "cxm_csrf"
CSRF_FIELD = "csrf_token"

# No inline scripts or styles: every script and stylesheet is a file under /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def install(app: FastAPI, settings: Settings) -> None:
    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        # Invitation links carry their token in the path: never send it to another site as a referrer.
        response.headers["Referrer-Policy"] = "no-referrer"
        if request.url.scheme == "https":
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response


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
