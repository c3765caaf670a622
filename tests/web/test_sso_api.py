"""The single sign-on settings through the API, on SQLite and PostgreSQL: owners only, the client secret write-only
(stored sealed, never in an answer), an empty secret keeping the stored one, mistakes named by field."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
from sqlalchemy import select

from cxmaturity.services import organizations, sso
from cxmaturity.services.access import Actor
from cxmaturity.services.accounts import create_api_token
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Membership, SsoProvider
from tests.web.conftest import Cast, Site

SECRET = "api-test-secret-" + "9" * 20
BODY = {
    "name": "Company IdP",
    "issuer": "https://login.example.com/realms/company",
    "client_id": "cx-maturity",
    "client_secret": SECRET,
    "group_roles": {"cx-team": "viewer", "cx-leads": "owner"},
}


def _call(site: Site, user_id: int, method: str, url: str, body: Any = None) -> httpx.Response:
    with transaction(site.sessions) as db:
        token = create_api_token(db, user_id, "sso api test")
    return site.client().request(method, url, headers={"Authorization": f"Bearer {token}"}, json=body)


def _org(site: Site, cast: Cast) -> int:
    with transaction(site.sessions) as db:
        org = organizations.create(db, Actor(cast.owner), f"SSO API {secrets.token_hex(3)}")
        db.flush()
        db.add(Membership(user_id=cast.facilitator, organization_id=org.id, role="facilitator"))
        return org.id


def test_an_owner_sets_it_up_and_the_secret_is_never_returned(site: Site, cast: Cast) -> None:
    org = _org(site, cast)
    url = f"/api/v1/organizations/{org}/sso"
    before = _call(site, cast.owner, "GET", url)
    assert before.status_code == 200
    assert before.json()["configured"] is False
    saved = _call(site, cast.owner, "PUT", url, BODY)
    assert saved.status_code == 200, saved.text
    assert SECRET not in saved.text
    found = saved.json()
    assert found["configured"] is True
    assert found["secret_set"] is True
    assert found["group_roles"] == {"cx-team": "viewer", "cx-leads": "owner"}
    assert "client_secret" not in found
    # Saving again without a secret keeps the stored one; it is stored sealed.
    again = _call(site, cast.owner, "PUT", url, {**BODY, "client_secret": "", "scopes": "openid email"})
    assert again.status_code == 200
    shown = _call(site, cast.owner, "GET", url)
    assert SECRET not in shown.text
    assert shown.json()["scopes"] == "openid email"
    assert shown.json()["secret_set"] is True
    with transaction(site.sessions) as db:
        stored = db.scalar(select(SsoProvider.client_secret).where(SsoProvider.organization_id == org))
        assert stored is not None
        assert SECRET not in stored
        assert sso.open_secret(site.settings, stored) == SECRET


def test_only_owners_see_or_change_it(site: Site, cast: Cast) -> None:
    org = _org(site, cast)
    url = f"/api/v1/organizations/{org}/sso"
    assert _call(site, cast.facilitator, "GET", url).status_code == 403
    assert _call(site, cast.facilitator, "PUT", url, BODY).status_code == 403
    assert _call(site, cast.outsider, "GET", url).status_code == 404
    assert _call(site, cast.outsider, "PUT", url, BODY).status_code == 404
    with transaction(site.sessions) as db:
        assert db.scalar(select(SsoProvider.id).where(SsoProvider.organization_id == org)) is None


def test_mistakes_are_named_by_field(site: Site, cast: Cast) -> None:
    org = _org(site, cast)
    url = f"/api/v1/organizations/{org}/sso"
    wrong_role = _call(site, cast.owner, "PUT", url, {**BODY, "group_roles": {"cx-team": "boss"}})
    assert wrong_role.status_code == 422
    assert "'boss' is not a role" in wrong_role.text
    no_openid = _call(site, cast.owner, "PUT", url, {**BODY, "scopes": "email"})
    assert no_openid.status_code == 422
    assert "openid" in no_openid.text
    unknown = _call(site, cast.owner, "PUT", url, {**BODY, "secret": "x"})
    assert unknown.status_code == 422
    too_long = _call(site, cast.owner, "PUT", url, {**BODY, "client_secret": "s" * (sso.MAX_SECRET + 1)})
    assert too_long.status_code == 422
