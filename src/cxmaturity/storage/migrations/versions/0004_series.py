"""progress: assessment series and initiative status

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 06:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

FK_PREVIOUS = "fk_assessment_previous_id_assessment"


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    if _sqlite():
        # SQLite adds a column with its foreign key in place. Alembic's batch mode would instead copy the assessment
        # table and drop the old one, and with foreign keys on, that drop cascades to every invitation and answer.
        # (SQLite cannot reflect the name or actions of an in-place foreign key; it has neither, as in tables.py.)
        op.execute("ALTER TABLE assessment ADD COLUMN previous_id INTEGER REFERENCES assessment (id)")
    else:
        op.add_column("assessment", sa.Column("previous_id", sa.Integer(), nullable=True))
        op.create_foreign_key(FK_PREVIOUS, "assessment", "assessment", ["previous_id"], ["id"])
    op.create_table(
        "initiative_status",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("initiative_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("changed_by", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessment.id"],
            name=op.f("fk_initiative_status_assessment_id_assessment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["changed_by"],
            ["user_account.id"],
            name=op.f("fk_initiative_status_changed_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_initiative_status")),
        sa.UniqueConstraint("assessment_id", "initiative_key", name=op.f("uq_initiative_status_assessment_id")),
    )


def downgrade() -> None:
    op.drop_table("initiative_status")
    if _sqlite():
        # SQLite (3.35 and later) drops a column whose only constraint is its own foreign key in place.
        op.execute("ALTER TABLE assessment DROP COLUMN previous_id")
    else:
        op.drop_constraint(FK_PREVIOUS, "assessment", type_="foreignkey")
        op.drop_column("assessment", "previous_id")
