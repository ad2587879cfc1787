"""snapshots: checks that saw the same again extend a row (last seen, its run, how many times);
indexes on the foreign keys to snapshots (rows are deleted)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 06:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


# A checked snapshot that repeats an earlier one is deleted (health.sightings): every foreign
# key to snapshots is checked on deletion, which without an index reads the whole table.
REFERENCING = (
    ("snapshots", "revisit_of_id"),
    ("documents", "snapshot_id"),
    ("case_updates", "snapshot_id"),
)


def upgrade() -> None:
    for table, column in REFERENCING:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)
    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_crawl_run_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("times_seen", sa.Integer(), nullable=False, server_default="1")
        )
        batch_op.create_index(
            batch_op.f("ix_snapshots_last_crawl_run_id"), ["last_crawl_run_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_snapshots_last_crawl_run_id_crawl_runs"),
            "crawl_runs",
            ["last_crawl_run_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_snapshots_last_crawl_run_id_crawl_runs"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_snapshots_last_crawl_run_id"))
        batch_op.drop_column("times_seen")
        batch_op.drop_column("last_crawl_run_id")
        batch_op.drop_column("last_seen_at")
    for table, column in reversed(REFERENCING):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
