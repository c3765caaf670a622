"""The browser's half of a single sign-on in progress: a signed, short-lived cookie holding state, nonce and verifier.

Kept in the browser that started the sign-in (``HttpOnly``, ``SameSite=Lax`` so that it comes back on the provider's
redirect, path ``/sso``), so that no worker keeps sign-ins in memory and an answer reaching another browser finds
nothing to match. Signed with ``CXM_SECRET_KEY`` so that it cannot be forged; single use (cleared at the callback).
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass

from fastapi import Response

from cxmaturity.services.oidc import Pending
from cxmaturity.services.tokens import same, sign
from cxmaturity.settings import Settings

COOKIE = "cxm_sso"
PATH = "/sso"
#: How long a person may take at the provider before the sign-in must be started again.
LIFETIME_SECONDS = 600


@dataclass(frozen=True)
class Flow:
    provider: str
    pending: Pending
    next: str
    #: The signed-in account that asked to connect this identity (None for a plain sign-in).
    linking_user_id: int | None
    started: int


def _secret(settings: Settings) -> str:
    return "sso-flow:" + (settings.secret_key or "demo")


def encode(settings: Settings, flow: Flow) -> str:
    body = json.dumps(
        {
            "p": flow.provider,
            "s": flow.pending.state,
            "n": flow.pending.nonce,
            "v": flow.pending.verifier,
            "x": flow.next,
            "l": flow.linking_user_id,
            "t": flow.started,
        },
        separators=(",", ":"),
    )
    data = base64.urlsafe_b64encode(body.encode("utf-8")).decode("ascii").rstrip("=")
    return f"{data}.{sign(_secret(settings), data)}"


def decode(settings: Settings, value: str | None) -> Flow | None:
    """Return the flow in the cookie, or None when there is none, it was tampered with, or it is too old."""
    if not value or "." not in value:
        return None
    data, signature = value.rsplit(".", 1)
    if not same(signature, sign(_secret(settings), data)):
        return None
    try:
        fields = json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
        flow = Flow(
            provider=str(fields["p"]),
            pending=Pending(state=str(fields["s"]), nonce=str(fields["n"]), verifier=str(fields["v"])),
            next=str(fields["x"]),
            linking_user_id=int(fields["l"]) if fields["l"] is not None else None,
            started=int(fields["t"]),
        )
    except (ValueError, KeyError, TypeError):
        return None
    if time.time() - flow.started > LIFETIME_SECONDS:
        return None
    return flow


def connect_token(settings: Settings, session_csrf: str) -> str:
    """Return the token that lets a signed-in browser connect its account to a provider (bound to its session).

    Connecting is never done by a bare link: another site could send a signed-in person through a provider that signs
    everyone in as the attacker's identity, which would then open the person's account.
    """
    return sign(_secret(settings), "connect:" + session_csrf)[:32]


def remember(response: Response, settings: Settings, flow: Flow) -> None:
    response.set_cookie(
        COOKIE,
        encode(settings, flow),
        max_age=LIFETIME_SECONDS,
        path=PATH,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
    )


def forget(response: Response, settings: Settings) -> None:
    response.delete_cookie(COOKIE, path=PATH, httponly=True, secure=settings.cookie_secure, samesite="lax")
