"""Delivery: every digest goes to the outbox first (a row and an .eml file), then to the SMTP
server; what the server did not accept stays in the outbox for the next run.

An event is put into exactly one message, in the same transaction that stores the message, and a
message is marked sent as soon as the server accepts it: nothing is lost and nothing sent twice.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from alerts.digest import Digest, render
from config import Config, SmtpConfig
from models import AlertEvent, Database, OutboxMessage, Recipient, RecipientEvent

NO_RECIPIENTS = "no recipients configured ([alerts] recipients)"


class DeliveryError(Exception):
    """The mail server could not be reached or refused the message."""


class RecipientRefused(DeliveryError):
    """The server refused this message's recipients (say, an address that no longer exists):
    the message waits, the other messages still go."""


@dataclass(frozen=True)
class Delivery:
    """What a delivery attempt did."""

    sent: int
    pending: int
    error: str | None = None


def outbox_directory(config: Config) -> Path:
    return config.home / "outbox"


def queue(
    session: Session,
    config: Config,
    message: EmailMessage,
    event_ids: list[int],
    now: datetime,
    recipient: Recipient | None = None,
) -> OutboxMessage:
    """Store a message in the outbox and tie its events to it: in the recipient's ledger for a
    subscriber's message, on the events themselves for the digest of `[alerts] recipients`."""
    row = OutboxMessage(
        created_at=now,
        subject=str(message["Subject"]),
        recipients=recipient.address if recipient else ", ".join(config.alerts.recipients),
        recipient_id=recipient.id if recipient else None,
        file="",
        attempts=0,
    )
    session.add(row)
    session.flush()
    row.file = f"{row.id:08d}.eml"
    directory = outbox_directory(config)
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / f".{row.file}.tmp"
    with temporary.open("wb") as handle:
        handle.write(message.as_bytes(policy=policy.SMTP))
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
    """Send every message still in the outbox, each marked sent in its own transaction as soon
    as the server accepts it; stop at the first failure (the server is down), except that a
    message whose recipient the server refuses stays in the outbox and the others still go."""
    with database.session() as session:
        pending = list(
            session.scalars(
                select(OutboxMessage.id)
                .where(OutboxMessage.sent_at.is_(None))
                .order_by(OutboxMessage.id)
            )
        )
    if not pending:
        return Delivery(0, 0)
    if not config.smtp.host:
        return Delivery(0, len(pending), "no SMTP server configured ([smtp] host)")
    sent, waiting = 0, None
    for message_id in pending:
        with database.session() as session:
            row = session.get(OutboxMessage, message_id)
            if row is None or row.sent_at is not None:
                continue
            # A subscriber's message goes to them; the shared digest to [alerts] recipients.
            to = (
                [row.recipients] if row.recipient_id is not None else list(config.alerts.recipients)
            )
            if not to:  # kept until recipients are configured
                waiting = NO_RECIPIENTS
                continue
            row.attempts += 1
            try:
                error = _send_stored(config, row.file, to)
            except OSError as exc:
                error = DeliveryError(f"outbox file {row.file} unreadable: {exc}")
            if isinstance(error, RecipientRefused):  # this subscriber's address: the next
                row.last_error = waiting = str(error)
                continue
            if error is not None:  # the server is down: the others would fail too
                row.last_error = str(error)
                return Delivery(sent, len(pending) - sent, str(error))
            row.sent_at, row.last_error = now, None
            session.execute(
                update(AlertEvent).where(AlertEvent.outbox_id == row.id).values(sent_at=now)
            )
            session.execute(
                update(RecipientEvent).where(RecipientEvent.outbox_id == row.id).values(sent_at=now)
            )
            sent += 1
    return Delivery(sent, len(pending) - sent, waiting)


def _send_stored(config: Config, file: str, recipients: list[str]) -> DeliveryError | None:
    """Send one .eml file from the outbox; the error, if the server did not take it."""
    data = (outbox_directory(config) / file).read_bytes()
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    try:
        send(config.smtp, message, recipients)
    except DeliveryError as exc:
        return exc
    return None


def recent_messages(session: Session, limit: int) -> list[OutboxMessage]:
    """The latest `limit` messages of the outbox, sent or not, newest first."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    return list(session.scalars(query))


def send_test_message(config: Config, now: datetime) -> None:
    """Send a test message to the recipients right away (not through the outbox); DeliveryError
    says what is missing or what the server did."""
    smtp, alerts = config.smtp, config.alerts
    if not smtp.host:
        raise DeliveryError("no SMTP server configured: set [smtp] host (or CITEWATCH_SMTP_HOST)")
    if not alerts.recipients:
        raise DeliveryError("no recipients configured: set [alerts] recipients")
    send(smtp, render(Digest(), smtp, alerts, now, test=True), list(alerts.recipients))


def send(smtp: SmtpConfig, message: EmailMessage, recipients: list[str]) -> None:
    """Hand one message to the SMTP server, with the configured security and login."""
    host, port = smtp.host, smtp.effective_port
    try:
        client: smtplib.SMTP
        if smtp.security == "ssl":
            client = smtplib.SMTP_SSL(
                host, port, timeout=smtp.timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(host, port, timeout=smtp.timeout)
        with client:
            if smtp.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if smtp.username:
                client.login(smtp.username, smtp.password)
            client.send_message(message, from_addr=smtp.sender, to_addrs=recipients)
    except smtplib.SMTPRecipientsRefused as exc:
        refused = "; ".join(
            f"{address} ({code} {reply.decode(errors='replace')})"
            for address, (code, reply) in exc.recipients.items()
        )
        raise RecipientRefused(f"SMTP server {host}:{port} refused {refused}") from None
    except smtplib.SMTPException as exc:
        raise DeliveryError(f"SMTP server {host}:{port} refused the message: {exc}") from None
    except (OSError, ssl.SSLError) as exc:
        raise DeliveryError(f"cannot reach SMTP server {host}:{port}: {exc}") from None
