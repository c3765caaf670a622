"""report branding: an organization's optional logo for reports

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 06:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable columns without defaults: SQLite and PostgreSQL both add them in place, without copying the table.
    op.add_column("organization", sa.Column("logo", sa.LargeBinary(), nullable=True))
    op.add_column("organization", sa.Column("logo_type", sa.String(length=20), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Plain DROP COLUMN (SQLite 3.35+). Alembic's batch mode would copy and drop the organization table, and with
        # foreign keys on, that drop would cascade to every membership and assessment.
        op.execute("ALTER TABLE organization DROP COLUMN logo_type")
        op.execute("ALTER TABLE organization DROP COLUMN logo")
        return
    op.drop_column("organization", "logo_type")
    op.drop_column("organization", "logo")
