"""job queue: schedules, e-mail recipients and the outbox; procrastinate's tables on PostgreSQL

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 14:00:00

On PostgreSQL the queue's own schema (procrastinate's tables, functions and triggers) is applied here, in the
connection's search path, so ``cxm db upgrade`` is the only set-up step and a per-schema test run gets its own queue.
SQLite needs none: the same jobs run in process there (services/jobs.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "assessment_schedule",
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminder_days", sa.JSON(), nullable=False),
        sa.Column("max_reminders", sa.Integer(), nullable=False),
        sa.Column("closing_notice", sa.Boolean(), nullable=False),
        sa.Column("set_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("problem", sa.String(length=500), nullable=False),
        _fk("assessment_schedule", "assessment_id", "assessment", "CASCADE"),
        _fk("assessment_schedule", "set_by", "user_account", "SET NULL"),
        sa.PrimaryKeyConstraint("assessment_id", name=op.f("pk_assessment_schedule")),
    )
    op.create_table(
        "mail_recipient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("sealed_token", sa.String(length=300), nullable=False),
        sa.Column("bounced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("mail_recipient", "assessment_id", "assessment", "CASCADE"),
        _fk("mail_recipient", "invitation_id", "invitation", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_recipient")),
        sa.UniqueConstraint("invitation_id", name=op.f("uq_mail_recipient_invitation_id")),
    )
    op.create_index("ix_mail_recipient_assessment", "mail_recipient", ["assessment_id"])
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claim", sa.String(length=32), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("outbox_message", "assessment_id", "assessment", "CASCADE"),
        _fk("outbox_message", "recipient_id", "mail_recipient", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
        sa.UniqueConstraint("recipient_id", "kind", "round", name="uq_outbox_message_recipient_kind_round"),
    )
    op.create_index("ix_outbox_message_assessment", "outbox_message", ["assessment_id"])
    op.create_index("ix_outbox_message_due", "outbox_message", ["status", "due_at"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        from procrastinate.schema import SchemaManager

        # Through the driver itself: the schema is many statements with PL/pgSQL bodies that neither SQLAlchemy's
        # bind-parameter parsing nor psycopg's placeholders may touch.
        driver = bind.connection.driver_connection
        assert driver is not None
        driver.execute(SchemaManager.get_schema())


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # procrastinate's objects all start with its name. Through the driver: the statement holds '%'.
        driver = bind.connection.driver_connection
        assert driver is not None
        driver.execute(
            "DO $$ DECLARE r record; BEGIN "
            "FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename LIKE 'procrastinate%' LOOP EXECUTE 'DROP TABLE ' || quote_ident(r.tablename) "
            "|| ' CASCADE'; END LOOP; "
            "FOR r IN SELECT p.oid::regprocedure AS f FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%' LOOP "
            "EXECUTE 'DROP FUNCTION ' || r.f || ' CASCADE'; END LOOP; "
            "FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate%' AND t.typtype IN ('e', 'c') "
            "LOOP EXECUTE 'DROP TYPE IF EXISTS ' || quote_ident(r.typname) || ' CASCADE'; END LOOP; END $$"
        )
    op.drop_table("outbox_message")
    op.drop_table("mail_recipient")
    op.drop_table("assessment_schedule")
