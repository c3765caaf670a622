"""Invitations through the job queue (issue 16): 10,000 SYNTHETIC invitations queued on PostgreSQL and sent by two
``cxm worker --concurrency 4`` processes to a local SMTP server, against a bare smtplib loop sending the same number
of prebuilt messages over one connection to the same server, in the same run.

Both sides count from the first message queued (or written) to the last one the server accepted; the queue's side
includes creating the invitations, sealing their links, queueing the jobs, claiming each message, recording its
hand-over and its result (three commits per message, what makes it exactly once: docs/mail.md). The server
(bench/smtp_sink.py) runs in a process of its own and says at the end how many it accepted: both counts must be
exact. The ratio is the queue's time over the bare loop's (higher is slower); no target: it says what exactly-once
and a durable outbox cost against fire-and-forget.
"""

from __future__ import annotations

import os
import secrets
import smtplib
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import func, select

from bench.row import Row
from bench.servers import free_port
from cxmaturity.services import accounts, assessments, mail, organizations, outbox
from cxmaturity.services.access import Actor
from cxmaturity.services.jobs import ProcrastinateQueue
from cxmaturity.settings import Settings
from cxmaturity.storage.database import make_engine, make_sessionmaker, transaction, upgrade
from cxmaturity.storage.tables import OutboxMessage

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("CXM_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MESSAGES = int(os.environ.get("CXM_BENCH_QUEUE_MESSAGES", "10000"))
WORKERS = 2
CONCURRENCY = 4
SECRET = secrets.token_hex(32)
CXM = [sys.executable, "-c", "from cxmaturity.cli import main; main()"]


@contextmanager
def _sink(folder: Path) -> Iterator[tuple[int, Path]]:
    port, counted = free_port(), folder / f"sink-{secrets.token_hex(3)}.count"
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "smtp_sink.py"), str(port), str(counted)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    assert process.stdout is not None
    process.stdout.readline()  # "ready"
    try:
        yield port, counted
    finally:
        process.terminate()
        process.wait(timeout=30)


def _bare(port: int, settings: Settings) -> float:
    messages: list[EmailMessage] = [
        mail.invitation_message(
            settings, f"person{n:05d}@example.com", f"https://cx.example.org/r/{secrets.token_urlsafe(32)}"
        )
        for n in range(MESSAGES)
    ]
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for message in messages:
            smtp.send_message(message)
    return time.perf_counter() - started


def _schema() -> tuple[str, str]:
    schema = f"cxm_bench_queue_{secrets.token_hex(4)}"
    admin = make_engine(POSTGRES)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return schema, f"{POSTGRES}?options=-csearch_path%3D{schema}"


def _drop(schema: str) -> None:
    admin = make_engine(POSTGRES)
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _queued(url: str, port: int, folder: Path) -> tuple[float, int]:
    engine = make_engine(url)
    upgrade(url, engine)
    sessions = make_sessionmaker(engine)
    settings = Settings(database_url=url, secret_key=SECRET, smtp_host="127.0.0.1", smtp_port=port)
    with transaction(sessions) as db:
        user = accounts.sign_up(db, "runner@example.com", "queue bench password 1234", "Bench")
        org = organizations.create(db, Actor(user.id), "SYNTHETIC Bench Inc.")
        created = assessments.create(db, Actor(user.id), org.id, "Queue bench", "builtin:xm-six-competencies")
        assessments.set_status(db, Actor(user.id), created.id, "open")
    env = {
        **os.environ,
        "CXM_DATABASE_URL": url,
        "CXM_SECRET_KEY": SECRET,
        "CXM_SMTP_HOST": "127.0.0.1",
        "CXM_SMTP_PORT": str(port),
        "CXM_BASE_URL": "https://cx.example.org",
    }
    log = (folder / "bench-queue-workers.log").open("ab")
    workers = [
        subprocess.Popen([*CXM, "worker", "--concurrency", str(CONCURRENCY)], env=env, stdout=log, stderr=log)
        for _ in range(WORKERS)
    ]
    try:
        # The clock starts once both workers are up and fetching (registered with procrastinate): starting Python
        # processes on a loaded machine took tens of seconds, which is no part of sending.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                if conn.execute(sa.text("SELECT count(*) FROM procrastinate_workers")).scalar_one() >= WORKERS:
                    break
            time.sleep(0.2)
        started = time.perf_counter()
        adder = ProcrastinateQueue(engine)
        for first in range(0, MESSAGES, 1000):
            addresses = [f"person{n:05d}@example.com" for n in range(first, min(first + 1000, MESSAGES))]
            with transaction(sessions) as db:
                ids = outbox.invite_by_email(db, Actor(user.id), settings, created.id, None, addresses, 1000)
            adder.enqueue(ids.message_ids)
        adder.close()
        while True:
            with engine.connect() as conn:
                sent = conn.execute(
                    select(func.count()).where(OutboxMessage.status.in_(("sent", "bounced", "failed")))
                ).scalar_one()
            if sent >= MESSAGES:
                break
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        with engine.connect() as conn:
            ok = conn.execute(select(func.count()).where(OutboxMessage.status == "sent")).scalar_one()
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
        log.close()
        engine.dispose()
    return elapsed, int(ok)


def run() -> list[Row]:
    folder = ROOT / "bench" / "results"
    folder.mkdir(parents=True, exist_ok=True)
    settings = Settings(secret_key=SECRET, mail_from="surveys@example.org")
    with _sink(folder) as (port, counted):
        bare = _bare(port, settings)
    bare_count = int(counted.read_text())
    schema, url = _schema()
    try:
        with _sink(folder) as (port, counted):
            queued, sent = _queued(url, port, folder)
        queue_count = int(counted.read_text())
    finally:
        _drop(schema)
    exact = bare_count == MESSAGES and queue_count == MESSAGES == sent
    return [
        Row(
            f"bare smtplib loop, {MESSAGES:,} messages",
            bare,
            1.0,
            f"baseline, one connection; {MESSAGES / bare:,.0f} messages/s; the server counted {bare_count:,}",
        ),
        Row(
            f"queue, {WORKERS} workers x {CONCURRENCY}, PostgreSQL",
            queued,
            queued / bare,
            f"{MESSAGES / queued:,.0f} messages/s, exactly once: the server counted {queue_count:,}, the outbox "
            f"says {sent:,} sent",
            exact,
        ),
    ]
