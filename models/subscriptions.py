"""Who receives alerts about what: recipients, their subscriptions, and the per-recipient ledger
of the events each was sent (so nobody gets an event twice)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, EnumText


class SubscriptionKind(StrEnum):
    """What a subscription covers."""

    CASE = "case"  # the news on one case
    DOCUMENT = "document"  # the link alerts of one document's citations
    ALL = "all"  # every event


class Cadence(StrEnum):
    """When a subscription's events go out."""

    IMMEDIATE = "immediate"  # after every run
    DAILY = "daily"  # at most one digest a day


class Recipient(Base):
    """Who receives digests: an e-mail address, or the name of a channel of the config
    (`[channels]`: a Telegram chat, a Slack room, a signed webhook...), whose secrets stay in
    the config. Their unsubscribe and feed tokens are derived (signed), not stored."""

    __tablename__ = "recipients"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)  # or a channel's name
    language: Mapped[str] = mapped_column(String(8), default="en")
    timezone: Mapped[str | None] = mapped_column(String(64))  # None: [alerts] timezone
    created_at: Mapped[datetime]
    unsubscribed_at: Mapped[datetime | None]  # via the link in a message: nothing more is sent
    daily_digest_at: Mapped[datetime | None]  # the last digest carrying daily events

    subscriptions: Mapped[list[Subscription]] = relationship(
        back_populates="recipient", cascade="all, delete-orphan", passive_deletes=True
    )


class Subscription(Base):
    """One recipient's interest in a case, a document, or everything."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("recipient_id", "kind", "case_id", "document_id", name="uq_subscription"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(
        ForeignKey("recipients.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[SubscriptionKind] = mapped_column(EnumText(SubscriptionKind))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    cadence: Mapped[Cadence] = mapped_column(EnumText(Cadence))
    created_at: Mapped[datetime]  # events detected before this are not sent

    recipient: Mapped[Recipient] = relationship(back_populates="subscriptions")


class RecipientEvent(Base):
    """The ledger of delivery: this event went into this recipient's message (once)."""

    __tablename__ = "recipient_events"
    __table_args__ = (UniqueConstraint("recipient_id", "event_id", name="uq_recipient_event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(
        ForeignKey("recipients.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int] = mapped_column(ForeignKey("alert_events.id", ondelete="CASCADE"))
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime | None]


def is_email(address: str) -> bool:
    """Whether a recipient's address is an e-mail address (else it names a channel)."""
    return "@" in address
