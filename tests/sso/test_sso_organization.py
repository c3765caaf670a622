"""An organization's own OpenID provider, set up by its owner: the settings form (the secret is never shown back),
just-in-time members with roles from their groups, no takeover of existing accounts by address, and turning password
sign-in off (with the installation's break-glass owners still let in), on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import logging
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from cxmaturity.services import accounts, organizations, sso
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import AuditEvent, Membership, SsoProvider, User, UserSession
from cxmaturity.web.context import SESSION_COOKIE
from tests.sso.conftest import CLIENT_ID, CLIENT_SECRET, Provider, idp_login, start_provider
from tests.web.client import WebClient
from tests.web.conftest import PASSWORD, Cast, Site

CALLBACK = "https://testserver/sso/callback"


@dataclass
class Company:
    site: Site
    provider: Provider
    organization: int
    owner: int
    emails: dict[str, str]


@pytest.fixture(scope="module")
def company(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Company]:
    suffix = secrets.token_hex(3)
    emails = {login: f"{login}-{suffix}@company.example" for login in ("olivia", "victor", "erin", "mallory", "pat")}
    people = {
        "olivia": {"email": emails["olivia"], "groups": ["cx-leads"]},
        "victor": {"email": emails["victor"], "name": "Victor V", "groups": ["cx-team"]},
        "erin": {"email": emails["erin"], "groups": ["cx-team"]},
        "mallory": {"email": emails["mallory"], "groups": ["marketing"]},
    }
    with transaction(site.sessions) as db:
        owner = accounts.sign_up(db, emails["olivia"], PASSWORD, "Olivia")
        accounts.sign_up(db, emails["erin"], PASSWORD, "Erin")
        pat = accounts.sign_up(db, emails["pat"], PASSWORD, "Pat")  # a member who signs in with a password
        db.flush()
        org = organizations.create(db, Actor(owner.id), f"Company {suffix}")
        db.flush()
        db.add(Membership(user_id=pat.id, organization_id=org.id, role="viewer"))
        ids = org.id, owner.id
    with start_provider([CALLBACK], accounts=people, log_dir=tmp_path_factory.mktemp("idp")) as provider:
        with transaction(site.sessions) as db:
            sso.save_settings(db, site.settings, Actor(ids[1]), ids[0], **SETTINGS, issuer=provider.issuer)
        yield Company(site, provider, ids[0], ids[1], emails)


SETTINGS = {
    "name": "Company IdP",
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
    "scopes": "openid email profile groups",
    "groups_claim": "groups",
    "group_roles": "cx-team = viewer\ncx-leads = owner",
}


def _setup(company: Company, client: WebClient, **changes: str) -> httpx.Response:
    form = {**SETTINGS, "issuer": company.provider.issuer, **changes}
    page = f"/orgs/{company.organization}/sso"
    return client.submit(page, page, form)


def _sign_in(client: WebClient, company: Company, login: str) -> httpx.Response:
    start = client.get(f"/sso/orgs/{company.organization}")
    assert start.status_code == 303, start.text
    back = idp_login(start.headers["location"], login, CALLBACK)
    return client.get(back.removeprefix("https://testserver"))


def _role(company: Company, email: str) -> str | None:
    with transaction(company.site.sessions) as db:
        return db.scalar(
            select(Membership.role)
            .join(User, User.id == Membership.user_id)
            .where(User.email == email, Membership.organization_id == company.organization)
        )


def test_the_owner_sets_it_up_and_the_secret_is_never_shown_back(company: Company) -> None:
    owner = company.site.client(company.owner)
    assert _setup(company, owner).status_code == 303
    page = owner.get(f"/orgs/{company.organization}/sso")
    assert page.status_code == 200
    assert CLIENT_SECRET not in page.text
    assert "set; leave empty to keep it" in page.text
    assert f'href="/sso/orgs/{company.organization}"' in page.text
    assert CALLBACK in page.text
    # Saving again without a secret keeps the stored one.
    assert _setup(company, owner, client_secret="").status_code == 303
    with transaction(company.site.sessions) as db:
        row = db.scalar(select(SsoProvider).where(SsoProvider.organization_id == company.organization))
        assert row is not None
        # Stored sealed with CXM_SECRET_KEY, never in clear; it opens to the secret the owner entered.
        assert CLIENT_SECRET not in row.client_secret
        assert row.client_secret.startswith(sso.SEALED)
        assert sso.open_secret(company.site.settings, row.client_secret) == CLIENT_SECRET
        other_key = company.site.settings.model_copy(update={"secret_key": "another-key-" + "x" * 40})
        assert sso.open_secret(other_key, row.client_secret) is None
        assert row.group_roles == {"cx-team": "viewer", "cx-leads": "owner"}
        logged = db.scalars(select(AuditEvent.detail).where(AuditEvent.action == "sso.settings")).all()
        assert logged
        assert all(CLIENT_SECRET not in str(detail) for detail in logged)


def test_a_wrong_mapping_is_refused_naming_its_line(company: Company) -> None:
    owner = company.site.client(company.owner)
    response = _setup(company, owner, group_roles="cx-team = viewer\n\ncx-leads = boss\nno sign here")
    assert response.status_code == 422
    assert "line 3: &#39;boss&#39; is not a role (viewer, facilitator, owner)" in response.text
    assert "line 4: write &#39;group = role&#39;" in response.text
    with transaction(company.site.sessions) as db:
        row = db.scalar(select(SsoProvider).where(SsoProvider.organization_id == company.organization))
        assert row is not None
        assert row.group_roles == {"cx-team": "viewer", "cx-leads": "owner"}


def test_only_owners_see_or_change_the_settings(company: Company, cast: Cast) -> None:
    outsider = company.site.client(cast.outsider)
    assert outsider.get(f"/orgs/{company.organization}/sso").status_code == 404
    anonymous = company.site.client()
    csrf = anonymous.csrf("/signin")
    refused = anonymous.post(f"/orgs/{company.organization}/sso", data={"csrf_token": csrf, "issuer": "https://x"})
    assert refused.status_code == 303
    assert refused.headers["location"].startswith("/signin")
    # A form without the page's token changes nothing.
    owner = company.site.client(company.owner)
    owner.get(f"/orgs/{company.organization}/sso")
    forged = owner.post(f"/orgs/{company.organization}/sso", data={"remove": "1", "csrf_token": "forged"})
    assert forged.status_code == 403


def test_a_new_member_joins_with_the_role_of_their_group(company: Company) -> None:
    client = company.site.client()
    response = _sign_in(client, company, "victor")
    assert response.status_code == 303, response.text
    assert _role(company, company.emails["victor"]) == "viewer"
    assert client.get(f"/orgs/{company.organization}").status_code == 200


def test_a_person_in_no_mapped_group_is_refused(company: Company, caplog: pytest.LogCaptureFixture) -> None:
    client = company.site.client()
    with caplog.at_level(logging.WARNING, logger="cxmaturity.sso"):
        response = _sign_in(client, company, "mallory")
    assert response.status_code == 400
    assert 'data-code="unknown_group"' in response.text
    assert "your groups: marketing" in response.text
    assert f"[unknown_group] provider=org:{company.organization}" in caplog.text
    with transaction(company.site.sessions) as db:
        assert db.scalar(select(User).where(User.email == company.emails["mallory"])) is None


def test_it_never_takes_over_an_existing_account_by_its_address(company: Company) -> None:
    site = company.site
    client = site.client()
    refused = _sign_in(client, company, "erin")
    assert refused.status_code == 400
    assert 'data-code="account_exists"' in refused.text
    assert _role(company, company.emails["erin"]) is None
    # The refusal offers the password sign-in, which leads on to connecting the two, once the person confirms.
    connect = f"/sso/orgs/{company.organization}/connect"
    assert f'href="/signin?next={connect}"' in refused.text
    signed = client.submit(
        "/signin", "/signin", {"email": company.emails["erin"], "password": PASSWORD, "next": connect}
    )
    assert signed.status_code == 303
    assert signed.headers["location"] == connect
    page = client.get(connect)
    assert page.status_code == 200
    assert "Continue to Company IdP" in page.text
    link = re.search(r'id="sso-connect-continue" href="([^"]+)"', page.text)
    assert link is not None
    start = client.get(html.unescape(link.group(1)))
    assert start.status_code == 303
    back = idp_login(start.headers["location"], "erin", CALLBACK)
    connected = client.get(back.removeprefix("https://testserver"))
    assert connected.status_code == 303, connected.text
    assert _role(company, company.emails["erin"]) == "viewer"


def test_a_bare_link_never_connects_a_signed_in_account(company: Company, cast: Cast) -> None:
    """Another site could send a signed-in person through a provider that signs everyone in as the attacker."""
    victim = company.site.client(cast.viewer)
    response = victim.get(f"/sso/orgs/{company.organization}?next=/")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert "cxm_sso" not in response.headers.get("set-cookie", "")
    forged = victim.get(f"/sso/orgs/{company.organization}?connect={'0' * 32}")
    assert forged.status_code == 303
    assert "cxm_sso" not in forged.headers.get("set-cookie", "")


def test_password_sign_in_can_be_turned_off_and_break_glass_still_works(company: Company) -> None:
    site = company.site
    page = f"/orgs/{company.organization}/sso"
    owner = site.client()
    signed = owner.submit("/signin", "/signin", {"email": company.emails["olivia"], "password": PASSWORD})
    assert signed.status_code == 303
    # Signed in with a password, the owner may not turn passwords off: the provider has not been shown to work.
    refused = owner.submit(page, page + "/passwords", {"password_signin": "off"})
    assert refused.status_code == 409
    assert "sign in through single sign-on first" in refused.text
    # Signed in through it (the settings page's button connects the owner's account), the owner may.
    link = re.search(r'id="sso-connect" href="([^"]+)"', owner.get(page).text)
    assert link is not None
    start = owner.get(html.unescape(link.group(1)))
    assert start.status_code == 303
    back = idp_login(start.headers["location"], "olivia", CALLBACK)
    assert owner.get(back.removeprefix("https://testserver")).status_code == 303
    assert _role(company, company.emails["olivia"]) == "owner"
    pat = site.client()
    assert pat.submit("/signin", "/signin", {"email": company.emails["pat"], "password": PASSWORD}).status_code == 303
    assert owner.submit(page, page + "/passwords", {"password_signin": "off"}).status_code == 303
    assert "turned off" in owner.get(page).text
    # Members' password sessions ended; their passwords no longer sign them in.
    assert pat.get(f"/orgs/{company.organization}").status_code == 303
    again = site.client()
    response = again.submit("/signin", "/signin", {"email": company.emails["pat"], "password": PASSWORD})
    assert response.status_code == 403
    assert "requires single sign-on" in response.text
    assert f'href="/sso/orgs/{company.organization}"' in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    # A wrong password is answered as before: the refusal names the organization only to who knows the password.
    wrong = again.submit("/signin", "/signin", {"email": company.emails["pat"], "password": "not the password!"})
    assert wrong.status_code == 400
    assert "requires single sign-on" not in wrong.text
    # The installation's break-glass owner still signs in with a password, and it is audited.
    site.settings.sso_break_glass = company.emails["olivia"]
    try:
        glass = site.client()
        response = glass.submit("/signin", "/signin", {"email": company.emails["olivia"], "password": PASSWORD})
        assert response.status_code == 303
    finally:
        site.settings.sso_break_glass = ""
    with transaction(site.sessions) as db:
        assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "sso.break_glass")) is not None
        methods = db.scalars(select(UserSession.method).where(UserSession.user_id == company.owner)).all()
        assert "password" in methods
        assert f"sso:org:{company.organization}" in methods
    # Allowing passwords again lets members back in with them.
    assert owner.submit(page, page + "/passwords", {"password_signin": "on"}).status_code == 303
    returned = site.client().submit("/signin", "/signin", {"email": company.emails["pat"], "password": PASSWORD})
    assert returned.status_code == 303


def test_a_secret_stored_in_clear_before_sealing_still_signs_in_and_is_sealed_at_the_next_save(
    company: Company,
) -> None:
    with transaction(company.site.sessions) as db:
        row = db.scalar(select(SsoProvider).where(SsoProvider.organization_id == company.organization))
        assert row is not None
        row.client_secret = CLIENT_SECRET  # as a release before sealing stored it
    with transaction(company.site.sessions) as db:
        provider = sso.organization_provider(db, company.site.settings, company.organization)
        assert provider is not None
        assert provider.client.client_secret == CLIENT_SECRET
    owner = company.site.client(company.owner)
    assert _setup(company, owner, client_secret="").status_code == 303
    with transaction(company.site.sessions) as db:
        row = db.scalar(select(SsoProvider).where(SsoProvider.organization_id == company.organization))
        assert row is not None
        assert row.client_secret.startswith(sso.SEALED)
        assert sso.open_secret(company.site.settings, row.client_secret) == CLIENT_SECRET


def test_a_secret_longer_than_can_be_sealed_is_refused(company: Company) -> None:
    owner = company.site.client(company.owner)
    response = _setup(company, owner, client_secret="s" * (sso.MAX_SECRET + 1))
    assert response.status_code == 422
    assert f"longer than {sso.MAX_SECRET} characters" in response.text
