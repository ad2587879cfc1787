"""snapshots: what the browser (or a video download) added to a fetch, and where its records end

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 02:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("capture_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("capture_length", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.drop_column("capture_length")
        batch_op.drop_column("capture_note")
