"""Organization pages: create one, see its assessments and members, invite colleagues."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile

from cxmaturity.i18n.catalogs import LOCALES
from cxmaturity.i18n.names import language_choices
from cxmaturity.services import access, assessments, audit, branding, member_invitations, organizations, sso
from cxmaturity.services.errors import ServiceError, TooMany
from cxmaturity.storage.tables import ROLES
from cxmaturity.web import joining
from cxmaturity.web.context import (
    check_csrf,
    page_language,
    redirect,
    refusal,
    render,
    require_signed_in,
    unit_of_work,
)

router = APIRouter()
#: Events per page of the audit log.
PAGE_SIZE = 100


@router.post("/orgs")
def create_organization(
    request: Request,
    name: Annotated[str, Form(max_length=200)],
    industry: Annotated[str, Form(max_length=100)] = "",
    size_band: Annotated[str, Form(max_length=20)] = "",
    region: Annotated[str, Form(max_length=100)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        check_csrf(request, who, csrf_token)
        org = organizations.create(db, who.actor, name, industry, size_band, region)
    return redirect(f"/orgs/{org.id}")


def _page(request: Request, organization_id: int, status_code: int = 200, **extra: object) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        org = access.organization(db, who.actor, organization_id)
        role = access.require_role(db, who.actor, organization_id)
        return render(
            request,
            "organization.html",
            who,
            status_code=status_code,
            org=org,
            role=role,
            members=organizations.members(db, who.actor, organization_id),
            assessments=assessments.list_for_organization(db, who.actor, organization_id),
            logo=branding.logo(db, organization_id) if role in branding.EDITORS else None,
            pending=member_invitations.pending(db, who.actor, organization_id) if role == "owner" else [],
            roles=ROLES,
            languages=language_choices(LOCALES),
            valid_days=member_invitations.VALID_DAYS,
            sso_connect=sso.has_own_provider(db, organization_id),
            **extra,
        )


@router.get("/orgs/{organization_id}")
def organization_page(request: Request, organization_id: int) -> Response:
    return _page(request, organization_id)


@router.get("/orgs/{organization_id}/audit")
def audit_page(request: Request, organization_id: int, before: int | None = None) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        entries = audit.events(db, who.actor, organization_id, limit=PAGE_SIZE, before=before)
        org = access.organization(db, who.actor, organization_id)
        return render(
            request,
            "audit.html",
            who,
            org=org,
            entries=entries,
            older=entries[-1].id if len(entries) == PAGE_SIZE else None,
        )


@router.post("/orgs/{organization_id}/member-invitations")
def invite_member(
    request: Request,
    organization_id: int,
    email: Annotated[str, Form(max_length=320)],
    role: Annotated[str, Form(max_length=20)],
    language: Annotated[str, Form(max_length=16)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Invite an address; the answer is the same whether or not it has an account (services/member_invitations.py).
    The e-mail's language is the one chosen on the form, else the page's (the inviter's own)."""
    try:
        with unit_of_work(request) as db:
            who = require_signed_in(request, db)
            check_csrf(request, who, csrf_token)
            actor = who.actor
        sent = joining.invite(request, actor, organization_id, email, role, language or page_language(request))
    except ServiceError as exc:
        if exc.status in (403, 404) and exc.field is None:
            raise
        response = _page(request, organization_id, status_code=exc.status, error=refusal(request, exc))
        if isinstance(exc, TooMany):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return _page(request, organization_id, invited=sent)


@router.post("/orgs/{organization_id}/member-invitations/{invitation_id}/revoke")
def revoke_invitation(
    request: Request, organization_id: int, invitation_id: int, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        check_csrf(request, who, csrf_token)
        member_invitations.revoke(db, who.actor, organization_id, invitation_id)
    return redirect(f"/orgs/{organization_id}")


@router.post("/orgs/{organization_id}/members")
def set_member_role(
    request: Request,
    organization_id: int,
    email: Annotated[str, Form(max_length=320)],
    role: Annotated[str, Form(max_length=20)],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Change a member's role (new members join by invitation)."""
    try:
        with unit_of_work(request) as db:
            who = require_signed_in(request, db)
            check_csrf(request, who, csrf_token)
            organizations.set_role(db, who.actor, organization_id, email, role)
    except ServiceError as exc:
        if exc.status in (403, 404) and exc.field is None:
            raise
        return _page(request, organization_id, status_code=exc.status, role_error=refusal(request, exc))
    return redirect(f"/orgs/{organization_id}")


@router.post("/orgs/{organization_id}/logo")
def set_logo(
    request: Request,
    organization_id: int,
    logo: Annotated[UploadFile | None, File()] = None,
    remove: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Upload the organization's report logo (PNG or JPEG), or remove it."""
    try:
        with unit_of_work(request) as db:
            who = require_signed_in(request, db)
            check_csrf(request, who, csrf_token)
            if remove:
                branding.clear_logo(db, who.actor, organization_id)
            else:
                name = logo.filename if logo is not None and logo.filename else ""
                # One byte over the limit is enough to refuse the file without reading all of a huge upload.
                data = logo.file.read(branding.MAX_LOGO_BYTES + 1) if logo is not None and name else b""
                branding.set_logo(db, who.actor, organization_id, data, name)
    except ServiceError as exc:
        if exc.status in (403, 404) and exc.field is None:
            raise
        return _page(request, organization_id, status_code=exc.status, logo_error=refusal(request, exc))
    return redirect(f"/orgs/{organization_id}")
