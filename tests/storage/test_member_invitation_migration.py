"""Migration 0022 (invitations to join go through the outbox) on SQLite and PostgreSQL, with messages in the outbox.

On SQLite the migration rebuilds ``mail_recipient`` and ``outbox_message``, and the app's connections keep foreign
keys on inside the migration's transaction: dropping the old ``mail_recipient`` would delete every outbox message by
its ``ON DELETE CASCADE``. The respondents' messages must come through the upgrade and the downgrade untouched.
SYNTHETIC addresses.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from cxmaturity.services import accounts, assessments, member_invitations, organizations, outbox
from cxmaturity.services.access import Actor
from cxmaturity.settings import Settings
from cxmaturity.storage.database import alembic_config, make_engine, make_sessionmaker, transaction, upgrade
from tests.support.site import postgres_schema


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migration.db'}"
        return
    with postgres_schema("cxm_migration_0022") as url:
        yield url


def _messages(engine: sa.Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT r.address, m.kind, m.status FROM outbox_message m"
                " JOIN mail_recipient r ON r.id = m.recipient_id ORDER BY r.address"
            )
        )
        return [(str(a), str(k), str(s)) for a, k, s in rows]


def _migrate(engine: sa.Engine, url: str, revision: str, *, down: bool = False) -> None:
    config = alembic_config(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_the_outbox_keeps_its_messages_through_the_upgrade_and_the_downgrade(database: str) -> None:
    engine = make_engine(database)
    upgrade(database, engine)
    sessions = make_sessionmaker(engine)
    settings = Settings(database_url=database, secret_key="migration-" + "x" * 40, smtp_host="127.0.0.1")
    with transaction(sessions) as db:
        user = accounts.sign_up(db, "fay@example.com", "a long enough phrase here")
        db.flush()
        org = organizations.create(db, Actor(user.id), "SYNTHETIC Migration Inc.")
        created = assessments.create(db, Actor(user.id), org.id, "T", "builtin:xm-six-competencies", groups=["G"])
        assessments.set_status(db, Actor(user.id), created.id, "open")
        (group,) = assessments.groups(db, created.id)
        outbox.invite_by_email(
            db, Actor(user.id), settings, created.id, group.id, ["a@example.com", "b@example.com"], 9
        )
        member_invitations.invite(db, Actor(user.id), settings, org.id, "joiner@example.com", "viewer")
    respondents = [("a@example.com", "invitation", "queued"), ("b@example.com", "invitation", "queued")]
    assert _messages(engine) == [*respondents, ("joiner@example.com", "join", "queued")]
    # Down: invitations to join have no place in the old tables; the respondents' messages stay.
    _migrate(engine, database, "0021", down=True)
    assert _messages(engine) == respondents
    # Up again (through 0022 to the head, whose tables the code writes): still there, and an invitation to join can
    # be queued once more.
    _migrate(engine, database, "head")
    assert _messages(engine) == respondents
    with transaction(sessions) as db:
        member_invitations.invite(db, Actor(user.id), settings, org.id, "joiner@example.com", "viewer")
    assert _messages(engine) == [*respondents, ("joiner@example.com", "join", "queued")]
    # A recipient names exactly one kind of invitation.
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO mail_recipient (address, sealed_token, created_at) VALUES ('x@example.com', 'x', :now)"
            ),
            {"now": "2026-12-04 00:00:00"},
        )
    engine.dispose()
