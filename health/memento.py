"""Public web archives: the closest archived copy (Wayback availability API) and Save Page Now.

A small client over urllib: one request at a time, rate limited, with a timeout; it honours
crawl.proxy and the http(s)_proxy variables. Results are cached on the target by the caller.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

log = logging.getLogger(__name__)
TIMESTAMP = "%Y%m%d%H%M%S"


class MementoError(Exception):
    """The archive could not be asked (network, HTTP error, unreadable answer)."""


@dataclass(frozen=True)
class Memento:
    """An archived copy: where it is and when it was captured."""

    url: str
    captured_at: datetime


class WaybackClient:
    """Asks a Wayback-style availability endpoint for the copy closest to a moment."""

    def __init__(
        self,
        endpoint: str,
        save_endpoint: str = "https://web.archive.org/save/",
        timeout: float = 20.0,
        per_minute: int = 15,
        proxy: str = "",
        user_agent: str = "citewatch",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.endpoint = endpoint
        self.save_endpoint = save_endpoint
        self.timeout = timeout
        self.gap = 60.0 / max(per_minute, 1)
        self.user_agent = user_agent
        self.sleep = sleep
        self._last = -float("inf")
        handlers = [urllib.request.ProxyHandler({"http": proxy, "https": proxy})] if proxy else []
        self._opener = urllib.request.build_opener(*handlers)

    def closest(self, url: str, moment: datetime | None = None) -> Memento | None:
        """The archived copy of `url` closest to `moment` (any, if None); None if there is none."""
        query = {"url": url}
        if moment is not None:
            query["timestamp"] = moment.astimezone(UTC).strftime(TIMESTAMP)
        data = self._get(f"{self.endpoint}?{urlencode(query)}")
        try:
            answer = json.loads(data)
            closest = (answer.get("archived_snapshots") or {}).get("closest") or {}
        except (ValueError, AttributeError) as exc:
            raise MementoError(f"unreadable answer from {self.endpoint}: {exc}") from exc
        if not closest.get("available") or not closest.get("url"):
            return None
        try:
            captured = datetime.strptime(str(closest.get("timestamp")), TIMESTAMP).replace(
                tzinfo=UTC
            )
        except ValueError as exc:
            raise MementoError(f"bad timestamp in answer: {closest.get('timestamp')!r}") from exc
        return Memento(str(closest["url"]), captured)

    def save(self, url: str) -> None:
        """Ask Save Page Now to capture a live page."""
        self._get(self.save_endpoint + quote(url, safe=":/?=&%#+~"))

    def _get(self, address: str) -> bytes:
        """One rate-limited GET."""
        wait = self._last + self.gap - time.monotonic()
        if wait > 0:
            self.sleep(wait)
        self._last = time.monotonic()
        request = urllib.request.Request(address, headers={"User-Agent": self.user_agent})
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return bytes(response.read(2**20))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise MementoError(f"{address}: {exc}") from exc
