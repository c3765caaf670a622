"""long jobs taken over: a job whose worker died runs again (attempts, a claim), and an import records what it wrote

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 20:40:00

``claim``: a random value per attempt, so that only the attempt that holds the job moves it on or finishes it (a
worker thought dead that wakes up again changes nothing). ``written``: the respondents an import attempt has written
so far (runs of ids), recorded in the same transaction as each batch, so that the next attempt deletes exactly them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("long_job") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("claim", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("written", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("long_job") as batch:
        batch.drop_column("written")
        batch.drop_column("claim")
        batch.drop_column("attempts")
