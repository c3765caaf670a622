"""Scheduled opening and closing, reminders to those who have not finished and closing notices, sent by the queue's
worker and counted by a real SMTP server, on SQLite and PostgreSQL; and the schedule's and outbox's API."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from cxmaturity.services import assessments, outbox, schedule
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Assessment, Invitation, MailRecipient, OutboxMessage
from tests.support.queue import drain, mail_settings
from tests.support.smtp import LINK, smtp_server
from tests.web.conftest import Cast, Site
from tests.web.test_api import api, ok


def _assessment(site: Site, cast: Cast, status: str = "open") -> int:
    actor = Actor(cast.facilitator)
    with transaction(site.sessions) as db:
        created = assessments.create(
            db, actor, cast.org_a, f"Schedule {secrets.token_hex(3)}", "builtin:xm-six-competencies", groups=["All"]
        )
        if status == "open":
            assessments.set_status(db, actor, created.id, "open")
        return created.id


def _invite(site: Site, cast: Cast, assessment_id: int, addresses: list[str]) -> None:
    with transaction(site.sessions) as db:
        invited = outbox.invite_by_email(db, Actor(cast.facilitator), site.settings, assessment_id, None, addresses, 50)
    site.app.state.jobs.enqueue(invited.message_ids)


def _finish(site: Site, assessment_id: int, address: str) -> None:
    # Finishing through the respondent's pages is tested in tests/web/test_respond.py; here only its mark matters.
    with transaction(site.sessions) as db:
        recipient = db.scalars(
            select(MailRecipient).where(MailRecipient.assessment_id == assessment_id, MailRecipient.address == address)
        ).one()
        db.execute(
            update(Invitation).where(Invitation.id == recipient.invitation_id).values(completed_at=datetime.now(UTC))
        )


def _at(site: Site, moment: datetime) -> list[int]:
    """Run the schedules as a worker would at ``moment``; the messages it queues are then due at once (the test's
    clock is ahead of the real one)."""
    queued = schedule.follow_up(site.sessions, moment)
    with transaction(site.sessions) as db:
        db.execute(update(OutboxMessage).where(OutboxMessage.id.in_(queued)).values(due_at=datetime.now(UTC)))
    return queued


def _kinds(inbox: Any, address: str) -> list[str]:
    return [str(m["Subject"]).split(":")[0] for m in inbox.to(address)]


def test_it_reminds_those_not_finished_at_most_n_times_and_tells_everyone_when_it_closes(
    site: Site, cast: Cast
) -> None:
    assessment_id = _assessment(site, cast)
    tag = secrets.token_hex(3)
    ana, bo, cy = (f"{name}-{tag}@example.com" for name in ("ana", "bo", "cy"))
    closes = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
    with transaction(site.sessions) as db:
        schedule.set_schedule(
            db, Actor(cast.facilitator), assessment_id, schedule.Schedule(None, closes, [7, 2, 1], 2, True, "")
        )
    with smtp_server() as (inbox, port), mail_settings(site, port):
        _invite(site, cast, assessment_id, [ana, bo, cy])
        drain(site)
        assert sorted(to[0] for to, _ in inbox.messages) == sorted([ana, bo, cy])
        _finish(site, assessment_id, ana)
        # Nothing is due yet: 10 days before the close.
        assert _at(site, datetime.now(UTC)) == []
        # 7 days before: bo and cy, who have not finished.
        week_before = closes - timedelta(days=7) + timedelta(minutes=1)
        assert len(_at(site, week_before)) == 2
        assert _at(site, week_before) == [], "a round is queued once"
        drain(site)
        _finish(site, assessment_id, bo)
        # 2 days before: only cy; 1 day before: cy has had 2 reminders, the most allowed.
        assert len(_at(site, closes - timedelta(days=2, minutes=-1))) == 1
        drain(site)
        assert _at(site, closes - timedelta(days=1, minutes=-1)) == []
        # The close: the worker closes the assessment and everyone gets the same closing notice.
        assert len(_at(site, closes + timedelta(minutes=1))) == 3
        drain(site)
        assert _at(site, closes + timedelta(minutes=5)) == []
        drain(site)
    assert _kinds(inbox, ana) == ["Your view, please", "Closed"]
    assert _kinds(inbox, bo) == ["Your view, please", "Reminder", "Closed"]
    assert _kinds(inbox, cy) == ["Your view, please", "Reminder", "Reminder", "Closed"]
    # A reminder carries the same personal link as the invitation.
    (invitation, first, second, _closed) = inbox.to(cy)
    assert LINK.findall(first.get_content()) == LINK.findall(invitation.get_content())
    assert LINK.findall(second.get_content()) == LINK.findall(invitation.get_content())
    assert "until" in first.get_content()
    assert LINK.findall(_closed.get_content()) == []
    with site.sessions() as db:
        closed = db.get(Assessment, assessment_id)
        assert closed is not None
        assert closed.status == "closed"
        box = outbox.outbox(db, Actor(cast.facilitator), assessment_id)
    assert box.counts["sent"] == 3 + 3 + 3
    assert sum(box.counts.values()) == 9


def test_it_opens_a_draft_at_its_time_and_sends_its_invitations_then(site: Site, cast: Cast) -> None:
    assessment_id = _assessment(site, cast, status="draft")
    opens = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    address = f"early-{secrets.token_hex(3)}@example.com"
    with transaction(site.sessions) as db:
        schedule.set_schedule(
            db, Actor(cast.facilitator), assessment_id, schedule.Schedule(opens, None, [], 2, False, "")
        )
    with smtp_server() as (inbox, port), mail_settings(site, port):
        _invite(site, cast, assessment_id, [address])
        drain(site)
        assert inbox.to(address) == [], "not before the assessment opens"
        schedule.follow_up(site.sessions, opens + timedelta(minutes=1))
        with transaction(site.sessions) as db:  # its opening time has come
            db.execute(
                update(OutboxMessage)
                .where(OutboxMessage.assessment_id == assessment_id)
                .values(due_at=datetime.now(UTC))
            )
        drain(site)
    assert len(inbox.to(address)) == 1
    with site.sessions() as db:
        opened = db.get(Assessment, assessment_id)
        assert opened is not None
        assert opened.status == "open"


def test_it_says_why_a_schedule_cannot_run(site: Site, cast: Cast) -> None:
    assessment_id = _assessment(site, cast)
    closes = datetime.now(UTC) + timedelta(days=3)
    with transaction(site.sessions) as db:
        wanted = schedule.Schedule(None, closes, [], 0, True, "")
        schedule.set_schedule(db, Actor(cast.facilitator), assessment_id, wanted)
    # Someone closed it by hand meanwhile: the worker has nothing to close, and that is no problem.
    with transaction(site.sessions) as db:
        assessments.set_status(db, Actor(cast.facilitator), assessment_id, "closed")
    schedule.follow_up(site.sessions, closes + timedelta(minutes=1))
    with site.sessions() as db:
        assert schedule.get(db, Actor(cast.facilitator), assessment_id).problem == ""


def test_the_api_sets_the_schedule_queues_invitations_and_reads_the_outbox(site: Site, cast: Cast) -> None:
    facilitator, viewer, outsider = api(site, cast.facilitator), api(site, cast.viewer), api(site, cast.outsider)
    assessment_id = _assessment(site, cast)
    closes = (datetime.now(UTC) + timedelta(days=14)).replace(microsecond=0)
    body = {"closes_at": closes.isoformat(), "reminder_days": [7, 3], "max_reminders": 1, "closing_notice": False}
    saved = ok(facilitator.put(f"/assessments/{assessment_id}/schedule", body))
    assert saved == {
        "opens_at": None,
        "closes_at": closes.isoformat().replace("+00:00", "Z"),
        "reminder_days": [7, 3],
        "max_reminders": 1,
        "closing_notice": False,
        "problem": "",
    }
    assert ok(viewer.get(f"/assessments/{assessment_id}/schedule")) == saved
    assert viewer.put(f"/assessments/{assessment_id}/schedule", body).status_code == 403
    assert outsider.get(f"/assessments/{assessment_id}/schedule").status_code == 404
    # Bad input names the field.
    past = {**body, "closes_at": "2020-01-01T00:00:00Z"}
    refused = facilitator.put(f"/assessments/{assessment_id}/schedule", past)
    assert refused.status_code == 422
    assert "closing time in the future" in refused.text
    naive = {**body, "closes_at": "2031-01-01T00:00:00"}
    assert "with its zone" in facilitator.put(f"/assessments/{assessment_id}/schedule", naive).text
    tag = secrets.token_hex(3)
    emails = [f"api-{tag}@example.com", f"api2-{tag}@example.com"]
    with smtp_server() as (inbox, port), mail_settings(site, port):
        queued = ok(facilitator.post(f"/assessments/{assessment_id}/invitations/email", {"emails": emails}), 202)
        assert queued == {"queued": 2, "skipped": []}
        again = ok(facilitator.post(f"/assessments/{assessment_id}/invitations/email", {"emails": emails[:1]}), 202)
        assert again == {"queued": 0, "skipped": emails[:1]}
        bad = facilitator.post(f"/assessments/{assessment_id}/invitations/email", {"emails": ["Ana <a@b.c>"]})
        assert bad.status_code == 422
        assert viewer.post(f"/assessments/{assessment_id}/invitations/email", {"emails": emails}).status_code == 403
        drain(site)
    assert sorted(to[0] for to, _ in inbox.messages) == sorted(emails)
    box = ok(facilitator.get(f"/assessments/{assessment_id}/outbox"))
    assert box["counts"]["sent"] == 2
    assert box["total"] == 2
    assert box["bounced"] == []
    assert {e["to"] for e in box["entries"]} == set(emails)
    assert {(e["kind"], e["status"], e["attempts"]) for e in box["entries"]} == {("invitation", "sent", 1)}
    assert ok(facilitator.get(f"/assessments/{assessment_id}/outbox?status=failed"))["entries"] == []
    assert viewer.get(f"/assessments/{assessment_id}/outbox").status_code == 403
    assert outsider.get(f"/assessments/{assessment_id}/outbox").status_code == 404
    assert ok(facilitator.post(f"/assessments/{assessment_id}/outbox/retry")) == {"queued": 0}


def test_the_schedule_page_saves_and_shows_the_schedule(site: Site, cast: Cast) -> None:
    assessment_id = _assessment(site, cast)
    client = site.client(cast.facilitator)
    page = f"/assessments/{assessment_id}/mail"
    closes = (datetime.now(UTC) + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M")
    response = client.submit(
        page,
        f"/assessments/{assessment_id}/schedule",
        {"closes_at": closes, "reminder_days": "2, 7", "max_reminders": "2", "closing_notice": "1"},
    )
    assert response.status_code == 303
    text = client.get(page).text
    assert f'value="{closes}"' in text
    assert 'value="7, 2"' in text
    bad = client.submit(page, f"/assessments/{assessment_id}/schedule", {"reminder_days": "7", "closes_at": ""})
    assert bad.status_code == 422
    assert "set a closing time too" in bad.text
    assert site.client(cast.viewer).get(page).status_code == 403


def test_reminders_and_the_closing_notice_follow_the_language_of_the_invitation(site: Site, cast: Cast) -> None:
    actor = Actor(cast.facilitator)
    with transaction(site.sessions) as db:
        created = assessments.create(
            db, actor, cast.org_a, f"Sprache {secrets.token_hex(3)}", "builtin:four-competencies"
        )
        assessments.set_status(db, actor, created.id, "open")
        assessment_id = created.id
    closes = datetime(2031, 3, 14, 9, 30, tzinfo=UTC)
    with transaction(site.sessions) as db:
        schedule.set_schedule(db, actor, assessment_id, schedule.Schedule(None, closes, [7], 1, True, ""))
    address = f"de-{secrets.token_hex(3)}@example.com"
    with smtp_server() as (inbox, port), mail_settings(site, port):
        with transaction(site.sessions) as db:
            invited = outbox.invite_by_email(
                db, actor, site.settings, assessment_id, None, [address], 50, language="de"
            )
        site.app.state.jobs.enqueue(invited.message_ids)
        drain(site)
        assert len(_at(site, closes - timedelta(days=7) + timedelta(minutes=1))) == 1
        drain(site)
        assert len(_at(site, closes + timedelta(minutes=1))) == 1
        drain(site)
    invitation, reminder, closed = inbox.to(address)
    assert reminder["Subject"].startswith("Erinnerung: Sprache ")
    assert reminder["Content-Language"] == "de"
    body = reminder.get_content()
    assert body.startswith("Guten Tag,")
    # The close as German writes a date, stated in UTC; the link opens the pages in German, as the invitation's does.
    assert "bis 14. März 2031, 09:30 UTC weiterhin willkommen" in body
    assert LINK.findall(body) == LINK.findall(invitation.get_content())
    assert "?lang=de" in body
    assert closed["Subject"].startswith("Abgeschlossen: Sprache ")
    assert "ist abgeschlossen: Es können keine Antworten mehr gegeben werden." in closed.get_content()
