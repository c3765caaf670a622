"""members join by an invitation they accept (issue 12, finding 4)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "member_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_member_invitation_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"],
            ["user_account.id"],
            name=op.f("fk_member_invitation_invited_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_invitation")),
        sa.UniqueConstraint("organization_id", "email", name=op.f("uq_member_invitation_organization_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_member_invitation_token_hash")),
    )
    op.create_index(
        op.f("ix_member_invitation_organization_id"), "member_invitation", ["organization_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_member_invitation_organization_id"), table_name="member_invitation")
    op.drop_table("member_invitation")
