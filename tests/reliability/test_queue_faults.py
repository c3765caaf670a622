"""The job queue under faults (issue 16): 2,000 invitations and reminders sent on PostgreSQL by two ``cxm worker``
processes, one of which is killed with SIGKILL again and again while they send. A real SMTP server (aiosmtpd in this
process) counts what arrives: every message exactly once, none lost, and the outbox says ``sent`` for each.

The reminders are queued by the workers themselves (the schedule's sweep), so the scheduled path is under the same
faults; 40 invitations to join the organization (no assessment: the claim's outer joins) are mixed in. Takes about
a minute: runs only with ``pytest -m faults``. How the guarantee is reached: docs/mail.md.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select, update

from cxmaturity.services import accounts, assessments, member_invitations, organizations, outbox, schedule
from cxmaturity.services.access import Actor
from cxmaturity.services.jobs import ProcrastinateQueue
from cxmaturity.settings import Settings
from cxmaturity.storage.database import make_engine, make_sessionmaker, transaction, upgrade
from cxmaturity.storage.tables import MailRecipient, OutboxMessage
from tests.support.site import postgres_schema
from tests.support.smtp import Inbox, smtp_server
from tests.support.timing import timed

pytestmark = [pytest.mark.faults, timed]  # load runs measure time: one at a time

PEOPLE = int(os.environ.get("CXM_QUEUE_FAULT_PEOPLE", "1000"))  # x 2 messages: an invitation and a reminder each
KILLS = 6
#: Invitations to join the organization sent among them (at most 50 may be pending per organization).
JOINERS = 40
SECRET = "queue-faults-secret-" + "x" * 40
CXM = [sys.executable, "-c", "from cxmaturity.cli import main; main()"]


@pytest.fixture
def database() -> Iterator[str]:
    with postgres_schema("cxm_queue_faults") as url:
        yield url


def _worker(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CXM_DATABASE_URL": url,
        "CXM_SECRET_KEY": SECRET,
        "CXM_SMTP_HOST": "127.0.0.1",
        "CXM_SMTP_PORT": str(port),
        "CXM_MAIL_FROM": "surveys@example.org",
        "CXM_BASE_URL": "https://cx.example.org",
        # Short, so that the test sees messages of killed workers taken back within seconds.
        "CXM_QUEUE_LEASE_SECONDS": "4",
        "CXM_QUEUE_POLL_SECONDS": "1",
    }
    with log.open("ab") as out:
        return subprocess.Popen([*CXM, "worker", "--concurrency", "4"], env=env, stdout=out, stderr=out)


def _pending(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).where(OutboxMessage.status.in_(("queued", "sending", "handed", "retrying")))
            ).scalar_one()
        )


def test_a_killed_worker_loses_and_repeats_no_message(database: str, tmp_path: Path) -> None:
    engine = make_engine(database)
    upgrade(database, engine)
    sessions = make_sessionmaker(engine)
    settings = Settings(database_url=database, secret_key=SECRET)
    addresses = [f"person{n:05d}@example.com" for n in range(PEOPLE)]
    joiners = [f"joiner{n:03d}@example.com" for n in range(JOINERS)]
    # Inviting queues a member's e-mail only where the server sends e-mail; the workers have their own settings.
    mailing = Settings(database_url=database, secret_key=SECRET, smtp_host="127.0.0.1")
    with transaction(sessions) as db:
        user = accounts.sign_up(db, "facilitator@example.com", "queue faults password 1234", "Fay")
        org = organizations.create(db, Actor(user.id), "SYNTHETIC Faults Inc.")
        created = assessments.create(db, Actor(user.id), org.id, "Queue faults", "builtin:xm-six-competencies")
        assessments.set_status(db, Actor(user.id), created.id, "open")
        # Closing in 6 days with a reminder 7 days before: the reminders' round is due at once.
        closes = datetime.now(UTC) + timedelta(days=6)
        schedule.set_schedule(db, Actor(user.id), created.id, schedule.Schedule(None, closes, [7], 1, False, ""))
        ids = []
        for start in range(0, PEOPLE, 1000):
            chunk = addresses[start : start + 1000]
            ids += outbox.invite_by_email(db, Actor(user.id), settings, created.id, None, chunk, 1000).message_ids
        for n, joiner in enumerate(joiners):
            joined = member_invitations.invite(db, Actor(user.id), mailing, org.id, joiner, "viewer")
            assert joined.message_id is not None
            ids.insert(n * PEOPLE // JOINERS, joined.message_id)  # spread over the send
        # Invited two days ago (the test's clock): a reminder goes only to people invited before its day.
        db.execute(update(MailRecipient).values(created_at=datetime.now(UTC) - timedelta(days=2)))
    adder = ProcrastinateQueue(engine)
    adder.enqueue(ids)
    adder.close()

    inbox = Inbox()
    logs = [tmp_path / "worker-0.log", tmp_path / "worker-1.log"]
    kills = 0
    with smtp_server(inbox) as (_, port):
        workers = [_worker(database, port, log) for log in logs]
        try:
            rng = random.Random(16)
            deadline = time.monotonic() + 600  # minutes on a busy machine; seconds on a quiet one
            while time.monotonic() < deadline:
                time.sleep(rng.uniform(0.8, 2.0))
                if kills < KILLS and len(inbox.messages) > 50 * (kills + 1):
                    victim = kills % 2
                    workers[victim].send_signal(signal.SIGKILL)
                    workers[victim].wait()
                    kills += 1
                    workers[victim] = _worker(database, port, logs[victim])
                with engine.connect() as conn:
                    total = conn.execute(select(func.count()).select_from(OutboxMessage)).scalar_one()
                if total == 2 * PEOPLE + JOINERS and _pending(engine) == 0:
                    break
            time.sleep(2)  # anything still on its way arrives
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                try:
                    worker.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
    log_text = "\n".join(log.read_text(encoding="utf-8", errors="replace")[-3000:] for log in logs)
    assert kills == KILLS, f"only {kills} kills: the workers sent too little\n{log_text}"
    received = Counter((to[0], str(message["Subject"]).split(":")[0]) for to, message in inbox.messages)
    repeated = {key: n for key, n in received.items() if n > 1}
    assert not repeated, f"sent more than once: {list(repeated.items())[:10]}"
    expected = {(a, kind) for a in addresses for kind in ("Your view, please", "Reminder")}
    expected |= {(a, "Join SYNTHETIC Faults Inc. on cx-maturity") for a in joiners}
    missing = expected - set(received)
    assert not missing, f"{len(missing)} messages never arrived, e.g. {sorted(missing)[:5]}\n{log_text}"
    assert len(inbox.messages) == 2 * PEOPLE + JOINERS
    with engine.connect() as conn:
        states = Counter(
            dict(conn.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
        )
        message_ids = Counter(conn.execute(select(OutboxMessage.message_id)).scalars())
    assert states == {"sent": 2 * PEOPLE + JOINERS}, states
    # Each outbox row's Message-ID arrived exactly once: the outbox and the server agree message by message.
    arrived = Counter(str(message["Message-ID"]) for _, message in inbox.messages)
    assert arrived == message_ids
    engine.dispose()
