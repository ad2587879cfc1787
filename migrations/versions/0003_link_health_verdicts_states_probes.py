"""link health: verdicts, states, probes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "probes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("crawl_run_id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["crawl_run_id"], ["crawl_runs.id"], name=op.f("fk_probes_crawl_run_id_crawl_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_probes")),
    )
    with op.batch_alter_table("probes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_probes_crawl_run_id"), ["crawl_run_id"], unique=False)

    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("degraded", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("etag", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("last_modified", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("verdict", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("counted", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(sa.Column("similarity", sa.Double(), nullable=True))

    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=20), server_default="unknown", nullable=False)
        )
        batch_op.add_column(sa.Column("state_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_verdict", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("last_checked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_ok_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("override", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("hint", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("memento_url", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("memento_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("memento_checked_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_targets_next_check_at"), ["next_check_at"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_targets_next_check_at"))
        batch_op.drop_column("memento_checked_at")
        batch_op.drop_column("memento_at")
        batch_op.drop_column("memento_url")
        batch_op.drop_column("hint")
        batch_op.drop_column("override")
        batch_op.drop_column("next_check_at")
        batch_op.drop_column("last_ok_at")
        batch_op.drop_column("last_checked_at")
        batch_op.drop_column("last_verdict")
        batch_op.drop_column("state_since")
        batch_op.drop_column("state")

    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.drop_column("similarity")
        batch_op.drop_column("counted")
        batch_op.drop_column("verdict")
        batch_op.drop_column("last_modified")
        batch_op.drop_column("etag")

    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_column("evaluated_at")
        batch_op.drop_column("degraded")

    with op.batch_alter_table("probes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_probes_crawl_run_id"))

    op.drop_table("probes")
