"""Limits on guessing, on SQLite and PostgreSQL: sign-in lockout per account and per address, unknown invitation
links and API tokens per address. These tests run their own app with small limits on the site's database."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import delete

from cxmaturity.services import accounts, assessments, throttle
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import ThrottleEvent
from cxmaturity.web.app import create_app
from tests.web.client import WebClient
from tests.web.conftest import PASSWORD, Cast, Site

LIMIT = 3


@pytest.fixture
def strict(site: Site) -> Iterator[Site]:
    """The site's database behind an app whose limits are LIMIT failures; failures are forgotten afterwards."""
    settings = site.settings.model_copy(update={"signin_max_failures": LIMIT, "link_max_failures": LIMIT})
    app = create_app(settings, site.engine)
    strict_site = Site(site.backend, app, site.engine, site.sessions, settings, site.portal)
    yield strict_site
    for client in strict_site.clients:
        client.close()
    with transaction(site.sessions) as db:
        db.execute(delete(ThrottleEvent))
    throttle.forget_known_blocks()


def _new_user(site: Site) -> str:
    email = f"locked-{secrets.token_hex(4)}@example.com"
    with transaction(site.sessions) as db:
        accounts.sign_up(db, email, PASSWORD)
    return email


def _sign_in(client: WebClient, email: str, password: str) -> int:
    return client.submit("/signin", "/signin", {"email": email, "password": password}).status_code


def test_an_account_is_locked_after_repeated_wrong_passwords_even_for_the_right_one(strict: Site) -> None:
    email = _new_user(strict)
    client = strict.client()
    assert [_sign_in(client, email, "wrong password!") for _ in range(LIMIT)] == [400] * LIMIT
    response = client.submit("/signin", "/signin", {"email": email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-ins. Try again in 15 minutes." in response.text
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60


def test_an_unknown_account_locks_the_same_way_so_the_answer_reveals_nothing(strict: Site) -> None:
    client = strict.client()
    email = f"nobody-{secrets.token_hex(4)}@example.com"
    assert [_sign_in(client, email, "wrong password!") for _ in range(LIMIT + 1)] == [400] * LIMIT + [429]


def test_a_successful_sign_in_clears_the_accounts_failures(strict: Site) -> None:
    email = _new_user(strict)
    client = strict.client()
    assert [_sign_in(client, email, "wrong password!") for _ in range(LIMIT - 1)] == [400] * (LIMIT - 1)
    assert _sign_in(client, email, PASSWORD) == 303
    assert [_sign_in(client, email, "wrong password!") for _ in range(LIMIT - 1)] == [400] * (LIMIT - 1)
    assert _sign_in(client, email, PASSWORD) == 303


def test_one_address_may_fail_more_often_than_one_account_but_not_without_end(strict: Site) -> None:
    client = strict.client()
    emails = [_new_user(strict) for _ in range(7)]
    statuses = [_sign_in(client, email, "wrong password!") for email in emails for _ in range(LIMIT - 1)]
    # 4 x LIMIT failures from one address are allowed (several people behind one office address), then no more.
    assert statuses[: 4 * LIMIT] == [400] * (4 * LIMIT)
    assert set(statuses[4 * LIMIT :]) == {429}
    assert _sign_in(client, emails[-1], PASSWORD) == 429


def test_guessing_invitation_links_is_refused_and_then_even_a_real_link_waits(strict: Site, cast: Cast) -> None:
    with transaction(strict.sessions) as db:
        real = assessments.create_invitations(
            db, Actor(cast.facilitator), cast.assessment, cast.groups["Leadership"], 1
        )[0]
    client = strict.client()
    assert client.get(f"/r/{real}").status_code == 200
    guesses = [client.get(f"/r/{secrets.token_urlsafe(16)}").status_code for _ in range(LIMIT)]
    assert guesses == [404] * (LIMIT - 1) + [429]
    response = client.get(f"/r/{real}")
    assert response.status_code == 429
    assert "Too many links that do not work" in response.text
    assert int(response.headers["Retry-After"]) > 0
    assert client.get(f"/r/{real}/p/1").status_code == 429


def test_guessing_through_the_respondent_api_is_refused_the_same_way(strict: Site) -> None:
    client = strict.client()
    statuses = [client.get(f"/api/v1/respond/{secrets.token_urlsafe(16)}").status_code for _ in range(LIMIT + 1)]
    assert statuses == [404] * (LIMIT - 1) + [429, 429]
    response = client.get(f"/api/v1/respond/{secrets.token_urlsafe(16)}")
    assert response.status_code == 429
    assert "try again in" in response.json()["detail"]
    assert "Retry-After" in response.headers


def test_guessing_api_tokens_is_refused(strict: Site) -> None:
    client = strict.client()
    headers = {"Authorization": f"Bearer cxm_{secrets.token_urlsafe(24)}"}
    statuses = [client.get("/api/v1/organizations", headers=headers).status_code for _ in range(LIMIT + 1)]
    assert statuses == [401] * (LIMIT - 1) + [429, 429]


def test_failures_are_stored_as_digests_not_as_addresses_or_e_mails(strict: Site) -> None:
    email = _new_user(strict)
    _sign_in(strict.client(), email, "wrong password!")
    with transaction(strict.sessions) as db:
        stored = [(row.scope, row.key_hash) for row in db.query(ThrottleEvent)]
    assert stored
    assert all(email not in key and "127.0.0.1" not in key and len(key) == 64 for _, key in stored)
