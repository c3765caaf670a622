"""Back up an installation to one file, and restore it into an empty database, on SQLite or PostgreSQL.

A backup is a zip archive: ``manifest.json`` (format, migration revision, row count per table) and one JSON Lines
file per table, rows in primary-key order, every value typed by its column (date-times as ISO 8601 with their
offset, binary data in base64). Being logical rather than a copy of the database file, it restores across backends
(a laptop's SQLite installation into a company's PostgreSQL) and can be read by any tool.

The backup reads every table in one transaction, so it is consistent while the app keeps running (SQLite's WAL and
PostgreSQL's snapshots keep readers and writers apart). A restore writes everything in one transaction: it ends
with the whole installation or, on any problem, with the empty database it found.
"""

from __future__ import annotations

import base64
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    LargeBinary,
    Table,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.sql.expression import Executable
from sqlalchemy.types import Date, DateTime

from cxmaturity.storage.database import NulInText, current_revision
from cxmaturity.storage.tables import Base

FORMAT = "cx-maturity backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
#: Rows inserted per statement on restore.
BATCH = 1000


class BackupError(Exception):
    """A backup that cannot be read or restored here; the message says why and what to do."""


@dataclass(frozen=True)
class Summary:
    revision: str
    rows: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _tables() -> list[Table]:
    """Every table, parents before children (foreign keys)."""
    return list(Base.metadata.sorted_tables)


def _encode(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, DateTime):
        # SQLite hands back naive values for timezone-aware columns (the app writes them in UTC); PostgreSQL hands
        # them back in the session's time zone. Both are written in UTC, so equal installations give equal files.
        return (value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(column.type, Date):
        return value.isoformat()
    if isinstance(column.type, LargeBinary):
        return base64.b64encode(value).decode("ascii")
    return value


def _decode(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column.type, Date):
        return date.fromisoformat(value)
    if isinstance(column.type, LargeBinary):
        return base64.b64decode(value)
    return value


def _rows(connection: Connection, table: Table) -> Iterator[dict[str, Any]]:
    order = list(table.primary_key.columns) or list(table.columns)
    result = connection.execution_options(yield_per=BATCH).execute(select(table).order_by(*order))
    for row in result.mappings():
        yield {column.name: _encode(column, row[column.name]) for column in table.columns}


def backup(engine: Engine, out: Path) -> Summary:
    """Write the installation behind ``engine`` to ``out`` (a zip file); return what it holds."""
    revision = current_revision(engine)
    if revision is None:
        raise BackupError("the database has never been migrated: there is nothing to back up")
    counts: dict[str, int] = {}
    partial = out.with_name(out.name + ".partial")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive, engine.connect() as conn:
            # One read transaction for all tables: a consistent snapshot even while the app writes.
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
                for table in _tables():
                    with archive.open(f"{table.name}.jsonl", "w") as member:
                        counts[table.name] = _write_lines(member, _rows(conn, table))
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "revision": revision,
                "created_at": datetime.now(UTC).isoformat(),
                "tables": counts,
            }
            archive.writestr(MANIFEST, json.dumps(manifest, indent=2))
        partial.replace(out)  # a backup file either is complete or does not exist
    finally:
        partial.unlink(missing_ok=True)
    return Summary(revision, counts)


def _write_lines(member: IO[bytes], rows: Iterator[dict[str, Any]]) -> int:
    count = 0
    for row in rows:
        member.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")
        count += 1
    return count


def read_manifest(path: Path) -> dict[str, Any]:
    """Return a backup's manifest, or BackupError saying what is wrong with the file."""
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(MANIFEST))
    except FileNotFoundError:
        raise BackupError(f"{path}: no such file") from None
    except OSError as exc:  # a folder, a file without read permission
        raise BackupError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise BackupError(f"{path}: not a cx-maturity backup ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: not a cx-maturity backup (its manifest does not say '{FORMAT}')")
    if not isinstance(manifest.get("tables", {}), dict):
        raise BackupError(f"{path}: its manifest's tables are not a mapping of names to counts; the file is damaged")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{path}: backup format version {manifest.get('format_version')}; this version of cx-maturity reads "
            f"version {FORMAT_VERSION}"
        )
    return manifest


def restore(engine: Engine, path: Path) -> Summary:
    """Restore the backup at ``path`` into the empty, migrated database behind ``engine``; all or nothing."""
    manifest = read_manifest(path)
    revision = current_revision(engine)
    if revision != manifest["revision"]:
        raise BackupError(
            f"{path} was taken at migration revision {manifest['revision']}, the database is at {revision or 'none'}: "
            "restore into a database migrated by the same version of cx-maturity (`cxm db upgrade`)"
        )
    tables = _tables()
    counts: dict[str, int] = {}
    with zipfile.ZipFile(path) as archive, engine.begin() as conn:
        occupied = [t.name for t in tables if conn.execute(select(func.count()).select_from(t)).scalar_one()]
        if occupied:
            raise BackupError(
                f"the database is not empty (rows in {', '.join(occupied[:5])}); restore only into a new, "
                "migrated database, so that nothing in it is overwritten"
            )
        for table in tables:
            counts[table.name] = _restore_table(conn, table, archive, path)
        expected = {str(k): v for k, v in manifest.get("tables", {}).items()}
        if counts != {t.name: expected.get(t.name, 0) for t in tables}:
            raise BackupError(f"{path}: the row counts do not match its manifest; the file is damaged")
        if conn.dialect.name == "postgresql":
            _advance_sequences(conn, tables)
    return Summary(manifest["revision"], counts)


def _restore_table(conn: Connection, table: Table, archive: zipfile.ZipFile, path: Path) -> int:
    name = f"{table.name}.jsonl"
    try:
        member = archive.open(name)
    except KeyError:
        raise BackupError(f"{path}: {name} is missing; the file is damaged") from None
    columns = {column.name: column for column in table.columns}
    # A row may point to a later row of its own table (a unit moved under a unit created after it): such links are
    # written once every row of the table is in.
    own = [c.name for c in table.columns if any(fk.column.table is table for fk in c.foreign_keys)]
    links: list[dict[str, Any]] = []
    batch: list[dict[str, Any]] = []
    count = 0
    with member:
        for number, line in enumerate(member, start=1):
            try:
                raw = json.loads(line)
                if not isinstance(raw, dict):
                    raise BackupError(f"{path}: {name} line {number}: not a row (a JSON object); the file is damaged")
                if unknown := sorted(set(raw) - set(columns)):
                    raise BackupError(f"{path}: {name} line {number}: no column '{unknown[0]}' in {table.name}")
                row = {key: _decode(columns[key], value) for key, value in raw.items()}
            except (ValueError, KeyError, TypeError) as exc:
                raise BackupError(f"{path}: {name} line {number}: {exc.__class__.__name__}: {exc}") from None
            if own and any(row.get(c) is not None for c in own):
                links.append({"row_id": row["id"], **{f"new_{c}": row[c] for c in own}})
                row = {**row, **dict.fromkeys(own)}
            batch.append(row)
            if len(batch) >= BATCH:
                _insert(conn, insert(table), batch, f"{path}: {name} {_lines(number - len(batch) + 1, number)}")
                count += len(batch)
                batch = []
    if batch:
        _insert(conn, insert(table), batch, f"{path}: {name} {_lines(count + 1, count + len(batch))}")
        count += len(batch)
    if links:
        statement = update(table).where(table.c.id == bindparam("row_id"))
        _insert(conn, statement.values({c: bindparam(f"new_{c}") for c in own}), links, f"{path}: {name}")
    return count


def _insert(conn: Connection, statement: Executable, rows: list[dict[str, Any]], where: str) -> None:
    """Write a batch of rows; a row the database refuses (a duplicate id, a missing link, a value out of range, a
    NUL character) is the file's fault: BackupError naming the lines, and the restore's transaction rolls back."""
    try:
        conn.execute(statement, rows)
    except (IntegrityError, DataError, NulInText) as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())  # PostgreSQL's DETAIL on the same line
        raise BackupError(f"{where}: the database refuses a row ({reason}); the file is damaged") from None


def _lines(first: int, last: int) -> str:
    return f"line {first}" if first == last else f"lines {first}-{last}"


def _advance_sequences(conn: Connection, tables: list[Table]) -> None:
    """Rows came with their ids: move each id sequence past them, or the next insert would collide."""
    quote = conn.dialect.identifier_preparer.quote
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        column = keys[0].name
        # Names come from the app's own table definitions, quoted; pg_get_serial_sequence is NULL for a table
        # without a sequence, and setval(NULL, ...) then does nothing.
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), COALESCE(MAX({quote(column)}), 0) + 1, false) "
                f"FROM {quote(table.name)}"
            ),
            {"table": table.name, "column": column},
        )
