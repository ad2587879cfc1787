"""snapshots and crawl runs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("refresh", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("planned", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_runs")),
    )
    op.create_table(
        "snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("crawl_run_id", sa.Integer(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.Column("redirect_chain", sa.JSON(), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=True),
        sa.Column("content_length", sa.BigInteger(), nullable=True),
        sa.Column("payload_sha256", sa.String(length=64), nullable=True),
        sa.Column("warc_file", sa.String(length=200), nullable=True),
        sa.Column("warc_offset", sa.BigInteger(), nullable=True),
        sa.Column("warc_length", sa.BigInteger(), nullable=True),
        sa.Column("warc_record_id", sa.String(length=100), nullable=True),
        sa.Column("revisit_of_id", sa.Integer(), nullable=True),
        sa.Column("extraction", sa.String(length=20), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("author", sa.Text(), nullable=True),
        sa.Column("published", sa.String(length=40), nullable=True),
        sa.Column("language", sa.String(length=20), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["crawl_run_id"], ["crawl_runs.id"], name=op.f("fk_snapshots_crawl_run_id_crawl_runs")
        ),
        sa.ForeignKeyConstraint(
            ["revisit_of_id"], ["snapshots.id"], name=op.f("fk_snapshots_revisit_of_id_snapshots")
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["targets.id"], name=op.f("fk_snapshots_target_id_targets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snapshots")),
    )
    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_snapshots_crawl_run_id"), ["crawl_run_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_snapshots_payload_sha256"), ["payload_sha256"], unique=False
        )
        batch_op.create_index(
            "ix_snapshots_target_fetched", ["target_id", "fetched_at"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.drop_index("ix_snapshots_target_fetched")
        batch_op.drop_index(batch_op.f("ix_snapshots_payload_sha256"))
        batch_op.drop_index(batch_op.f("ix_snapshots_crawl_run_id"))

    op.drop_table("snapshots")
    op.drop_table("crawl_runs")
