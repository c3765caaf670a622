"""The limits on guessing (services/throttle.py) as the web app applies them: per account and per client address."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request
from sqlalchemy.orm import Session

from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import plural_phrase
from cxmaturity.services import throttle
from cxmaturity.services.accounts import normalize_email
from cxmaturity.services.errors import NotFound, TooMany
from cxmaturity.services.throttle import Blocked, Limit
from cxmaturity.settings import Settings
from cxmaturity.storage.database import read_only
from cxmaturity.web import known_devices
from cxmaturity.web.context import settings_of, unit_of_work

#: How many times more often one client address may fail to sign in than one account.
ADDRESS_FACTOR = 4


def client_address(request: Request) -> str:
    """The client's address: the peer's, or what a proxy in CXM_TRUSTED_PROXIES forwarded (web/app.py)."""
    return request.client.host if request.client else "unknown"


def _signin_limits(settings: Settings) -> tuple[Limit, Limit]:
    window = timedelta(minutes=settings.signin_window_minutes)
    return (
        Limit("signin", settings.signin_max_failures, window),
        Limit("signin-from", settings.signin_max_failures * ADDRESS_FACTOR, window),
    )


def start_signup(request: Request, db: Session) -> Blocked | None:
    """Count a sign-up attempt from the client's address, atomically; return the block when it has used up its own."""
    settings = settings_of(request)
    limit = Limit("signup-from", settings.signup_max_per_address, timedelta(minutes=settings.signup_window_minutes))
    blocked, _ = throttle.reserve(db, limit, client_address(request))
    return blocked


def start_quick(request: Request, db: Session) -> Blocked | None:
    """Count a public quick evaluation from the client's address; return the block when it has used up its own."""
    settings = settings_of(request)
    limit = Limit("quick-from", settings.quick_max_per_address, timedelta(minutes=settings.quick_window_minutes))
    blocked, _ = throttle.reserve(db, limit, client_address(request))
    return blocked


def link_limit(settings: Settings) -> Limit:
    return Limit("link", settings.link_max_failures, timedelta(minutes=settings.link_window_minutes))


@dataclass(frozen=True)
class SignInAttempt:
    """A sign-in attempt reserved against its limits before the password is checked (or the block that refused it).

    ``attempts`` are the reserved failures, taken back if the password is right; ``account_key`` is what the
    account's failures are counted under: the e-mail, or the known device the request came from (see
    web/known_devices.py).
    """

    blocked: Blocked | None
    attempts: tuple[int, ...] = ()
    account_limit: Limit | None = None
    account_key: str = ""


def start_signin(request: Request, db: Session, email: str) -> SignInAttempt:
    """Reserve an attempt for the account (or this known device of it) and for the client address, atomically.

    From a browser the account signed in with before, failures count against that device alone: an attacker who
    used up the account's failures elsewhere cannot lock its owner out of the browser they always use.
    """
    account, address = _signin_limits(settings_of(request))
    limit, key = account, normalize_email(email)
    if device := known_devices.recognized(request, db, email):
        limit, key = Limit("signin-device", account.failures, account.window), device
    blocked, mine = throttle.reserve(db, limit, key)
    if blocked or mine is None:
        return SignInAttempt(blocked)
    blocked, from_address = throttle.reserve(db, address, client_address(request))
    if blocked or from_address is None:
        throttle.release(db, mine)
        return SignInAttempt(blocked)
    return SignInAttempt(None, (mine, from_address), limit, key)


def signin_succeeded(db: Session, attempt: SignInAttempt) -> None:
    """Take back the attempt's reservations and forget the failures of what it signed in through."""
    for reserved in attempt.attempts:
        throttle.release(db, reserved)
    if attempt.account_limit is not None:
        throttle.clear(db, attempt.account_limit, attempt.account_key)


def link_blocked(request: Request) -> Blocked | None:
    """A block this worker already knows for the client's address (no query: this runs on every respondent page)."""
    return throttle.known_block(link_limit(settings_of(request)), client_address(request))


def link_failed(request: Request, db: Session) -> Blocked | None:
    """Count an unknown invitation link or API token from the client's address; return the block it starts."""
    if read_only(db):
        # Counted atomically under the writer lock, in a transaction of its own beside the reading request's.
        with unit_of_work(request, write=True) as own:
            return throttle.fail(own, link_limit(settings_of(request)), client_address(request))
    return throttle.fail(db, link_limit(settings_of(request)), client_address(request))


def retry_after(blocked: Blocked) -> dict[str, str]:
    return {"Retry-After": str(blocked.seconds)}


def too_many_guesses(blocked: Blocked) -> TooMany:
    """The refusal for a client address that tried too many unknown links or tokens."""
    return TooMany(
        plural_phrase(
            N_(
                "too many links or tokens that do not exist were tried from your network; try again in %(num)s "
                "minute, and check that you copied the whole link"
            ),
            N_(
                "too many links or tokens that do not exist were tried from your network; try again in %(num)s "
                "minutes, and check that you copied the whole link"
            ),
            "num",
            num=blocked.minutes,
        ),
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
        with unit_of_work(request, write=True) as db:
            blocked = link_failed(request, db)
        if blocked:
            raise too_many_guesses(blocked) from None
        raise
