"""invitations to join an organization go through the outbox: a recipient may name a member invitation instead of
an assessment's invitation, and a message may belong to no assessment

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 23:50:00

``mail_recipient.member_invitation_id``: the organization's invitation whose e-mail the queue's worker sends (and
renders at send time); the row goes with that invitation (accepted, declined, revoked, replaced). A check says
that a recipient names exactly one kind of invitation.

On SQLite the two tables are rebuilt (batch mode), and the app's connections run with ``PRAGMA foreign_keys=ON``
inside a transaction, where it cannot be turned off: dropping the old ``mail_recipient`` would delete every outbox
message through its ``ON DELETE CASCADE``. So the messages are copied aside first and put back after.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

CHECK = "ck_mail_recipient_one_invitation"
KEEP = "_keep_outbox_message_0022"
COLUMNS = (
    "id, assessment_id, recipient_id, kind, round, status, due_at, attempts, claimed_at, claim, sent_at, last_error,"
    " message_id, created_at"
)


def _rebuilding() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _keep_messages() -> None:
    if _rebuilding():
        op.execute(f"CREATE TEMP TABLE {KEEP} AS SELECT {COLUMNS} FROM outbox_message")


def _restore_messages() -> None:
    if _rebuilding():
        op.execute("DELETE FROM outbox_message")
        op.execute(
            f"INSERT INTO outbox_message ({COLUMNS}) SELECT {COLUMNS} FROM {KEEP}"
            " WHERE recipient_id IN (SELECT id FROM mail_recipient)"
        )
        op.execute(f"DROP TABLE {KEEP}")


def upgrade() -> None:
    _keep_messages()
    with op.batch_alter_table("mail_recipient") as batch:
        batch.alter_column("assessment_id", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("invitation_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("member_invitation_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_mail_recipient_member_invitation_id_member_invitation"),
            "member_invitation",
            ["member_invitation_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_unique_constraint(op.f("uq_mail_recipient_member_invitation_id"), ["member_invitation_id"])
        batch.create_check_constraint(
            CHECK,
            "(assessment_id IS NOT NULL AND invitation_id IS NOT NULL AND member_invitation_id IS NULL)"
            " OR (assessment_id IS NULL AND invitation_id IS NULL AND member_invitation_id IS NOT NULL)",
        )
    with op.batch_alter_table("outbox_message") as batch:
        batch.alter_column("assessment_id", existing_type=sa.Integer(), nullable=True)
    _restore_messages()


def downgrade() -> None:
    # Invitations to join go back to being sent by the request: their queued rows have no place in the old tables.
    op.execute("DELETE FROM outbox_message WHERE assessment_id IS NULL")
    op.execute("DELETE FROM mail_recipient WHERE member_invitation_id IS NOT NULL")
    _keep_messages()
    with op.batch_alter_table("outbox_message") as batch:
        batch.alter_column("assessment_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("mail_recipient") as batch:
        batch.drop_constraint(CHECK, type_="check")
        batch.drop_constraint(op.f("uq_mail_recipient_member_invitation_id"), type_="unique")
        batch.drop_constraint(op.f("fk_mail_recipient_member_invitation_id_member_invitation"), type_="foreignkey")
        batch.drop_column("member_invitation_id")
        batch.alter_column("invitation_id", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("assessment_id", existing_type=sa.Integer(), nullable=False)
    _restore_messages()
