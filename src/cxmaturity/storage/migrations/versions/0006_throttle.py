"""throttle: failed sign-ins and unknown invitation links, counted to slow down guessing

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 06:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "throttle_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_throttle_event")),
    )
    op.create_index("ix_throttle_event_scope_key_at", "throttle_event", ["scope", "key_hash", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_throttle_event_scope_key_at", table_name="throttle_event")
    op.drop_table("throttle_event")
