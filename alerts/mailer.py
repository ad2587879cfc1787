"""The mail server: one message handed to SMTP with the configured security and login."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from config import SmtpConfig


class DeliveryError(Exception):
    """A destination (the mail server, a channel, a webhook) could not be reached or refused
    the message."""


class RecipientRefused(DeliveryError):
    """The server refused this message's recipients (say, an address that no longer exists):
    the message waits, the other messages still go."""


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
