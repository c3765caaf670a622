"""Limits on guessing, on SQLite and PostgreSQL: sign-in lockout per account and per address, unknown invitation
links and API tokens per address. These tests run their own app with small limits on the site's database."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
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
    settings = site.settings.model_copy(
        update={"signin_max_failures": LIMIT, "link_max_failures": LIMIT, "signup_max_per_address": LIMIT}
    )
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


def test_concurrent_wrong_passwords_are_checked_no_more_often_than_the_limit(strict: Site) -> None:
    # Finding 3 of issue 12: check, hash, record with nothing in between let 27 of 60 concurrent attempts through a
    # limit of 5 on PostgreSQL. Each attempt has its own client (a browser of its own) and its own database
    # connection in the app's request threads; a barrier releases them together.
    email = _new_user(strict)
    attempts = 40
    clients = [strict.client() for _ in range(attempts)]
    tokens = [client.csrf("/signin") for client in clients]
    start = threading.Barrier(attempts)

    def attempt(index: int) -> int:
        start.wait()
        data = {"email": email, "password": "wrong password!", "csrf_token": tokens[index]}
        return clients[index].post("/signin", data=data).status_code

    with ThreadPoolExecutor(attempts) as pool:
        statuses = list(pool.map(attempt, range(attempts)))
    assert statuses.count(400) == LIMIT
    assert statuses.count(429) == attempts - LIMIT


def test_wrong_passwords_from_elsewhere_do_not_lock_the_owner_out_of_a_browser_they_signed_in_with(
    strict: Site,
) -> None:
    # Finding 6 of issue 12: anyone could lock an account's owner out for 15 minutes with a few wrong passwords.
    email = _new_user(strict)
    owner = strict.client()
    assert _sign_in(owner, email, PASSWORD) == 303
    attacker = strict.client()
    assert [_sign_in(attacker, email, "wrong password!") for _ in range(LIMIT + 1)] == [400] * LIMIT + [429]
    # The owner's browser still signs in; a new browser, even with the right password, waits like the attacker.
    assert _sign_in(owner, email, PASSWORD) == 303
    assert _sign_in(strict.client(), email, PASSWORD) == 429
    assert _sign_in(attacker, email, PASSWORD) == 429


def test_a_known_browser_has_a_limit_of_its_own_and_is_known_to_one_account_only(strict: Site) -> None:
    email, other = _new_user(strict), _new_user(strict)
    owner = strict.client()
    assert _sign_in(owner, email, PASSWORD) == 303
    device = owner.cookies.get("cxm_device", path="/signin")
    assert device
    assert [_sign_in(owner, email, "wrong password!") for _ in range(LIMIT + 1)] == [400] * LIMIT + [429]
    assert _sign_in(owner, email, PASSWORD) == 429
    # The cookie names its account: it neither unlocks another account nor survives being forged.
    for _ in range(LIMIT):
        _sign_in(strict.client(), other, "wrong password!")
    assert _sign_in(owner, other, PASSWORD) == 429
    user_id, token, signature = device.split(".")
    forged = strict.client()
    forged.cookies.set("cxm_device", f"{user_id}.{token}.{'0' * len(signature)}", domain="testserver.local")
    for _ in range(LIMIT):
        _sign_in(strict.client(), email, "wrong password!")
    assert _sign_in(forged, email, PASSWORD) == 429


def _guess_links(client: WebClient, forwarded_for: list[str]) -> list[int]:
    return [
        client.get(f"/r/{secrets.token_urlsafe(16)}", headers={"X-Forwarded-For": address}).status_code
        for address in forwarded_for
    ]


def test_a_forwarded_address_is_not_believed_by_default(strict: Site) -> None:
    # Finding 5 of issue 12: rotating X-Forwarded-For gave every guess an address of its own.
    addresses = [f"203.0.113.{n}" for n in range(LIMIT + 2)]
    assert _guess_links(strict.client(), addresses) == [404] * (LIMIT - 1) + [429] * 3


def test_a_forwarded_address_is_believed_from_a_trusted_proxy_only(strict: Site) -> None:
    settings = strict.settings.model_copy(update={"trusted_proxies": "127.0.0.1, 10.0.0.0/8"})
    behind_proxy = Site(
        strict.backend, create_app(settings, strict.engine), strict.engine, strict.sessions, settings, strict.portal
    )
    client = behind_proxy.client()
    strict.clients.append(client)
    # The test client connects from 127.0.0.1, a trusted proxy: each visitor it forwards is counted on their own.
    assert _guess_links(client, [f"203.0.113.{n}" for n in range(LIMIT + 2)]) == [404] * (LIMIT + 2)
    # One visitor, whatever it puts in front of the proxy's entry, is still one visitor.
    spoofed = [f"198.51.100.{n}, 192.0.2.7" for n in range(LIMIT + 1)]
    assert _guess_links(client, spoofed) == [404] * (LIMIT - 1) + [429] * 2


def test_a_blocked_address_still_serves_valid_api_tokens(strict: Site, cast: Cast) -> None:
    with transaction(strict.sessions) as db:
        token = accounts.create_api_token(db, cast.owner)
    client = strict.client()
    unknown = {"Authorization": f"Bearer cxm_{secrets.token_urlsafe(24)}"}
    assert [client.get("/api/v1/organizations", headers=unknown).status_code for _ in range(LIMIT)][-1] == 429
    assert client.get(f"/r/{secrets.token_urlsafe(16)}").status_code == 429
    response = client.get("/api/v1/organizations", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert client.get("/api/v1/organizations", headers=unknown).status_code == 429


def _sign_up(client: WebClient, email: str) -> httpx.Response:
    return client.submit("/signup", "/signup", {"email": email, "password": PASSWORD, "name": "Someone"})


def test_sign_up_answers_alike_whether_or_not_the_address_has_an_account(strict: Site) -> None:
    # Finding 4 of issue 12: sign-up said "an account with this e-mail address exists".
    known, new = _new_user(strict), f"new-{secrets.token_hex(4)}@example.com"
    answers = [_sign_up(strict.client(), email) for email in (known, new)]
    assert [(a.status_code, a.headers["location"]) for a in answers] == [(303, "/signin?signed_up=1")] * 2
    assert [sorted(a.cookies.keys()) for a in answers] == [[], []]
    page = strict.client().get("/signin?signed_up=1").text
    assert "If this e-mail address had no account, it has one now." in page
    # The new account signs in as usual; the known one keeps its own password.
    assert _sign_in(strict.client(), new, PASSWORD) == 303
    with transaction(strict.sessions) as db:
        assert accounts.authenticate(db, known, PASSWORD) is not None


def test_sign_up_is_limited_per_address(strict: Site) -> None:
    # Finding 4 of issue 12: 8 anonymous threads created 137 accounts in 15 s.
    client = strict.client()
    statuses = [_sign_up(client, f"many-{secrets.token_hex(4)}@example.com").status_code for _ in range(LIMIT + 1)]
    assert statuses == [303] * LIMIT + [429]
    refused = _sign_up(client, f"late-{secrets.token_hex(4)}@example.com")
    assert "Too many sign-ups from your network" in refused.text
    assert int(refused.headers["Retry-After"]) > 0
