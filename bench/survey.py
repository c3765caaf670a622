"""A survey for the load and fault runs: a database of its own, an open assessment with invitation links, the answers
each simulated respondent gives, and the count afterwards of what the database holds against what was acknowledged.

Data are SYNTHETIC: the organization and assessment say so, and every answer is derived from the token.
"""

from __future__ import annotations

import secrets
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from cxmaturity.frameworks import DONT_KNOW, NOT_APPLICABLE, load_builtin
from cxmaturity.services import accounts, assessments, organizations
from cxmaturity.services.access import Actor
from cxmaturity.services.tokens import digest
from cxmaturity.storage.database import make_engine, make_sessionmaker, transaction, upgrade

FRAMEWORK = "xm-six-competencies"
SYNTHETIC = "(synthetic)"


@contextmanager
def postgres_schema(server_url: str) -> Iterator[str]:
    """Yield the URL of a new schema on ``server_url``; the schema is dropped afterwards."""
    schema = f"cxm_load_{secrets.token_hex(4)}"
    admin = make_engine(server_url)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        yield f"{server_url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def sqlite_file(folder: Path) -> Iterator[str]:
    """Yield the URL of a new SQLite file in ``folder``; the file (its WAL, its lock file) is deleted afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"load-{secrets.token_hex(4)}.db"
    try:
        yield f"sqlite:///{path}"
    finally:
        for suffix in ("", "-wal", "-shm", "-lock"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


@dataclass(frozen=True)
class Question:
    key: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class Survey:
    url: str
    assessment_id: int
    tokens: list[str]
    #: The questions of each page, page 1 first.
    pages: list[list[Question]]

    def form(self, token: str, page: int) -> dict[str, str]:
        """What this respondent sends on this page (without the form token and the action)."""
        form = {}
        for number, q in enumerate(self.pages[page - 1]):
            answer, importance, comment = expected(token, q, number)
            form[f"answer:{q.key}"] = answer
            form[f"importance:{q.key}"] = "" if importance is None else str(importance)
            form[f"comment:{q.key}"] = comment or ""
        return form


def expected(token: str, q: Question, number: int) -> tuple[str, int | None, str | None]:
    """The answer, importance and comment a respondent gives: different per respondent and question, so that the
    count afterwards can tell one respondent's answers from another's."""
    h = zlib.crc32(f"{token}:{q.key}".encode())
    answer = q.options[h % len(q.options)]
    importance = 1 + h % 5 if number % 2 == 0 else None
    comment = f"{SYNTHETIC} comment on {q.key}" if number == 0 else None
    return answer, importance, comment


def prepare(url: str, respondents: int) -> Survey:
    """Migrate the database at ``url`` and create an open assessment with ``respondents`` invitation links."""
    engine = make_engine(url)
    try:
        upgrade(url, engine)
        with transaction(make_sessionmaker(engine)) as db:
            user = accounts.sign_up(db, f"load-{secrets.token_hex(4)}@example.com", "load run password 1234")
            actor = Actor(user.id)
            org = organizations.create(db, actor, f"Load run organization {SYNTHETIC}")
            assessment = assessments.create(
                db, actor, org.id, f"Load run {SYNTHETIC}", f"builtin:{FRAMEWORK}", groups=["All"]
            )
            db.flush()
            assessments.set_status(db, actor, assessment.id, "open")
            group = assessments.groups(db, assessment.id)[0].id
            tokens = assessments.create_invitations(db, actor, assessment.id, group, respondents, limit=100_000)
            assessment_id = assessment.id
    finally:
        engine.dispose()
    return Survey(url, assessment_id, tokens, questions())


def questions() -> list[list[Question]]:
    """The questions of each page of the framework, with every answer they accept."""
    fw = load_builtin(FRAMEWORK)
    return [
        [Question(ind.key, (*fw.answer_keys(ind), DONT_KNOW, NOT_APPLICABLE)) for ind in comp.indicators]
        for comp in fw.competencies
    ]


@dataclass(frozen=True)
class Count:
    """What the database holds after a run, against what the server acknowledged (a 303 to a page save)."""

    #: Answer rows the acknowledged pages should have stored.
    expected_rows: int
    stored_rows: int
    #: Acknowledged answers missing from the database, or stored with other values.
    lost: int
    #: Rows for one (invitation, question) beyond the first; the unique constraint should keep this at 0.
    duplicated: int
    #: Pages stored although their save was not acknowledged (the connection broke after the commit).
    unacknowledged_pages: int
    #: Respondents whose finish was acknowledged / invitations marked completed in the database.
    finished: int
    completed: int
    #: Acknowledged finishes the database does not show as completed.
    lost_finishes: int

    @property
    def exact(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.lost_finishes == 0


def count(survey: Survey, acknowledged: dict[str, set[int]], finished: set[str]) -> Count:
    """Count the answers per invitation in the database against the pages each respondent saw acknowledged."""
    engine = make_engine(survey.url)
    try:
        with engine.connect() as conn:
            params = {"a": survey.assessment_id}
            rows = conn.execute(
                sa.text(
                    "SELECT i.token_hash, a.indicator_key, a.option_key, a.importance, a.comment "
                    "FROM answer a JOIN invitation i ON i.id = a.invitation_id WHERE a.assessment_id = :a"
                ),
                params,
            ).all()
            duplicated = conn.execute(
                sa.text(
                    "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM answer WHERE assessment_id = :a "
                    "GROUP BY invitation_id, indicator_key HAVING count(*) > 1) AS twice"
                ),
                params,
            ).scalar_one()
            completed_hashes = set(
                conn.execute(
                    sa.text("SELECT token_hash FROM invitation WHERE assessment_id = :a AND completed_at IS NOT NULL"),
                    params,
                ).scalars()
            )
    finally:
        engine.dispose()
    stored = {(h, key): (option, importance, comment) for h, key, option, importance, comment in rows}
    by_hash = {digest(t): t for t in survey.tokens}
    expected_rows = lost = unacknowledged = 0
    for token in survey.tokens:
        h = digest(token)
        pages = acknowledged.get(token, set())
        for number, questions in enumerate(survey.pages, start=1):
            if number in pages:
                for position, q in enumerate(questions):
                    expected_rows += 1
                    if stored.get((h, q.key)) != expected(token, q, position):
                        lost += 1
            elif any((h, q.key) in stored for q in questions):
                unacknowledged += 1
    completed = {by_hash[h] for h in completed_hashes if h in by_hash}
    return Count(
        expected_rows=expected_rows,
        stored_rows=len(rows),
        lost=lost,
        duplicated=int(duplicated),
        unacknowledged_pages=unacknowledged,
        finished=len(finished),
        completed=len(completed),
        lost_finishes=len(finished - completed),
    )


def respondents_in(url: str, assessment_id: int) -> int:
    """How many invitations (links and imported respondents) an assessment has in the database."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            found: int = conn.execute(
                sa.text("SELECT count(*) FROM invitation WHERE assessment_id = :a"), {"a": assessment_id}
            ).scalar_one()
            return found
    finally:
        engine.dispose()
