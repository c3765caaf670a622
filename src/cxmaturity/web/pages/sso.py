"""Single sign-on pages: start a sign-in at a provider, come back from it, and an organization's SSO settings.

The protocol is in services/oidc.py, who may sign in in services/sso.py. No database transaction is open while the
provider is asked anything: a slow provider must never hold SQLite's writer lock.
"""

from __future__ import annotations

import logging
import time
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from cxmaturity.i18n import N_, use_locale
from cxmaturity.i18n.phrase import Phrase, phrase
from cxmaturity.i18n.phrase import render as render_phrase
from cxmaturity.services import access, accounts, sso
from cxmaturity.services.errors import ServiceError
from cxmaturity.services.oidc import SignInRefused, authorization_url, complete
from cxmaturity.services.tokens import same
from cxmaturity.web import sso_flow
from cxmaturity.web.context import (
    SESSION_COOKIE,
    check_csrf,
    page_language,
    redirect,
    refusal,
    render,
    require_signed_in,
    settings_of,
    signed_in,
    unit_of_work,
)
from cxmaturity.web.pages.auth import safe_next, start_browser_session

router = APIRouter()
log = logging.getLogger("cxmaturity.sso")

#: Status per refusal: the provider being away is not the person's fault.
_STATUS = {"provider_unreachable": 502, "not_configured": 404}


def _refused(request: Request, exc: SignInRefused, provider: str) -> Response:
    log.warning("sso sign-in refused [%s] provider=%s: %s", exc.code, provider, exc.reason)
    organization_id = int(provider[4:]) if provider.startswith("org:") else None
    # Someone with a password account is asked to sign in with it and then to connect the two.
    connect = f"/sso/orgs/{organization_id}/connect" if exc.code == "account_exists" and organization_id else None
    response = render(
        request,
        "sso_error.html",
        status_code=_STATUS.get(exc.code, 400),
        message=_in_page_language(request, exc.message),
        code=exc.code,
        restart=sso.start_path(organization_id),
        password_signin=f"/signin?next={connect}" if connect else "/signin",
    )
    sso_flow.forget(response, settings_of(request))
    return response


def _in_page_language(request: Request, message: Phrase) -> str:
    """A refusal's message (a phrase of services/oidc.py or services/sso.py) in the page's language."""
    with use_locale(page_language(request)):
        return render_phrase(message)


def _not_configured(key: str) -> SignInRefused:
    return SignInRefused(
        "not_configured",
        phrase(
            N_(
                "Single sign-on is not set up here. Sign in with your e-mail address and password, or ask your "
                "administrator for your organization's sign-in link."
            )
        ),
        f"no provider {key!r}",
    )


def _start(request: Request, key: str, next: str, connect: str) -> Response:
    settings = settings_of(request)
    with unit_of_work(request) as db:
        provider = sso.provider_for(db, settings, key)
        who = signed_in(request, db)
        linking = None
        if who is not None:
            # A signed-in browser connects its account only with its session's own token (a page of this site
            # shows the link); a bare link from elsewhere changes nothing.
            if not same(connect, sso_flow.connect_token(settings, who.session.csrf_token)):
                return redirect(safe_next(next))
            linking = who.user.id
    if provider is None:
        return _refused(request, _not_configured(key), key)
    try:
        url, pending = authorization_url(provider.client)
    except SignInRefused as exc:
        return _refused(request, exc, key)
    response = redirect(url)
    flow = sso_flow.Flow(key, pending, safe_next(next), linking, int(time.time()))
    sso_flow.remember(response, settings, flow)
    return response


@router.get("/sso/start")
def start_installation(request: Request, next: str = "/", connect: str = "") -> Response:
    """Sign in with the installation's provider (CXM_OIDC_ISSUER); ``connect`` connects the signed-in account."""
    return _start(request, sso.INSTALLATION, next, connect)


@router.get("/sso/orgs/{organization_id}")
def start_organization(request: Request, organization_id: int, next: str = "/", connect: str = "") -> Response:
    """Sign in with an organization's own provider (the link its owners hand out)."""
    return _start(request, sso.organization_key(organization_id), next, connect)


@router.get("/sso/orgs/{organization_id}/connect")
def connect_page(request: Request, organization_id: int) -> Response:
    """Ask a signed-in person whether to connect their account to the organization's provider."""
    settings = settings_of(request)
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        provider = sso.organization_provider(db, settings, organization_id)
        if provider is None:
            return _refused(request, _not_configured(sso.organization_key(organization_id)), "installation")
        token = sso_flow.connect_token(settings, who.session.csrf_token)
        return render(
            request,
            "sso_connect.html",
            who,
            provider_name=provider.client.name,
            url=f"{sso.start_path(organization_id)}?connect={token}&next=/orgs/{organization_id}",
        )


@router.get("/sso/callback")
def callback(request: Request) -> Response:
    settings = settings_of(request)
    flow = sso_flow.decode(settings, request.cookies.get(sso_flow.COOKIE))
    if flow is None:
        return _refused(
            request,
            SignInRefused(
                "state_mismatch",
                phrase(
                    N_(
                        "This browser has no sign-in in progress (it took longer than 10 minutes, cookies are "
                        "blocked, or the answer was meant for another browser). Start the sign-in again."
                    )
                ),
                "callback without a valid flow cookie (missing, expired or tampered with)",
            ),
            sso.INSTALLATION,
        )
    with unit_of_work(request) as db:
        provider = sso.provider_for(db, settings, flow.provider)
    if provider is None:
        return _refused(request, _not_configured(flow.provider), flow.provider)
    try:
        identity = complete(provider.client, flow.pending, dict(request.query_params))
        with unit_of_work(request, write=True) as db:
            who = signed_in(request, db)
            # Connecting an identity to an account needs the same account still signed in when the answer comes.
            linking = flow.linking_user_id if who is not None and who.user.id == flow.linking_user_id else None
            user = sso.sign_in(db, provider, identity, linking)
            token, _ = accounts.start_session(db, user, settings.session_days, method=f"sso:{provider.key}")
            if who is not None:
                accounts.end_session(db, request.cookies.get(SESSION_COOKIE, ""))
    except SignInRefused as exc:
        return _refused(request, exc, flow.provider)
    log.info("sso sign-in of %s through %s", user.email, provider.key)
    response = redirect(flow.next)
    start_browser_session(request, response, token)
    sso_flow.forget(response, settings)
    return response


# --- an organization's settings (owners) -----------------------------------------------------------------------------


def _settings_page(request: Request, organization_id: int, status_code: int = 200, **extra: object) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        org = access.organization(db, who.actor, organization_id, "owner")
        view = sso.settings_view(db, settings_of(request), who.actor, organization_id)
        return render(
            request,
            "sso_settings.html",
            who,
            status_code=status_code,
            org=org,
            view=view,
            signed_in_with_sso=who.session.method.startswith("sso:"),
            connect=sso_flow.connect_token(settings_of(request), who.session.csrf_token),
            **extra,
        )


@router.get("/orgs/{organization_id}/sso")
def settings_page(request: Request, organization_id: int) -> Response:
    return _settings_page(request, organization_id)


@router.post("/orgs/{organization_id}/sso")
def save_settings(
    request: Request,
    organization_id: int,
    name: Annotated[str, Form(max_length=100)] = "",
    issuer: Annotated[str, Form(max_length=500)] = "",
    client_id: Annotated[str, Form(max_length=200)] = "",
    client_secret: Annotated[str, Form(max_length=500)] = "",
    scopes: Annotated[str, Form(max_length=300)] = "openid email profile",
    groups_claim: Annotated[str, Form(max_length=100)] = "groups",
    group_roles: Annotated[str, Form(max_length=20_000)] = "",
    remove: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Set up, change or remove the organization's provider; the secret is never shown back."""
    try:
        with unit_of_work(request) as db:
            who = require_signed_in(request, db)
            check_csrf(request, who, csrf_token)
            if remove:
                sso.remove_settings(db, who.actor, organization_id)
            else:
                sso.save_settings(
                    db,
                    settings_of(request),
                    who.actor,
                    organization_id,
                    name=name,
                    issuer=issuer,
                    client_id=client_id,
                    client_secret=client_secret,
                    scopes=scopes,
                    groups_claim=groups_claim,
                    group_roles=group_roles,
                )
    except ServiceError as exc:
        if exc.status in (403, 404) and exc.field is None:
            raise
        return _settings_page(
            request, organization_id, status_code=exc.status, error=refusal(request, exc), details=exc.details
        )
    return redirect(f"/orgs/{organization_id}/sso?saved=1")


@router.post("/orgs/{organization_id}/sso/passwords")
def set_passwords(
    request: Request,
    organization_id: int,
    password_signin: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Allow or refuse password sign-in for the organization's members."""
    try:
        with unit_of_work(request) as db:
            who = require_signed_in(request, db)
            check_csrf(request, who, csrf_token)
            sso.set_password_signin(db, who.actor, organization_id, password_signin == "on", who.session)
    except ServiceError as exc:
        if exc.status in (403, 404) and exc.field is None:
            raise
        return _settings_page(request, organization_id, status_code=exc.status, password_error=refusal(request, exc))
    return redirect(f"/orgs/{organization_id}/sso?saved=1")
