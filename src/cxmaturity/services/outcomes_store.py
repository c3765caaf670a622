"""Survey responses in and answer counts out, in SQL: the storage side of customer outcomes (no permission checks;
``services/outcomes_import.py`` and ``services/outcomes.py`` check who may do what).

Writing: rows arrive in batches and are upserted on (organization, response id), so a file imported twice counts
its responses once and the later import's values win. SQLite takes them with one ``executemany`` per batch;
PostgreSQL copies each batch into a temporary table with ``COPY`` and moves it with one ``INSERT … SELECT … ON
CONFLICT``, several times faster than parameterized inserts.

Reading: metrics are computed from *tallies* (how many respondents gave each answer, ``outcomes.metrics``), so the
database only counts: ``GROUP BY period, segment, answer``. The period of a timestamp is written once as a SQLAlchemy
construct (:class:`PeriodOf`) that compiles to ``strftime`` on SQLite and ``date_trunc``/``to_char`` on PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import String, func, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql._typing import _ColumnExpressionArgument
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal

from cxmaturity.storage.tables import SurveyResponse

Period = Literal["month", "quarter", "year"]
PERIODS: tuple[Period, ...] = ("month", "quarter", "year")

#: The stored columns of a survey response after the key, in the order of a row tuple (``ResponseRow``).
VALUE_COLUMNS = ("submitted_at", "segment", "nps", "csat", "csat_scale", "ces", "ces_scale", "answers")
#: (response id, submitted at, segment, nps, csat, csat scale, ces, ces scale, other answers or None).
ResponseRow = tuple[
    str, datetime | None, str, int | None, int | None, int | None, int | None, int | None, dict[str, Any] | None
]


# --- writing ---------------------------------------------------------------------------------------------------------


def count_responses(db: Session, organization_id: int) -> int:
    """Return how many survey responses the organization holds."""
    found = db.scalar(
        select(func.count()).select_from(SurveyResponse).where(SurveyResponse.organization_id == organization_id)
    )
    return int(found or 0)


def upsert_responses(
    db: Session, organization_id: int, source_id: int, batches: Iterable[Sequence[ResponseRow]]
) -> None:
    """Store every batch of rows for the organization under ``source_id``, replacing rows with the same response id.

    Runs inside the caller's transaction: nothing is visible to others until it commits, and nothing is kept if it
    rolls back.
    """
    if db.get_bind().dialect.name == "postgresql":
        _copy_upsert(db, organization_id, source_id, batches)
    else:
        _executemany_upsert(db, organization_id, source_id, batches)


def _executemany_upsert(
    db: Session, organization_id: int, source_id: int, batches: Iterable[Sequence[ResponseRow]]
) -> None:
    statement = sqlite.insert(SurveyResponse)
    statement = statement.on_conflict_do_update(
        index_elements=["organization_id", "response_id"],
        set_={c: statement.excluded[c] for c in ("source_id", *VALUE_COLUMNS)},
    )
    keys = ("response_id", *VALUE_COLUMNS)
    connection = db.connection()
    for batch in batches:
        if batch:
            rows = [
                {"organization_id": organization_id, "source_id": source_id, **dict(zip(keys, row, strict=True))}
                for row in batch
            ]
            connection.execute(statement, rows)


#: The columns copied into the temporary table, in COPY order.
_COPY_COLUMNS = ("response_id", *VALUE_COLUMNS)


def _copy_upsert(db: Session, organization_id: int, source_id: int, batches: Iterable[Sequence[ResponseRow]]) -> None:
    cursor = db.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        # A temporary table per transaction, dropped at its end: concurrent imports never see each other's rows.
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS cxm_survey_import ("
            "response_id varchar(200), submitted_at timestamp, segment varchar(100), nps smallint, csat smallint, "
            "csat_scale smallint, ces smallint, ces_scale smallint, answers text) ON COMMIT DROP"
        )
        columns = ", ".join(_COPY_COLUMNS)
        assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in ("source_id", *VALUE_COLUMNS))
        for batch in batches:
            if not batch:
                continue
            cursor.execute("TRUNCATE cxm_survey_import")
            with cursor.copy(f"COPY cxm_survey_import ({columns}) FROM STDIN") as copy:
                for row in batch:
                    answers = row[8]
                    copy.write_row((*row[:8], None if answers is None else json.dumps(answers)))
            # DISTINCT ON keeps one row per response id should a batch repeat one (the import refuses such files;
            # this keeps the statement from failing on "cannot affect row a second time" all the same).
            cursor.execute(
                f"INSERT INTO survey_response (organization_id, source_id, {columns}) "
                f"SELECT DISTINCT ON (response_id) %s, %s, response_id, submitted_at, segment, nps, csat, csat_scale, "
                f"ces, ces_scale, answers::json FROM cxm_survey_import "
                f"ON CONFLICT (organization_id, response_id) DO UPDATE SET {assignments}",
                (organization_id, source_id),
            )
    finally:
        cursor.close()


# --- reading ---------------------------------------------------------------------------------------------------------


class PeriodOf(FunctionElement[str]):
    """The period a timestamp falls in, as text: ``2026-03`` (month), ``2026-Q1`` (quarter) or ``2026`` (year).

    One construct, compiled per database (below), so every query that buckets by period says it the same way.
    """

    type = String()
    name = "period_of"
    inherit_cache = True
    # The period is part of the statement's cache key: a month query must never reuse a quarter query's SQL.
    _traverse_internals = [*FunctionElement._traverse_internals, ("period", InternalTraversal.dp_string)]  # noqa: RUF012

    def __init__(self, column: _ColumnExpressionArgument[Any], period: Period) -> None:
        if period not in PERIODS:
            raise ValueError(f"period must be one of {', '.join(PERIODS)}")
        self.period = period
        super().__init__(column)


@compiles(PeriodOf, "sqlite")
def _period_sqlite(element: PeriodOf, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    if element.period == "month":
        return f"strftime('%Y-%m', {column})"
    if element.period == "year":
        return f"strftime('%Y', {column})"
    return f"(strftime('%Y', {column}) || '-Q' || ((CAST(strftime('%m', {column}) AS INTEGER) + 2) / 3))"


@compiles(PeriodOf, "postgresql")
def _period_postgresql(element: PeriodOf, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    pattern = {"month": "YYYY-MM", "quarter": 'YYYY-"Q"Q', "year": "YYYY"}[element.period]
    return f"to_char(date_trunc('{element.period}', {column}), '{pattern}')"


@dataclass(frozen=True)
class AnswerCount:
    """How many responses of a period and segment gave ``answer`` to a metric's question."""

    period: str | None
    segment: str
    answer: int
    count: int


def answer_counts(
    db: Session,
    organization_id: int,
    metric: Literal["nps", "csat", "ces"],
    period: Period = "month",
    *,
    scale: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AnswerCount]:
    """Return the organization's answers to ``metric`` counted per period, segment and answer (one GROUP BY).

    ``scale`` keeps only CSAT or CES answers asked on that scale (an organization may hold both a 1-5 and a 1-7
    question). Responses without a date count in period None. ``since``/``until`` bound ``submitted_at`` (until
    exclusive).
    """
    answer = getattr(SurveyResponse, metric)
    bucket = PeriodOf(SurveyResponse.submitted_at, period).label("period")
    query = (
        select(bucket, SurveyResponse.segment, answer, func.count().label("n"))
        .where(SurveyResponse.organization_id == organization_id, answer.is_not(None))
        .group_by(bucket, SurveyResponse.segment, answer)
    )
    if scale is not None and metric != "nps":
        query = query.where(getattr(SurveyResponse, f"{metric}_scale") == scale)
    if since is not None:
        query = query.where(SurveyResponse.submitted_at >= since)
    if until is not None:
        query = query.where(SurveyResponse.submitted_at < until)
    return [AnswerCount(p, s, int(a), int(n)) for p, s, a, n in db.execute(query)]


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
