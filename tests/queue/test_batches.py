"""The queue's batch jobs (services/jobs.py) and a message's identity across attempts on both databases (the
PostgreSQL worker records the Message-ID with the hand-over, not with the claim: services/delivery.py)."""

from __future__ import annotations

from email import message_from_bytes, policy
from typing import Any

import pytest
from sqlalchemy import select

from cxmaturity.services.jobs import BATCH, SPREAD, batches
from cxmaturity.storage.tables import OutboxMessage
from tests.support.queue import drain, mail_settings
from tests.support.smtp import Inbox, smtp_server
from tests.web.conftest import Cast, Site
from tests.web.test_invitation_email import _assessment, _invite


@pytest.mark.parametrize("count", [0, 1, 7, 8, 9, 250, 800, 801, 10_000])
def test_batches_hold_every_message_once_and_spread_over_the_threads(count: int) -> None:
    ids = list(range(1000, 1000 + count))
    jobs = batches(ids)
    assert [i for job in jobs for i in job] == ids
    assert all(0 < len(job) <= BATCH for job in jobs)
    if count <= SPREAD * BATCH:
        # Cut as thin as SPREAD worker threads need: none holds more than its share.
        assert len(jobs) <= SPREAD
        assert all(len(job) <= -(-count // SPREAD) for job in jobs)
    else:
        assert len(jobs) == -(-count // BATCH)


class RefuseFirstData(Inbox):
    """Answers the first whole message with 451 (after its final dot), then accepts; keeps the refused one's id."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        if not self.refused:
            self.refused.append(str(message_from_bytes(envelope.content, policy=policy.default)["Message-ID"]))
            return "451 Try again later"
        return await super().handle_DATA(server, session, envelope)


def test_a_message_tried_again_is_the_same_message(site: Site, cast: Cast) -> None:
    assessment_id, group_id = _assessment(site, cast)
    inbox = RefuseFirstData()
    with smtp_server(inbox) as (_, port), mail_settings(site, port, mail_retry_seconds=0):
        _invite(site, cast, assessment_id, group_id, "ana@example.com")
        # No back-off: the retry is due at once (on SQLite the same round sends it again).
        drain(site)
        drain(site)
    (arrived,) = inbox.messages
    with site.sessions() as db:
        row = db.scalars(select(OutboxMessage).where(OutboxMessage.assessment_id == assessment_id)).one()
    assert (row.status, row.attempts) == ("sent", 2)
    assert str(arrived[1]["Message-ID"]) == inbox.refused[0] == row.message_id
