"""An invitation to join an organization is written in the language the owner chose (issue 16), on SQLite and
PostgreSQL, through a real SMTP server (aiosmtpd) and the queue's worker.

The owner picks the language on the organization page (the page's own language by default) or gives it to the API;
the worker writes the e-mail in it, its link opens the sign-in and join pages in it, and an English invitation is the
very message it was before languages were stored. The organization page answers the same whether or not the address
has an account, in any language. Addresses and organizations are SYNTHETIC.
"""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select

from cxmaturity.services import accounts, organizations
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import MemberInvitation
from tests.support.queue import drain
from tests.support.queue import mail_settings as smtp_settings
from tests.support.smtp import smtp_server
from tests.web.client import WebClient
from tests.web.conftest import PASSWORD, Cast, Site

LINK = re.compile(r"https://testserver/join/([A-Za-z0-9_-]+)(\?lang=[a-z]+)?")

#: The English e-mail exactly as it was written before invitations kept a language (captured from that code).
ENGLISH_BODY = (
    "Hello,\n"
    "\n"
    "Owner (OWNER) invites you to join ORG on cx-maturity as facilitator.\n"
    "\n"
    "Open this link, sign in (or create an account with any address), and accept or decline:\n"
    "\n"
    "    https://testserver/join/TOKEN\n"
    "\n"
    "The link works once and expires in 7 days. If you did not expect this, ignore this message: nothing happens "
    "unless you accept.\n"
)


def _organization(site: Site, cast: Cast) -> tuple[int, str]:
    name = f"SYNTHETIC Sprachen {secrets.token_hex(3)}"
    with transaction(site.sessions) as db:
        return organizations.create(db, Actor(cast.owner), name).id, name


def _account(site: Site) -> tuple[int, str]:
    email = f"someone-{secrets.token_hex(4)}@example.com"
    with transaction(site.sessions) as db:
        return accounts.sign_up(db, email, PASSWORD).id, email


def _invite(client: WebClient, org: int, email: str, role: str, **fields: str) -> tuple[int, str]:
    response = client.submit(
        f"/orgs/{org}", f"/orgs/{org}/member-invitations", {"email": email, "role": role, **fields}
    )
    return response.status_code, response.text


def _stored_language(site: Site, org: int, email: str) -> str:
    with site.sessions() as db:
        found = db.scalar(
            select(MemberInvitation.language).where(
                MemberInvitation.organization_id == org, MemberInvitation.email == email
            )
        )
        assert found is not None
        return found


def _without(text: str, *addresses: str) -> str:
    """The page without what differs between two invitations: the address, the link and the pending list."""
    text = re.sub(r'<table id="pending-invitations">.*?</table>', "", text, flags=re.DOTALL)
    for address in addresses:
        text = text.replace(address, "ADDRESS")
    return LINK.sub("LINK", text)


def test_a_german_invitation_arrives_in_german_and_opens_german_pages(site: Site, cast: Cast) -> None:
    org, name = _organization(site, cast)
    owner = site.client(cast.owner)
    user_id, existing = _account(site)
    unknown = f"nobody-{secrets.token_hex(4)}@example.com"
    with smtp_server() as (inbox, port), smtp_settings(site, port):
        pages = [_invite(owner, org, address, "facilitator", language="de") for address in (existing, unknown)]
        # The owner's page (English here) answers the same for an address with an account and one without.
        assert [status for status, _ in pages] == [200, 200]
        assert _without(pages[0][1], existing, unknown) == _without(pages[1][1], existing, unknown)
        drain(site)
    assert _stored_language(site, org, existing) == "de"
    messages = [inbox.to(address) for address in (existing, unknown)]
    assert [len(m) for m in messages] == [1, 1]
    ((message,), (other,)) = messages
    assert message["Subject"] == f"Treten Sie {name} auf cx-maturity bei"
    assert message["Content-Language"] == "de"
    body = message.get_content().replace("\r\n", "\n")  # SMTP's line ends
    assert body.startswith("Guten Tag,\n\n")
    assert f"lädt Sie ein, {name} auf cx-maturity mit der Rolle „Moderation“ beizutreten." in body
    assert "Öffnen Sie diesen Link, melden Sie sich an" in body
    assert "läuft in 7 Tagen ab" in body
    for english in ("Hello", "invites you", "Open this link", "expires", " as facilitator"):
        assert english not in body
    # The same message for both addresses: nothing in it tells whether the address has an account.
    assert LINK.sub("LINK", body.replace(existing, "A")) == LINK.sub(
        "LINK", other.get_content().replace("\r\n", "\n").replace(unknown, "A")
    )
    found = LINK.search(body)
    assert found is not None
    assert found.group(2) == "?lang=de"
    token = found.group(1)
    # Not signed in: the sign-in page, in German, comes first.
    visitor = site.client()
    response = visitor.get(f"/join/{token}?lang=de")
    assert response.status_code == 303
    assert response.headers["location"] == f"/signin?next=/join/{token}&lang=de"
    assert '<html lang="de"' in visitor.get(response.headers["location"]).text
    # Signed in: the join page is in the link's language, and in the invitation's when the browser names none of ours.
    invited = site.client(user_id)
    page = invited.get(f"/join/{token}?lang=de").text
    assert '<html lang="de"' in page
    assert "<strong>Moderation</strong>" in page
    bare = site.client(user_id)
    assert '<html lang="de"' in bare.get(f"/join/{token}", headers={"Accept-Language": "it, pt;q=0.5"}).text
    assert '<html lang="de"' in bare.get(f"/join/{token}").text
    # The visitor's browser (or choice) says otherwise: its language wins.
    english = site.client(user_id).get(f"/join/{token}", headers={"Accept-Language": "en-GB"}).text
    assert '<html lang="en"' in english
    assert "as <strong>facilitator</strong>" in english
    # Declining says so in the page's language.
    declined = invited.submit(f"/join/{token}?lang=de", f"/join/{token}/decline")
    assert "Einladung abgelehnt" in declined.text


def test_an_english_invitation_is_the_message_it_always_was(site: Site, cast: Cast) -> None:
    org, name = _organization(site, cast)
    owner = site.client(cast.owner)
    _, email = _account(site)
    with smtp_server() as (inbox, port), smtp_settings(site, port):
        status, _ = _invite(owner, org, email, "facilitator", language="en")
        assert status == 200
        drain(site)
    ((message,),) = [inbox.to(email)]
    assert _stored_language(site, org, email) == "en"
    assert message["Subject"] == f"Join {name} on cx-maturity"
    assert message["Content-Language"] == "en"
    assert message["Content-Type"] == 'text/plain; charset="utf-8"'
    assert message["Content-Transfer-Encoding"] == "quoted-printable"
    owner_address = cast.emails["owner"]
    # SMTP carries lines ended by CRLF; the message was written with LF.
    body = message.get_content().replace("\r\n", "\n").replace(owner_address, "OWNER").replace(name, "ORG")
    # No ?lang= on an English link: the visitor's browser chooses the pages' language, as it always did.
    assert re.sub(r"/join/[A-Za-z0-9_-]+", "/join/TOKEN", body) == ENGLISH_BODY


def test_the_form_offers_each_language_in_its_own_words_the_page_s_chosen(site: Site, cast: Cast) -> None:
    org, _ = _organization(site, cast)
    owner = site.client(cast.owner)
    french = owner.get(f"/orgs/{org}?lang=fr").text
    select_ = re.search(r'<select id="member-language" name="language">(.*?)</select>', french, re.DOTALL)
    assert select_ is not None
    options = re.findall(r'<option value="(\w+)" lang="\w+"( selected)?>([^<]+)</option>', select_.group(1))
    assert options == [
        ("en", "", "English"),
        ("de", "", "Deutsch"),
        ("fr", " selected", "Français"),
        ("es", "", "Español"),
    ]
    # A form sent without a language (an older page) takes the page's: the cookie picked French above.
    _, email = _account(site)
    status, _ = _invite(owner, org, email, "viewer")
    assert status == 200
    assert _stored_language(site, org, email) == "fr"
    # A language the product does not speak is refused beside the form, in the page's language; nothing is stored.
    other = f"nobody-{secrets.token_hex(4)}@example.com"
    status, page = _invite(owner, org, other, "viewer", language="it")
    assert status == 422
    assert "la langue doit être l’une de en, de, fr, es" in page
    with site.sessions() as db:
        assert db.scalar(select(MemberInvitation).where(MemberInvitation.email == other)) is None


def test_the_api_takes_a_language_and_refuses_an_unknown_one(site: Site, cast: Cast) -> None:
    org, _ = _organization(site, cast)
    api = site.client()
    with transaction(site.sessions) as db:
        token = accounts.create_api_token(db, cast.owner, "invite in languages")
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/organizations/{org}/member-invitations"
    spanish = f"es-{secrets.token_hex(4)}@example.com"
    answer = api.post(url, json={"email": spanish, "role": "viewer", "language": "es"}, headers=headers)
    assert answer.status_code == 202
    assert answer.json()["language"] == "es"
    # No e-mail set up here: the link handed over opens the pages in Spanish too.
    assert answer.json()["link"].endswith("?lang=es")
    pending = api.get(url, headers=headers).json()
    assert [p["language"] for p in pending if p["email"] == spanish] == ["es"]
    refused = api.post(url, json={"email": "it@example.com", "role": "viewer", "language": "it"}, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["field"] == "language"
    assert refused.json()["detail"] == "language must be one of en, de, fr, es"
    with site.sessions() as db:
        assert db.scalar(select(MemberInvitation).where(MemberInvitation.email == "it@example.com")) is None
