"""Alert channels: the `[channels]` table of the config and CITEWATCH_CHANNEL_* variables.

    [channels]
    newsroom = "tgram://123456789:AAH.../-1001234567890"   # any Apprise URL
    desk = { webhook = "https://desk.example.org/hooks/citewatch", secret = "..." }

    CITEWATCH_CHANNEL_NEWSROOM=tgram://...       an Apprise URL
    CITEWATCH_CHANNEL_DESK_WEBHOOK=https://...   a signed webhook's address
    CITEWATCH_CHANNEL_DESK_SECRET=...            its HMAC-SHA256 key

A channel's URL and secret are credentials: they live here only (never in the database, never
in a message or a listing); recipients name the channel.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

ENV_PREFIX = "CITEWATCH_CHANNEL_"
NAME = re.compile(r"[a-z][a-z0-9-]{0,39}")
WEBHOOK_KEYS = {"webhook", "secret"}
MIN_SECRET = 16  # characters: an HMAC key that can be guessed protects nothing


@dataclass(frozen=True)
class Channel:
    """One named destination: an Apprise URL, or a webhook that receives signed JSON."""

    name: str
    url: str = field(default="", repr=False)  # Apprise URL, with its credentials
    webhook: str = field(default="", repr=False)
    secret: str = field(default="", repr=False)

    @property
    def service(self) -> str:
        """What the channel is, safe to show: the Apprise scheme (tgram, slack...) or webhook."""
        return "webhook" if self.webhook else urlsplit(self.url).scheme.lower()


def parse_channels(table: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Channel]:
    """The channels of the file's `[channels]` table, with the environment's added or replacing
    them; ValueError (quoting no value) for a bad name or entry."""
    entries: dict[str, dict[str, str]] = {}
    for name, value in table.items():
        if isinstance(value, str):
            entries[name] = {"url": value}
        elif isinstance(value, dict) and set(value) <= WEBHOOK_KEYS:
            if not all(isinstance(v, str) for v in value.values()):
                raise ValueError(f"[channels] {name}: webhook and secret must be strings")
            entries[name] = dict(value)
        else:
            raise ValueError(
                f"[channels] {name}: expected an Apprise URL or {{ webhook = URL, secret = KEY }}"
            )
    for variable, value in environ.items():
        if not variable.startswith(ENV_PREFIX):
            continue
        rest = variable[len(ENV_PREFIX) :].lower()
        base, _, suffix = rest.rpartition("_")
        if suffix in WEBHOOK_KEYS and base:
            entry = entries.setdefault(base.replace("_", "-"), {})
            entry.pop("url", None)
            entry[suffix] = value.strip()
        else:
            entries[rest.replace("_", "-")] = {"url": value.strip()}
    return {name: _channel(name, entry) for name, entry in sorted(entries.items())}


def _channel(name: str, entry: dict[str, str]) -> Channel:
    if not NAME.fullmatch(name):
        raise ValueError(
            f"[channels] {name!r}: a channel's name is lower-case letters, digits and '-' "
            "(at most 40, starting with a letter)"
        )
    if "url" in entry:
        if "://" not in entry["url"]:
            raise ValueError(f"[channels] {name}: not an Apprise URL (scheme://...)")
        return Channel(name, url=entry["url"])
    webhook, secret = entry.get("webhook", ""), entry.get("secret", "")
    if urlsplit(webhook).scheme not in ("http", "https") or not urlsplit(webhook).hostname:
        raise ValueError(f"[channels] {name}: webhook must be an http(s) URL")
    if len(secret) < MIN_SECRET:
        raise ValueError(
            f"[channels] {name}: a webhook needs a secret of at least {MIN_SECRET} characters"
        )
    return Channel(name, webhook=webhook, secret=secret)
