"""Answers imports: a CSV file of respondents added to an assessment, all or nothing, without stopping the others.

On SQLite one writer at a time holds the database, so an import must never hold it while it reads, checks or scores a
file (seconds for a large one), nor write tens of thousands of rows in one go: respondents saving pages elsewhere
would wait for all of it. So:

1. the assessment and the caller's role are read in a read-only transaction (no writer lock);
2. the file is parsed, checked against the limits and scored with no transaction open: a bad file is refused having
   written nothing;
3. its respondents are written in batches of at most ``BATCH_ANSWERS`` answers, each a transaction of its own (a
   bulk insert: ``executemany`` on SQLite, ``COPY`` on PostgreSQL), as invitations marked ``PENDING``: every reader
   of answers leaves those out (``services.results``), so nobody sees part of an import;
4. one short transaction checks the assessment is still open, marks the invitations ``import`` and moves the answers
   revision on: the whole file appears at once.

Should anything fail after the first batch (a full disk, a lost connection, a closed assessment), the rows written so
far are deleted again, in batches as well. A process killed midway leaves pending rows no reader sees; the next
import into the same assessment deletes those older than ``STALE_AFTER``.

A file holds no respondent key the database could match, so importing the same file twice would add its respondents
twice and double their weight in every result. The ``answers.import`` audit event, written in the transaction that
makes an import visible, keeps the SHA-256 of the file's normalized text (``fingerprint``); an import whose content
that assessment already holds is refused (``Conflict``) before anything is written and again in that last transaction,
unless the caller passes ``allow_duplicate``. A failed import writes no event, so it never counts as imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, Table, delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from cxmaturity.answers import AnswersError
from cxmaturity.frameworks import Framework
from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import phrase
from cxmaturity.scoring import ResponseMatrix, ScoringOptions, score
from cxmaturity.scoring.responses import DONT_KNOW_CODE, MISSING, NOT_APPLICABLE_CODE
from cxmaturity.scoring.result import NotScorable, require_scorable
from cxmaturity.services import access, audit, revisions
from cxmaturity.services.access import Actor
from cxmaturity.services.assessments import MAX_IMPORT_VALUES, campaign_units, framework_of, groups
from cxmaturity.services.errors import Conflict, Invalid
from cxmaturity.services.tokens import digest, new_token
from cxmaturity.storage.database import reading, transaction
from cxmaturity.storage.tables import PENDING_IMPORT, Answer, Assessment, AuditEvent, Invitation, RespondentGroup

PENDING = PENDING_IMPORT
IMPORTED = "import"
#: Answers written per transaction: on SQLite a batch holds the writer lock for some tens of milliseconds.
BATCH_ANSWERS = 5_000
#: On PostgreSQL a batch locks only its own new rows, so it can be larger: fewer round trips and commits.
BATCH_ANSWERS_POSTGRESQL = 100_000
#: Invitations updated or deleted per statement (well under SQLite's limit of bound parameters).
ID_CHUNK = 2_000
#: Pending rows older than this belong to an import whose process died; the next import deletes them.
STALE_AFTER = timedelta(hours=1)

_INVITATION: Table = Invitation.__table__  # type: ignore[assignment]  # declarative models carry their Table
_ANSWER: Table = Answer.__table__  # type: ignore[assignment]
_GROUP: Table = RespondentGroup.__table__  # type: ignore[assignment]
_ANSWER_COLUMNS = (
    "assessment_id",
    "invitation_id",
    "indicator_key",
    "option_key",
    "importance",
    "comment",
    "answered_at",
)


@dataclass
class _Written:
    """What an import has written so far, to delete again should it fail."""

    invitations: list[int] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)


def import_answers(
    sessions: sessionmaker[Session],
    actor: Actor,
    assessment_id: int,
    filename: str,
    text: str,
    *,
    max_values: int = MAX_IMPORT_VALUES,
    progress: Callable[[int, int], None] | None = None,
    journal: Callable[[Session, list[int]], None] | None = None,
    finishing: Callable[[Session, int], None] | None = None,
    allow_duplicate: bool = False,
) -> int:
    """Add the answers of a CSV (the CLI's formats) as new respondents; all or nothing. Return how many.

    At most ``max_values`` answers (respondents x indicators of the framework) are imported at once; scoring and
    storing them grows with their number. ``progress(done, total)`` is told the respondents written so far, after
    the file was checked and after each batch (a long job shows it: services/long_jobs.py).

    For a long job that another worker may take over: ``journal(db, ids)`` is called in each batch's transaction
    with the invitation ids it wrote (the job records them there, so that a later attempt can delete exactly them
    should this process die), and ``finishing(db, count)`` in the transaction that makes the import visible (the
    job is marked done in it, so the import and the job's end are one commit); either may raise to abandon it.

    A file whose content was imported into the assessment before is refused (``Conflict``) unless
    ``allow_duplicate``: its respondents would count twice.
    """
    name = Path(filename or "answers.csv").name
    content = fingerprint(text)
    with reading(sessions) as db:
        assessment = access.assessment(db, actor, assessment_id, "facilitator")
        if assessment.status == "closed":
            raise Conflict(N_("the assessment is closed; reopen it to import answers"))
        if not allow_duplicate:
            refuse_repeat(db, assessment.organization_id, assessment_id, name, content)
        fw = framework_of(assessment)
        organization_id = assessment.organization_id
    responses = _checked(fw, name, text, max_values)
    written = _Written()
    try:
        group_ids = _groups(sessions, actor, assessment_id, responses, written)
        _discard_stale(sessions, assessment_id)
        if progress:
            progress(0, responses.size)
        for batch in _batches(responses, _per_batch(sessions)):
            with transaction(sessions) as db:
                before = len(written.invitations)
                _write(db.connection(), assessment_id, responses, batch, group_ids, written)
                if journal:
                    journal(db, written.invitations[before:])
            if progress:
                progress(batch.stop, responses.size)
        with transaction(sessions) as db:
            assessment = access.assessment(db, actor, assessment_id, "facilitator")
            if assessment.status == "closed":
                raise Conflict(N_("the assessment was closed during the import; nothing was imported"))
            # The revision row first: a concurrent import into the assessment waits here until the other commits
            # (PostgreSQL's row lock; SQLite's writer lock is held already), so the check below sees its event and
            # the same file sent twice at once is imported once.
            revisions.bump(db, assessment_id)
            if not allow_duplicate:
                refuse_repeat(db, assessment.organization_id, assessment_id, name, content)
            connection = db.connection()
            for chunk in _chunks(written.invitations):
                connection.execute(update(_INVITATION).where(_INVITATION.c.id.in_(chunk)).values(source=IMPORTED))
            audit.record(
                db,
                "answers.import",
                organization_id=organization_id,
                user_id=actor.user_id,
                target=str(assessment_id),
                respondents=responses.size,
                filename=name,
                sha256=content,
                **({"duplicate": True} if allow_duplicate else {}),
            )
            if finishing:
                finishing(db, responses.size)
    except BaseException:
        # Should deleting fail as well (the database gone), the pending rows stay unseen until the next import
        # into the assessment deletes them (_discard_stale); the first error is the one to report.
        with suppress(Exception):
            _discard(sessions, written)
        raise
    return responses.size


def fingerprint(text: str) -> str:
    """The SHA-256 (hex) of a file's normalized text: without a byte order mark, with LF line ends and no trailing
    blank lines, so that the same answers saved on another system are recognized as the same file."""
    normalized = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")
    return sha256(normalized.encode("utf-8")).hexdigest()


def refuse_repeat(db: Session, organization_id: int, assessment_id: int, name: str, content: str) -> None:
    """Raise ``Conflict`` naming when the content (a ``fingerprint``) was imported into the assessment before.

    Only completed imports count: their ``answers.import`` event is written in the transaction that made them
    visible, so a failed or rolled-back one left none."""
    events = db.execute(
        select(AuditEvent.at, AuditEvent.detail)
        .where(
            AuditEvent.organization_id == organization_id,
            AuditEvent.action == "answers.import",
            AuditEvent.target == str(assessment_id),
        )
        .order_by(AuditEvent.id)
    )
    for at, detail in events:
        if (detail or {}).get("sha256") != content:
            continue
        title = db.scalar(select(Assessment.title).where(Assessment.id == assessment_id)) or str(assessment_id)
        when = (at if at.tzinfo else at.replace(tzinfo=UTC)).strftime("%Y-%m-%d %H:%M UTC")
        raise Conflict(
            phrase(
                N_(
                    "%(name)s holds the same answers as a file imported into “%(assessment)s” on %(when)s; "
                    "importing it again would count its respondents twice, so nothing was imported "
                    "(to import it anyway, allow a duplicate import)"
                ),
                name=name,
                assessment=title,
                when=when,
            ),
            field="file",
        )


def _checked(fw: Framework, name: str, text: str, max_values: int) -> ResponseMatrix:
    """Parse and check the file outside any transaction; raise Invalid naming what is wrong."""
    from cxmaturity.answers.csv_reader import read_answers_text

    try:
        responses = read_answers_text(text, fw, name)
    except AnswersError as exc:
        raise Invalid(
            N_("the file has errors; nothing was imported"), field="file", details=[str(p) for p in exc.problems]
        ) from None
    values = len(responses.respondents) * len(fw.indicator_keys)
    if values > max_values:
        raise Invalid(
            phrase(
                N_(
                    "%(name)s holds %(count)s respondents x %(count2)s indicators = %(values)s "
                    "answers; at most %(max_values)s may be imported at once "
                    "(CXM_MAX_IMPORT_VALUES): split the file"
                ),
                name=name,
                count=len(responses.respondents),
                count2=len(fw.indicator_keys),
                values=values,
                max_values=max_values,
            ),
            field="file",
        )
    # Checked here, before any batch is written: the database refuses the NUL character anyway, but only midway.
    texts = [*((g, "group") for g in set(responses.groups)), *((c.text, "comment") for c in responses.comments)]
    for text_value, what in texts:
        if "\x00" in text_value:
            raise Invalid(
                phrase(
                    N_("%(name)s: a %(what)s contains the NUL character (\\x00); nothing was imported"),
                    name=name,
                    what=what,
                ),
                field="file",
            )
    # The scoring's own rule decides what is usable: a file of nothing but don't know, not applicable and empty
    # cells is no evidence, so it is refused like an empty one rather than stored as respondents who count nowhere.
    try:
        require_scorable(score(responses, ScoringOptions(bootstrap=0)), name)
    except NotScorable as exc:
        raise Invalid(phrase(N_("%(problem)s; nothing was imported"), problem=str(exc)), field="file") from None
    return responses


def _groups(
    sessions: sessionmaker[Session], actor: Actor, assessment_id: int, responses: ResponseMatrix, written: _Written
) -> dict[str, int]:
    """Return the assessment's group ids by name, adding the file's new groups (recorded in ``written``)."""
    with transaction(sessions) as db:
        assessment = access.assessment(db, actor, assessment_id, "facilitator")
        if assessment.status == "closed":
            raise Conflict(N_("the assessment is closed; reopen it to import answers"))
        if any(responses.groups) and campaign_units(db, assessment.id):
            # Groups and units cutting the same respondents two ways could be subtracted from each other
            # (docs/units.md): a file's groups would give the campaign the groups that add_groups refuses it.
            raise Invalid(
                N_("a campaign across units has no respondent groups: its units group the respondents"),
                field="group",
            )
        group_ids = {g.name: g.id for g in groups(db, assessment.id)}
        for name in sorted({g for g in responses.groups if g} - set(group_ids)):
            group = RespondentGroup(assessment_id=assessment.id, name=name[:100])
            db.add(group)
            db.flush()
            group_ids[name] = group.id
            written.groups.append(group.id)
    return group_ids


def _per_batch(sessions: sessionmaker[Session]) -> int:
    bind = sessions.kw.get("bind")
    postgresql = bind is not None and bind.dialect.name == "postgresql"
    return BATCH_ANSWERS_POSTGRESQL if postgresql else BATCH_ANSWERS


def _batches(responses: ResponseMatrix, answers: int = BATCH_ANSWERS) -> Iterator[range]:
    per_batch = max(1, answers // max(1, len(responses.framework.indicator_keys)))
    for start in range(0, responses.size, per_batch):
        yield range(start, min(start + per_batch, responses.size))


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), ID_CHUNK):
        yield ids[start : start + ID_CHUNK]


def _write(
    connection: Connection,
    assessment_id: int,
    responses: ResponseMatrix,
    batch: range,
    group_ids: dict[str, int],
    written: _Written,
) -> None:
    """Write one batch of respondents as pending invitations and their answers, in bulk, straight to the driver.

    The invitations get their ids up front (PostgreSQL's sequence; on SQLite the next ids after the largest, taken
    under the writer lock this transaction holds), so that they go in as one bulk statement as well: an insert that
    returns each new id took a statement per row on SQLite. No statement events run per row either: the texts were
    checked for NUL characters before the first batch (``_checked``).
    """
    now = datetime.now(UTC)
    cursor: Any = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if connection.dialect.name == "postgresql":
            _write_postgresql(cursor, assessment_id, responses, batch, group_ids, written, now)
        else:
            _write_sqlite(cursor, assessment_id, responses, batch, group_ids, written, now)
    finally:
        cursor.close()


_INVITATION_COLUMNS = ("id", "assessment_id", "group_id", "token_hash", "source", "held", "created_at", "started_at")


def _write_sqlite(
    cursor: Any,
    assessment_id: int,
    responses: ResponseMatrix,
    batch: range,
    group_ids: dict[str, int],
    written: _Written,
    now: datetime,
) -> None:
    # The time as SQLAlchemy stores it on SQLite, so that no adapter runs per row.
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
    first = cursor.execute("SELECT coalesce(max(id), 0) + 1 FROM invitation").fetchone()[0]
    ids = list(range(first, first + len(batch)))
    groups = [group_ids.get(responses.groups[r]) for r in batch]
    cursor.executemany(
        f"INSERT INTO invitation ({', '.join(_INVITATION_COLUMNS)}, completed_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)",
        [
            (i, assessment_id, g, digest(new_token()), PENDING, stamp, stamp, stamp)
            for i, g in zip(ids, groups, strict=True)
        ],
    )
    # Recorded before the answers: should they fail, these rows are deleted again.
    written.invitations.extend(ids)
    invitation, key, option, weight, comment = _answer_columns(responses, batch, ids)
    cursor.executemany(
        f"INSERT INTO answer ({', '.join(_ANSWER_COLUMNS)}) VALUES ({', '.join('?' * len(_ANSWER_COLUMNS))})",
        zip(repeat(assessment_id), invitation, key, option, weight, comment, repeat(stamp)),
    )


def _write_postgresql(
    cursor: Any,
    assessment_id: int,
    responses: ResponseMatrix,
    batch: range,
    group_ids: dict[str, int],
    written: _Written,
    now: datetime,
) -> None:
    # The rows are pending until the last transaction marks them imported, and that one commits synchronously:
    # PostgreSQL writes its log in order, so once it is on disk so are these. Waiting for each batch's flush too
    # bought nothing (a crash before the end leaves pending rows that nobody reads, deleted by the next import).
    cursor.execute("SET LOCAL synchronous_commit = off")
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence('invitation', 'id')) FROM generate_series(1, %s)", (len(batch),)
    )
    ids = [row[0] for row in cursor.fetchall()]
    # COPY's text format, written whole rather than a Python call per row (ids and hashes need no escaping; the
    # group ids are numbers or \N).
    stamp = now.isoformat()
    group_text = {name: str(gid) for name, gid in group_ids.items()}
    lines = [
        f"{i}\t{assessment_id}\t{group_text.get(responses.groups[r], _NULL)}\t{digest(new_token())}\t{PENDING}\tt"
        f"\t{stamp}\t{stamp}\t{stamp}\n"
        for i, r in zip(ids, batch, strict=True)
    ]
    with cursor.copy(f"COPY invitation ({', '.join(_INVITATION_COLUMNS)}, completed_at) FROM STDIN") as copy:
        copy.write("".join(lines))
    written.invitations.extend(ids)
    invitation, key, option, weight, comment = _answer_columns(responses, batch, ids)
    texts = {k: _copy_text(k) for k in {*key, *option}}
    weights = {w: _NULL if w is None else str(w) for w in set(weight)}
    tail = f"\t{stamp}\n"
    head = f"{assessment_id}\t"
    body = "".join(
        [
            f"{head}{i}\t{texts[k]}\t{texts[o]}\t{weights[w]}\t{_NULL if c is None else _copy_text(c)}{tail}"
            for i, k, o, w, c in zip(invitation, key, option, weight, comment, strict=True)
        ]
    )
    with cursor.copy(f"COPY answer ({', '.join(_ANSWER_COLUMNS)}) FROM STDIN") as copy:
        copy.write(body)


#: NULL in COPY's text format.
_NULL = "\\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    """Text as COPY's text format needs it: backslash, tab, line feed and carriage return escaped."""
    return value.translate(_COPY_ESCAPES)


def _answer_columns(
    responses: ResponseMatrix, batch: range, ids: list[int]
) -> tuple[list[int], list[str], list[str], list[int | None], list[str | None]]:
    """The batch's answers as columns (invitation id, indicator key, option key, importance, comment): a cell is
    stored when answered or commented. Computed a column at a time with numpy, not a cell at a time."""
    fw = responses.framework
    keys = list(fw.indicator_keys)
    codes = responses.answers[batch.start : batch.stop]
    weights = responses.importance[batch.start : batch.stop]
    comments = {(c.respondent - batch.start, c.indicator): c.text for c in responses.comments if c.respondent in batch}
    present = codes != MISSING
    for r, key in comments:
        present[r, keys.index(key)] = True
    rows_of, columns_of = np.nonzero(present)
    # The option key of every (column, code): codes run from NOT_APPLICABLE_CODE (-3) up.
    offset = -NOT_APPLICABLE_CODE
    widest = max(len(fw.answer_keys(ind)) for _, ind in fw.indicators) + offset
    lookup = np.full((len(keys), widest), "", dtype=object)
    for column, (_, ind) in enumerate(fw.indicators):
        for code, option in enumerate(fw.answer_keys(ind)):
            lookup[column, code + offset] = option
        lookup[column, DONT_KNOW_CODE + offset] = "dk"
        lookup[column, NOT_APPLICABLE_CODE + offset] = "na"
    cell_codes = codes[rows_of, columns_of].astype(np.int64)
    options = lookup[columns_of, np.where(cell_codes == MISSING, 0, cell_codes + offset)]
    options[cell_codes == MISSING] = ""
    # The importance column holds whole numbers (as it always has: a 2.5 is stored as 2).
    cell_weights = weights[rows_of, columns_of]
    whole = np.nan_to_num(cell_weights, nan=0).astype(np.int64).astype(object)
    whole[np.isnan(cell_weights)] = None
    invitation = np.asarray(ids, dtype=np.int64)[rows_of].tolist()
    key_of = np.asarray(keys, dtype=object)[columns_of].tolist()
    if comments:
        comment = [comments.get((r, k)) for r, k in zip(rows_of.tolist(), key_of, strict=True)]
    else:
        comment = [None] * len(invitation)
    return invitation, key_of, options.tolist(), whole.tolist(), comment


def _discard(sessions: sessionmaker[Session], written: _Written) -> None:
    """Delete what a failed import wrote (its answers go with their invitations), a batch per transaction."""
    per_batch = max(1, BATCH_ANSWERS // 40)
    for start in range(0, len(written.invitations), per_batch):
        with transaction(sessions) as db:
            chunk = written.invitations[start : start + per_batch]
            db.connection().execute(delete(_ANSWER).where(_ANSWER.c.invitation_id.in_(chunk)))
            db.connection().execute(delete(_INVITATION).where(_INVITATION.c.id.in_(chunk)))
    if written.groups:
        with transaction(sessions) as db:
            db.connection().execute(delete(_GROUP).where(_GROUP.c.id.in_(written.groups)))


def runs(ids: Sequence[int]) -> list[list[int]]:
    """Consecutive ids as runs ([[first, last], ...]): each run holds only the ids given, however the ids of a batch
    were interleaved with another writer's."""
    found: list[list[int]] = []
    for i in sorted(ids):
        if found and found[-1][1] == i - 1:
            found[-1][1] = i
        else:
            found.append([i, i])
    return found


def discard_runs(sessions: sessionmaker[Session], assessment_id: int, written: Sequence[Sequence[int]]) -> int:
    """Delete the pending respondents (and their answers) of an import attempt that died, given its runs of ids;
    return how many. Only rows still pending are touched: nothing an import completed."""
    gone = 0
    pieces = [(lo, min(lo + ID_CHUNK - 1, last)) for first, last in written for lo in range(first, last + 1, ID_CHUNK)]
    for first, last in pieces:
        with transaction(sessions) as db:
            chosen = select(_INVITATION.c.id).where(
                _INVITATION.c.id.between(first, last),
                _INVITATION.c.assessment_id == assessment_id,
                _INVITATION.c.source == PENDING,
            )
            db.connection().execute(delete(_ANSWER).where(_ANSWER.c.invitation_id.in_(chosen)))
            result: Any = db.connection().execute(delete(_INVITATION).where(_INVITATION.c.id.in_(chosen)))
            gone += int(result.rowcount or 0)
    return gone


def _discard_stale(sessions: sessionmaker[Session], assessment_id: int) -> None:
    """Delete pending rows of this assessment left by an import whose process died (older than STALE_AFTER)."""
    with reading(sessions) as db:
        stale = list(
            db.scalars(
                select(Invitation.id).where(
                    Invitation.assessment_id == assessment_id,
                    Invitation.source == PENDING,
                    Invitation.created_at < datetime.now(UTC) - STALE_AFTER,
                )
            )
        )
    _discard(sessions, _Written(invitations=stale))


def pending(source: str) -> bool:
    """Return whether an invitation's source marks a respondent of an import still being written."""
    return source == PENDING
