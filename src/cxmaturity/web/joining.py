"""Inviting someone to join an organization, as the page and the API both do it: store, then send, then answer.

The invitation is committed before the e-mail goes out, so the database is never held while the mail server is
slow; if sending fails, the invitation is withdrawn again, so no link that nobody received stays valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import Request

from cxmaturity.services import member_invitations
from cxmaturity.services.access import Actor
from cxmaturity.services.mail import MailError
from cxmaturity.web.context import settings_of, unit_of_work


@dataclass(frozen=True)
class Sent:
    """What inviting answers: the same for an address with an account and one without."""

    email: str
    role: str
    expires_at: datetime
    #: The link, when the server has no e-mail set up and the owner must hand it over; None when it was e-mailed.
    link: str | None


def join_link(request: Request, token: str) -> str:
    return f"{settings_of(request).base_url.rstrip('/')}/join/{token}"


def invite(request: Request, actor: Actor, organization_id: int, email: str, role: str) -> Sent:
    with unit_of_work(request) as db:
        invited = member_invitations.invite(db, actor, organization_id, email, role)
    link = join_link(request, invited.token)
    try:
        emailed = member_invitations.deliver(settings_of(request), invited, link)
    except MailError:
        with unit_of_work(request) as db:
            member_invitations.withdraw_unsent(db, invited.invitation_id)
        raise
    return Sent(invited.email, invited.role, invited.expires_at, None if emailed else link)
