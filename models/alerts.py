"""The nightly cycle's job runs, the alert ledger, and the outbox of digest messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, EnumText
from models.cases import CaseUpdate
from models.document import Target
from models.kinds import EventKind, NightlyStep, StepStatus


class JobRun(Base):
    """One step of one nightly cycle: when it ran, what it did, how it ended."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle: Mapped[int] = mapped_column(index=True)  # the nightly cycle's number
    step: Mapped[NightlyStep] = mapped_column(EnumText(NightlyStep))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[StepStatus] = mapped_column(EnumText(StepStatus))
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class OutboxMessage(Base):
    """A digest (an e-mail, a channel's text, a webhook's event), kept as a file until the
    server or channel has accepted it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    subject: Mapped[str] = mapped_column(Text)
    recipients: Mapped[str] = mapped_column(Text)  # comma-separated
    # A subscriber's own message; None: the digest for `[alerts] recipients` of the config.
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("recipients.id", ondelete="SET NULL"), index=True
    )
    # In <home>/outbox, named from the id: NNNNNNNN.eml (e-mail), .txt (a channel's text),
    # .json (a webhook's event).
    file: Mapped[str] = mapped_column(String(100))
    parts_sent: Mapped[int] = mapped_column(default=0, server_default="0")  # of a split text
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class AlertEvent(Base):
    """Something worth telling: written when detected, mailed once by the digest."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[EventKind] = mapped_column(EnumText(EventKind))
    detected_at: Mapped[datetime] = mapped_column(index=True)  # a subscriber's recent events
    target_id: Mapped[int | None] = mapped_column(ForeignKey("targets.id"))
    case_update_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_updates.id", ondelete="CASCADE")
    )
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    since: Mapped[datetime | None]  # when the link entered its state
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"), index=True)
    sent_at: Mapped[datetime | None]

    target: Mapped[Target | None] = relationship()
    case_update: Mapped[CaseUpdate | None] = relationship()
