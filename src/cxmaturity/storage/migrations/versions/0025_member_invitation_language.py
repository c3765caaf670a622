"""an invitation to join an organization keeps its language

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 00:00:00

The owner chooses the language of the e-mail inviting someone to join (en, de, fr or es); the queue's worker writes
the message in it and the join page falls back to it. Invitations made before were e-mailed in English, so they
get ``en``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("member_invitation") as batch:
        batch.add_column(sa.Column("language", sa.String(16), nullable=False, server_default="en"))


def downgrade() -> None:
    with op.batch_alter_table("member_invitation") as batch:
        batch.drop_column("language")
