"""outcome counts: answers counted per organization, metric, scale, month, segment and answer, kept at import

NPS, CSAT and CES by period and segment read these counts instead of grouping every stored response, so the wide
index that grouping walked (``ix_survey_response_tally``) goes: every import had to maintain it for every row.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 17:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_TALLY = ["organization_id", "month", "segment", "nps", "csat", "csat_scale", "ces", "ces_scale"]


def upgrade() -> None:
    op.create_table(
        "outcome_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=10), nullable=False),
        sa.Column("scale", sa.SmallInteger(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("segment", sa.String(length=100), nullable=False),
        sa.Column("answer", sa.SmallInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_outcome_count_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_count")),
        sa.UniqueConstraint(
            "organization_id",
            "metric",
            "scale",
            "month",
            "segment",
            "answer",
            name=op.f("uq_outcome_count_organization_id"),
        ),
    )
    # The counts of the responses already stored (the same grouping as services/outcomes_store.py keeps up).
    for metric, scale in (("nps", None), ("csat", "csat_scale"), ("ces", "ces_scale")):
        scale_value, scale_key = (scale, f", {scale}") if scale else ("10", "")
        op.execute(
            "INSERT INTO outcome_count (organization_id, metric, scale, month, segment, answer, count) "
            f"SELECT organization_id, '{metric}', {scale_value}, COALESCE(month, ''), segment, {metric}, count(*) "
            f"FROM survey_response WHERE {metric} IS NOT NULL "
            f"GROUP BY organization_id{scale_key}, COALESCE(month, ''), segment, {metric}"
        )
    op.execute(
        "INSERT INTO outcome_count (organization_id, metric, scale, month, segment, answer, count) "
        "SELECT organization_id, 'responses', 0, COALESCE(month, ''), segment, 0, count(*) "
        "FROM survey_response GROUP BY organization_id, COALESCE(month, ''), segment"
    )
    op.drop_index("ix_survey_response_tally", table_name="survey_response")


def downgrade() -> None:
    op.create_index("ix_survey_response_tally", "survey_response", _TALLY, unique=False)
    op.drop_table("outcome_count")
