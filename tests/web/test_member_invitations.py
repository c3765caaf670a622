"""Members join an organization by an invitation they accept (issue 12, finding 4), on SQLite and PostgreSQL.

Before, an owner "added" an account by its e-mail: the page answered 303 for an address with an account and 404 for
one without, and the account became a member without being asked. Now inviting answers the same either way, the link
goes to the address (a real SMTP server here, aiosmtpd), works once and expires, and only accepting makes a member.

The e-mail goes through the queue and the outbox (issue 16, item 2): the request only queues it, and answers before
any connection to the mail server; the queue's worker sends it, retries a server it cannot reach, and gives up at
once on an address the server refuses for good; the owner reads what became of it beside the pending invitation.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from cxmaturity.services import accounts, member_invitations, organizations
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import MailRecipient, MemberInvitation, Membership, OutboxMessage
from tests.support.queue import drain
from tests.support.queue import mail_settings as smtp_settings
from tests.support.smtp import Inbox, free_port, smtp_server
from tests.web.client import WebClient
from tests.web.conftest import PASSWORD, Cast, Site

LINK = re.compile(r"https://testserver/join/([A-Za-z0-9_-]+)")


def _organization(site: Site, cast: Cast) -> int:
    """A fresh organization owned by the cast's owner, so that joining it changes nothing other tests read."""
    with transaction(site.sessions) as db:
        return organizations.create(db, Actor(cast.owner), f"Join test {secrets.token_hex(3)}").id


def _account(site: Site) -> tuple[int, str]:
    email = f"someone-{secrets.token_hex(4)}@example.com"
    with transaction(site.sessions) as db:
        return accounts.sign_up(db, email, PASSWORD).id, email


def _role(site: Site, user_id: int, organization_id: int) -> str | None:
    with site.sessions() as db:
        return db.scalar(
            select(Membership.role).where(Membership.user_id == user_id, Membership.organization_id == organization_id)
        )


def _invite_page(client: WebClient, org: int, email: str, role: str = "viewer") -> tuple[int, str]:
    response = client.submit(f"/orgs/{org}", f"/orgs/{org}/member-invitations", {"email": email, "role": role})
    return response.status_code, response.text


def _without(text: str, *parts: str) -> str:
    """The page without what legitimately differs between two invitations: address, link, times, the pending list."""
    text = re.sub(r"<h3[^>]*>Pending invitations</h3>.*?</table>", "", text, flags=re.DOTALL)
    for part in parts:
        text = text.replace(part, "ADDRESS")
    text = LINK.sub("LINK", text)
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d", "TIME", text)


def test_it_answers_the_same_whether_or_not_an_account_exists(site: Site, cast: Cast) -> None:
    org = _organization(site, cast)
    owner = site.client(cast.owner)
    user_id, existing = _account(site)
    unknown = f"nobody-{secrets.token_hex(4)}@example.com"
    status_a, page_a = _invite_page(owner, org, existing)
    status_b, page_b = _invite_page(owner, org, unknown)
    assert status_a == status_b == 200
    # The two pages differ only in the address, the link and the times; the pending list shows both addresses.
    assert _without(page_a, existing, unknown) == _without(page_b, existing, unknown)
    assert "This server sends" in page_a  # no e-mail set up: the owner hands the link over
    # Nobody joined without accepting.
    assert _role(site, user_id, org) is None
    api = site.client()
    with transaction(site.sessions) as db:
        token = accounts.create_api_token(db, cast.owner, "invite")
    headers = {"Authorization": f"Bearer {token}"}
    other = f"nobody-{secrets.token_hex(4)}@example.com"
    answers = [
        api.post(
            f"/api/v1/organizations/{org}/member-invitations", json={"email": e, "role": "facilitator"}, headers=headers
        )
        for e in (cast.emails["outsider"], other)
    ]
    assert [a.status_code for a in answers] == [202, 202]
    bodies = [a.json() for a in answers]
    assert {tuple(sorted(b)) for b in bodies} == {("delivery", "email", "expires_at", "language", "link", "role")}
    assert [b["language"] for b in bodies] == ["en", "en"]  # left out: English, as before languages were stored
    assert [b["delivery"] for b in bodies] == ["link", "link"]
    assert _role(site, cast.outsider, org) is None
    pending = api.get(f"/api/v1/organizations/{org}/member-invitations", headers=headers).json()
    assert sorted(p["email"] for p in pending) == sorted([existing, unknown, cast.emails["outsider"], other])


class Greeted(Inbox):
    """An inbox that also counts the connections that greeted it (EHLO: smtplib's first command on each)."""

    def __init__(self, refuse: Any = None) -> None:
        super().__init__(refuse)
        self.greetings = 0

    async def handle_EHLO(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        self.greetings += 1
        return responses


@contextmanager
def _no_worker(site: Site) -> Iterator[None]:
    """Keep the queue's worker from running during the block: on PostgreSQL none runs unless the test drains the
    queue; on SQLite the app's in-process runner is held at the start of its next round (its lock, which ``drain``
    takes too), so that what the request itself did is all that happened."""
    if site.backend == "postgresql":
        yield
        return
    held: threading.Lock = site.app.state.jobs._round
    with held:
        yield


def _delivery(site: Site, cast: Cast, org: int, email: str) -> member_invitations.Delivery | None:
    with site.sessions() as db:
        (found,) = [p for p in member_invitations.pending(db, Actor(cast.owner), org) if p.email == email]
        return found.delivery


def test_the_request_only_queues_the_invitation_and_the_worker_sends_it(site: Site, cast: Cast) -> None:
    org = _organization(site, cast)
    owner = site.client(cast.owner)
    user_id, email = _account(site)
    with smtp_server(Greeted()) as (inbox, port), smtp_settings(site, port):
        assert isinstance(inbox, Greeted)
        with _no_worker(site):
            status, page = _invite_page(owner, org, email.upper(), "facilitator")
            # The request has answered, and no connection to the mail server was made: the worker sends it.
            assert inbox.greetings == 0
            assert inbox.messages == []
            assert status == 200
            assert f"Invitation to {email} as facilitator queued" in page
            assert not LINK.search(page), "an e-mailed link is never shown to the owner"
            delivery = _delivery(site, cast, org, email)
            assert delivery is not None
            assert (delivery.status, delivery.attempts) == ("queued", 0)
            assert '<td class="mail-state">queued <span class="muted">' in owner.get(f"/orgs/{org}").text
        drain(site)
        drain(site)  # a second round finds nothing left to send: sent once
    assert inbox.greetings >= 1
    ((to, message),) = inbox.messages
    assert to == [email]
    assert message["Subject"].startswith("Join Join test ")
    body = message.get_content()
    assert "Owner (owner-" in body
    assert "as facilitator" in body
    assert "expires in 7 days" in body
    (token,) = LINK.findall(body)
    delivery = _delivery(site, cast, org, email)
    assert delivery is not None
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert delivery.sent_at is not None
    assert delivery.last_error.startswith("250 ")
    # Only a digest of the token is stored, and the link sealed for the worker; neither holds it in clear.
    with site.sessions() as db:
        stored = db.scalar(select(MemberInvitation).where(MemberInvitation.organization_id == org))
        assert stored is not None
        assert token not in repr(vars(stored))
        assert len(stored.token_hash) == 64
        recipient = db.scalar(select(MailRecipient).where(MailRecipient.member_invitation_id == stored.id))
        assert recipient is not None
        assert recipient.assessment_id is None
        assert token not in recipient.sealed_token
    # The organization's page shows the state and the mail server's answer, never the link.
    text = owner.get(f"/orgs/{org}").text
    assert '<td class="mail-state">sent</td>' in text
    assert "/join/" not in text.replace(f"/orgs/{org}/member-invitations", "")
    # A visitor who is not signed in is sent to sign in, and can sign up from there and come back.
    visitor = site.client()
    response = visitor.get(f"/join/{token}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/signin?next=/join/{token}"
    assert f'href="/signup?next=/join/{token}"' in visitor.get(response.headers["location"]).text
    invited = site.client(user_id)
    offer = invited.get(f"/join/{token}")
    assert offer.status_code == 200
    assert "as <strong>facilitator</strong>" in offer.text
    assert _role(site, user_id, org) is None  # opening the link is not accepting
    accepted = invited.submit(f"/join/{token}", f"/join/{token}/accept")
    assert accepted.status_code == 303
    assert accepted.headers["location"] == f"/orgs/{org}"
    assert _role(site, user_id, org) == "facilitator"
    # Single use: the link is gone, for the invited person and for anyone else, and no longer pending; its outbox
    # message went with it.
    assert invited.get(f"/join/{token}").status_code == 404
    assert site.client(cast.outsider).get(f"/join/{token}").status_code == 404
    with site.sessions() as db:
        assert member_invitations.pending(db, Actor(cast.owner), org) == []
        assert db.scalar(select(MailRecipient).where(MailRecipient.address == email)) is None


def test_it_makes_no_member_when_declined_revoked_or_expired(site: Site, cast: Cast) -> None:
    org = _organization(site, cast)
    user_id, email = _account(site)
    invited = site.client(user_id)
    tokens = []
    for _ in range(3):
        with transaction(site.sessions) as db:
            made = member_invitations.invite(db, Actor(cast.owner), site.settings, org, email, "viewer")
        tokens.append((made.token, made.invitation_id))  # inviting again replaces the pending invitation
    with site.sessions() as db:
        assert len(member_invitations.pending(db, Actor(cast.owner), org)) == 1
    assert invited.get(f"/join/{tokens[0][0]}").status_code == 404
    declined = invited.submit(f"/join/{tokens[2][0]}", f"/join/{tokens[2][0]}/decline")
    assert declined.status_code == 200
    assert "Invitation declined" in declined.text
    assert invited.get(f"/join/{tokens[2][0]}").status_code == 404
    assert _role(site, user_id, org) is None
    # Revoked by the owner.
    with transaction(site.sessions) as db:
        made = member_invitations.invite(db, Actor(cast.owner), site.settings, org, email, "viewer")
    owner = site.client(cast.owner)
    assert f"/member-invitations/{made.invitation_id}/revoke" in owner.get(f"/orgs/{org}").text
    revoked = owner.submit(f"/orgs/{org}", f"/orgs/{org}/member-invitations/{made.invitation_id}/revoke")
    assert revoked.status_code == 303
    assert invited.get(f"/join/{made.token}").status_code == 404
    # Expired.
    with transaction(site.sessions) as db:
        made = member_invitations.invite(db, Actor(cast.owner), site.settings, org, email, "viewer")
        db.execute(
            update(MemberInvitation)
            .where(MemberInvitation.id == made.invitation_id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    expired = invited.submit("/", f"/join/{made.token}/accept")
    assert expired.status_code == 404
    assert member_invitations.NOT_VALID in expired.text
    assert _role(site, user_id, org) is None


def test_it_accepts_and_declines_through_the_api(site: Site, cast: Cast) -> None:
    org = _organization(site, cast)
    user_id, email = _account(site)
    with transaction(site.sessions) as db:
        owner_token = accounts.create_api_token(db, cast.owner, "owner")
        user_token = accounts.create_api_token(db, user_id, "invited")
    api = site.client()
    owner, user = {"Authorization": f"Bearer {owner_token}"}, {"Authorization": f"Bearer {user_token}"}
    sent = api.post(
        f"/api/v1/organizations/{org}/member-invitations", json={"email": email, "role": "viewer"}, headers=owner
    )
    join = LINK.fullmatch(sent.json()["link"])
    assert join is not None
    token = join.group(1)
    offer = api.get(f"/api/v1/member-invitations/{token}", headers=user).json()
    assert (offer["organization_id"], offer["role"], offer["email"], offer["language"]) == (org, "viewer", email, "en")
    joined = api.post(f"/api/v1/member-invitations/{token}/accept", headers=user)
    assert joined.status_code == 200
    assert joined.json()["role"] == "viewer"
    assert api.post(f"/api/v1/member-invitations/{token}/accept", headers=user).status_code == 404
    assert _role(site, user_id, org) == "viewer"
    # Revoke through the API; a revoked link cannot be declined either.
    other = f"nobody-{secrets.token_hex(4)}@example.com"
    sent = api.post(
        f"/api/v1/organizations/{org}/member-invitations", json={"email": other, "role": "owner"}, headers=owner
    )
    (pending,) = api.get(f"/api/v1/organizations/{org}/member-invitations", headers=owner).json()
    left = api.request("DELETE", f"/api/v1/organizations/{org}/member-invitations/{pending['id']}", headers=owner)
    assert left.status_code == 200
    assert left.json() == []
    revoked_token = sent.json()["link"].rsplit("/", 1)[1]
    assert api.post(f"/api/v1/member-invitations/{revoked_token}/decline", headers=user).status_code == 404
    # Only owners invite; an already-member's address is answered as such (the owner sees the member list anyway).
    assert (
        api.post(
            f"/api/v1/organizations/{org}/member-invitations", json={"email": other, "role": "viewer"}, headers=user
        )
    ).status_code == 403
    again = api.post(
        f"/api/v1/organizations/{org}/member-invitations", json={"email": email, "role": "owner"}, headers=owner
    )
    assert again.status_code == 409
    assert again.json()["field"] == "email"


def test_the_queued_e_mail_is_the_same_whether_or_not_an_account_exists(site: Site, cast: Cast) -> None:
    org = _organization(site, cast)
    owner = site.client(cast.owner)
    _, existing = _account(site)
    unknown = f"nobody-{secrets.token_hex(4)}@example.com"
    with smtp_server() as (inbox, port), smtp_settings(site, port):
        with _no_worker(site):
            pages = [_invite_page(owner, org, address) for address in (existing, unknown)]
        assert [status for status, _ in pages] == [200, 200]
        assert _without(pages[0][1], existing, unknown) == _without(pages[1][1], existing, unknown)
        drain(site)
    bodies = {}
    for address in (existing, unknown):
        (message,) = inbox.to(address)
        bodies[address] = LINK.sub("LINK", message.get_content().replace(address, "ADDRESS"))
        assert message["Subject"] == inbox.to(existing)[0]["Subject"]
        delivery = _delivery(site, cast, org, address)
        assert delivery is not None
        assert delivery.status == "sent"
    assert bodies[existing] == bodies[unknown]


def test_a_server_it_cannot_reach_is_tried_again_and_the_owner_sees_why(site: Site, cast: Cast) -> None:
    org = _organization(site, cast)
    owner = site.client(cast.owner)
    email = f"nobody-{secrets.token_hex(4)}@example.com"
    port = free_port()  # nothing listens there yet
    with smtp_settings(site, port):
        status, _ = _invite_page(owner, org, email)
        # Before, the request itself failed (502) and withdrew the invitation; now it answers at once.
        assert status == 200
        drain(site)
        delivery = _delivery(site, cast, org, email)
        assert delivery is not None
        reason = f"could not reach the mail server at 127.0.0.1:{port} (Connection refused)"
        assert (delivery.status, delivery.attempts, delivery.last_error) == ("retrying", 1, reason)
        assert delivery.due_at > datetime.now(UTC) + timedelta(seconds=30)  # the back-off (60 s here)
        # The owner reads it on the page, in the page's language; the server's words stay as they were.
        german = owner.get(f"/orgs/{org}?lang=de").text
        assert '<td class="mail-state">neuer Versuch <span class="muted">' in german
        assert reason in german
        # The API says the same.
        with transaction(site.sessions) as db:
            api_token = accounts.create_api_token(db, cast.owner, "outbox")
        (listed,) = (
            site.client()
            .get(f"/api/v1/organizations/{org}/member-invitations", headers={"Authorization": f"Bearer {api_token}"})
            .json()
        )
        assert listed["mail"]["status"] == "retrying"
        assert listed["mail"]["attempts"] == 1
        assert listed["mail"]["last_error"] == reason
        with smtp_server() as (inbox, live_port):
            site.settings.smtp_port = live_port
            drain(site)
            assert inbox.messages == [], "nothing is sent again before its back-off has passed"
            with transaction(site.sessions) as db:  # the back-off passes
                db.execute(update(OutboxMessage).where(OutboxMessage.kind == "join").values(due_at=datetime.now(UTC)))
            drain(site)
    assert [to for to, _ in inbox.messages] == [[email]]
    delivery = _delivery(site, cast, org, email)
    assert delivery is not None
    assert (delivery.status, delivery.attempts) == ("sent", 2)


def test_a_bounced_address_shows_the_reason_and_is_not_tried_again(site: Site, cast: Cast) -> None:
    org = _organization(site, cast)
    owner = site.client(cast.owner)
    tag = secrets.token_hex(4)
    gone, fine = f"gone-{tag}@example.com", f"fine-{tag}@example.com"
    inbox = Inbox(refuse=lambda address: "550 No such user here" if address.startswith("gone-") else None)
    with smtp_server(inbox) as (_, port), smtp_settings(site, port, mail_retry_seconds=0):
        for address in (gone, fine):
            assert _invite_page(owner, org, address)[0] == 200
        for _ in range(3):  # however often the worker runs, a bounce is final
            drain(site)
    assert [to for to, _ in inbox.messages] == [[fine]]
    delivery = _delivery(site, cast, org, gone)
    assert delivery is not None
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("bounced", 1, "550 No such user here")
    with site.sessions() as db:
        bounced = db.scalar(select(MailRecipient.bounced_at).where(MailRecipient.address == gone))
        assert bounced is not None
    text = owner.get(f"/orgs/{org}").text
    assert "550 No such user here" in text
    assert '<td class="mail-state">bounced</td>' in text
    french = owner.get(f"/orgs/{org}?lang=fr").text
    assert "550 No such user here" in french
    assert '<td class="mail-state">bounced</td>' not in french, "the state is written in the page's language"


def test_a_server_that_keeps_refusing_for_now_ends_failed_after_the_last_attempt(site: Site, cast: Cast) -> None:
    org = _organization(site, cast)
    owner = site.client(cast.owner)
    email = f"later-{secrets.token_hex(4)}@example.com"
    inbox = Inbox(refuse=lambda address: "451 Try again later")
    with smtp_server(inbox) as (_, port), smtp_settings(site, port, mail_retry_seconds=0, mail_max_attempts=3):
        assert _invite_page(owner, org, email)[0] == 200
        for _ in range(5):
            drain(site)
    assert inbox.messages == []
    delivery = _delivery(site, cast, org, email)
    assert delivery is not None
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", 3, "451 Try again later")


def test_an_invitation_that_expired_before_it_went_out_is_not_sent(site: Site, cast: Cast) -> None:
    org = _organization(site, cast)
    email = f"late-{secrets.token_hex(4)}@example.com"
    with smtp_server() as (inbox, port), smtp_settings(site, port):
        with _no_worker(site), transaction(site.sessions) as db:
            made = member_invitations.invite(db, Actor(cast.owner), site.settings, org, email, "viewer")
            assert made.message_id is not None
            db.execute(
                update(MemberInvitation)
                .where(MemberInvitation.id == made.invitation_id)
                .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
        drain(site)
    assert inbox.messages == []
    with site.sessions() as db:
        message = db.get(OutboxMessage, made.message_id)
        assert message is not None
        assert (message.status, message.last_error) == ("cancelled", "the invitation expired before it went out")


def test_revoking_a_queued_invitation_takes_its_message_out_of_the_outbox(site: Site, cast: Cast) -> None:
    org = _organization(site, cast)
    owner = site.client(cast.owner)
    email = f"revoked-{secrets.token_hex(4)}@example.com"
    with smtp_server() as (inbox, port), smtp_settings(site, port):
        with _no_worker(site):
            assert _invite_page(owner, org, email)[0] == 200
            with site.sessions() as db:
                (pending,) = member_invitations.pending(db, Actor(cast.owner), org)
            revoked = owner.submit(f"/orgs/{org}", f"/orgs/{org}/member-invitations/{pending.id}/revoke")
            assert revoked.status_code == 303
        drain(site)
    assert inbox.messages == []
    with site.sessions() as db:
        assert db.scalar(select(MailRecipient).where(MailRecipient.address == email)) is None


def test_it_changes_only_members_roles(site: Site, cast: Cast) -> None:
    org = _organization(site, cast)
    user_id, email = _account(site)
    owner = site.client(cast.owner)
    # Not a member (whether or not the account exists): the same refusal, and nothing happens.
    for address in (email, f"nobody-{secrets.token_hex(4)}@example.com"):
        response = owner.submit(f"/orgs/{org}", f"/orgs/{org}/members", {"email": address, "role": "owner"})
        assert response.status_code == 422
        assert "no member of this organization has this e-mail" in response.text
    assert _role(site, user_id, org) is None
    with transaction(site.sessions) as db:
        db.add(Membership(user_id=user_id, organization_id=org, role="viewer"))
    response = owner.submit(f"/orgs/{org}", f"/orgs/{org}/members", {"email": email, "role": "facilitator"})
    assert response.status_code == 303
    assert _role(site, user_id, org) == "facilitator"
    # The last owner cannot step down.
    response = owner.submit(f"/orgs/{org}", f"/orgs/{org}/members", {"email": cast.emails["owner"], "role": "viewer"})
    assert response.status_code == 409
    assert _role(site, cast.owner, org) == "owner"


def test_one_account_sends_at_most_its_hourly_number_of_invitations(site: Site, cast: Cast) -> None:
    # Anyone may create organizations, so the limit of pending invitations per organization alone would not stop an
    # account from sending mail in bulk through the server.
    sender, _ = _account(site)
    with transaction(site.sessions) as db:
        orgs = [organizations.create(db, Actor(sender), f"Sender {n}").id for n in range(2)]
    limit = member_invitations.SENDER_LIMIT.failures
    with transaction(site.sessions) as db:
        for n in range(limit):
            member_invitations.invite(db, Actor(sender), site.settings, orgs[n % 2], f"bulk-{n}@example.com", "viewer")
    client = site.client(sender)
    response = client.submit(
        f"/orgs/{orgs[0]}", f"/orgs/{orgs[0]}/member-invitations", {"email": "one-more@example.com", "role": "viewer"}
    )
    assert response.status_code == 429
    assert f"you sent {limit} invitations within an hour" in response.text
    assert response.headers["retry-after"].isdigit()
