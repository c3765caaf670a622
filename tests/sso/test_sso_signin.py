"""Single sign-on against a real OpenID provider (oidc-provider on Node.js), through the app over HTTP (ASGI), on
SQLite and PostgreSQL: a first sign-in creates the account with the role its groups give, and every misconfiguration
or tampered answer (wrong issuer, a clock off either way, state or nonce not matching, no mapped group) is refused
with a sentence for the person and a log line for the administrator, with no account, membership or session made."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from sqlalchemy import func, select

from cxmaturity.services import accounts, organizations
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Membership, SsoIdentity, User, UserSession
from cxmaturity.web.context import SESSION_COOKIE
from tests.sso.conftest import CLIENT_ID, CLIENT_SECRET, Provider, idp_login, start_provider
from tests.web.client import WebClient
from tests.web.conftest import PASSWORD, Site

CALLBACK = "https://testserver/sso/callback"


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    with start_provider([CALLBACK], log_dir=tmp_path_factory.mktemp("idp")) as running:
        yield running


@dataclass
class Installation:
    site: Site
    provider: Provider
    organization: int
    owner: int


@pytest.fixture(scope="module")
def installation(site: Site, provider: Provider) -> Iterator[Installation]:
    """The installation's provider set up (CXM_OIDC_*) with groups giving roles in an organization of its own."""
    with transaction(site.sessions) as db:
        owner = accounts.sign_up(db, f"sso-owner-{secrets.token_hex(3)}@example.com", PASSWORD, "Owner")
        db.flush()
        org = organizations.create(db, Actor(owner.id), "SSO Company")
        db.flush()
        ids = org.id, owner.id
    _configure(site, provider.issuer, {"cx-team": {ids[0]: "facilitator"}, "cx-leads": {ids[0]: "owner"}})
    yield Installation(site, provider, *ids)
    _configure(site, "", {})


def _configure(site: Site, issuer: str, roles: dict[str, dict[int, str]]) -> None:
    site.settings.oidc_issuer = issuer
    site.settings.oidc_client_id = CLIENT_ID
    site.settings.oidc_client_secret = CLIENT_SECRET
    site.settings.oidc_name = "Test IdP"
    site.settings.oidc_group_roles = roles
    site.settings.oidc_scopes = "openid email profile groups"


def _begin(client: WebClient, path: str = "/sso/start") -> str:
    response = client.get(path)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def _finish(client: WebClient, callback_url: str) -> httpx.Response:
    assert callback_url.startswith(CALLBACK), callback_url
    return client.get(callback_url.removeprefix("https://testserver"))


def _swap(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query[name] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


def _counts(site: Site, email: str) -> tuple[int, int, int]:
    with transaction(site.sessions) as db:
        user = db.scalar(select(User).where(User.email == email))
        if user is None:
            return 0, 0, 0
        memberships = db.scalar(select(func.count()).select_from(Membership).where(Membership.user_id == user.id))
        sessions = db.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id))
        return 1, memberships or 0, sessions or 0


def _assert_refused(response: httpx.Response, code: str, phrase: str, caplog: pytest.LogCaptureFixture) -> None:
    assert response.status_code in (400, 502), response.text
    text = response.text
    assert f'data-code="{code}"' in text
    assert phrase in text
    assert "Traceback" not in text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert any(f"sso sign-in refused [{code}]" in record.getMessage() for record in caplog.records), caplog.text


def test_it_sends_the_browser_with_pkce_state_and_nonce(installation: Installation) -> None:
    client = installation.site.client()
    url = _begin(client)
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(installation.provider.url + "/auth?")
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == [CALLBACK]
    assert len(query["state"][0]) >= 32
    assert len(query["nonce"][0]) >= 32
    # The verifier itself never leaves the server except in the browser's signed, HttpOnly cookie.
    cookie = client.cookies.get("cxm_sso")
    assert cookie
    assert query["state"][0] not in cookie


def test_it_creates_an_account_with_the_role_its_group_gives(installation: Installation) -> None:
    site = installation.site
    client = site.client()
    back = idp_login(_begin(client, f"/sso/start?next=/orgs/{installation.organization}"), "alice", CALLBACK)
    response = _finish(client, back)
    assert response.status_code == 303
    assert response.headers["location"] == f"/orgs/{installation.organization}"
    page = client.get(f"/orgs/{installation.organization}")
    assert page.status_code == 200
    assert "SSO Company" in page.text
    with transaction(site.sessions) as db:
        user = db.scalar(select(User).where(User.email == "alice@sso.example"))
        assert user is not None
        assert user.name == "Alice Anders"
        assert user.password_hash == ""
        role = db.scalar(
            select(Membership.role).where(
                Membership.user_id == user.id, Membership.organization_id == installation.organization
            )
        )
        assert role == "facilitator"
        sessions = db.scalars(select(UserSession.method).where(UserSession.user_id == user.id)).all()
        assert sessions == ["sso:installation"]
    # A second sign-in finds the same account (by issuer and subject), makes no second one.
    again = site.client()
    assert _finish(again, idp_login(_begin(again), "alice", CALLBACK)).status_code == 303
    with transaction(site.sessions) as db:
        assert db.scalar(select(func.count()).select_from(User).where(User.email == "alice@sso.example")) == 1
        assert db.scalar(select(func.count()).select_from(SsoIdentity).where(SsoIdentity.subject == "alice")) == 1
    # Without a password, the account cannot sign in with one.
    form = {"email": "alice@sso.example", "password": ""}
    refused = again.submit("/signin", "/signin", {**form, "password": "anything at all"})
    assert refused.status_code == 400


def test_an_unknown_group_signs_no_one_in(installation: Installation, caplog: pytest.LogCaptureFixture) -> None:
    client = installation.site.client()
    with caplog.at_level(logging.WARNING, logger="cxmaturity.sso"):
        response = _finish(client, idp_login(_begin(client), "bob", CALLBACK))
    _assert_refused(response, "unknown_group", "none of your groups gives access here (your groups: finance)", caplog)
    assert _counts(installation.site, "bob@sso.example") == (0, 0, 0)


def test_a_state_that_does_not_match_signs_no_one_in(
    installation: Installation, caplog: pytest.LogCaptureFixture
) -> None:
    client = installation.site.client()
    forged = _swap(_begin(client), "state", "s" * 43)  # an answer to a sign-in this browser did not start
    with caplog.at_level(logging.WARNING, logger="cxmaturity.sso"):
        response = _finish(client, idp_login(forged, "carol", CALLBACK))
    _assert_refused(response, "state_mismatch", "was not started in this browser", caplog)
    assert _counts(installation.site, "carol@sso.example") == (0, 0, 0)


def test_an_answer_reaching_another_browser_signs_no_one_in(
    installation: Installation, caplog: pytest.LogCaptureFixture
) -> None:
    started = installation.site.client()
    back = idp_login(_begin(started), "carol", CALLBACK)
    other = installation.site.client()  # the victim's browser, handed the attacker's callback link
    with caplog.at_level(logging.WARNING, logger="cxmaturity.sso"):
        response = _finish(other, back)
    _assert_refused(response, "state_mismatch", "no sign-in in progress", caplog)
    assert _counts(installation.site, "carol@sso.example") == (0, 0, 0)


def test_a_nonce_that_does_not_match_signs_no_one_in(
    installation: Installation, caplog: pytest.LogCaptureFixture
) -> None:
    client = installation.site.client()
    replayed = _swap(_begin(client), "nonce", "n" * 43)  # the provider puts this nonce into the ID token
    with caplog.at_level(logging.WARNING, logger="cxmaturity.sso"):
        response = _finish(client, idp_login(replayed, "carol", CALLBACK))
    _assert_refused(response, "nonce_mismatch", "does not belong to the sign-in this browser started", caplog)
    assert _counts(installation.site, "carol@sso.example") == (0, 0, 0)


def test_an_error_from_the_provider_is_shown(installation: Installation, caplog: pytest.LogCaptureFixture) -> None:
    client = installation.site.client()
    state = parse_qs(urlsplit(_begin(client)).query)["state"][0]
    query = urlencode({"error": "access_denied", "error_description": "End-User aborted interaction", "state": state})
    with caplog.at_level(logging.WARNING, logger="cxmaturity.sso"):
        response = client.get(f"/sso/callback?{query}")
    _assert_refused(response, "provider_error", "Test IdP did not sign you in: End-User aborted interaction", caplog)


def test_a_wrong_issuer_signs_no_one_in(
    installation: Installation, caplog: pytest.LogCaptureFixture, tmp_path_factory: pytest.TempPathFactory
) -> None:
    site = installation.site
    # The provider calls itself by its host name; the installation was set up with its address.
    with start_provider([CALLBACK], issuer_host="localhost", log_dir=tmp_path_factory.mktemp("idp")) as idp:
        saved = site.settings.oidc_issuer
        site.settings.oidc_issuer = idp.url
        try:
            client = site.client()
            with caplog.at_level(logging.WARNING, logger="cxmaturity.sso"):
                response = client.get("/sso/start")
        finally:
            site.settings.oidc_issuer = saved
    _assert_refused(response, "wrong_issuer", "the provider calls itself by another name", caplog)
    assert "localhost" in caplog.text
    assert idp.url in caplog.text


@pytest.mark.parametrize(
    ("offset", "ttl", "phrase"),
    [(-600, 120, "already expired"), (600, 3600, "dated in the future")],
    ids=["expired", "not-yet-valid"],
)
def test_a_clock_off_beyond_the_allowed_skew_signs_no_one_in(
    installation: Installation,
    caplog: pytest.LogCaptureFixture,
    tmp_path_factory: pytest.TempPathFactory,
    offset: int,
    ttl: int,
    phrase: str,
) -> None:
    site = installation.site
    # The provider's clock is 10 minutes off ours; the allowed skew is 60 s (CXM_OIDC_CLOCK_SKEW_SECONDS).
    with start_provider(
        [CALLBACK], clock_offset=offset, id_token_ttl=ttl, log_dir=tmp_path_factory.mktemp("idp")
    ) as idp:
        saved = site.settings.oidc_issuer
        site.settings.oidc_issuer = idp.issuer
        try:
            client = site.client()
            with caplog.at_level(logging.WARNING, logger="cxmaturity.sso"):
                response = _finish(client, idp_login(_begin(client), "carol", CALLBACK))
        finally:
            site.settings.oidc_issuer = saved
    _assert_refused(response, "clock_skew", phrase, caplog)
    assert "allowed skew 60 s" in caplog.text
    assert _counts(site, "carol@sso.example") == (0, 0, 0)


def test_a_small_clock_difference_is_allowed(
    installation: Installation, tmp_path_factory: pytest.TempPathFactory
) -> None:
    site = installation.site
    accounts_ = {"dave": {"email": f"dave-{site.backend}@sso.example", "groups": ["cx-team"]}}
    with start_provider([CALLBACK], accounts=accounts_, clock_offset=20, log_dir=tmp_path_factory.mktemp("idp")) as idp:
        saved = site.settings.oidc_issuer
        site.settings.oidc_issuer = idp.issuer
        try:
            client = site.client()
            response = _finish(client, idp_login(_begin(client), "dave", CALLBACK))
        finally:
            site.settings.oidc_issuer = saved
    assert response.status_code == 303, response.text


def test_an_unreachable_provider_is_said_so(installation: Installation, caplog: pytest.LogCaptureFixture) -> None:
    site = installation.site
    saved = site.settings.oidc_issuer
    site.settings.oidc_issuer = "http://127.0.0.1:9"  # nothing listens on the discard port
    try:
        client = site.client()
        with caplog.at_level(logging.WARNING, logger="cxmaturity.sso"):
            response = client.get("/sso/start")
    finally:
        site.settings.oidc_issuer = saved
    assert response.status_code == 502
    assert "could not be reached" in response.text
    assert "Traceback" not in response.text
    assert "sso sign-in refused [provider_unreachable]" in caplog.text


def test_without_a_provider_the_start_says_so(site: Site) -> None:
    saved, site.settings.oidc_issuer = site.settings.oidc_issuer, ""
    try:
        client = site.client()
        response = client.get("/sso/start")
        assert response.status_code == 404
        assert "Single sign-on is not set up here" in response.text
        assert "Sign in with" not in client.get("/signin").text
        assert client.get("/sso/orgs/999999").status_code == 404
    finally:
        site.settings.oidc_issuer = saved


def test_the_sign_in_page_offers_the_installation_provider(installation: Installation) -> None:
    page = installation.site.client().get("/signin?next=/orgs/1")
    assert "Sign in with Test IdP" in page.text
    assert 'href="/sso/start?next=/orgs/1"' in page.text
