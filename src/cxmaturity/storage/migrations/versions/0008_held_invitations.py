"""no padding: whether the facilitator held an invitation's link (and so could have answered it himself)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing invitations are taken as held: nothing stored tells a link the app e-mailed from one that was shown to
    # or downloaded by the facilitator, and only respondents known to be independent may lift a group into view.
    op.add_column("invitation", sa.Column("held", sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    op.drop_column("invitation", "held")
