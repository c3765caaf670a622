"""long job stage: where a report job is (a unit scored, a page laid out), for its page and API to show

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("long_job") as batch:
        batch.add_column(sa.Column("stage", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("long_job") as batch:
        batch.drop_column("stage")
