"""recipients, their subscriptions, the per-recipient delivery ledger; outbox.recipient_id

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 02:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("daily_digest_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipients")),
        sa.UniqueConstraint("address", name=op.f("uq_recipients_address")),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("cadence", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_subscriptions_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_subscriptions_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["recipients.id"],
            name=op.f("fk_subscriptions_recipient_id_recipients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint(
            "recipient_id", "kind", "case_id", "document_id", name="uq_subscription"
        ),
    )
    op.create_index(
        op.f("ix_subscriptions_recipient_id"), "subscriptions", ["recipient_id"], unique=False
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recipient_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_recipient_id"), ["recipient_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_recipient_id_recipients"),
            "recipients",
            ["recipient_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "recipient_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["alert_events.id"],
            name=op.f("fk_recipient_events_event_id_alert_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name=op.f("fk_recipient_events_outbox_id_outbox"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["recipients.id"],
            name=op.f("fk_recipient_events_recipient_id_recipients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipient_events")),
        sa.UniqueConstraint("recipient_id", "event_id", name="uq_recipient_event"),
    )
    op.create_index(
        op.f("ix_recipient_events_outbox_id"), "recipient_events", ["outbox_id"], unique=False
    )
    op.create_index(
        op.f("ix_recipient_events_recipient_id"),
        "recipient_events",
        ["recipient_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("recipient_events")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_outbox_recipient_id_recipients"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_outbox_recipient_id"))
        batch_op.drop_column("recipient_id")
    op.drop_table("subscriptions")
    op.drop_table("recipients")
