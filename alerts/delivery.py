"""Delivery: every message goes to the outbox first (a row and a file), then to its destination
(the SMTP server, an Apprise channel, a webhook); what a destination did not take stays in the
outbox for the next run.

An event is put into a recipient's message in the same transaction that stores the message, and
a message is marked sent as soon as its destination accepts it (a text split for a channel: part
by part), so nothing is lost and nothing sent twice. One destination down (the mail server, a
Telegram chat) holds back only its own messages.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from alerts import channels, webhooks
from alerts.channels import ChannelError
from alerts.digest import Digest, render
from alerts.mailer import DeliveryError, RecipientRefused, send
from config import Config
from config.channels import Channel
from models import AlertEvent, Database, OutboxMessage, Recipient, RecipientEvent
from models.subscriptions import is_email

NO_RECIPIENTS = "no recipients configured ([alerts] recipients)"
NO_SMTP = "no SMTP server configured ([smtp] host)"
EMAIL, TEXT, JSON = ".eml", ".txt", ".json"  # the outbox file of a message, by destination


@dataclass
class Delivery:
    """What a delivery attempt did: one line per destination that failed; `deferred` for
    messages waiting on the configuration (no mail server, no recipients), which is no failure."""

    sent: int = 0
    pending: int = 0
    failures: list[str] = field(default_factory=list)
    deferred: str | None = None

    @property
    def error(self) -> str | None:
        lines = [*self.failures, *([self.deferred] if self.deferred else [])]
        return "; ".join(lines) or None


def outbox_directory(config: Config) -> Path:
    return config.home / "outbox"


def channel_named(config: Config, name: str) -> Channel:
    """A recipient's channel from the config; ChannelError if the config has none of that name
    (the secrets live only there)."""
    channel = config.channels.get(name)
    if channel is None:
        variable = f"CITEWATCH_CHANNEL_{name.upper().replace('-', '_')}"
        raise ChannelError(f"channel {name} is not configured ([channels] {name} or {variable})")
    return channel


def queue(
    session: Session,
    config: Config,
    content: EmailMessage | bytes,
    subject: str,
    event_ids: list[int],
    now: datetime,
    recipient: Recipient | None = None,
    suffix: str = EMAIL,
) -> OutboxMessage:
    """Store a message in the outbox and tie its events to it: in the recipient's ledger for a
    subscriber's message, on the events themselves for the digest of `[alerts] recipients`."""
    row = OutboxMessage(
        created_at=now,
        subject=subject,
        recipients=recipient.address if recipient else ", ".join(config.alerts.recipients),
        recipient_id=recipient.id if recipient else None,
        file="",
        attempts=0,
        parts_sent=0,
    )
    session.add(row)
    session.flush()
    row.file = f"{row.id:08d}{suffix}"
    data = content.as_bytes(policy=policy.SMTP) if isinstance(content, EmailMessage) else content
    directory = outbox_directory(config)
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / f".{row.file}.tmp"
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(directory / row.file)
    if recipient is not None:
        session.add_all(
            RecipientEvent(recipient_id=recipient.id, event_id=event_id, outbox_id=row.id)
            for event_id in event_ids
        )
    elif event_ids:
        session.execute(
            update(AlertEvent).where(AlertEvent.id.in_(event_ids)).values(outbox_id=row.id)
        )
    return row


def deliver(database: Database, config: Config, now: datetime) -> Delivery:
    """Send every message still in the outbox, oldest first, each marked sent as soon as its
    destination accepts it (no transaction is held while a destination answers). A destination
    that fails is not tried again in this attempt (its other messages wait); a refused address
    holds back only its own message."""
    with database.session() as session:
        pending = list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.sent_at.is_(None))
                .order_by(OutboxMessage.id)
            )
        )
        session.expunge_all()
    result = Delivery(pending=len(pending))
    down: set[str] = set()
    for row in pending:
        destination = "smtp" if row.file.endswith(EMAIL) else row.recipients
        waiting = _waiting(config, row)
        if destination in down or waiting:
            result.deferred = waiting or result.deferred
            continue
        try:
            _send_row(database, config, row)
        except (DeliveryError, OSError) as exc:
            _record(database, row.id, None, str(exc))
            result.failures.append(str(exc))
            if not isinstance(exc, RecipientRefused):  # a refused address: the others still go
                down.add(destination)
            continue
        _record(database, row.id, now, None)
        result.sent += 1
        result.pending -= 1
    return result


def _record(
    database: Database, message_id: int, sent_at: datetime | None, error: str | None
) -> None:
    """One attempt's outcome: sent (the message and its events marked) or the error kept."""
    with database.session() as session:
        row = session.get(OutboxMessage, message_id)
        if row is None:
            return
        row.attempts += 1
        row.last_error = error
        if sent_at is None:
            return
        row.sent_at = sent_at
        session.execute(
            update(AlertEvent).where(AlertEvent.outbox_id == row.id).values(sent_at=sent_at)
        )
        session.execute(
            update(RecipientEvent).where(RecipientEvent.outbox_id == row.id).values(sent_at=sent_at)
        )


def _waiting(config: Config, row: OutboxMessage) -> str | None:
    """Why an e-mail cannot go yet for want of configuration (kept until there is some)."""
    if not row.file.endswith(EMAIL):
        return None
    if not config.smtp.host:
        return NO_SMTP
    if row.recipient_id is None and not config.alerts.recipients:
        return NO_RECIPIENTS
    return None


def _send_row(database: Database, config: Config, row: OutboxMessage) -> None:
    """Hand one stored message to its destination; DeliveryError if it did not take it."""
    data = (outbox_directory(config) / row.file).read_bytes()
    if row.file.endswith(EMAIL):
        message = BytesParser(policy=policy.default).parsebytes(data)
        assert isinstance(message, EmailMessage)
        # A subscriber's message goes to them; the shared digest to [alerts] recipients.
        to = [row.recipients] if row.recipient_id is not None else list(config.alerts.recipients)
        send(config.smtp, message, to)
        return
    channel = channel_named(config, row.recipients)
    if row.file.endswith(JSON):
        webhooks.post(channel, config, data)
        return

    def sent(count: int) -> None:  # each part recorded at once: a retry starts after it
        with database.session() as session:
            session.execute(
                update(OutboxMessage).where(OutboxMessage.id == row.id).values(parts_sent=count)
            )

    channels.send_parts(channel, config.alerts, data.decode(), row.parts_sent, sent)


def recent_messages(session: Session, limit: int) -> list[OutboxMessage]:
    """The latest `limit` messages of the outbox, sent or not, newest first."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    return list(session.scalars(query))


def send_test_message(config: Config, now: datetime, recipient: Recipient | None = None) -> str:
    """Send a test message right away (not through the outbox) to `[alerts] recipients`, or to
    one recipient by their own channel and in their language; where it went. DeliveryError
    says what is missing or what the destination did."""
    if recipient is not None and not is_email(recipient.address):
        channel = channel_named(config, recipient.address)
        if channel.webhook:
            webhooks.post(channel, config, webhooks.test_body(now))
        else:
            message = _test_email(config, now, recipient)
            body = message.get_body(("plain",))
            assert body is not None
            channels.send_parts(channel, config.alerts, body.get_content())
        return f"channel {channel.name} ({channel.service})"
    if not config.smtp.host:
        raise DeliveryError("no SMTP server configured: set [smtp] host (or CITEWATCH_SMTP_HOST)")
    to = [recipient.address] if recipient is not None else list(config.alerts.recipients)
    if not to:
        raise DeliveryError("no recipients configured: set [alerts] recipients")
    send(config.smtp, _test_email(config, now, recipient), to)
    return f"{', '.join(to)} via {config.smtp.host}"


def _test_email(config: Config, now: datetime, recipient: Recipient | None) -> EmailMessage:
    language, zone = language_and_zone(config, recipient)
    return render(
        Digest(),
        config.smtp,
        config.alerts,
        now,
        test=True,
        to=recipient.address if recipient else None,
        language=language,
        zone=zone,
    )


def language_and_zone(config: Config, recipient: Recipient | None) -> tuple[str, str]:
    """The language and time zone of a recipient's messages (the config's for its digest)."""
    if recipient is None:
        return config.alerts.language, config.alerts_timezone
    return recipient.language, recipient.timezone or config.alerts_timezone
