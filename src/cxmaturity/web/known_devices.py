"""Browsers an account signed in with before, so that someone else's wrong passwords cannot lock its owner out.

At every successful sign-in the browser gets a signed, HttpOnly cookie naming the account and a random device id. A
sign-in that brings a valid one for the account it names is counted against that device, not the account
(web/throttling.py): five wrong passwords from anywhere else still lock the account for everyone else, but not for
the browser its owner uses. The signature covers the account's password hash, so changing the password forgets
every device; the cookie is sent only to the sign-in page and holds no secret of the account.
"""

from __future__ import annotations

from fastapi import Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxmaturity.services.accounts import normalize_email
from cxmaturity.services.tokens import new_token, same, sign
from cxmaturity.settings import Settings
from cxmaturity.storage.tables import User
from cxmaturity.web.context import settings_of

DEVICE_COOKIE = "cxm_device"
#: How long a browser stays known without signing in again (every sign-in renews it).
DEVICE_DAYS = 365


def _signature(settings: Settings, user_id: int, device: str, password_hash: str) -> str:
    return sign(settings.secret_key or "demo", f"known-device:{user_id}:{device}:{password_hash}")


def cookie_for(settings: Settings, user: User) -> str:
    """Return a new cookie value that marks this browser as one ``user`` signed in with."""
    device = new_token()
    return f"{user.id}.{device}.{_signature(settings, user.id, device, user.password_hash)}"


def remember(response: Response, settings: Settings, value: str) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_DAYS * 86400,
        path="/signin",
        httponly=True,
        secure=settings.cookie_secure,
        samesite="strict",
    )


def recognized(request: Request, db: Session, email: str) -> str | None:
    """Return the device id when the request comes from a browser the account of ``email`` signed in with."""
    value = request.cookies.get(DEVICE_COOKIE, "")
    parts = value.split(".")
    # Ids are bounded like every id the database holds (a larger number would be a database error, not a no).
    if len(parts) != 3 or not parts[0].isdigit() or len(parts[0]) > 9 or len(value) > 300:
        return None
    user_id, device, signature = int(parts[0]), parts[1], parts[2]
    found = db.execute(
        select(User.id, User.password_hash).where(User.email == normalize_email(email), User.id == user_id)
    ).first()
    if found is None:
        return None
    expected = _signature(settings_of(request), user_id, device, found.password_hash)
    return f"{user_id}:{device}" if same(expected, signature) else None
