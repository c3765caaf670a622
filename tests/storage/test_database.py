"""The database layer on SQLite and PostgreSQL: migrations, the model they build, SQLite's settings."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from cxmaturity.storage.database import (
    FifoLock,
    NotMigratedError,
    check_migrated,
    current_revision,
    head_revision,
    make_engine,
    ours,
)
from cxmaturity.storage.tables import Base
from tests.web.conftest import Site


def test_it_migrates_to_the_head_revision(site: Site) -> None:
    assert current_revision(site.engine) == head_revision()
    assert check_migrated(site.engine) == head_revision()


def test_it_builds_exactly_the_tables_the_code_declares(site: Site) -> None:
    with site.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": ours})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_it_runs_sqlite_in_wal_mode_with_a_busy_timeout(site: Site) -> None:
    if site.backend != "sqlite":
        return
    with site.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_it_says_what_to_run_on_an_unmigrated_database(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/empty.db")
    try:
        with pytest.raises(NotMigratedError, match=r"has never been migrated; run `cxm db upgrade`"):
            check_migrated(engine)
    finally:
        engine.dispose()


def test_it_keeps_answers_unique_per_respondent_and_indicator(site: Site) -> None:
    with site.engine.connect() as connection:
        key = sa.inspect(connection).get_pk_constraint("answer")["constrained_columns"]
    assert key == ["invitation_id", "indicator_key"]


def test_the_sqlite_writer_lock_serves_waiting_threads_in_arrival_order() -> None:
    lock = FifoLock()
    lock.acquire()
    served: list[int] = []
    threads = []
    for number in range(8):
        thread = threading.Thread(target=_take_and_record, args=(lock, number, served))
        thread.start()
        threads.append(thread)
        _wait_until(lock, number + 1)  # each waiter queued before the next starts
    lock.release()
    for thread in threads:
        thread.join(timeout=5)
    assert served == list(range(8))
    # Free again: a new caller gets it at once.
    lock.acquire()
    lock.release()


def _take_and_record(lock: FifoLock, number: int, served: list[int]) -> None:
    lock.acquire()
    served.append(number)
    time.sleep(0.001)  # give later threads every chance to overtake, as an unordered lock would let them
    lock.release()


def _wait_until(lock: FifoLock, waiting: int) -> None:
    deadline = time.monotonic() + 5
    while len(lock._waiters) < waiting:
        assert time.monotonic() < deadline, "a thread did not start waiting"
        time.sleep(0.001)
