"""A long job under faults (issue 16): a large answers import run by a ``cxm worker`` on PostgreSQL whose worker is
killed with SIGKILL while it writes its batches. Another worker takes the job over once its lease has run out
(services/long_jobs.py): it deletes what the dead attempt wrote and imports the file again. Checked: the job ends
``done`` once, on its second attempt; the assessment holds each respondent of the file exactly once, nothing is left
pending, and nothing of the import was visible before it ended. Data are SYNTHETIC (tests/web/test_api.py
``answers_csv``). Takes half a minute or more (the dead worker's heartbeat must go stale): runs with ``-m faults``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from cxmaturity.services import accounts, assessments, long_jobs, organizations
from cxmaturity.services.access import Actor
from cxmaturity.services.imports import IMPORTED, PENDING
from cxmaturity.services.jobs import ProcrastinateQueue
from cxmaturity.storage.database import make_engine, make_sessionmaker, transaction, upgrade
from cxmaturity.storage.tables import Answer, Invitation, LongJob
from tests.support.site import postgres_schema
from tests.support.timing import timed
from tests.web.test_api import answers_csv

pytestmark = [pytest.mark.faults, timed]  # a run against real processes that measures time: one at a time

#: Respondents in the file: 37 batches (37 indicators, BATCH_ANSWERS answers per batch), so that the kill lands
#: between two of them; 5,000 x 37 answers stays under CXM_MAX_IMPORT_VALUES.
PEOPLE = int(os.environ.get("CXM_LONG_JOB_FAULT_PEOPLE", "5000"))
SECRET = "long-job-faults-secret-" + "x" * 40
CXM = [sys.executable, "-c", "from cxmaturity.cli import main; main()"]


@pytest.fixture
def database() -> Iterator[str]:
    with postgres_schema("cxm_long_job_faults") as url:
        yield url


def _worker(url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CXM_DATABASE_URL": url,
        "CXM_SECRET_KEY": SECRET,
        # Short, so that the job of the killed worker is taken back within seconds.
        "CXM_QUEUE_LEASE_SECONDS": "4",
        "CXM_QUEUE_POLL_SECONDS": "1",
    }
    with log.open("ab") as out:
        return subprocess.Popen([*CXM, "worker", "--concurrency", "2"], env=env, stdout=out, stderr=out)


def _job(engine: sa.Engine, job_id: int) -> tuple[str, int, int, int]:
    with engine.connect() as conn:
        row = conn.execute(
            select(LongJob.state, LongJob.done, LongJob.total, LongJob.attempts).where(LongJob.id == job_id)
        ).one()
    return str(row[0]), int(row[1]), int(row[2]), int(row[3])


def _respondents(engine: sa.Engine, assessment_id: int, source: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(Invitation)
                .where(Invitation.assessment_id == assessment_id, Invitation.source == source)
            ).scalar_one()
        )


def test_a_killed_worker_s_import_is_taken_over_and_completes_once(database: str, tmp_path: Path) -> None:
    engine = make_engine(database)
    upgrade(database, engine)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as db:
        user = accounts.sign_up(db, "facilitator@example.com", "long job faults password 1234", "Fay")
        org = organizations.create(db, Actor(user.id), "SYNTHETIC Long Jobs Inc.")
        created = assessments.create(db, Actor(user.id), org.id, "Import faults", "builtin:xm-six-competencies")
        assessments.set_status(db, Actor(user.id), created.id, "open")
        job_id = long_jobs.start_import(db, Actor(user.id), created.id, "answers.csv", answers_csv(PEOPLE))
    adder = ProcrastinateQueue(engine)
    adder.run_long(job_id)
    adder.close()

    logs = [tmp_path / "worker-0.log", tmp_path / "worker-1.log"]
    first = _worker(database, logs[0])
    second: subprocess.Popen[bytes] | None = None
    killed_at = None
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            state, done, total, _ = _job(engine, job_id)
            if state == "running" and 0 < done < total:
                first.send_signal(signal.SIGKILL)
                first.wait()
                killed_at = (done, total)
                break
            if state not in ("queued", "running"):
                with engine.connect() as conn:
                    error = conn.execute(select(LongJob.error).where(LongJob.id == job_id)).scalar_one()
                raise AssertionError(f"the job ended before the kill: {state} {error}")
            time.sleep(0.02)
        assert killed_at is not None, "the import never got going"
        # What the dead attempt wrote is pending: no reader sees any of it.
        assert _respondents(engine, created.id, PENDING) >= killed_at[0]
        assert _respondents(engine, created.id, IMPORTED) == 0
        second = _worker(database, logs[1])
        while time.monotonic() < deadline:
            state, done, total, attempts = _job(engine, job_id)
            if state in ("done", "failed"):
                break
            time.sleep(0.2)
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
    log_text = "\n".join(log.read_text(encoding="utf-8", errors="replace")[-3000:] for log in logs)
    state, done, total, attempts = _job(engine, job_id)
    assert state == "done", f"{state} after the kill at {killed_at}\n{log_text}"
    assert attempts == 2, attempts
    assert (done, total) == (PEOPLE, PEOPLE)
    with engine.connect() as conn:
        result, error, written = conn.execute(
            select(LongJob.result, LongJob.error, LongJob.written).where(LongJob.id == job_id)
        ).one()
        answered = conn.execute(
            select(func.count(func.distinct(Answer.invitation_id))).where(Answer.assessment_id == created.id)
        ).scalar_one()
        orphans = conn.execute(
            select(func.count())
            .select_from(Answer)
            .join(Invitation, Invitation.id == Answer.invitation_id)
            .where(Answer.assessment_id == created.id, Invitation.source != IMPORTED)
        ).scalar_one()
    assert result == {"imported": PEOPLE}
    assert error is None
    assert written is None
    # Every respondent of the file exactly once, none of the dead attempt's left behind.
    assert _respondents(engine, created.id, IMPORTED) == PEOPLE
    assert _respondents(engine, created.id, PENDING) == 0
    assert answered == PEOPLE
    assert orphans == 0
    # The second attempt deleted the first one's rows itself (not the hourly clean-up of a later import).
    assert "respondents its stopped attempt had written" in logs[1].read_text(encoding="utf-8", errors="replace")
    engine.dispose()
