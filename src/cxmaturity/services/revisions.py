"""The answers revision of an assessment: a counter that every write able to change its result moves on.

``services.results`` serves a stored result only while the revision it was computed at is still the current one, so
every such write calls :func:`bump` in its own transaction: respondents' page saves and finishes, imports, targets,
groups, withdrawn invitations. Deleting an assessment deletes its counter and stored result with it.

A bump is one statement on a two-column row (an upsert, so an assessment without a counter yet needs no other step).
On PostgreSQL it holds that row's lock until the transaction commits: page saves call it last, just before their
commit, so that respondents of one assessment still save in parallel for all but that instant.
"""

from __future__ import annotations

from sqlalchemy import Connection, Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from cxmaturity.storage.tables import AnswersRevision

_TABLE: Table = AnswersRevision.__table__  # type: ignore[assignment]  # declarative models carry their Table


def _upsert(statement: postgresql.Insert | sqlite.Insert) -> Insert:
    return statement.on_conflict_do_update(
        index_elements=[_TABLE.c.assessment_id], set_={"revision": _TABLE.c.revision + 1}
    )


# Built once, like the page save's own statements (services/respond.py): a page save is the busiest write of the app.
_BUMP = {
    "postgresql": _upsert(postgresql.insert(_TABLE).values(assessment_id=bindparam("assessment_id"), revision=1)),
    "sqlite": _upsert(sqlite.insert(_TABLE).values(assessment_id=bindparam("assessment_id"), revision=1)),
}
_CURRENT = select(_TABLE.c.revision).where(_TABLE.c.assessment_id == bindparam("assessment_id"))


def bump(db: Session | Connection, assessment_id: int) -> None:
    """Count a change that may change the assessment's result (committed with the caller's transaction)."""
    connection = db.connection() if isinstance(db, Session) else db
    connection.execute(_BUMP[connection.dialect.name], {"assessment_id": assessment_id})


def current(db: Session, assessment_id: int) -> int:
    """Return the assessment's revision: 0 until its first change."""
    found = db.connection().execute(_CURRENT, {"assessment_id": assessment_id}).scalar_one_or_none()
    return int(found or 0)
