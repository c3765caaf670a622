"""sentences stored as phrases: a plan version's note and a workshop agenda item's title and reason

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 00:00:00

Each is kept as a phrase (``i18n/phrase.py``: a message id and named parameters, as JSON) beside the English text,
which stays for the API, the command line and the audit log; pages render the phrase in their reader's language.
Rows written before have no phrase (NULL) and are shown as written.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plan_version") as batch:
        batch.add_column(sa.Column("note_phrase", sa.JSON(), nullable=True))
    with op.batch_alter_table("workshop_item") as batch:
        batch.add_column(sa.Column("title_phrase", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("reason_phrase", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workshop_item") as batch:
        batch.drop_column("reason_phrase")
        batch.drop_column("title_phrase")
    with op.batch_alter_table("plan_version") as batch:
        batch.drop_column("note_phrase")
