"""Survey responses in and answer counts out, in SQL: the storage side of customer outcomes (no permission checks;
``services/outcomes_import.py`` and ``services/outcomes.py`` check who may do what).

Writing: rows arrive in batches and are upserted on (organization, response id), so a file imported twice counts
its responses once and the later import's values win. SQLite takes them with one ``executemany`` per batch;
PostgreSQL copies every batch into one temporary table with one ``COPY``, then updates the stored rows the file has
and inserts the others with one statement each, several times faster than parameterized inserts.

Counting: every write keeps ``outcome_count`` in step, in the same transaction: how many responses gave each answer
per metric, scale, month and segment. An import adds the counts of the rows it writes and takes off those of the
rows it replaces (read just before they are overwritten: per batch on SQLite, by one join on PostgreSQL); removing
an import takes off its rows' counts.
Metrics are computed from such *tallies* (``outcomes.metrics``), so NPS by month x segment reads a few thousand
counts instead of grouping every response, and is exact all the same.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Literal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from cxmaturity.storage.tables import OutcomeCount

Period = Literal["month", "quarter", "year"]
PERIODS: tuple[Period, ...] = ("month", "quarter", "year")

#: The stored columns of a survey response after the organization and source, in the order of a ``StoredRow``.
COLUMNS = (
    "response_id",
    "submitted_at",
    "month",
    "segment",
    "nps",
    "csat",
    "csat_scale",
    "ces",
    "ces_scale",
    "answers",
)
#: A response as the database takes it, converted once while the file is checked (outside any transaction):
#: response id, submitted at as ``YYYY-MM-DD HH:MM:SS.ffffff`` (how SQLAlchemy stores a datetime on SQLite, and
#: timestamp input on PostgreSQL), month, segment, nps, csat, csat scale, ces, ces scale, other answers as JSON text.
StoredRow = tuple[
    str, str | None, str | None, str, int | None, int | None, int | None, int | None, int | None, str | None
]

_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


@cache
def _json_key(name: str) -> str:
    return _JSON.encode(name) + ":"


#: The JSON text of the ratings nearly every answer is (0.0 to 10.0): one look-up instead of a ``repr`` each.
_RATING_TEXT = {float(i): repr(float(i)) for i in range(11)}
#: The texts of the answer combinations seen last: a file's driver ratings take few distinct combinations (3 ratings
#: on 1-5: 125), so most rows find theirs here. Emptied when full: its memory stays bounded.
_ANSWERS_SEEN: dict[tuple[tuple[str, float | None], ...], str | None] = {}
_ANSWERS_SEEN_MAX = 4096


def answers_json(answers: Mapping[str, float | None]) -> str | None:
    """Return the answered ones of ``answers`` as the JSON text ``json.dumps`` writes (compact, not ASCII-escaped),
    None when none is answered. Written directly, as the encoder would (a float as its ``repr``), because the general
    encoder was a sixth of an import's time; the ratings are finite floats (the reader refuses any other number)."""
    key = tuple(answers.items())
    found = _ANSWERS_SEEN.get(key, "")
    if found != "":
        return found
    known = _RATING_TEXT.get
    body = ",".join([_json_key(k) + (known(v) or float.__repr__(v)) for k, v in answers.items() if v is not None])
    text = "{" + body + "}" if body else None
    # -0.0 equals 0.0 as a key and would be written 0.0 when found here: the same number.
    if len(_ANSWERS_SEEN) >= _ANSWERS_SEEN_MAX:
        _ANSWERS_SEEN.clear()
    _ANSWERS_SEEN[key] = text
    return text


def stored_row(
    response_id: str,
    submitted_at: datetime | None,
    segment: str,
    nps: int | None,
    csat: int | None,
    csat_scale: int | None,
    ces: int | None,
    ces_scale: int | None,
    answers: Mapping[str, float | None],
) -> StoredRow:
    """Return the row the database stores for one response (unanswered driver questions left out)."""
    moment = None if submitted_at is None else submitted_at.isoformat(" ", "microseconds")
    return (
        response_id,
        moment,
        None if moment is None else moment[:7],
        segment,
        nps,
        csat,
        csat_scale if csat is not None else None,
        ces,
        ces_scale if ces is not None else None,
        answers_json(answers),
    )


# --- writing ---------------------------------------------------------------------------------------------------------

#: Pages of SQLite's cache (negative: KiB) while an import writes: the default 2 MB cannot hold the primary key's
#: working set for a million responses. A fixed size, so an import's memory stays flat whatever the file's size.
SQLITE_IMPORT_CACHE_KIB = 131_072

#: The server's working memory for the join and insert of a PostgreSQL import (``SET LOCAL``: this transaction only).
POSTGRES_IMPORT_WORK_MEM = "64MB"

#: The first key of the advisory lock on an organization's survey responses (PostgreSQL), the second being the
#: organization's id: any fixed number no other lock of the product uses with two keys.
_LOCK_KEY = 0x53525350  # "SRSP"

#: What a response adds to the counts: month, segment, nps, csat, csat scale, ces, ces scale (``StoredRow[2:9]``).
Counted = tuple[str | None, str, int | None, int | None, int | None, int | None, int | None]
_COUNTED = "month, segment, nps, csat, csat_scale, ces, ces_scale"
#: Metric, scale, month ("" without a date), segment, answer: one row of ``outcome_count``.
Cell = tuple[str, int, str, str, int]


def count_responses(db: Session, organization_id: int) -> int:
    """Return how many survey responses the organization holds."""
    found = db.scalar(
        select(func.sum(OutcomeCount.count)).where(
            OutcomeCount.organization_id == organization_id, OutcomeCount.metric == "responses"
        )
    )
    return int(found or 0)


@dataclass(frozen=True)
class Written:
    """What an upsert stored: ``added`` new responses, ``replaced`` ones stored before with the same response id."""

    added: int
    replaced: int


def upsert_responses(
    db: Session, organization_id: int, source_id: int, batches: Iterable[Sequence[StoredRow]]
) -> Written:
    """Store every batch of rows for the organization under ``source_id``, replacing rows with the same response id,
    and keep the organization's answer counts in step. The response ids of all batches together are distinct (the
    import refuses a file that repeats one): each row's counts are added once.

    Runs inside the caller's transaction: nothing is visible to others until it commits, and nothing is kept if it
    rolls back.
    """
    new: Counter[Counted] = Counter()
    old: Counter[Counted] = Counter()
    if db.get_bind().dialect.name == "postgresql":
        _copy_upsert(db, int(organization_id), int(source_id), batches, new, old)
    else:
        _executemany_upsert(db, int(organization_id), int(source_id), batches, new, old)
    written, replaced = new.total(), old.total()
    new.subtract(old)
    _add_counts(db, organization_id, new)
    return Written(written - replaced, replaced)


def remove_source_responses(db: Session, organization_id: int, source_id: int) -> None:
    """Delete the responses an import (last) wrote, and take their answers off the organization's counts."""
    _lock_responses(db, organization_id)
    found = db.execute(
        text(
            f"SELECT {_COUNTED}, count(*) FROM survey_response "
            f"WHERE organization_id = :org AND source_id = :source GROUP BY {_COUNTED}"
        ),
        {"org": organization_id, "source": source_id},
    )
    gone: Counter[Counted] = Counter({tuple(row[:7]): -int(row[7]) for row in found})
    db.execute(
        text("DELETE FROM survey_response WHERE organization_id = :org AND source_id = :source"),
        {"org": organization_id, "source": source_id},
    )
    _add_counts(db, organization_id, gone)


def _lock_responses(db: Session, organization_id: int) -> None:
    """Let one transaction at a time write an organization's survey responses, until it ends.

    PostgreSQL: a transaction-level advisory lock (two keys: this table's, the organization): an import counts the
    rows it replaces before it writes, and must not have another import or a removal change them in between. SQLite:
    every transaction already holds the write lock (storage/database.py begins them IMMEDIATE).
    """
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:table, :org)"), {"table": _LOCK_KEY, "org": organization_id})


def _cells(counted: Counter[Counted]) -> Counter[Cell]:
    """The rows of ``outcome_count`` that responses counted by their outcome columns add to (or take from)."""
    cells: Counter[Cell] = Counter()
    for (month, segment, nps, csat, csat_scale, ces, ces_scale), n in counted.items():
        if not n:
            continue
        m = month or ""
        cells["responses", 0, m, segment, 0] += n
        if nps is not None:
            cells["nps", 10, m, segment, nps] += n
        if csat is not None and csat_scale is not None:
            cells["csat", csat_scale, m, segment, csat] += n
        if ces is not None and ces_scale is not None:
            cells["ces", ces_scale, m, segment, ces] += n
    return cells


def _add_counts(db: Session, organization_id: int, counted: Counter[Counted]) -> None:
    """Add ``counted`` (negative to take off) to the organization's counts, removing counts that fall to zero."""
    rows = [
        {"org": organization_id, "metric": c[0], "scale": c[1], "month": c[2], "segment": c[3], "answer": c[4], "n": n}
        for c, n in _cells(counted).items()
        if n
    ]
    if not rows:
        return
    # The same statement on both databases (SQLite 3.24+ and PostgreSQL 9.5+ share ON CONFLICT … DO UPDATE).
    db.execute(
        text(
            "INSERT INTO outcome_count (organization_id, metric, scale, month, segment, answer, count) "
            "VALUES (:org, :metric, :scale, :month, :segment, :answer, :n) "
            "ON CONFLICT (organization_id, metric, scale, month, segment, answer) "
            "DO UPDATE SET count = outcome_count.count + excluded.count"
        ),
        rows,
    )
    db.execute(text("DELETE FROM outcome_count WHERE organization_id = :org AND count = 0"), {"org": organization_id})


#: Columns an import replaces when a response id is already stored.
_REPLACED = ("source_id", *COLUMNS[1:])


def _executemany_upsert(
    db: Session,
    organization_id: int,
    source_id: int,
    batches: Iterable[Sequence[StoredRow]],
    new: Counter[Counted],
    old: Counter[Counted],
) -> None:
    # The driver's own executemany on its own cursor, with the two ids written into the statement (integers, checked
    # above): the rows were converted to what SQLite stores while the file was checked (NUL characters refused
    # there), so SQLAlchemy's per-value processing and hooks (half the time) have nothing left to do.
    statement = (
        f"INSERT INTO survey_response (organization_id, source_id, {', '.join(COLUMNS)}) "
        f"VALUES ({organization_id}, {source_id}, {', '.join('?' * len(COLUMNS))}) "
        f"ON CONFLICT (organization_id, response_id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in _REPLACED)
    )
    # The rows a batch is about to replace, counted by their outcome columns; json_each takes the batch's ids as one
    # parameter, whatever their number.
    replaced = (
        f"SELECT {_COUNTED}, count(*) FROM survey_response WHERE organization_id = {organization_id} "
        f"AND response_id IN (SELECT value FROM json_each(?)) GROUP BY {_COUNTED}"
    )
    cursor = db.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        # An organization's first import replaces nothing: the look-up is skipped.
        holding = cursor.execute(
            f"SELECT 1 FROM survey_response WHERE organization_id = {organization_id} LIMIT 1"
        ).fetchone()
        (default_cache,) = cursor.execute("PRAGMA cache_size").fetchone()
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
        try:
            for batch in batches:
                if not batch:
                    continue
                if holding:
                    for *counted, n in cursor.execute(replaced, (json.dumps([row[0] for row in batch]),)):
                        old[tuple(counted)] += n
                cursor.executemany(statement, batch)
                new.update(row[2:9] for row in batch)
        finally:
            cursor.execute(f"PRAGMA cache_size = {int(default_cache)}")
    finally:
        cursor.close()


def _copy_upsert(
    db: Session,
    organization_id: int,
    source_id: int,
    batches: Iterable[Sequence[StoredRow]],
    new: Counter[Counted],
    old: Counter[Counted],
) -> None:
    # Every row goes into one temporary table by one COPY, then into survey_response by one INSERT … SELECT, after
    # one join has counted the rows it is about to replace. Per batch, that look-up was a hash join over all of the
    # organization's stored rows (the planner knows nothing of a freshly filled temporary table): the import's time
    # grew with the square of its size (223 s for a million responses, 3.7x a bare COPY).
    cursor = db.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    columns = ", ".join(COLUMNS)
    try:
        # A temporary table per transaction, dropped at its end: concurrent imports never see each other's rows, and
        # it writes no WAL. Its answers are json already, so COPY checks them and the insert casts nothing.
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS cxm_survey_import ("
            "response_id varchar(200), submitted_at timestamp, month varchar(7), segment varchar(100), nps smallint, "
            "csat smallint, csat_scale smallint, ces smallint, ces_scale smallint, answers json) ON COMMIT DROP"
        )
        cursor.execute("TRUNCATE cxm_survey_import")
        # The server's memory for the join and the grouping below, for this transaction only (the default 4 MB
        # spills a million-row join to disk in many batches); a fixed size whatever the file's.
        cursor.execute(f"SET LOCAL work_mem = '{POSTGRES_IMPORT_WORK_MEM}'")
        copied = 0
        with cursor.copy(f"COPY cxm_survey_import ({columns}) FROM STDIN") as copy:
            write = copy.write_row
            for batch in batches:
                for row in batch:
                    write(row)
                copied += len(batch)
        if not copied:
            return
        # The new rows' counts, grouped by the server in one pass over the staging table rather than row by row here.
        cursor.execute(f"SELECT {_COUNTED}, count(*) FROM cxm_survey_import GROUP BY {_COUNTED}")
        for *counted, n in cursor.fetchall():
            new[tuple(counted)] += n
        _lock_responses(db, organization_id)
        holding = cursor.execute(
            f"SELECT 1 FROM survey_response WHERE organization_id = {organization_id} LIMIT 1"
        ).fetchone()
        if holding:
            # Statistics, so that the planner joins a million rows as a million rows (one pass, not a probe each).
            cursor.execute("ANALYZE cxm_survey_import")
            stored = ", ".join(f"s.{c}" for c in _COUNTED.split(", "))
            joined = f"s.organization_id = {organization_id} AND s.response_id = i.response_id"
            cursor.execute(
                f"SELECT {stored}, count(*) FROM survey_response s JOIN cxm_survey_import i ON {joined} "
                f"GROUP BY {stored}"
            )
            for *counted, n in cursor.fetchall():
                old[tuple(counted)] += n
            # The stored rows the file has are updated in place, then only the others inserted: two plain statements
            # take half the time of one INSERT … ON CONFLICT, which inserts every row speculatively. The lock above
            # keeps another import or a removal from writing the organization's responses in between.
            assignments = ", ".join(f"{c} = i.{c}" for c in COLUMNS[1:])
            cursor.execute(
                f"UPDATE survey_response s SET source_id = {source_id}, {assignments} "
                f"FROM cxm_survey_import i WHERE {joined}"
            )
            missing = f" WHERE NOT EXISTS (SELECT FROM survey_response s WHERE {joined})"
        else:
            missing = ""  # an organization's first import replaces nothing
        # The import refuses a file that repeats a response id; should one reach here all the same, the primary key
        # refuses the second and the transaction stores nothing.
        cursor.execute(
            f"INSERT INTO survey_response (organization_id, source_id, {columns}) "
            f"SELECT {organization_id}, {source_id}, {columns} FROM cxm_survey_import i{missing}"
        )
        cursor.execute("TRUNCATE cxm_survey_import")
    finally:
        cursor.close()


# --- reading ---------------------------------------------------------------------------------------------------------


def period_of(month: str | None, period: Period) -> str | None:
    """The period a month (``2026-03``) falls in: the month itself, ``2026-Q1`` or ``2026``."""
    if month is None or period == "month":
        return month
    if period == "year":
        return month[:4]
    return f"{month[:4]}-Q{(int(month[5:7]) + 2) // 3}"


@dataclass(frozen=True)
class AnswerCount:
    """How many responses of a period and segment gave ``answer`` to a metric's question."""

    period: str | None
    segment: str
    answer: int
    count: int


Metric = Literal["nps", "csat", "ces"]


def answer_counts(
    db: Session,
    organization_id: int,
    metric: Metric,
    period: Period = "month",
    *,
    scale: int | None = None,
    since: str | None = None,
    until: str | None = None,
) -> list[AnswerCount]:
    """Return the organization's answers to ``metric`` counted per period, segment and answer.

    Read from the counts kept per month (``outcome_count``); months are summed into quarters or years here.
    ``scale`` keeps only CSAT or CES answers asked on that scale (an organization may hold a 1-5 and a 1-7 question).
    Responses without a date count in period None. ``since`` and ``until`` are months (``2026-01``), both included.
    """
    t = OutcomeCount
    query = select(t.month, t.segment, t.answer, t.count)
    query = query.where(t.organization_id == organization_id, t.metric == metric)
    if scale is not None and metric != "nps":
        query = query.where(t.scale == scale)
    if since is not None:
        query = query.where(t.month >= since)
    if until is not None:
        query = query.where(t.month <= until, t.month != "")
    counts: dict[tuple[str | None, str, int], int] = {}
    for month, segment, value, n in db.execute(query):
        key = (period_of(month or None, period), segment, int(value))
        counts[key] = counts.get(key, 0) + int(n)
    return [AnswerCount(p, s, a, n) for (p, s, a), n in counts.items()]


def scales_in_use(db: Session, organization_id: int, metric: Literal["csat", "ces"]) -> list[tuple[int, int]]:
    """Return (scale, responses) of the organization's answers to a CSAT or CES question, most answered first."""
    t = OutcomeCount
    total = func.sum(t.count)
    rows = db.execute(
        select(t.scale, total)
        .where(t.organization_id == organization_id, t.metric == metric)
        .group_by(t.scale)
        .order_by(total.desc(), t.scale)
    ).all()
    return [(int(s), int(n)) for s, n in rows]
