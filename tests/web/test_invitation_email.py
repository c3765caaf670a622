"""Invitations by e-mail through a real SMTP server (aiosmtpd on the loopback interface), and a clear page when the
server cannot be reached."""

from __future__ import annotations

import re
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from cxmaturity.services import assessments, mail, respond
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import AuditEvent
from tests.web.conftest import Cast, Site


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()  # aiosmtpd's Controller cannot be given port 0
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@contextmanager
def smtp_settings(site: Site, port: int) -> Iterator[None]:
    saved = (site.settings.smtp_host, site.settings.smtp_port, site.settings.mail_from)
    site.settings.smtp_host, site.settings.smtp_port = "127.0.0.1", port
    site.settings.mail_from = "surveys@example.org"
    try:
        yield
    finally:
        site.settings.smtp_host, site.settings.smtp_port, site.settings.mail_from = saved


def _assessment(site: Site, cast: Cast) -> tuple[int, int]:
    """A new open assessment of organization A with one group; return its id and the group's id."""
    actor = Actor(cast.facilitator)
    with transaction(site.sessions) as db:
        assessment = assessments.create(
            db, actor, cast.org_a, f"Mail test {secrets.token_hex(3)}", "builtin:xm-six-competencies", groups=["Sales"]
        )
        assessments.set_status(db, actor, assessment.id, "open")
        (group,) = assessments.groups(db, assessment.id)
        return assessment.id, group.id


def _invited(site: Site, cast: Cast, assessment_id: int) -> int:
    with site.sessions() as db:
        return sum(r.invited for r in assessments.response_rates(db, Actor(cast.facilitator), assessment_id))


def test_it_sends_one_message_per_address_with_a_working_link(site: Site, cast: Cast) -> None:
    assessment_id, group_id = _assessment(site, cast)
    client = site.client(cast.facilitator)
    page = f"/assessments/{assessment_id}"
    tag = secrets.token_hex(3)
    addresses = [f"ana-{tag}@example.com", f"bo.lee+{tag}@example.co.uk"]
    with smtp_server() as (inbox, port), smtp_settings(site, port):
        assert "Addresses are used to send the invitations and then forgotten" in client.get(page).text
        response = client.submit(
            page,
            f"{page}/invitations",
            {
                "group": str(group_id),
                "delivery": "email",
                "count": "1",  # ignored: one link per address
                "emails": f"{addresses[0]}\n\n  {addresses[1]}  \n{addresses[0].upper()}\n",
            },
        )
    assert response.status_code == 303
    assert response.headers["location"] == f"{page}?sent=2#invitations"
    assert (
        "Sent 2 invitations by e-mail. The addresses were not stored." in client.get(response.headers["location"]).text
    )
    assert sorted(to for to, _ in inbox.messages) == [[addresses[0]], [addresses[1]]]
    links = []
    for to, message in inbox.messages:
        assert message["To"] == to[0]
        assert message["From"] == "surveys@example.org"
        assert message["Subject"].startswith("Your view, please: Mail test ")
        body = message.get_content()
        assert "Facilitator (facilitator-" in body
        assert "at Organization A invites you" in body
        assert "Your answers are anonymous" in body
        assert "It takes about 12 minutes" in body
        found = re.findall(r"https://testserver/r/[A-Za-z0-9_-]+", body)
        assert len(found) == 1
        links.append(found[0])
    assert len(set(links)) == 2
    for link in links:
        token = link.rsplit("/", 1)[1]
        assert site.client().get(f"/r/{token}").status_code == 200
        with site.sessions() as db:
            assert respond.visit(db, token).group == "Sales"
    assert _invited(site, cast, assessment_id) == 2
    with site.sessions() as db:
        details = [str(e.detail) + e.target for e in db.scalars(select(AuditEvent))]
    assert not [d for d in details if tag in d], "e-mail addresses must never be stored"


def test_it_says_clearly_when_the_mail_server_is_unreachable(site: Site, cast: Cast) -> None:
    assessment_id, group_id = _assessment(site, cast)
    client = site.client(cast.facilitator)
    page = f"/assessments/{assessment_id}"
    port = _free_port()  # nothing listens there
    with smtp_settings(site, port):
        response = client.submit(
            page,
            f"{page}/invitations",
            {"group": str(group_id), "delivery": "email", "emails": "ana@example.com\nbo@example.com"},
        )
    assert response.status_code == 502
    assert f"could not reach the mail server at 127.0.0.1:{port} (Connection refused)" in response.text
    assert "Traceback" not in response.text
    # The addresses are still in the form to try again, and the links that were never sent are gone.
    assert "ana@example.com\nbo@example.com</textarea>" in response.text
    assert _invited(site, cast, assessment_id) == 0


def test_it_withdraws_only_the_links_that_were_not_sent(site: Site, cast: Cast) -> None:
    assessment_id, group_id = _assessment(site, cast)
    client = site.client(cast.facilitator)
    page = f"/assessments/{assessment_id}"

    class Refusing(Inbox):
        async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
            self, server: Any, session: Any, envelope: Any, address: str, options: Any
        ) -> str:
            if address.startswith("nobody@"):
                return "550 No such user here"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    inbox = Refusing()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with smtp_settings(site, port):
            response = client.submit(
                page,
                f"{page}/invitations",
                {
                    "group": str(group_id),
                    "delivery": "email",
                    "emails": "ana@example.com\nnobody@example.com\ncy@example.com",
                },
            )
    finally:
        controller.stop()
    assert response.status_code == 502
    assert (
        f"the mail server at 127.0.0.1:{port} refused the address nobody@example.com "
        "(1 of 3 invitations were sent before that)"
    ) in response.text
    assert "nobody@example.com\ncy@example.com</textarea>" in response.text
    assert [to for to, _ in inbox.messages] == [["ana@example.com"]]
    assert _invited(site, cast, assessment_id) == 1


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("ana@example.com", True),
        ("a.b+c@sub.example.org", True),
        ("no-at-sign.example.com", False),
        ("two@@example.com", False),
        ("Ana <ana@example.com>", False),
        ("ana@example.com, bo@example.com", False),
        ("ana@example", False),
        ("ana@exämple.com", False),
        ("ana@example.com\r\nBcc: all@example.com", False),
    ],
)
def test_it_accepts_only_plain_addresses(address: str, ok: bool) -> None:
    assert mail.valid_address(address) is ok
