"""Survey responses in and answer counts out, in SQL: the storage side of customer outcomes (no permission checks;
``services/outcomes_import.py`` and ``services/outcomes.py`` check who may do what).

Writing: rows arrive in batches and are upserted on (organization, response id), so a file imported twice counts
its responses once and the later import's values win. SQLite takes them with one ``executemany`` per batch;
PostgreSQL copies each batch into a temporary table with ``COPY`` and moves it with one ``INSERT … SELECT … ON
CONFLICT``, several times faster than parameterized inserts.

Reading: metrics are computed from *tallies* (how many respondents gave each answer, ``outcomes.metrics``), so the
database only counts: ``GROUP BY month, segment, answer``. The month is a stored column rather than an expression
(``strftime`` on SQLite, ``date_trunc`` on PostgreSQL): grouping by an expression makes SQLite sort every row, while a
stored column is grouped in the order of an index that holds every column the count reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxmaturity.storage.tables import SurveyResponse

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


def stored_row(
    response_id: str,
    submitted_at: datetime | None,
    segment: str,
    nps: int | None,
    csat: int | None,
    csat_scale: int | None,
    ces: int | None,
    ces_scale: int | None,
    answers: dict[str, float] | None,
) -> StoredRow:
    """Return the row the database stores for one response."""
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
        None if not answers else _JSON.encode(answers),
    )


# --- writing ---------------------------------------------------------------------------------------------------------

#: Pages of SQLite's cache (negative: KiB) while an import writes: the default 2 MB cannot hold the indexes' working
#: set, and inserting a million responses in date order into an index sorted by month then spends most of its time
#: re-reading pages. A fixed size, so an import's memory stays flat whatever the file's size.
SQLITE_IMPORT_CACHE_KIB = 131_072


def count_responses(db: Session, organization_id: int) -> int:
    """Return how many survey responses the organization holds."""
    found = db.scalar(
        select(func.count()).select_from(SurveyResponse).where(SurveyResponse.organization_id == organization_id)
    )
    return int(found or 0)


def upsert_responses(db: Session, organization_id: int, source_id: int, batches: Iterable[Sequence[StoredRow]]) -> None:
    """Store every batch of rows for the organization under ``source_id``, replacing rows with the same response id.

    Runs inside the caller's transaction: nothing is visible to others until it commits, and nothing is kept if it
    rolls back.
    """
    if db.get_bind().dialect.name == "postgresql":
        _copy_upsert(db, int(organization_id), int(source_id), batches)
    else:
        _executemany_upsert(db, int(organization_id), int(source_id), batches)


#: Columns an import replaces when a response id is already stored.
_REPLACED = ("source_id", *COLUMNS[1:])


def _executemany_upsert(
    db: Session, organization_id: int, source_id: int, batches: Iterable[Sequence[StoredRow]]
) -> None:
    # The driver's own executemany, with the two ids written into the statement (integers, checked above): the rows
    # were converted to what SQLite stores while the file was checked, so SQLAlchemy's per-value processing (a third
    # of the time) has nothing left to do.
    statement = (
        f"INSERT INTO survey_response (organization_id, source_id, {', '.join(COLUMNS)}) "
        f"VALUES ({organization_id}, {source_id}, {', '.join('?' * len(COLUMNS))}) "
        f"ON CONFLICT (organization_id, response_id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in _REPLACED)
    )
    connection = db.connection()
    (default_cache,) = connection.exec_driver_sql("PRAGMA cache_size").one()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
    try:
        for batch in batches:
            if batch:
                connection.exec_driver_sql(statement, list(batch))
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(default_cache)}")


def _copy_upsert(db: Session, organization_id: int, source_id: int, batches: Iterable[Sequence[StoredRow]]) -> None:
    cursor = db.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    columns = ", ".join(COLUMNS)
    try:
        # A temporary table per transaction, dropped at its end: concurrent imports never see each other's rows.
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS cxm_survey_import ("
            "response_id varchar(200), submitted_at timestamp, month varchar(7), segment varchar(100), nps smallint, "
            "csat smallint, csat_scale smallint, ces smallint, ces_scale smallint, answers text) ON COMMIT DROP"
        )
        assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in _REPLACED)
        for batch in batches:
            if not batch:
                continue
            cursor.execute("TRUNCATE cxm_survey_import")
            with cursor.copy(f"COPY cxm_survey_import ({columns}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row(row)
            # DISTINCT ON keeps one row per response id should a batch repeat one (the import refuses such files;
            # this keeps the statement from failing on "cannot affect row a second time" all the same).
            cursor.execute(
                f"INSERT INTO survey_response (organization_id, source_id, {columns}) "
                f"SELECT DISTINCT ON (response_id) {organization_id}, {source_id}, response_id, submitted_at, month, "
                f"segment, nps, csat, csat_scale, ces, ces_scale, answers::json FROM cxm_survey_import "
                f"ON CONFLICT (organization_id, response_id) DO UPDATE SET {assignments}"
            )
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

    The database counts per month, segment and answer in the order of ``ix_survey_response_tally`` (for NPS the
    index's own order; CSAT and CES group by every outcome column, which keeps that order); months are then summed
    into quarters or years here. ``scale`` keeps only CSAT or CES answers asked on that scale (an organization may
    hold a 1-5 and a 1-7 question). Responses without a date count in period None. ``since`` and ``until`` are months
    (``2026-01``), both included.
    """
    t = SurveyResponse
    answer = getattr(t, metric)
    if metric == "nps":
        keys: tuple[Any, ...] = (t.month, t.segment, t.nps)
    else:
        keys = (t.month, t.segment, t.nps, t.csat, t.csat_scale, t.ces, t.ces_scale)
    query = (
        select(t.month, t.segment, answer, func.count())
        .where(t.organization_id == organization_id, answer.is_not(None))
        .group_by(*keys)
    )
    if scale is not None and metric != "nps":
        query = query.where(getattr(t, f"{metric}_scale") == scale)
    if since is not None:
        query = query.where(t.month >= since)
    if until is not None:
        query = query.where(t.month <= until)
    counts: dict[tuple[str | None, str, int], int] = {}
    for month, segment, value, n in db.execute(query):
        key = (period_of(month, period), segment, int(value))
        counts[key] = counts.get(key, 0) + int(n)
    return [AnswerCount(p, s, a, n) for (p, s, a), n in counts.items()]


def scales_in_use(db: Session, organization_id: int, metric: Literal["csat", "ces"]) -> list[tuple[int, int]]:
    """Return (scale, responses) of the organization's answers to a CSAT or CES question, most answered first."""
    column = getattr(SurveyResponse, f"{metric}_scale")
    rows = db.execute(
        select(column, func.count())
        .where(SurveyResponse.organization_id == organization_id, column.is_not(None))
        .group_by(column)
        .order_by(func.count().desc(), column)
    ).all()
    return [(int(s), int(n)) for s, n in rows]
