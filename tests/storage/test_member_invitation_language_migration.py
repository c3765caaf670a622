"""Migration 0025 (an invitation to join keeps its language) on SQLite and PostgreSQL.

An invitation made before is English, as its e-mail was; the downgrade drops the column and keeps the invitations
(and their queued e-mails). SYNTHETIC addresses.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from cxmaturity.services import accounts, member_invitations, organizations
from cxmaturity.services.access import Actor
from cxmaturity.settings import Settings
from cxmaturity.storage.database import alembic_config, make_engine, make_sessionmaker, migrating, transaction
from tests.support.site import postgres_schema

INSERT_INVITATION = (
    "INSERT INTO member_invitation (organization_id, email, role, token_hash, invited_by, created_at, expires_at) "
    "VALUES (:org, :email, 'viewer', :hash, :user, :now, :later)"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'language.db'}"
        return
    with postgres_schema("cxm_migration_0025") as url:
        yield url


def _migrate(engine: sa.Engine, url: str, revision: str, *, down: bool = False) -> None:
    config = alembic_config(url)
    with migrating(engine) as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def _invitations(engine: sa.Engine, columns: str) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [
            tuple(r) for r in connection.execute(sa.text(f"SELECT {columns} FROM member_invitation ORDER BY email"))
        ]


def _columns(engine: sa.Engine) -> set[str]:
    return {c["name"] for c in sa.inspect(engine).get_columns("member_invitation")}


def test_older_invitations_are_english_and_the_downgrade_keeps_them(empty_url: str) -> None:
    engine = make_engine(empty_url)
    try:
        _migrate(engine, empty_url, "0024")
        assert "language" not in _columns(engine)
        sessions = make_sessionmaker(engine)
        with transaction(sessions) as db:
            owner = accounts.sign_up(db, "owner@example.com", "a long enough phrase here")
            db.flush()
            org = organizations.create(db, Actor(owner.id), "SYNTHETIC Languages Inc.").id
            owner_id = owner.id
        with engine.begin() as connection:
            connection.execute(
                sa.text(INSERT_INVITATION),
                {
                    "org": org,
                    "email": "before@example.com",
                    "hash": "a" * 64,
                    "user": owner_id,
                    "now": "2026-12-01 00:00:00",
                    "later": "2099-12-08 00:00:00",
                },
            )
        _migrate(engine, empty_url, "0025")
        assert _invitations(engine, "email, language") == [("before@example.com", "en")]
        # The code writes the language chosen; the column's default is only for rows written before.
        settings = Settings(database_url=empty_url, secret_key="migration-" + "x" * 40, smtp_host="127.0.0.1")
        with transaction(sessions) as db:
            member_invitations.invite(db, Actor(owner_id), settings, org, "after@example.com", "viewer", "fr")
        assert _invitations(engine, "email, language") == [("after@example.com", "fr"), ("before@example.com", "en")]
        _migrate(engine, empty_url, "0024", down=True)
        assert "language" not in _columns(engine)
        assert _invitations(engine, "email, role") == [
            ("after@example.com", "viewer"),
            ("before@example.com", "viewer"),
        ]
        with engine.connect() as connection:
            queued = connection.execute(sa.text("SELECT kind, status FROM outbox_message")).all()
        assert [tuple(q) for q in queued] == [("join", "queued")]
        # Up again: every invitation there was is English, as its e-mail would have been before.
        _migrate(engine, empty_url, "0025")
        assert _invitations(engine, "email, language") == [("after@example.com", "en"), ("before@example.com", "en")]
    finally:
        engine.dispose()
