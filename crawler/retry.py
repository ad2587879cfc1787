"""Retries for transient failures only, with exponential backoff, honouring Retry-After.

A server that answers 429 or 503 with Retry-After is left alone for that long (all requests
to the host wait); one that asks for longer than crawl.max_retry_after is not retried: its
answer is the outcome.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.response import response_status_message

from crawler.failures import classify_failure
from models.kinds import Outcome

RETRY_AFTER_STATUSES = (429, 503)
# Failures worth another try: the same request may well succeed a moment later.
TRANSIENT = frozenset({Outcome.TIMEOUT, Outcome.RESET, Outcome.REFUSED})


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


class PoliteRetryMiddleware(RetryMiddleware):
    """Scrapy's retry middleware with waits: backoff, and the host's own Retry-After."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff = settings.getfloat("CITEWATCH_RETRY_BACKOFF")
        self.max_retry_after = settings.getfloat("CITEWATCH_MAX_RETRY_AFTER")
        self.paused_until: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler.settings)
        middleware.crawler = crawler
        return middleware

    async def process_request(self, request: Request) -> None:
        """Hold requests to a host that asked us to come back later."""
        wait = self.paused_until.get(_host(request.url), 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        wait = self._backoff(request)
        if response.status in RETRY_AFTER_STATUSES:
            header = response.headers.get("Retry-After") or b""
            asked = retry_after_seconds(header.decode("latin-1"), datetime.now(UTC))
            if asked is not None:
                if asked > self.max_retry_after:
                    return response  # too long to wait now: the answer stands
                wait = asked
                self.paused_until[_host(request.url)] = time.monotonic() + asked
        retried = self._retry(request, response_status_message(response.status))
        if retried is None:
            return response
        await asyncio.sleep(wait)
        return retried

    async def process_exception(self, request: Request, exception: Exception) -> Request | None:  # type: ignore[override]
        if request.meta.get("dont_retry") or classify_failure(exception) not in TRANSIENT:
            return None
        retried = self._retry(request, exception)
        if retried is not None:
            await asyncio.sleep(self._backoff(request))
        return retried

    def _backoff(self, request: Request) -> float:
        """Exponential: backoff, 2 x backoff, 4 x backoff, ..."""
        return float(self.backoff * 2 ** request.meta.get("retry_times", 0))


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()
