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
from models import AlertEvent, Database, OutboxMessage


class DeliveryError(Exception):
    """The mail server could not be reached or refused the message."""


@dataclass(frozen=True)
class Delivery:
    """What a delivery attempt did."""

    sent: int
    pending: int
    error: str | None = None


def outbox_directory(config: Config) -> Path:
    return config.home / "outbox"


def queue(
    session: Session, config: Config, message: EmailMessage, event_ids: list[int], now: datetime
) -> OutboxMessage:
    """Store a message in the outbox and tie its events to it."""
    row = OutboxMessage(
        created_at=now,
        subject=str(message["Subject"]),
        recipients=", ".join(config.alerts.recipients),
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
    if event_ids:
        session.execute(
            update(AlertEvent).where(AlertEvent.id.in_(event_ids)).values(outbox_id=row.id)
        )
    return row


def deliver(database: Database, config: Config, now: datetime) -> Delivery:
    """Send every message still in the outbox, each marked sent in its own transaction as soon
    as the server accepts it; stop at the first failure (the server is down)."""
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
    if not config.alerts.recipients:
        return Delivery(0, len(pending), "no recipients configured ([alerts] recipients)")
    sent = 0
    for message_id in pending:
        with database.session() as session:
            row = session.get(OutboxMessage, message_id)
            if row is None or row.sent_at is not None:
                continue
            row.attempts += 1
            try:
                error = _send_stored(config, row.file)
            except OSError as exc:
                error = f"outbox file {row.file} unreadable: {exc}"
            if error is not None:
                row.last_error = error
                return Delivery(sent, len(pending) - sent, error)
            row.sent_at, row.last_error = now, None
            session.execute(
                update(AlertEvent).where(AlertEvent.outbox_id == row.id).values(sent_at=now)
            )
            sent += 1
    return Delivery(sent, len(pending) - sent)


def _send_stored(config: Config, file: str) -> str | None:
    """Send one .eml file from the outbox; the error, if the server did not take it."""
    data = (outbox_directory(config) / file).read_bytes()
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    try:
        send(config.smtp, message, list(config.alerts.recipients))
    except DeliveryError as exc:
        return str(exc)
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
    except smtplib.SMTPException as exc:
        raise DeliveryError(f"SMTP server {host}:{port} refused the message: {exc}") from None
    except (OSError, ssl.SSLError) as exc:
        raise DeliveryError(f"cannot reach SMTP server {host}:{port}: {exc}") from None
