"""The invited person's side of joining an organization: open the link signed in, then accept or decline.

The join page is in the language the visitor picked (``?lang=``, which the e-mailed link of an invitation in German,
French or Spanish carries, or an earlier page's choice), else the browser's, else the invitation's: the language the
owner chose for it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from cxmaturity.i18n import N_, negotiate
from cxmaturity.i18n.catalogs import LOCALES
from cxmaturity.services import member_invitations
from cxmaturity.web.context import (
    LANGUAGE_COOKIE,
    check_csrf,
    page_text,
    redirect,
    render,
    require_signed_in,
    unit_of_work,
)

router = APIRouter()


@router.get("/join/{join_token}")
def join_page(request: Request, join_token: str) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)  # a visitor signs in (or signs up) first and comes back here
        offer = member_invitations.offer(db, who.actor, join_token)
        return render(request, "join.html", who, offer=offer, token=join_token, lang=_language(request, offer))


def _language(request: Request, offer: member_invitations.Offer) -> str:
    """The visitor's choice or browser where a catalog has it, else the invitation's language."""
    picked = [request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)]
    return negotiate(picked, request.headers.get("accept-language"), LOCALES) or offer.language


@router.post("/join/{join_token}/accept")
def accept(request: Request, join_token: str, csrf_token: Annotated[str, Form()] = "") -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        check_csrf(request, who, csrf_token)
        membership = member_invitations.accept(db, who.actor, join_token)
        organization_id = membership.organization_id
    return redirect(f"/orgs/{organization_id}")


@router.post("/join/{join_token}/decline")
def decline(request: Request, join_token: str, csrf_token: Annotated[str, Form()] = "") -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        check_csrf(request, who, csrf_token)
        member_invitations.decline(db, who.actor, join_token)
        return render(
            request,
            "error.html",
            who,
            title=page_text(request, N_("Invitation declined")),
            message=page_text(request, N_("You did not join the organization, and the link no longer works.")),
        )
