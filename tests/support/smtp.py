"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, parsed."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


class _Keep:
    def __init__(self, inbox: list[EmailMessage], refused: set[str]) -> None:
        self.inbox = inbox
        self.refused = refused

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refused:  # a mailbox that does not exist (any more)
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.inbox.append(message)
        return "250 OK"


class MailServer:
    """Start and stop it at will: the port stays the same, so a stopped server is "down"."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.inbox: list[EmailMessage] = []
        self.refused: set[str] = set()  # addresses the server answers 550
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(
            _Keep(self.inbox, self.refused), hostname="127.0.0.1", port=self.port
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def take(self) -> list[EmailMessage]:
        """The messages received since the last call."""
        taken, self.inbox[:] = list(self.inbox), []
        return taken


def text_of(message: EmailMessage, subtype: str = "plain") -> str:
    body = message.get_body(preferencelist=(subtype,))
    assert body is not None, f"no text/{subtype} part"
    return str(body.get_content())
