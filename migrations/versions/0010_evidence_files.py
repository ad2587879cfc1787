"""evidence files: sealed WARC files and exports, their signatures and time-stamps

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 01:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evidence_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signature", sa.Text(), nullable=True),
        sa.Column("signed_by", sa.String(length=64), nullable=True),
        sa.Column("stamped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tsa_url", sa.Text(), nullable=True),
        sa.Column("token_file", sa.Text(), nullable=True),
        sa.Column("stamp_attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("stamp_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_files")),
        sa.UniqueConstraint("kind", "name", name="uq_evidence_files_kind_name"),
    )


def downgrade() -> None:
    op.drop_table("evidence_files")
