"""benchmarks: stored per-assessment results, opt-out, imported datasets, reference distributions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 06:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing organizations stay out of benchmarks until an owner opts in, as new ones do.
    op.add_column(
        "organization", sa.Column("benchmark_opt_out", sa.Boolean(), server_default=sa.true(), nullable=False)
    )
    op.create_table(
        "assessment_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.String(length=64), nullable=False),
        sa.Column("framework_version", sa.String(length=32), nullable=False),
        sa.Column("framework_key", sa.String(length=120), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("competency", sa.String(length=64), nullable=False),
        sa.Column("stage_number", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("respondents", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessment.id"],
            name=op.f("fk_assessment_result_assessment_id_assessment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_assessment_result_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_result")),
        sa.UniqueConstraint("assessment_id", "competency", name=op.f("uq_assessment_result_assessment_id")),
    )
    op.create_index("ix_assessment_result_pool", "assessment_result", ["framework_key", "synthetic", "organization_id"])
    op.create_table(
        "benchmark_pool",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("framework_key", sa.String(length=120), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("checked_version", sa.Integer(), nullable=False),
        sa.Column("checked_k", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmark_pool")),
        sa.UniqueConstraint("framework_key", "synthetic", name=op.f("uq_benchmark_pool_framework_key")),
    )
    op.create_table(
        "benchmark_release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("framework_key", sa.String(length=120), nullable=False),
        sa.Column("framework_id", sa.String(length=64), nullable=False),
        sa.Column("framework_version", sa.String(length=32), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("organizations", sa.Integer(), nullable=False),
        sa.Column("cohorts", sa.JSON(), nullable=False),
        sa.Column("min_cohort", sa.Integer(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmark_release")),
        sa.UniqueConstraint("framework_key", "synthetic", "number", name=op.f("uq_benchmark_release_framework_key")),
    )
    op.create_table(
        "benchmark_release_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("industry", sa.String(length=100), nullable=False),
        sa.Column("size_band", sa.String(length=50), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("competency", sa.String(length=64), nullable=False),
        sa.Column("stage_number", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["benchmark_release.id"],
            name=op.f("fk_benchmark_release_result_release_id_benchmark_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmark_release_result")),
    )
    op.create_index(
        "ix_benchmark_release_result_release", "benchmark_release_result", ["release_id", "competency", "score"]
    )
    op.create_table(
        "benchmark_dataset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("source_date", sa.Date(), nullable=False),
        sa.Column("framework_id", sa.String(length=64), nullable=False),
        sa.Column("framework_version", sa.String(length=32), nullable=False),
        sa.Column("framework_key", sa.String(length=120), nullable=False),
        sa.Column("cohort", sa.JSON(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("organizations", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("imported_by", sa.Integer(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_benchmark_dataset_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["imported_by"],
            ["user_account.id"],
            name=op.f("fk_benchmark_dataset_imported_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmark_dataset")),
    )
    op.create_index(op.f("ix_benchmark_dataset_organization_id"), "benchmark_dataset", ["organization_id"])
    op.create_table(
        "reference_distribution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("citation", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_distribution")),
        sa.UniqueConstraint("framework_id", "title", name=op.f("uq_reference_distribution_framework_id")),
    )


def downgrade() -> None:
    op.drop_table("reference_distribution")
    op.drop_index(op.f("ix_benchmark_dataset_organization_id"), table_name="benchmark_dataset")
    op.drop_table("benchmark_dataset")
    op.drop_index("ix_benchmark_release_result_release", table_name="benchmark_release_result")
    op.drop_table("benchmark_release_result")
    op.drop_table("benchmark_release")
    op.drop_table("benchmark_pool")
    op.drop_index("ix_assessment_result_pool", table_name="assessment_result")
    op.drop_table("assessment_result")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite 3.35+ drops a column in place. Alembic's batch mode would copy the table and drop the original,
        # and with foreign keys on, dropping "organization" would delete every row that cascades from it.
        op.execute("ALTER TABLE organization DROP COLUMN benchmark_opt_out")
    else:
        op.drop_column("organization", "benchmark_opt_out")
