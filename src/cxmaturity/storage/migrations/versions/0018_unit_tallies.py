"""stored unit tallies: a campaign's answers counted per unit, kept until its answers change

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No rows are written: a campaign without stored tallies counts its answers on its first roll-up, as before.
    op.create_table(
        "stored_unit_tallies",
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessment.id"],
            name=op.f("fk_stored_unit_tallies_assessment_id_assessment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("assessment_id", name=op.f("pk_stored_unit_tallies")),
    )


def downgrade() -> None:
    op.drop_table("stored_unit_tallies")
