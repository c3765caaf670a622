"""live workshops: agenda, anonymous participants and votes, agreed answers, commitments and next steps

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 11:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "workshop",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("join_code", sa.String(length=12), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("current_item_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("started_by", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        _fk("workshop", "assessment_id", "assessment", "CASCADE"),
        _fk("workshop", "started_by", "user_account", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop")),
        sa.UniqueConstraint("join_code", name=op.f("uq_workshop_join_code")),
    )
    op.create_index(op.f("ix_workshop_assessment_id"), "workshop", ["assessment_id"])
    op.create_table(
        "workshop_participant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        _fk("workshop_participant", "workshop_id", "workshop", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_participant")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_workshop_participant_token_hash")),
    )
    op.create_index(op.f("ix_workshop_participant_workshop_id"), "workshop_participant", ["workshop_id"])
    op.create_table(
        "workshop_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("competency", sa.String(length=64), nullable=True),
        sa.Column("indicator", sa.String(length=64), nullable=True),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("vote_state", sa.String(length=10), nullable=False),
        _fk("workshop_item", "workshop_id", "workshop", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_item")),
    )
    op.create_index("ix_workshop_item_workshop", "workshop_item", ["workshop_id", "position"])
    op.create_table(
        "workshop_vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("option_key", sa.String(length=64), nullable=False),
        _fk("workshop_vote", "item_id", "workshop_item", "CASCADE"),
        _fk("workshop_vote", "participant_id", "workshop_participant", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_vote")),
        sa.UniqueConstraint("item_id", "participant_id", "round", name=op.f("uq_workshop_vote_item_id")),
    )
    op.create_table(
        "agreed_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=True),
        sa.Column("indicator_key", sa.String(length=64), nullable=False),
        sa.Column("option_key", sa.String(length=64), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("evidence", sa.String(length=500), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        _fk("agreed_answer", "assessment_id", "assessment", "CASCADE"),
        _fk("agreed_answer", "workshop_id", "workshop", "SET NULL"),
        _fk("agreed_answer", "recorded_by", "user_account", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreed_answer")),
        sa.UniqueConstraint("assessment_id", "indicator_key", name=op.f("uq_agreed_answer_assessment_id")),
    )
    op.create_table(
        "workshop_commitment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("who", sa.String(length=100), nullable=False),
        sa.Column("what", sa.String(length=500), nullable=False),
        sa.Column("by_when", sa.Date(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("kept", sa.Boolean(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("workshop_commitment", "workshop_id", "workshop", "CASCADE"),
        _fk("workshop_commitment", "participant_id", "workshop_participant", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_commitment")),
    )
    op.create_index(op.f("ix_workshop_commitment_workshop_id"), "workshop_commitment", ["workshop_id"])
    op.create_table(
        "workshop_next_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("competency", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("duration", sa.Integer(), nullable=False),
        sa.Column("initiative_key", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("workshop_next_step", "workshop_id", "workshop", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_next_step")),
    )
    op.create_index(op.f("ix_workshop_next_step_workshop_id"), "workshop_next_step", ["workshop_id"])


def downgrade() -> None:
    for table in (
        "workshop_next_step",
        "workshop_commitment",
        "agreed_answer",
        "workshop_vote",
        "workshop_item",
        "workshop_participant",
        "workshop",
    ):
        op.drop_table(table)
