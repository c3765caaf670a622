"""Members join an organization by an invitation they accept (issue 12, finding 4), on SQLite and PostgreSQL.

Before, an owner "added" an account by its e-mail: the page answered 303 for an address with an account and 404 for
one without, and the account became a member without being asked. Now inviting answers the same either way, the link
goes to the address (a real SMTP server here, aiosmtpd), works once and expires, and only accepting makes a member.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from cxmaturity.services import accounts, member_invitations, organizations
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import MemberInvitation, Membership
from tests.support.queue import mail_settings as smtp_settings
from tests.support.smtp import free_port as _free_port
from tests.support.smtp import smtp_server
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
    text = re.sub(r"<h3>Pending invitations</h3>.*?</table>", "", text, flags=re.DOTALL)
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
    assert {tuple(sorted(b)) for b in bodies} == {("delivery", "email", "expires_at", "link", "role")}
    assert [b["delivery"] for b in bodies] == ["link", "link"]
    assert _role(site, cast.outsider, org) is None
    pending = api.get(f"/api/v1/organizations/{org}/member-invitations", headers=headers).json()
    assert sorted(p["email"] for p in pending) == sorted([existing, unknown, cast.emails["outsider"], other])


def test_it_emails_a_single_use_link_and_only_accepting_makes_a_member(site: Site, cast: Cast) -> None:
    org = _organization(site, cast)
    owner = site.client(cast.owner)
    user_id, email = _account(site)
    with smtp_server() as (inbox, port), smtp_settings(site, port):
        status, page = _invite_page(owner, org, email.upper(), "facilitator")
    assert status == 200
    assert f"Invitation to {email} as facilitator sent by e-mail." in page
    assert not LINK.search(page), "an e-mailed link is never shown to the owner"
    ((to, message),) = inbox.messages
    assert to == [email]
    assert message["Subject"].startswith("Join Join test ")
    body = message.get_content()
    assert "Owner (owner-" in body
    assert "as facilitator" in body
    assert "expires in 7 days" in body
    (token,) = LINK.findall(body)
    # Only a digest of the token is stored.
    with site.sessions() as db:
        stored = db.scalar(select(MemberInvitation).where(MemberInvitation.organization_id == org))
        assert stored is not None
        assert token not in repr(vars(stored))
        assert len(stored.token_hash) == 64
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
    # Single use: the link is gone, for the invited person and for anyone else, and no longer pending.
    assert invited.get(f"/join/{token}").status_code == 404
    assert site.client(cast.outsider).get(f"/join/{token}").status_code == 404
    with site.sessions() as db:
        assert member_invitations.pending(db, Actor(cast.owner), org) == []


def test_it_makes_no_member_when_declined_revoked_or_expired(site: Site, cast: Cast) -> None:
    org = _organization(site, cast)
    user_id, email = _account(site)
    invited = site.client(user_id)
    tokens = []
    for _ in range(3):
        with transaction(site.sessions) as db:
            made = member_invitations.invite(db, Actor(cast.owner), org, email, "viewer")
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
        made = member_invitations.invite(db, Actor(cast.owner), org, email, "viewer")
    owner = site.client(cast.owner)
    assert f"/member-invitations/{made.invitation_id}/revoke" in owner.get(f"/orgs/{org}").text
    revoked = owner.submit(f"/orgs/{org}", f"/orgs/{org}/member-invitations/{made.invitation_id}/revoke")
    assert revoked.status_code == 303
    assert invited.get(f"/join/{made.token}").status_code == 404
    # Expired.
    with transaction(site.sessions) as db:
        made = member_invitations.invite(db, Actor(cast.owner), org, email, "viewer")
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
    assert (offer["organization_id"], offer["role"], offer["email"]) == (org, "viewer", email)
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


def test_it_withdraws_an_invitation_whose_mail_failed(site: Site, cast: Cast) -> None:
    org = _organization(site, cast)
    owner = site.client(cast.owner)
    port = _free_port()  # nothing listens there
    with smtp_settings(site, port):
        status, page = _invite_page(owner, org, f"nobody-{secrets.token_hex(4)}@example.com")
    assert status == 502
    assert f"could not reach the mail server at 127.0.0.1:{port}" in page
    with site.sessions() as db:
        assert member_invitations.pending(db, Actor(cast.owner), org) == []


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
            member_invitations.invite(db, Actor(sender), orgs[n % 2], f"bulk-{n}@example.com", "viewer")
    client = site.client(sender)
    response = client.submit(
        f"/orgs/{orgs[0]}", f"/orgs/{orgs[0]}/member-invitations", {"email": "one-more@example.com", "role": "viewer"}
    )
    assert response.status_code == 429
    assert f"you sent {limit} invitations within an hour" in response.text
    assert response.headers["retry-after"].isdigit()
