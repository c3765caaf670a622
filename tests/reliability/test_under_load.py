"""Load and faults with real servers: ``cxm serve --workers 2`` on PostgreSQL and SQLite, respondents answering at
once, a worker killed, PostgreSQL restarted, a second SQLite writer. The same runs as ``make bench``
(bench/bench_load.py, bench/bench_faults.py) with fewer respondents; each takes up to a minute, so they run only when
asked: ``pytest -m faults``. What each asserts: docs/reliability.md.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from bench.bench_faults import kill_worker, restart_postgres, sqlite_writers
from bench.bench_load import load
from bench.servers import postgres_bin

from cxmaturity.storage.database import make_engine
from tests.support.site import POSTGRES_URL, REQUIRE_POSTGRES
from tests.support.timing import timed

pytestmark = [pytest.mark.faults, timed]  # load runs measure time: one at a time
RESPONDENTS = 150


@pytest.fixture
def postgres() -> str:
    """The shared PostgreSQL server (the runs make and drop schemas of their own on it)."""
    engine = make_engine(POSTGRES_URL)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        if REQUIRE_POSTGRES:
            raise
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc.orig}")
    finally:
        engine.dispose()
    return POSTGRES_URL


def test_respondents_at_once_have_every_acknowledged_answer_stored_once(postgres: str) -> None:
    result = load(postgres, respondents=RESPONDENTS)
    assert result.crowd.problems == []
    assert result.crowd.count.stored_rows == result.crowd.count.expected_rows > 0
    assert not result.crowd.run.failures


def test_a_killed_worker_loses_no_acknowledged_answer_and_is_replaced(postgres: str) -> None:
    kill = kill_worker(postgres, respondents=RESPONDENTS)
    assert kill.checked.problems == []
    # The kill broke requests in flight, so resuming was exercised: those respondents finished all the same.
    assert kill.broken > 0
    assert sum(r.resumed for r in kill.checked.run.respondents) > 0


@pytest.mark.skipif(postgres_bin() is None, reason="no PostgreSQL server binaries to run one's own")
def test_a_postgresql_restart_answers_503_and_the_app_recovers_by_itself() -> None:
    restart = restart_postgres(respondents=RESPONDENTS)
    assert restart.checked.problems == []
    assert {e.status for e in restart.checked.run.failures} == {503}
    assert restart.outage > 0


def test_sqlite_with_a_second_writer_never_fails_a_respondent() -> None:
    result = sqlite_writers(respondents=RESPONDENTS)
    assert result.checked.problems == []
    assert result.writer_saves > 0
    assert result.writer["imported"] > 0
