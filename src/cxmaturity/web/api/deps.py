"""What every API request goes through: the API token, the unit of work, and bounds on the request body.

Facilitators send ``Authorization: Bearer cxm_…``; the token acts with its user's memberships. Browser sessions
(cookies) are not accepted here: an API request carries its credential explicitly, so cross-site requests cannot
borrow a signed-in browser's cookies and the API needs no CSRF tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from cxmaturity.services import accounts
from cxmaturity.services.access import Actor
from cxmaturity.settings import Settings
from cxmaturity.web import throttling
from cxmaturity.web.context import SESSION_COOKIE, TooLarge, unit_of_work
from cxmaturity.web.errors import unreadable_body, validation_body

TOKEN_PREFIX = "cxm_"
MAX_TOKEN_LENGTH = 200
REALM = 'Bearer realm="cx-maturity"'

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiToken",
    description="An API token (`cxm_…`, from `cxm tokens create --email …`); it acts with that user's roles.",
)


def unauthorized(message: str, *, invalid: bool = False) -> HTTPException:
    """A 401 whose WWW-Authenticate header tells the client to send a Bearer token (RFC 6750)."""
    challenge = f'{REALM}, error="invalid_token"' if invalid else REALM
    return HTTPException(401, detail=message, headers={"WWW-Authenticate": challenge})


def api_token(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> str:
    """Return the request's Bearer token (not checked against the database yet)."""
    if credentials is None:
        if request.cookies.get(SESSION_COOKIE):
            raise unauthorized(
                "the API does not accept browser sessions; send an API token: Authorization: Bearer cxm_…"
            )
        raise unauthorized("this needs an API token: Authorization: Bearer cxm_…")
    token = credentials.credentials
    if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        raise unauthorized("the API token is not valid", invalid=True)
    return token


Token = Annotated[str, Depends(api_token)]


@contextmanager
def acting(request: Request, token: str, *, write: bool | None = None) -> Iterator[tuple[Session, Actor]]:
    """Yield a unit of work and the token's user; the work commits when the block succeeds. It reads only for a GET
    or HEAD (or ``write=False``), as ``unit_of_work`` decides.

    A valid token is served even from an address blocked for guessing: a token is a credential of its own, and a
    neighbour behind the same address who guessed must not cut off an integration. Only unknown tokens are refused
    (and counted) there.
    """
    with unit_of_work(request, write=write) as db:
        user = accounts.user_for_api_token(db, token)
        if user is not None:
            yield db, Actor(user.id)
            return
    if blocked := throttling.link_blocked(request):
        raise throttling.too_many_guesses(blocked)
    # An unknown token is counted against the client's address, like an unknown invitation link.
    with unit_of_work(request, write=True) as db:
        blocked = throttling.link_failed(request, db)
    if blocked:
        raise throttling.too_many_guesses(blocked)
    raise unauthorized("the API token is not valid", invalid=True)


def respondent_link(request: Request) -> Iterator[None]:
    """For the respondent endpoints: refuse a client address that tried too many unknown invitation tokens."""
    with throttling.counting_unknown_links(request):
        yield


# --- bounds on what a request may bring in ----------------------------------------------------------------------


def check_text_size(settings: Settings, text: str, field: str = "text") -> None:
    """Refuse CSV or YAML text above CXM_MAX_UPLOAD_BYTES (counted in bytes of UTF-8)."""
    size = len(text.encode("utf-8"))
    if size > settings.max_upload_bytes:
        raise TooLarge(f"the text has {size} bytes; at most {settings.max_upload_bytes} bytes are allowed", field=field)


class ApiRoute(APIRoute):
    """Reports request-shape errors like every other error, and marks responses as not cacheable (bodies above the
    size limit never get this far: security.BodyLimit refuses them for every route)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            try:
                response = await handler(request)
            except RequestValidationError as exc:
                return JSONResponse(validation_body(exc.errors()), status_code=422)
            except StarletteHTTPException as exc:
                # A body the framework could not decode (not UTF-8, nested too deeply) is malformed JSON too.
                if (unreadable := unreadable_body(exc)) is None:
                    raise
                return JSONResponse(validation_body(unreadable.errors()), status_code=422)
            # Responses may hold secrets (invitation tokens) or personal data: never keep them in a cache.
            response.headers.setdefault("Cache-Control", "no-store")
            return response

        return limited
