"""The limits on guessing (services/throttle.py) as the web app applies them: per account and per client address."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from fastapi import Request
from sqlalchemy.orm import Session

from cxmaturity.services import throttle
from cxmaturity.services.accounts import normalize_email
from cxmaturity.services.errors import NotFound, TooMany
from cxmaturity.services.throttle import Blocked, Limit
from cxmaturity.settings import Settings
from cxmaturity.web.context import settings_of, unit_of_work

#: How many times more often one client address may fail to sign in than one account.
ADDRESS_FACTOR = 4


def client_address(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy, run uvicorn with --proxy-headers)."""
    return request.client.host if request.client else "unknown"


def _signin_limits(settings: Settings) -> tuple[Limit, Limit]:
    window = timedelta(minutes=settings.signin_window_minutes)
    return (
        Limit("signin", settings.signin_max_failures, window),
        Limit("signin-from", settings.signin_max_failures * ADDRESS_FACTOR, window),
    )


def link_limit(settings: Settings) -> Limit:
    return Limit("link", settings.link_max_failures, timedelta(minutes=settings.link_window_minutes))


def signin_blocked(request: Request, db: Session, email: str) -> Blocked | None:
    account, address = _signin_limits(settings_of(request))
    return throttle.check(db, account, normalize_email(email)) or throttle.check(db, address, client_address(request))


def signin_failed(request: Request, db: Session, email: str) -> None:
    account, address = _signin_limits(settings_of(request))
    throttle.fail(db, account, normalize_email(email))
    throttle.fail(db, address, client_address(request))


def signin_succeeded(request: Request, db: Session, email: str) -> None:
    account, _ = _signin_limits(settings_of(request))
    throttle.clear(db, account, normalize_email(email))


def link_blocked(request: Request) -> Blocked | None:
    """A block this worker already knows for the client's address (no query: this runs on every respondent page)."""
    return throttle.known_block(link_limit(settings_of(request)), client_address(request))


def link_failed(request: Request, db: Session) -> Blocked | None:
    """Count an unknown invitation link or API token from the client's address; return the block it starts."""
    return throttle.fail(db, link_limit(settings_of(request)), client_address(request))


def retry_after(blocked: Blocked) -> dict[str, str]:
    return {"Retry-After": str(blocked.seconds)}


def too_many_guesses(blocked: Blocked) -> TooMany:
    """The refusal for a client address that tried too many unknown links or tokens."""
    unit = "minute" if blocked.minutes == 1 else "minutes"
    return TooMany(
        f"too many links or tokens that do not exist were tried from your network; try again in {blocked.minutes} "
        f"{unit}, and check that you copied the whole link",
        retry_after=blocked.seconds,
    )


@contextmanager
def counting_unknown_links(request: Request) -> Iterator[None]:
    """Refuse a blocked client address, and count an unknown invitation token raised as NotFound in the block."""
    if blocked := link_blocked(request):
        raise too_many_guesses(blocked)
    try:
        yield
    except NotFound:
        # Counted in a transaction of its own: the block's transaction has been rolled back.
        with unit_of_work(request) as db:
            blocked = link_failed(request, db)
        if blocked:
            raise too_many_guesses(blocked) from None
        raise
