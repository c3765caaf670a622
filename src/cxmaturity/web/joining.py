"""Inviting someone to join an organization, as the page and the API both do it: store and queue, then answer.

The invitation and its e-mail (an outbox message) are committed together; the queue's worker sends the message
(services/delivery.py), never this request, which only nudges the queue after the commit. A nudge lost is no loss:
the worker's next sweep finds the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import Request

from cxmaturity.services import member_invitations
from cxmaturity.services.access import Actor
from cxmaturity.web.context import jobs_of, settings_of, unit_of_work


@dataclass(frozen=True)
class Sent:
    """What inviting answers: the same for an address with an account and one without."""

    email: str
    role: str
    expires_at: datetime
    #: The link, when the server has no e-mail set up and the owner must hand it over; None when it is e-mailed.
    link: str | None
    #: The language of the e-mail and of the pages the link opens.
    language: str


def invite(request: Request, actor: Actor, organization_id: int, email: str, role: str, language: str) -> Sent:
    settings = settings_of(request)
    with unit_of_work(request) as db:
        invited = member_invitations.invite(db, actor, settings, organization_id, email, role, language)
    if invited.message_id is not None:
        jobs_of(request).enqueue([invited.message_id])
        return Sent(invited.email, invited.role, invited.expires_at, None, invited.language)
    link = member_invitations.join_link(settings, invited.token, invited.language)
    return Sent(invited.email, invited.role, invited.expires_at, link, invited.language)
