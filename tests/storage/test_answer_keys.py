"""The answer table's keys (migration 0021) on SQLite and PostgreSQL: an answer is keyed by (respondent, indicator)
and points to its invitation by (assessment, respondent); the migration keeps every answer of an existing database.
All data are SYNTHETIC."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from cxmaturity.services import accounts, assessments, organizations
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import alembic_config, make_engine, make_sessionmaker, migrating, transaction
from tests.support.site import postgres_schema

FRAMEWORK = "builtin:xm-six-competencies"
INSERT_ANSWER = (
    "INSERT INTO answer (assessment_id, invitation_id, indicator_key, option_key, answered_at) "
    "VALUES (:a, :i, :k, 'dk', CURRENT_TIMESTAMP)"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database, never migrated."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'keys.db'}"
        return
    with postgres_schema("cxm_answer_keys") as url:
        yield url


def _migrate(engine: sa.Engine, url: str, revision: str, *, down: bool = False) -> None:
    config = alembic_config(url)
    with migrating(engine) as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def _count(engine: sa.Engine, sql: str, **params: object) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text(sql), params).scalar_one())


def _seed(engine: sa.Engine, *, one_astray: bool) -> tuple[int, int, list[int]]:
    """An assessment of one organization with three respondents, two answers each, and an assessment of another;
    ``one_astray``: one answer with the other assessment's id (as revision 0020 could hold it, though no code wrote
    such a row: the migration mends it). The answers are written without ids, as every writer did."""
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as db:
        owner = accounts.sign_up(db, "owner@example.com", "answer keys passphrase 1234")
        org = organizations.create(db, Actor(owner.id), "Keys (synthetic)")
        other = organizations.create(db, Actor(owner.id), "Another tenant (synthetic)")
        first = assessments.create(db, Actor(owner.id), org.id, "First (synthetic)", FRAMEWORK)
        second = assessments.create(db, Actor(owner.id), other.id, "Second (synthetic)", FRAMEWORK)
        db.flush()
        first_id, second_id = first.id, second.id
        assessments.create_invitations(db, Actor(owner.id), first_id, None, 3)
    with engine.begin() as connection:
        invitations = list(
            connection.execute(
                sa.text("SELECT id FROM invitation WHERE assessment_id = :a ORDER BY id"), {"a": first_id}
            )
            .scalars()
            .all()
        )
        rows = [{"a": first_id, "i": i, "k": key} for i in invitations for key in ("ind-one", "ind-two")]
        if one_astray:
            rows[-1]["a"] = second_id
        connection.execute(sa.text(INSERT_ANSWER), rows)
    return first_id, second_id, invitations


def test_the_migration_keeps_every_answer_both_ways(empty_url: str) -> None:
    engine = make_engine(empty_url)
    try:
        _migrate(engine, empty_url, "0020")
        first, second, invitations = _seed(engine, one_astray=True)
        _migrate(engine, empty_url, "0021")
        # Every answer is there, each now in its invitation's assessment.
        assert _count(engine, "SELECT count(*) FROM answer WHERE assessment_id = :a", a=first) == 6
        assert _count(engine, "SELECT count(*) FROM answer WHERE assessment_id = :a", a=second) == 0
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            assert inspector.get_pk_constraint("answer")["constrained_columns"] == ["invitation_id", "indicator_key"]
            assert "id" not in {c["name"] for c in inspector.get_columns("answer")}
            (key,) = inspector.get_foreign_keys("answer")
            assert (key["constrained_columns"], key["referred_table"], key["referred_columns"]) == (
                ["assessment_id", "invitation_id"],
                "invitation",
                ["assessment_id", "id"],
            )
        # Down again: the answers get ids of their own, one each.
        _migrate(engine, empty_url, "0020", down=True)
        assert _count(engine, "SELECT count(DISTINCT id) FROM answer WHERE assessment_id = :a", a=first) == 6
        _migrate(engine, empty_url, "0021")
        assert _count(engine, "SELECT count(*) FROM answer") == 6
        # The invitations and the answers that point to them are still joined.
        joined = (
            "SELECT count(*) FROM answer JOIN invitation ON invitation.id = answer.invitation_id "
            "WHERE answer.invitation_id IN (:x, :y, :z)"
        )
        assert _count(engine, joined, x=invitations[0], y=invitations[1], z=invitations[2]) == 6
    finally:
        engine.dispose()


def test_an_answer_belongs_to_its_respondents_assessment_and_goes_with_it(empty_url: str) -> None:
    engine = make_engine(empty_url)
    try:
        _migrate(engine, empty_url, "head")
        first, second, invitations = _seed(engine, one_astray=False)
        # Another assessment's id on a respondent's answer (of another tenant, say) is refused by the schema itself.
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
            connection.execute(sa.text(INSERT_ANSWER), {"a": second, "i": invitations[0], "k": "ind-three"})
        # So is a second answer of one respondent to one indicator.
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
            connection.execute(sa.text(INSERT_ANSWER), {"a": first, "i": invitations[0], "k": "ind-one"})
        # Deleting a respondent deletes its answers; deleting the assessment deletes the rest.
        with engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM invitation WHERE id = :i"), {"i": invitations[0]})
        assert _count(engine, "SELECT count(*) FROM answer") == 4
        with engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM assessment WHERE id = :a"), {"a": first})
        assert _count(engine, "SELECT count(*) FROM answer") == 0
    finally:
        engine.dispose()


def test_migrations_that_rebuild_a_table_keep_the_rows_pointing_to_it(empty_url: str) -> None:
    # Migration 0016 rebuilds ``invitation`` on SQLite (batch mode), going up and going down: with foreign keys on,
    # dropping the old table deleted every answer through ON DELETE CASCADE.
    engine = make_engine(empty_url)
    try:
        _migrate(engine, empty_url, "head")
        _seed(engine, one_astray=False)
        _migrate(engine, empty_url, "0015", down=True)
        assert _count(engine, "SELECT count(*) FROM answer") == 6
        _migrate(engine, empty_url, "head")
        assert _count(engine, "SELECT count(*) FROM answer") == 6
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                # Switched back on for the connection's next user.
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
