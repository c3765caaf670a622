"""Engines and sessions for SQLite (default) and PostgreSQL, and the migration state of a database."""

from __future__ import annotations

import os
import re
import sys
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

if sys.platform != "win32":
    import fcntl


class NulInText(ValueError):
    """Text with a NUL character (U+0000) on its way into the database; ``field`` names the column it was for.

    PostgreSQL cannot store it (its driver refuses with an error that says nothing about which value), and SQLite
    would store it, to cut the text short in other programs that read it: neither database gets one.
    """

    def __init__(self, field: str) -> None:
        super().__init__(f"{field}: text may not contain the NUL character (\\x00)")
        self.field = field


_BIND_SUFFIX = re.compile(r"(?:_+m?\d+)+$")


def _bind_name(key: object, context: Any) -> str:
    """The column a statement parameter is for: its bind name without SQLAlchemy's numbering (``name_1``)."""
    if isinstance(key, int):  # SQLite's positional parameters: their names are in the compiled statement
        # (a batch of several rows in one statement repeats them, row after row)
        names = getattr(getattr(context, "compiled", None), "positiontup", None) or ()
        key = names[key % len(names)] if names else "text"
    return _BIND_SUFFIX.sub("", str(key)) or "text"


def _refuse_nul(_conn: Any, _cursor: Any, _statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    # One row, several rows (executemany), or several rows flattened into one statement (insertmanyvalues).
    many = (
        executemany
        and isinstance(parameters, list | tuple)
        and isinstance(next(iter(parameters), None), Mapping | list | tuple)
    )
    for row in parameters if many else (parameters,):
        values = row.items() if isinstance(row, Mapping) else enumerate(row or ())
        for key, value in values:
            if isinstance(value, str) and "\x00" in value:
                raise NulInText(_bind_name(key, context))


#: How long a SQLite writer waits for another writer before giving up.
SQLITE_BUSY_TIMEOUT_MS = 10_000

#: The execution option that marks a connection's transactions as reads only (``reading``).
READ_ONLY = "cxm_read_only"


class WriteInReadTransaction(RuntimeError):
    """A statement that writes, sent in a transaction opened for reading only: a bug of the caller, which must
    write in a transaction of its own (``transaction``). Raised on both databases, so tests on either find it."""


def _refuse_writes(conn: Any, _cursor: Any, statement: str, _parameters: Any, context: Any, _many: bool) -> None:
    if conn.get_execution_options().get(READ_ONLY) and (
        context is not None and (context.isinsert or context.isupdate or context.isdelete)
    ):
        raise WriteInReadTransaction(f"a write in a transaction opened for reading: {statement[:80]}")


class UnsupportedDatabase(ValueError):
    """A database URL cx-maturity cannot use: it runs on SQLite and on PostgreSQL (through psycopg) only."""


#: The databases and drivers cx-maturity is built and tested for (its dependencies install no other driver).
SUPPORTED_DATABASES = (("sqlite", "pysqlite"), ("postgresql", "psycopg"))


def check_url(url: str) -> URL:
    """Return the parsed URL of a database cx-maturity can use; UnsupportedDatabase saying which ones it can."""
    usable = "SQLite (a file path, or sqlite:///PATH) and PostgreSQL (postgresql://USER@HOST/NAME)"
    try:
        parsed = make_url(url)
        kind = (parsed.get_backend_name(), parsed.get_driver_name())
    except (ArgumentError, NoSuchModuleError, ValueError):
        raise UnsupportedDatabase(f"not a database URL; cx-maturity runs on {usable}") from None
    if kind not in SUPPORTED_DATABASES:
        shown = parsed.render_as_string(hide_password=True)
        raise UnsupportedDatabase(f"{shown}: cx-maturity runs on {usable}, not on {kind[0]} through {kind[1]}")
    return parsed


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Return an engine; SQLite gets WAL, a busy timeout, foreign keys and IMMEDIATE write transactions. A URL of
    another database or driver is refused (:func:`check_url`) before any driver is looked for."""
    parsed = check_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)
        event.listen(engine, "before_cursor_execute", _refuse_nul)
        event.listen(engine, "before_cursor_execute", _refuse_writes)
        return engine
    path = sqlite_path(url)
    if path is not None and parsed.query.get("mode") != "ro":
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
    )

    event.listen(engine, "before_cursor_execute", _refuse_nul)
    event.listen(engine, "before_cursor_execute", _refuse_writes)

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
    # sleeping; the thread at the head of the queue then takes a lock shared with the other processes that use the
    # file (server workers, the command line), whose waiters the kernel wakes the moment it is free. SQLite's own
    # busy timeout polls with sleeps of up to 100 ms: a process that writes without pause would take the database
    # back between those polls, every time, until the others gave up with "database is locked".
    writer = FifoLock()
    between_processes = ProcessLock(Path(f"{path}-lock")) if path is not None and sys.platform != "win32" else None

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            # Reads only: a deferred transaction reads one snapshot of the database (WAL) and never waits for the
            # writer, nor makes a writer wait, however long the caller computes or renders while it is open.
            connection.exec_driver_sql("BEGIN")
            return
        # A deferred transaction that reads and then writes can fail at once with "database is locked" when another
        # writer got there first; taking the write lock up front makes writers wait their turn instead.
        writer.acquire()
        connection.info[_WRITER] = (
            between_processes.acquire(SQLITE_BUSY_TIMEOUT_MS / 1000) if between_processes else None
        )
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except Exception:
            _release(connection)
            raise

    def _release(connection: Any) -> None:
        if _WRITER in connection.info:
            held = connection.info.pop(_WRITER)
            if held is not None:
                held.release()
            writer.release()

    @event.listens_for(engine, "commit")
    def _commit(connection: Any) -> None:
        # SQLAlchemy announces a commit before making it; the locks are handed on only once it is made, so that
        # the next writer never meets a transaction that is still ending (and sleeps in SQLite's busy handler).
        # SQLAlchemy's own commit that follows finds no transaction open and does nothing. A failed COMMIT must be
        # raised here: after SQLITE_FULL or an I/O error SQLite has already rolled the transaction back, so a second
        # attempt would find nothing to commit and succeed, and the request would acknowledge what was never stored.
        dbapi_connection = connection.connection.dbapi_connection
        try:
            dbapi_connection.commit()
        except Exception as error:
            # A COMMIT that failed with the transaction still open (SQLITE_BUSY) is ended before the locks are
            # handed on; should that fail too, the commit's error is the one to report.
            with suppress(Exception):
                dbapi_connection.rollback()
            # Wrapped as SQLAlchemy wraps driver errors: OperationalError for a full disk, a read-only file, I/O.
            raise DBAPIError.instance(
                "COMMIT", None, error, connection.dialect.loaded_dbapi.Error, dialect=connection.dialect
            ) from error
        finally:
            _release(connection)

    @event.listens_for(engine, "rollback")
    def _rollback(connection: Any) -> None:
        try:
            connection.connection.dbapi_connection.rollback()
        except Exception:  # a connection already closed or invalidated: SQLAlchemy's own rollback deals with it
            pass
        finally:
            _release(connection)

    return engine


_WRITER = "cxm_writer"


def sqlite_path(url: str | URL) -> Path | None:
    """The file of a SQLite database URL (also ``sqlite:///file:PATH?mode=ro&uri=true``); None when in memory."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.query.get("uri") == "true" and database.startswith("file:"):
        if parsed.query.get("mode") == "memory":
            return None
        database = database.removeprefix("file:")
    in_memory = not database or database.startswith((":memory:", "file::memory:"))
    return None if in_memory else Path(database)


class ProcessLock:
    """An exclusive lock between the processes that use one SQLite file: ``flock`` on a file beside it.

    The kernel releases it when its holder ends, even by ``kill -9``. Each ``acquire`` opens the lock file anew, so
    that an abandoned wait (below) never shares its lock with a later one.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def acquire(self, timeout: float) -> Held | None:
        """Take the lock, waiting at most ``timeout`` seconds; None when it could not be had (then SQLite's busy
        timeout arbitrates, as without this lock) or the lock file cannot be opened (a read-only folder)."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return Held(fd)
        except BlockingIOError:
            return Held(fd) if _wait_for_lock(fd, timeout) else None
        except OSError:
            os.close(fd)
            return None


@dataclass
class Held:
    """A held ``ProcessLock``: closing its file releases it."""

    fd: int

    def release(self) -> None:
        os.close(self.fd)


def _wait_for_lock(fd: int, timeout: float) -> bool:
    """Wait at most ``timeout`` seconds for ``fd``'s lock, blocking in a helper thread (a blocking ``flock`` has no
    timeout); return whether it was granted in time. When it was not, the helper closes ``fd`` once its wait ends
    (the lock granted late, or the wait failed)."""
    decided = threading.Lock()
    granted = threading.Event()
    outcome: dict[str, bool] = {}

    def wait() -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            ok = True
        except OSError:
            ok = False
        with decided:
            if "abandoned" in outcome or not ok:
                os.close(fd)
            else:
                outcome["granted"] = True
            granted.set()

    threading.Thread(target=wait, name="sqlite-writer-lock", daemon=True).start()
    granted.wait(timeout)
    with decided:
        if outcome.get("granted"):
            return True
        outcome["abandoned"] = True
        return False


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
    """Yield a session that commits on success and rolls back on any error.

    On SQLite it holds the database's one writer lock from its first statement to its end: parse, validate, score
    and render before it or in a ``reading`` session, never inside it.
    """
    with factory() as session, session.begin():
        yield session


@contextmanager
def reading(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield a session for reads only: on SQLite it never takes the writer lock, so that a long read (results, a
    report, an export) never holds up a respondent's save. A statement that writes in it raises
    WriteInReadTransaction."""
    with factory(execution_options={READ_ONLY: True}) as session, session.begin():
        yield session


def read_only(session: Session) -> bool:
    """Return whether the session was opened by ``reading``."""
    return bool(session.execution_options.get(READ_ONLY))


@contextmanager
def apart(session: Session) -> Iterator[Connection]:
    """Yield a connection in a write transaction of its own, beside ``session`` (which may be reading): for a short
    write that a reading request makes (a result it computed, when an API token was used), committed at once."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    with engine.begin() as connection:
        yield connection


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
    bind = engine if engine is not None else make_engine(url)
    try:
        with migrating(bind) as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        if engine is None:
            bind.dispose()
    return head_revision()


class ForeignKeyViolation(RuntimeError):
    """A migration on SQLite left rows whose foreign keys point nowhere; nothing of it was committed."""


@contextmanager
def migrating(engine: Engine) -> Iterator[Connection]:
    """One transaction to migrate in; on SQLite with foreign keys off until it ends, checked before it commits.

    Alembic's batch mode changes a table on SQLite by copying it into a new one and dropping the original. With
    foreign keys on, dropping a table deletes, through ON DELETE CASCADE, the rows of every table that points to it:
    migration 0016 rebuilt ``invitation`` and so emptied ``answer`` of an existing installation. SQLite ignores the
    setting inside a transaction, so it is switched on the driver's connection before the transaction begins.
    """
    with engine.connect() as connection:
        raw: Any = connection.connection.dbapi_connection if engine.dialect.name == "sqlite" else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                yield connection
                if raw is not None:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise ForeignKeyViolation(
                            f"the migration left {len(broken)} rows pointing nowhere (first: {tuple(broken[0])}); "
                            "nothing was changed"
                        )
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


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


def libpq_conninfo(engine: Engine) -> tuple[str, str]:
    """Return a PostgreSQL engine's address for libpq (psycopg, procrastinate) and its ``options`` carrying the
    engine's search path, so that connections made outside SQLAlchemy see the same schema (tests use one each)."""
    url = engine.url.set(drivername="postgresql")
    with engine.connect() as connection:
        search_path = str(connection.exec_driver_sql("SHOW search_path").scalar())
    escaped = search_path.replace("\\", "\\\\").replace(" ", "\\ ")
    return url.render_as_string(hide_password=False), f"-c search_path={escaped}"


def ours(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic's ``include_object``: the job queue's own tables (procrastinate's, migration 0013) are not ours to
    compare or autogenerate."""
    table = getattr(obj, "table", None)
    table_name = getattr(table, "name", None) if table is not None else name
    return not str(table_name or name or "").startswith("procrastinate")
