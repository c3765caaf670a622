"""Importing survey responses: streamed, checked in full before anything is written, then written all at once.

Two steps, so that a large file never holds the database's write lock while it is being read:

1. ``prepare_survey`` reads the responses (a stream from the outcomes reader, which checks every cell and finds
   repeated response ids) and parks them, converted to what the database stores, in a temporary file in batches.
   Memory stays flat: a batch, and the reader's 16 bytes per response for the repeat check. No transaction is open.
2. ``store_survey`` writes the parked rows in one transaction (``services/outcomes_store.py`` upserts them by
   response id): all of them or, should anything fail, none.

A file with any problem stores nothing, and its problems name file, row and column.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol

from sqlalchemy.orm import Session

from cxmaturity.answers.builder import Where
from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import phrase
from cxmaturity.outcomes.problems import ProblemLog
from cxmaturity.services import access, audit
from cxmaturity.services.access import Actor
from cxmaturity.services.errors import Invalid
from cxmaturity.services.outcomes_store import StoredRow, stored_row, upsert_responses
from cxmaturity.storage.tables import OutcomeSource

#: Responses per batch, parked and written together: large enough that per-statement costs vanish, small enough to
#: keep memory flat (a few MB).
BATCH = 5_000
#: Problems listed before the rest are only counted.
MAX_PROBLEMS = 50


class ResponseLike(Protocol):
    """What the import needs of a survey response (``cxmaturity.outcomes.model.SurveyResponse`` has it)."""

    @property
    def response_id(self) -> str: ...
    @property
    def row(self) -> int: ...
    @property
    def submitted_at(self) -> datetime | None: ...
    @property
    def segment(self) -> str | None: ...
    @property
    def nps(self) -> int | None: ...
    @property
    def csat(self) -> int | None: ...
    @property
    def ces(self) -> int | None: ...
    @property
    def drivers(self) -> Mapping[str, float | None]: ...


@dataclass(frozen=True)
class SurveyFile:
    """Where the responses come from, as the source's row records it."""

    file_name: str
    tool: str
    #: The column mapping used, as JSON-ready data.
    mapping: dict[str, Any]
    #: The column that holds the response id (named in the problem of a repeated id); None when the file has none.
    id_column: str | None
    csat_scale: int | None = None
    ces_scale: int | None = None


@dataclass
class Spool:
    """Normalized rows parked in a temporary file between the check and the write, ``BATCH`` at a time."""

    batch: int = BATCH
    _parked: int = 0
    _file: IO[bytes] = field(default_factory=lambda: tempfile.TemporaryFile(prefix="cxm-import-"))  # noqa: SIM115 - closed by close()
    _pending: list[StoredRow] = field(default_factory=list)

    def add(self, row: StoredRow) -> None:
        pending = self._pending
        pending.append(row)
        if len(pending) >= self.batch:
            self._flush()

    def extend(self, rows: list[StoredRow]) -> None:
        """Park rows gathered by the caller (a batch or less: one call per batch rather than per row)."""
        self._pending.extend(rows)
        if len(self._pending) >= self.batch:
            self._flush()

    @property
    def count(self) -> int:
        """Rows parked so far."""
        return self._parked + len(self._pending)

    def _flush(self) -> None:
        if self._pending:
            self._parked += len(self._pending)
            pickle.dump(self._pending, self._file, protocol=pickle.HIGHEST_PROTOCOL)
            self._pending = []

    def rows(self) -> Iterator[list[StoredRow]]:
        """Yield the parked rows, batch by batch, in the order added."""
        self._flush()
        self._file.seek(0)
        while True:
            try:
                yield pickle.load(self._file)
            except EOFError:
                return

    def close(self) -> None:
        self._file.close()


@dataclass
class Prepared:
    """A checked file, parked and ready to be written."""

    source: SurveyFile
    spool: Spool

    @property
    def responses(self) -> int:
        return self.spool.count

    def close(self) -> None:
        self.spool.close()


def row_of(response: ResponseLike, source: SurveyFile, id_prefix: str = "") -> StoredRow:
    """The stored row of a response: the outcome answers with their scales, the driver answers as JSON."""
    return stored_row(
        id_prefix + response.response_id,
        response.submitted_at,
        (response.segment or "")[:100],
        response.nps,
        response.csat,
        source.csat_scale,
        response.ces,
        source.ces_scale,
        response.drivers,
    )


def problem_lines(problems: ProblemLog, path: Path, file_name: str) -> list[str]:
    """The problems of a file, one line each, naming the file as the user knows it (not the temporary copy)."""
    lines = [str(p).replace(str(path), file_name, 1) for p in problems.problems]
    if problems.count > len(problems.problems):
        lines.append(f"(and {problems.count - len(problems.problems)} more problems)")
    return lines


def refuse(problems: ProblemLog, path: Path, file_name: str) -> Invalid:
    """The error of a file with problems: nothing of it is stored."""
    return Invalid(
        phrase(
            N_("%(file_name)s has %(count)s problem(s); nothing was imported"),
            file_name=file_name,
            count=problems.count,
        ),
        field="file",
        details=problem_lines(problems, path, file_name),
    )


def prepare_survey(
    responses: Iterable[ResponseLike],
    source: SurveyFile,
    problems: ProblemLog,
    path: Path,
    id_prefix: str = "",
) -> Prepared:
    """Read every response (the reader checks each cell, and repeated response ids at the end) and park it; raise
    Invalid, with nothing parked, when the reader found any problem.

    ``id_prefix`` is put before every response id (none by default: the reader's ids are the tool's own, or a hash of
    the row's cells for a file without a response id column).
    """
    spool = Spool()
    # row_of, with what it looks up once per file taken out of the loop (it runs a million times in a large import).
    csat_scale, ces_scale, batch = source.csat_scale, source.ces_scale, spool.batch
    pending: list[StoredRow] = []
    try:
        for response in responses:
            segment = response.segment
            row = stored_row(
                id_prefix + response.response_id,
                response.submitted_at,
                segment[:100] if segment else "",
                response.nps,
                response.csat,
                csat_scale,
                response.ces,
                ces_scale,
                response.drivers,
            )
            # PostgreSQL cannot store the NUL character and COPY would fail on it mid-import: refuse it here, by line.
            if "\x00" in row[0] or "\x00" in row[3] or (row[9] is not None and "\\u0000" in row[9]):
                problems.add(
                    Where(source.file_name, response.row),
                    "the response id, segment or a driver's name holds the NUL character, which cannot be stored",
                )
                continue
            pending.append(row)
            if len(pending) >= batch:
                spool.extend(pending)
                pending = []
        spool.extend(pending)
    except BaseException:
        spool.close()
        raise
    if problems:
        spool.close()
        raise refuse(problems, path, source.file_name)
    return Prepared(source, spool)


@dataclass(frozen=True)
class ImportSummary:
    """What an import stored: ``added`` new responses, ``replaced`` ones an earlier import had (same response id)."""

    source_id: int
    file_name: str
    tool: str
    responses: int
    added: int
    replaced: int
    #: Responses the file marks as not finished, left out (``ColumnMapping.include_partial`` keeps them).
    partial: int = 0


def store_survey(
    db: Session, actor: Actor | None, organization_id: int, prepared: Prepared, *, synthetic: bool = False
) -> ImportSummary:
    """Write a prepared file's responses for the organization in the caller's transaction; ``actor`` None: the
    system (the demo) writes without a permission check."""
    if actor is not None:
        access.require_role(db, actor, organization_id, "facilitator")
    src = prepared.source
    source = OutcomeSource(
        organization_id=organization_id,
        kind="survey",
        file_name=src.file_name[:300],
        tool=src.tool,
        mapping=src.mapping,
        rows=prepared.responses,
        synthetic=synthetic,
        imported_by=actor.user_id if actor else None,
    )
    db.add(source)
    db.flush()
    written = upsert_responses(db, organization_id, source.id, prepared.spool.rows())
    added = written.added
    source.added, source.replaced = added, written.replaced
    audit.record(
        db,
        "outcomes.import",
        organization_id=organization_id,
        user_id=actor.user_id if actor else None,
        target=source.file_name,
        kind="survey",
        responses=prepared.responses,
        added=added,
    )
    return ImportSummary(source.id, source.file_name, source.tool, prepared.responses, added, source.replaced)
