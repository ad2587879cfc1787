"""snapshots remember whether the page asked for a password; runs judged in the crawl process

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 02:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("login_form", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # Until now the crawl process judged its own runs (watch runs without saying so): every
    # finished run has been processed, and the after-run step must not do it again.
    op.execute(
        "UPDATE crawl_runs SET evaluated_at = finished_at "
        "WHERE status = 'finished' AND evaluated_at IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.drop_column("login_form")
