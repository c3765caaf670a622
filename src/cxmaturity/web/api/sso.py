"""API version 1, single sign-on: an organization's own OpenID provider (owners). The client secret is write-only:
a PUT may set it, no answer ever contains it (only whether one is set). Same tokens, errors and bounds as ``v1``;
docs/api.md has examples, docs/sso.md the rules."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from cxmaturity.services import sso
from cxmaturity.web.api.deps import ApiRoute, Token, acting
from cxmaturity.web.api.v1 import ERRORS, OrgId
from cxmaturity.web.context import settings_of

router = APIRouter(prefix="/api/v1", route_class=ApiRoute, responses=ERRORS, tags=["single sign-on"])


class SsoSettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", max_length=100, description="What the sign-in button calls the provider.")
    issuer: str = Field(min_length=1, max_length=500, description="Exactly as the discovery document names it.")
    client_id: str = Field(min_length=1, max_length=200)
    client_secret: str = Field(
        default="",
        max_length=sso.MAX_SECRET,
        description="Write-only: stored sealed, never returned. Empty or left out keeps the stored secret.",
    )
    scopes: str = Field(default="openid email profile", max_length=300)
    groups_claim: str = Field(default="groups", max_length=100)
    group_roles: dict[str, str] = Field(
        max_length=500, description='The provider\'s groups and the role each gives: {"cx-leads": "owner"}.'
    )


class SsoSettingsPublic(BaseModel):
    configured: bool
    name: str
    issuer: str
    client_id: str
    #: Whether a client secret is stored (and can be opened with this server's key); the secret itself never is.
    secret_set: bool
    scopes: str
    groups_claim: str
    group_roles: dict[str, str]
    password_signin: bool
    signin_path: str
    callback_url: str


def _public(view: sso.SettingsView) -> SsoSettingsPublic:
    shown = {k: v for k, v in asdict(view).items() if k in SsoSettingsPublic.model_fields}
    return SsoSettingsPublic(**shown, group_roles=sso.parse_group_roles(view.group_roles_text))


@router.get("/organizations/{organization_id}/sso", summary="The organization's single sign-on settings (owners)")
def get_sso(request: Request, token: Token, organization_id: OrgId) -> SsoSettingsPublic:
    with acting(request, token) as (db, actor):
        return _public(sso.settings_view(db, settings_of(request), actor, organization_id))


@router.put(
    "/organizations/{organization_id}/sso",
    summary="Set up or change the organization's own OpenID provider (owners; the secret is write-only)",
)
def put_sso(request: Request, token: Token, organization_id: OrgId, body: SsoSettingsUpdate) -> SsoSettingsPublic:
    settings = settings_of(request)
    lines = [f"{group} = {role}" for group, role in body.group_roles.items()]
    with acting(request, token) as (db, actor):
        sso.save_settings(
            db,
            settings,
            actor,
            organization_id,
            name=body.name,
            issuer=body.issuer,
            client_id=body.client_id,
            client_secret=body.client_secret,
            scopes=body.scopes,
            groups_claim=body.groups_claim,
            group_roles="\n".join(line.replace("\n", " ") for line in lines),
        )
        db.flush()
        return _public(sso.settings_view(db, settings, actor, organization_id))
