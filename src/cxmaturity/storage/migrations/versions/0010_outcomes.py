"""customer outcomes: imported survey responses, customers and O-data, saved mappings, watched metrics, initiative
metrics, and the minimum segment size

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing organizations get the default minimum segment size; nothing else is written.
    op.create_table(
        "outcome_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user_account.id"],
            name=op.f("fk_outcome_mapping_created_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_outcome_mapping_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_mapping")),
        sa.UniqueConstraint("organization_id", "name", name=op.f("uq_outcome_mapping_organization_id")),
    )
    op.create_table(
        "outcome_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("tool", sa.String(length=30), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("replaced", sa.Integer(), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("imported_by", sa.Integer(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["imported_by"],
            ["user_account.id"],
            name=op.f("fk_outcome_source_imported_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_outcome_source_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_source")),
    )
    op.create_index(op.f("ix_outcome_source_organization_id"), "outcome_source", ["organization_id"], unique=False)
    op.create_table(
        "watched_metric",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=220), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("higher_is_better", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_watched_metric_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watched_metric")),
        sa.UniqueConstraint("organization_id", "metric", name=op.f("uq_watched_metric_organization_id")),
    )
    op.create_table(
        "customer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("customer_key", sa.String(length=200), nullable=False),
        sa.Column("segment", sa.String(length=100), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_customer_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["outcome_source.id"], name=op.f("fk_customer_source_id_outcome_source"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
        sa.UniqueConstraint("organization_id", "customer_key", name=op.f("uq_customer_organization_id")),
    )
    op.create_index("ix_customer_source", "customer", ["source_id"], unique=False)
    op.create_table(
        "initiative_metric",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("initiative_key", sa.String(length=64), nullable=False),
        sa.Column("metric", sa.String(length=220), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=True),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("changed_by", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessment.id"],
            name=op.f("fk_initiative_metric_assessment_id_assessment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["changed_by"],
            ["user_account.id"],
            name=op.f("fk_initiative_metric_changed_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_initiative_metric")),
        sa.UniqueConstraint("assessment_id", "initiative_key", name=op.f("uq_initiative_metric_assessment_id")),
    )
    op.create_table(
        "operational_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=200), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("segment", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_operational_value_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["outcome_source.id"],
            name=op.f("fk_operational_value_source_id_outcome_source"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operational_value")),
        sa.UniqueConstraint(
            "organization_id", "metric", "on_date", "segment", name=op.f("uq_operational_value_organization_id")
        ),
    )
    op.create_index("ix_operational_value_source", "operational_value", ["source_id"], unique=False)
    op.create_table(
        "survey_response",
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.String(length=200), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("month", sa.String(length=7), nullable=True),
        sa.Column("segment", sa.String(length=100), nullable=False),
        sa.Column("nps", sa.SmallInteger(), nullable=True),
        sa.Column("csat", sa.SmallInteger(), nullable=True),
        sa.Column("csat_scale", sa.SmallInteger(), nullable=True),
        sa.Column("ces", sa.SmallInteger(), nullable=True),
        sa.Column("ces_scale", sa.SmallInteger(), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_survey_response_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["outcome_source.id"],
            name=op.f("fk_survey_response_source_id_outcome_source"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organization_id", "response_id", name=op.f("pk_survey_response")),
    )
    op.create_index(
        "ix_survey_response_tally",
        "survey_response",
        ["organization_id", "month", "segment", "nps", "csat", "csat_scale", "ces", "ces_scale"],
        unique=False,
    )
    op.create_index("ix_survey_response_source", "survey_response", ["source_id"], unique=False)
    op.create_table(
        "outcome_upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user_account.id"],
            name=op.f("fk_outcome_upload_created_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_outcome_upload_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_upload")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_outcome_upload_token_hash")),
    )
    op.create_index(op.f("ix_outcome_upload_organization_id"), "outcome_upload", ["organization_id"], unique=False)
    op.add_column("organization", sa.Column("min_segment_size", sa.Integer(), server_default="5", nullable=False))


def downgrade() -> None:
    # Dropping a table drops its indexes.
    op.drop_column("organization", "min_segment_size")
    for table in (
        "survey_response",
        "operational_value",
        "customer",
        "initiative_metric",
        "watched_metric",
        "outcome_source",
        "outcome_mapping",
        "outcome_upload",
    ):
        op.drop_table(table)
