"""indexes of the hot queries: what a run fetched, the preserved copies, recent alert events

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 05:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

PRESERVED = "outcome = 'fetched' AND status >= 200 AND status < 300"  # Snapshot.preserved


def upgrade() -> None:
    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        # (crawl_run_id, target_id) serves every lookup by run the old index did, and tells a
        # resumed run what it fetched without reading the table.
        batch_op.drop_index(batch_op.f("ix_snapshots_crawl_run_id"))
        batch_op.create_index("ix_snapshots_run_target", ["crawl_run_id", "target_id"])
        batch_op.create_index(
            "ix_snapshots_preserved_target",
            ["target_id"],
            postgresql_where=sa.text(PRESERVED),
            sqlite_where=sa.text(PRESERVED),
        )
    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_events_detected_at"), ["detected_at"])


def downgrade() -> None:
    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_events_detected_at"))
    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.drop_index("ix_snapshots_preserved_target")
        batch_op.drop_index("ix_snapshots_run_target")
        batch_op.create_index(batch_op.f("ix_snapshots_crawl_run_id"), ["crawl_run_id"])
