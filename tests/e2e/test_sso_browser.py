"""A person signs in with single sign-on in Chromium: from the sign-in page to the real OpenID provider
(oidc-provider on Node.js), through its sign-in form, and back, landing in the organization their group gives them."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from cxmaturity.services import accounts, organizations
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Membership, User
from tests.e2e.conftest import screenshot
from tests.sso.conftest import CLIENT_ID, CLIENT_SECRET, Provider, start_provider
from tests.web.conftest import PASSWORD, Site

pytestmark = pytest.mark.browser


@pytest.fixture
def idp(live_url: str, site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Provider, int, str]]:
    suffix = secrets.token_hex(3)
    email = f"paula-{suffix}@browser.example"
    with transaction(site.sessions) as db:
        owner = accounts.sign_up(db, f"browser-owner-{suffix}@example.com", PASSWORD)
        db.flush()
        org = organizations.create(db, Actor(owner.id), f"Browser SSO {suffix}")
        db.flush()
        organization_id = org.id
    people = {"paula": {"email": email, "name": "Paula P", "groups": ["cx-team"]}}
    saved = site.settings.model_dump()
    with start_provider(
        [f"{live_url}/sso/callback"], accounts=people, log_dir=tmp_path_factory.mktemp("idp")
    ) as provider:
        site.settings.base_url = live_url
        site.settings.oidc_issuer = provider.issuer
        site.settings.oidc_client_id = CLIENT_ID
        site.settings.oidc_client_secret = CLIENT_SECRET
        site.settings.oidc_name = "Browser IdP"
        site.settings.oidc_scopes = "openid email profile groups"
        site.settings.oidc_group_roles = {"cx-team": {organization_id: "facilitator"}}
        try:
            yield provider, organization_id, email
        finally:
            for name in ("base_url", "oidc_issuer", "oidc_client_id", "oidc_client_secret", "oidc_name"):
                setattr(site.settings, name, saved[name])
            site.settings.oidc_scopes = saved["oidc_scopes"]
            site.settings.oidc_group_roles = saved["oidc_group_roles"]


def test_it_signs_in_through_the_identity_provider(
    live_url: str, site: Site, page: Any, idp: tuple[Provider, int, str]
) -> None:
    provider, organization_id, email = idp
    failures: list[str] = []
    page.on("pageerror", lambda error: failures.append(str(error)))
    page.goto(f"{live_url}/signin?next=/orgs/{organization_id}")
    page.get_by_role("link", name="Sign in with Browser IdP").click()
    # The provider's own sign-in page (its devInteractions form), on its own origin.
    page.wait_for_url(f"{provider.url}/interaction/**")
    page.fill("input[name=login]", "paula")
    page.fill("input[name=password]", "any password at all")
    screenshot(page, "sso-provider-signin")
    page.get_by_role("button", name="Sign-in").click()
    page.wait_for_url(f"{live_url}/orgs/{organization_id}")
    page.wait_for_function("() => document.querySelector('h1') !== null")
    assert "Browser SSO" in page.locator("h1").inner_text()
    screenshot(page, "sso-signed-in")
    # The flow cookie is gone once used; the session cookie is HttpOnly.
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert "cxm_sso" not in cookies
    assert cookies["cxm_session"]["httpOnly"] is True
    with transaction(site.sessions) as db:
        user = db.scalar(select(User).where(User.email == email))
        assert user is not None
        role = db.scalar(
            select(Membership.role).where(Membership.user_id == user.id, Membership.organization_id == organization_id)
        )
        assert role == "facilitator"
    assert failures == []
