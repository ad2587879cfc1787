"""Channels through Apprise (Telegram, Slack, Matrix, Microsoft Teams, e-mail gateways, generic
webhooks... one URL syntax): a digest's text fitted to the channel's limit, split cleanly at
paragraph, line or word boundaries, each part numbered.

Apprise reports failures through its log only: each send runs under `apprise.LogCapture`, and
the last warning becomes the one-line error, with the channel's credentials cut out.
"""

from __future__ import annotations

import html
import io
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from alerts.mailer import DeliveryError
from config import AlertsConfig
from config.channels import Channel

if TYPE_CHECKING:
    from apprise.plugins.base import NotifyBase

PART_MARK = "\n\n({index}/{count})"
MARK_ROOM = len(PART_MARK.format(index=999, count=999))


class ChannelError(DeliveryError):
    """The channel could not be reached, refused the message, or is not configured."""


def split_text(text: str, limit: int) -> list[str]:
    """The text in parts of at most `limit` characters (numbering included), cut between
    paragraphs where possible, else between lines, else between words, else anywhere."""
    text = text.strip()
    if len(text) <= limit:
        return [text]
    room = limit - MARK_ROOM
    parts: list[str] = []
    current = ""
    for piece in _pieces(text, room):
        joined = f"{current}{piece}" if current else piece.lstrip("\n")
        if len(joined.rstrip()) <= room:
            current = joined
            continue
        parts.append(current.rstrip())
        current = piece.lstrip("\n ")
    if current.strip():
        parts.append(current.rstrip())
    count = len(parts)
    return [part + PART_MARK.format(index=i, count=count) for i, part in enumerate(parts, 1)]


def _pieces(text: str, room: int) -> list[str]:
    """Paragraphs (each with the blank line before it), lines of a paragraph too long for one
    part, words of a line too long, slices of a word too long."""
    pieces: list[str] = []
    for index, paragraph in enumerate(text.split("\n\n")):
        lead = "\n\n" if index else ""
        if len(paragraph) <= room:
            pieces.append(lead + paragraph)
            continue
        for number, line in enumerate(paragraph.split("\n")):
            prefix = lead if number == 0 else "\n"
            if len(line) <= room:
                pieces.append(prefix + line)
                continue
            for position, word in enumerate(line.split(" ")):
                glue = prefix if position == 0 else " "
                while len(word) > room:
                    pieces.append(glue + word[:room])
                    word, glue = word[room:], ""
                pieces.append(glue + word)
    return pieces


def plugin(channel: Channel, alerts: AlertsConfig) -> NotifyBase:
    """The Apprise plugin of a channel's URL; ChannelError if Apprise does not know it.
    (Apprise is imported here: it loads ~190 plugins, only needed when a channel is used.)"""
    import apprise

    found = apprise.Apprise.instantiate(channel.url, suppress_exceptions=True)
    if not found:
        raise ChannelError(
            f"channel {channel.name}: Apprise does not understand its {channel.service}:// URL"
        )
    if alerts.telegram_api and hasattr(found, "bot_token"):
        # A self-hosted Telegram Bot API server (telegram-bot-api) instead of api.telegram.org.
        found.notify_url = f"{alerts.telegram_api.rstrip('/')}/bot"  # type: ignore[attr-defined]
    found.socket_connect_timeout = found.socket_read_timeout = alerts.channel_timeout
    return found


def limit_of(channel: Channel, alerts: AlertsConfig) -> int:
    """The most characters one message of this channel may hold."""
    return int(plugin(channel, alerts).body_maxlen)


def send_parts(
    channel: Channel,
    alerts: AlertsConfig,
    text: str,
    first: int = 0,
    on_sent: Callable[[int], None] = lambda count: None,
) -> int:
    """Send the text's parts from `first` on (the earlier ones went on an earlier attempt);
    `on_sent(n)` after each with the number of parts sent so far; the number of parts.
    ChannelError with one line on the first part the channel does not take."""
    import apprise

    target = plugin(channel, alerts)
    parts = split_text(text, int(target.body_maxlen))
    formats = target.notify_format
    primary = formats[0] if isinstance(formats, tuple) else formats
    as_html = primary == apprise.NotifyFormat.HTML  # Telegram: text is sent as escaped HTML
    for index in range(first, len(parts)):
        body = html.escape(parts[index], quote=False) if as_html else parts[index]
        body_format = apprise.NotifyFormat.HTML if as_html else apprise.NotifyFormat.TEXT
        with _captured() as log:
            accepted = target.notify(body=body, title="", body_format=body_format)
        if not accepted:
            raise ChannelError(_failure(channel, log.getvalue(), index + 1, len(parts)))
        on_sent(index + 1)
    return len(parts)


@contextmanager
def _captured() -> Iterator[io.StringIO]:
    """Apprise's log during one send, kept from the console: its warnings name the chat and
    may carry a token; the failure line says what happened, redacted."""
    import apprise

    logger = logging.getLogger("apprise")
    propagate, logger.propagate = logger.propagate, False
    try:
        with apprise.LogCapture(level=logging.WARNING) as log:  # type: ignore[no-untyped-call]
            yield log
    finally:
        logger.propagate = propagate


def _failure(channel: Channel, log: str, part: int, count: int) -> str:
    """One line: the channel, the part, Apprise's last warning without the channel's secrets."""
    lines = [line.split(" - ", 2)[-1] for line in log.strip().splitlines() if line.strip()]
    reason = lines[-1] if lines else "no answer"
    for secret in _secrets(channel.url):
        reason = reason.replace(secret, "***")
    where = f" (part {part} of {count})" if count > 1 else ""
    return f"channel {channel.name} ({channel.service}) did not take the message{where}: {reason}"


def _secrets(url: str) -> list[str]:
    """Every path or credential segment of an Apprise URL that could be a token, longest first."""
    segments = re.split(r"[/:@?&=]", url.partition("://")[2])
    return sorted((s for s in segments if len(s) >= 6), key=len, reverse=True)
