"""long jobs: large answers imports and report files done by the queue, with their progress

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def _fk(column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_long_job_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "long_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("input", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("output", sa.LargeBinary(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        _fk("organization_id", "organization", "CASCADE"),
        _fk("assessment_id", "assessment", "CASCADE"),
        _fk("created_by", "user_account", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_long_job")),
    )
    op.create_index(op.f("ix_long_job_organization_id"), "long_job", ["organization_id"])
    op.create_index(op.f("ix_long_job_assessment_id"), "long_job", ["assessment_id"])
    op.create_index("ix_long_job_state", "long_job", ["state", "updated_at"])


def downgrade() -> None:
    op.drop_table("long_job")
