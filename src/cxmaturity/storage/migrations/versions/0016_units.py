"""units: an organization's tree of units, their leaders, campaigns over units with response-rate goals

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("unit", "organization_id", "organization", "CASCADE"),
        _fk("unit", "parent_id", "unit"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit")),
        sa.UniqueConstraint("organization_id", "key", name=op.f("uq_unit_organization_id")),
    )
    op.create_index(op.f("ix_unit_organization_id"), "unit", ["organization_id"])
    op.create_index(op.f("ix_unit_parent_id"), "unit", ["parent_id"])
    op.create_table(
        "unit_leader",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("unit_leader", "unit_id", "unit", "CASCADE"),
        _fk("unit_leader", "user_id", "user_account", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_leader")),
        sa.UniqueConstraint("unit_id", "user_id", name=op.f("uq_unit_leader_unit_id")),
    )
    op.create_index(op.f("ix_unit_leader_unit_id"), "unit_leader", ["unit_id"])
    op.create_index(op.f("ix_unit_leader_user_id"), "unit_leader", ["user_id"])
    op.create_table(
        "campaign_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("goal", sa.Integer(), nullable=True),
        _fk("campaign_unit", "assessment_id", "assessment", "CASCADE"),
        _fk("campaign_unit", "unit_id", "unit"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_unit")),
        sa.UniqueConstraint("assessment_id", "unit_id", name=op.f("uq_campaign_unit_assessment_id")),
    )
    op.create_index(op.f("ix_campaign_unit_assessment_id"), "campaign_unit", ["assessment_id"])
    op.create_index(op.f("ix_campaign_unit_unit_id"), "campaign_unit", ["unit_id"])
    with op.batch_alter_table("invitation") as batch:
        batch.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_invitation_unit_id_unit"), "unit", ["unit_id"], ["id"])
        batch.create_index(op.f("ix_invitation_unit_id"), ["unit_id"])
    op.add_column("assessment", sa.Column("hide_unit_names", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    op.drop_column("assessment", "hide_unit_names")
    with op.batch_alter_table("invitation") as batch:
        batch.drop_index(op.f("ix_invitation_unit_id"))
        batch.drop_constraint(op.f("fk_invitation_unit_id_unit"), type_="foreignkey")
        batch.drop_column("unit_id")
    op.drop_table("campaign_unit")
    op.drop_table("unit_leader")
    op.drop_table("unit")
