"""answer keys: an answer is keyed by (respondent, indicator), with one foreign key to its invitation

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 00:00:00

Every answer row paid, on each insert, its surrogate id (a sequence and an index), a unique index on (invitation,
indicator) and two foreign-key checks (its assessment, its invitation): on PostgreSQL those checks and indexes made
a bare COPY of an import's 666,000 answers take twice the server time of the rows alone (docs/reliability.md). Now:

- the primary key is (invitation_id, indicator_key), which was already unique: no id, one index less;
- the one foreign key is (assessment_id, invitation_id) to the invitation's (assessment_id, id), ON DELETE CASCADE:
  one check per row instead of two, and the answer's assessment is now its invitation's by the schema, not only by
  every writer's care. Deleting an assessment still deletes its answers (through its invitations);
- the answer's index on assessment_id becomes one on (assessment_id, invitation_id), the columns the key's cascade
  looks answers up by when an invitation is deleted: on the assessment alone, a planner without statistics yet (a
  large import failing and deleting what it wrote) read all the assessment's answers for every respondent deleted;
- the invitation's index on assessment_id becomes a unique index on (assessment_id, id), the key the answers point
  to; it serves the same look-ups by assessment. An index, not a table constraint: SQLite adds it without rebuilding
  ``invitation`` (a copy of every respondent).

``answer`` itself is rebuilt on SQLite (batch mode); nothing references it. Answers whose assessment differed from
their invitation's (no code wrote any) are first given their invitation's, or the new key would refuse them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE answer SET assessment_id = "
        "(SELECT invitation.assessment_id FROM invitation WHERE invitation.id = answer.invitation_id) "
        "WHERE assessment_id <> "
        "(SELECT invitation.assessment_id FROM invitation WHERE invitation.id = answer.invitation_id)"
    )
    op.drop_index("ix_invitation_assessment_id", table_name="invitation")
    op.create_index("uq_invitation_assessment_id", "invitation", ["assessment_id", "id"], unique=True)
    with op.batch_alter_table("answer") as batch:
        batch.drop_constraint("fk_answer_assessment_id_assessment", type_="foreignkey")
        batch.drop_constraint("fk_answer_invitation_id_invitation", type_="foreignkey")
        batch.drop_constraint("uq_answer_invitation_id", type_="unique")
        batch.drop_constraint("pk_answer", type_="primary")
        batch.drop_column("id")
        batch.drop_index("ix_answer_assessment")
        batch.create_index("ix_answer_assessment", ["assessment_id", "invitation_id"])
        batch.create_primary_key("pk_answer", ["invitation_id", "indicator_key"])
        batch.create_foreign_key(
            "fk_answer_assessment_id_invitation",
            "invitation",
            ["assessment_id", "invitation_id"],
            ["assessment_id", "id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("answer") as batch:
        batch.drop_constraint("fk_answer_assessment_id_invitation", type_="foreignkey")
        batch.drop_constraint("pk_answer", type_="primary")
        if not postgresql:
            # SQLite numbers the rows as the copy goes in: an INTEGER primary key is the row id.
            batch.add_column(sa.Column("id", sa.Integer(), nullable=False))
            batch.create_primary_key("pk_answer", ["id"])
    if postgresql:
        op.execute("ALTER TABLE answer ADD COLUMN id SERIAL NOT NULL")
        op.create_primary_key("pk_answer", "answer", ["id"])
    with op.batch_alter_table("answer") as batch:
        batch.drop_index("ix_answer_assessment")
        batch.create_index("ix_answer_assessment", ["assessment_id"])
        batch.create_unique_constraint("uq_answer_invitation_id", ["invitation_id", "indicator_key"])
        batch.create_foreign_key(
            "fk_answer_assessment_id_assessment", "assessment", ["assessment_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_foreign_key(
            "fk_answer_invitation_id_invitation", "invitation", ["invitation_id"], ["id"], ondelete="CASCADE"
        )
    op.drop_index("uq_invitation_assessment_id", table_name="invitation")
    op.create_index("ix_invitation_assessment_id", "invitation", ["assessment_id"])
