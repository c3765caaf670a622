"""Invitations by e-mail: the page queues them, the queue's worker sends them through a real SMTP server (aiosmtpd
on the loopback interface), and the outbox says what became of each one: sent, retried, bounced."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from cxmaturity.services import assessments, mail, outbox, respond
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import AuditEvent, MailRecipient, OutboxMessage
from tests.support.queue import drain, mail_settings
from tests.support.smtp import LINK, Inbox, free_port, smtp_server
from tests.web.conftest import Cast, Site


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


def _box(site: Site, cast: Cast, assessment_id: int) -> outbox.Outbox:
    with site.sessions() as db:
        return outbox.outbox(db, Actor(cast.facilitator), assessment_id)


def _invite(site: Site, cast: Cast, assessment_id: int, group_id: int, emails: str) -> str:
    client = site.client(cast.facilitator)
    page = f"/assessments/{assessment_id}"
    response = client.submit(
        page,
        f"{page}/invitations",
        {"group": str(group_id), "delivery": "email", "count": "1", "emails": emails},
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def test_it_queues_the_invitations_and_the_worker_sends_each_once_with_a_working_link(site: Site, cast: Cast) -> None:
    assessment_id, group_id = _assessment(site, cast)
    client = site.client(cast.facilitator)
    page = f"/assessments/{assessment_id}"
    tag = secrets.token_hex(3)
    addresses = [f"ana-{tag}@example.com", f"bo.lee+{tag}@example.co.uk"]
    with smtp_server() as (inbox, port), mail_settings(site, port):
        assert "Invitations are queued and sent in the background" in client.get(page).text
        location = _invite(site, cast, assessment_id, group_id, f"{addresses[0]}\n\n  {addresses[1]}  \n")
        assert location == f"{page}?queued=2#invitations"
        assert "Queued 2 invitations by e-mail" in client.get(location).text
        drain(site)
        drain(site)  # a second round finds nothing left to send
        # The same addresses again: already invited, not invited twice.
        again = _invite(site, cast, assessment_id, group_id, addresses[0].upper())
        assert again == f"{page}?queued=0&skipped=1#invitations"
        drain(site)
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
        found = LINK.findall(body)
        assert len(found) == 1
        links.append(found[0])
    assert len(set(links)) == 2
    for link in links:
        token = link.rsplit("/", 1)[1]
        assert site.client().get(f"/r/{token}").status_code == 200
        with site.sessions() as db:
            assert respond.visit(db, token).group == "Sales"
    assert _invited(site, cast, assessment_id) == 2
    box = _box(site, cast, assessment_id)
    assert box.counts["sent"] == 2
    assert sum(box.counts.values()) == 2
    assert {e.address for e in box.entries} == set(addresses)
    assert all(e.attempts == 1 and e.sent_at is not None for e in box.entries)
    assert all(e.last_error.startswith("250 ") for e in box.entries)
    with site.sessions() as db:
        details = [str(e.detail) + e.target for e in db.scalars(select(AuditEvent))]
    assert not [d for d in details if tag in d], "e-mail addresses never go into the audit log"
    # The outbox page shows the addresses and what became of them, never the links.
    text = client.get(f"/assessments/{assessment_id}/mail").text
    assert addresses[0] in text
    assert "sent: 2" in text
    assert "/r/" not in text


def test_it_retries_a_server_it_cannot_reach_and_says_why(site: Site, cast: Cast) -> None:
    assessment_id, group_id = _assessment(site, cast)
    port = free_port()  # nothing listens there yet
    with mail_settings(site, port):
        _invite(site, cast, assessment_id, group_id, "ana@example.com\nbo@example.com")
        drain(site)
        box = _box(site, cast, assessment_id)
        assert box.counts["retrying"] == 2, box
        assert all(
            e.last_error == f"could not reach the mail server at 127.0.0.1:{port} (Connection refused)"
            for e in box.entries
        )
        # Not before the back-off (CXM_MAIL_RETRY_SECONDS, 60 s here) has passed.
        assert all(e.due_at > datetime.now(UTC) + timedelta(seconds=30) for e in box.entries)
        # The links stay: the server is expected back.
        assert _invited(site, cast, assessment_id) == 2
        with smtp_server() as (inbox, live_port):
            site.settings.smtp_port = live_port
            drain(site)
            assert inbox.messages == [], "nothing is sent again before its back-off has passed"
            with transaction(site.sessions) as db:  # the back-off passes
                db.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.assessment_id == assessment_id)
                    .values(due_at=datetime.now(UTC))
                )
            drain(site)
    assert sorted(to[0] for to, _ in inbox.messages) == ["ana@example.com", "bo@example.com"]
    box = _box(site, cast, assessment_id)
    assert box.counts["sent"] == 2
    assert all(e.attempts == 2 for e in box.entries)


def test_it_shows_a_bounced_address_and_never_tries_it_again(site: Site, cast: Cast) -> None:
    assessment_id, group_id = _assessment(site, cast)
    inbox = Inbox(refuse=lambda address: "550 No such user here" if address.startswith("nobody@") else None)
    with smtp_server(inbox) as (_, port), mail_settings(site, port, mail_retry_seconds=0):
        _invite(site, cast, assessment_id, group_id, "ana@example.com\nnobody@example.com\ncy@example.com")
        drain(site)
        drain(site)
    assert sorted(to[0] for to, _ in inbox.messages) == ["ana@example.com", "cy@example.com"]
    box = _box(site, cast, assessment_id)
    assert box.counts["sent"] == 2
    assert box.counts["bounced"] == 1
    assert box.bounced_addresses == ["nobody@example.com"]
    (bounced,) = [e for e in box.entries if e.status == "bounced"]
    assert bounced.attempts == 1
    assert bounced.last_error == "550 No such user here"
    text = site.client(cast.facilitator).get(f"/assessments/{assessment_id}/mail").text
    assert "These addresses bounced" in text
    assert "550 No such user here" in text


def test_it_gives_up_after_the_last_attempt_and_can_try_again(site: Site, cast: Cast) -> None:
    assessment_id, group_id = _assessment(site, cast)
    inbox = Inbox(refuse=lambda address: "451 Try again later")
    with smtp_server(inbox) as (_, port), mail_settings(site, port, mail_retry_seconds=0, mail_max_attempts=3):
        _invite(site, cast, assessment_id, group_id, "ana@example.com")
        for _ in range(4):
            drain(site)
        (entry,) = _box(site, cast, assessment_id).entries
        assert (entry.status, entry.attempts, entry.last_error) == ("failed", 3, "451 Try again later")
        inbox.refuse = None
        client = site.client(cast.facilitator)
        page = f"/assessments/{assessment_id}/mail"
        assert client.submit(page, f"/assessments/{assessment_id}/outbox/retry").status_code == 303
        drain(site)
    assert [to[0] for to, _ in inbox.messages] == ["ana@example.com"]
    assert _box(site, cast, assessment_id).counts["sent"] == 1


def test_it_backs_off_four_times_longer_each_time() -> None:
    from cxmaturity.services.delivery import MAX_BACKOFF, backoff
    from cxmaturity.settings import Settings

    settings = Settings(mail_retry_seconds=60)
    assert [backoff(settings, n).total_seconds() for n in (1, 2, 3, 4)] == [60, 240, 960, 3840]
    assert backoff(settings, 20) == MAX_BACKOFF


def test_it_refuses_to_queue_mail_when_no_server_is_set_up(site: Site, cast: Cast) -> None:
    assessment_id, group_id = _assessment(site, cast)
    client = site.client(cast.facilitator)
    page = f"/assessments/{assessment_id}"
    response = client.submit(
        page, f"{page}/invitations", {"group": str(group_id), "delivery": "email", "emails": "ana@example.com"}
    )
    assert response.status_code == 409
    assert "e-mail is not set up on this server" in response.text
    assert _invited(site, cast, assessment_id) == 0


def test_it_takes_back_messages_of_a_worker_that_stopped(site: Site, cast: Cast) -> None:
    """A worker killed before the final dot leaves ``sending``: sent again. Killed after it leaves ``handed``: the
    server had the whole message, so it is counted as sent and never sent again."""
    assessment_id, group_id = _assessment(site, cast)
    with smtp_server() as (inbox, port), mail_settings(site, port):
        with transaction(site.sessions) as db:
            invited = outbox.invite_by_email(
                db,
                Actor(cast.facilitator),
                site.settings,
                assessment_id,
                group_id,
                ["a@example.com", "b@example.com"],
                10,
            )
        first, second = invited.message_ids
        long_ago = datetime.now(UTC) - timedelta(seconds=site.settings.queue_lease_seconds + 5)
        with transaction(site.sessions) as db:
            db.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == first)
                .values(status="sending", claim="x", claimed_at=long_ago, attempts=1)
            )
            db.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == second)
                .values(status="handed", claim="y", claimed_at=long_ago, attempts=1)
            )
        drain(site)
    assert [to[0] for to, _ in inbox.messages] == ["a@example.com"]
    with site.sessions() as db:
        rows = {m.id: m for m in db.scalars(select(OutboxMessage).where(OutboxMessage.id.in_([first, second])))}
    assert (rows[first].status, rows[first].attempts) == ("sent", 2)
    assert rows[second].status == "sent"
    assert "its answer was not seen" in rows[second].last_error


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


def test_it_keeps_the_link_sealed(site: Site, cast: Cast) -> None:
    assessment_id, group_id = _assessment(site, cast)
    with transaction(site.sessions) as db:
        outbox.invite_by_email(
            db, Actor(cast.facilitator), site.settings, assessment_id, group_id, ["sealed@example.com"], 10
        )
    with site.sessions() as db:
        recipient = db.scalars(select(MailRecipient).where(MailRecipient.assessment_id == assessment_id)).one()
    assert not re.fullmatch(r"[A-Za-z0-9_-]{20,64}", recipient.sealed_token)
    from cxmaturity.services import sealing

    token = sealing.unseal(site.settings.secret_key, recipient.sealed_token)
    assert token is not None
    assert sealing.unseal("another-secret-" + "y" * 40, recipient.sealed_token) is None
    with transaction(site.sessions) as db:  # leave nothing queued for the other tests' servers
        db.execute(update(OutboxMessage).where(OutboxMessage.assessment_id == assessment_id).values(status="cancelled"))


def test_it_never_sends_again_a_message_whose_answer_was_lost_after_the_final_dot(site: Site, cast: Cast) -> None:
    """The server has the whole message when the connection breaks before its answer: sending it again could deliver
    it twice, so it counts as sent."""
    assessment_id, group_id = _assessment(site, cast)

    class Hanging(Inbox):
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            reply = await super().handle_DATA(server, session, envelope)
            server.transport.abort()  # the connection breaks before the answer goes out
            return reply

    with smtp_server(Hanging()) as (inbox, port), mail_settings(site, port, mail_retry_seconds=0):
        address = f"lost-{secrets.token_hex(3)}@example.com"
        _invite(site, cast, assessment_id, group_id, address)
        drain(site)
        drain(site)
    assert len(inbox.to(address)) == 1
    (entry,) = _box(site, cast, assessment_id).entries
    assert entry.status == "sent"
    assert entry.attempts == 1
    assert "the connection broke after the whole message was handed to the mail server" in entry.last_error
