"""Engines and sessions for SQLite (default) and PostgreSQL, and the migration state of a database."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

#: How long a SQLite writer waits for another writer before giving up.
SQLITE_BUSY_TIMEOUT_MS = 10_000


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Return an engine; SQLite gets WAL, a busy timeout, foreign keys and IMMEDIATE write transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see _begin_immediate).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # SQLite has one writer at a time. Threads of this process queue on a first-come, first-served lock without
    # sleeping; SQLite's busy timeout (which polls with growing sleeps) is left to arbitrate between processes.
    writer = FifoLock()

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Any) -> None:
        # A deferred transaction that reads and then writes can fail at once with "database is locked" when another
        # writer got there first; taking the write lock up front makes writers wait their turn instead.
        writer.acquire()
        connection.info["cxm_writer"] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except Exception:
            _release(connection)
            raise

    def _release(connection: Any) -> None:
        if connection.info.pop("cxm_writer", False):
            writer.release()

    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)
    return engine


class FifoLock:
    """A lock handed to waiting threads in the order they asked for it.

    ``threading.Lock`` promises no order: under load a thread can lose the race for it many times in a row, and
    its request waits far longer than the others (the tail latency of page saves). Here each waiter blocks on its
    own lock, and ``release`` hands ownership straight to the oldest waiter.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiters: deque[threading.Lock] = deque()

    def acquire(self) -> None:
        with self._mutex:
            if not self._held:
                self._held = True
                return
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        turn.acquire()  # released by the holder's ``release``: this thread now holds the lock

    def release(self) -> None:
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().release()
            else:
                self._held = False


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield a session that commits on success and rolls back on any error."""
    with factory() as session, session.begin():
        yield session


def migrations_dir() -> Path:
    return Path(str(resources.files("cxmaturity.storage") / "migrations"))


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """Return the database's migration revision, or None if it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(url: str, engine: Engine | None = None) -> str:
    """Migrate the database at ``url`` to the newest revision; return that revision."""
    from alembic import command

    config = alembic_config(url)
    if engine is not None:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    else:
        command.upgrade(config, "head")
    return head_revision()


class NotMigratedError(RuntimeError):
    """The database is missing tables or behind the code; the message says what to run."""


def check_migrated(engine: Engine) -> str:
    current, head = current_revision(engine), head_revision()
    if current != head:
        state = "has never been migrated" if current is None else f"is at revision {current}, the code needs {head}"
        raise NotMigratedError(
            f"the database {engine.url.render_as_string(hide_password=True)} {state}; "
            "run `cxm db upgrade` (with the same --db or CXM_DATABASE_URL) first"
        )
    return head
