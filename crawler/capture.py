"""Keep every HTTP exchange exactly as received, before decompression and redirect handling.

Placed closest to the downloader, this middleware sees each response first: the body still
content-encoded, every redirect hop and retried attempt. The exchanges travel with the
request (redirects and retries share the list) to the item that reaches the WARC pipeline.

It also counts the bytes of each body as they arrive, and stops a body that goes over the size
cap (DOWNLOAD_MAXSIZE) itself: Scrapy cancels such a download with an anonymous CancelledError,
which says nothing of why; ours says "too large" and keeps the status line and headers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from http import HTTPStatus
from typing import Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Headers, Response

from archive.warc import HttpExchange
from crawler.context import CrawlContext
from crawler.failures import BodyTooLargeError

EXCHANGES = "citewatch_exchanges"
RECEIVED = "citewatch_received"  # body bytes of the download under way
Clock = Callable[[], datetime]


class CaptureMiddleware:
    """Downloader middleware recording (request, raw response) pairs in request.meta."""

    def __init__(self, clock: Clock, max_bytes: int = 0) -> None:
        self.clock = clock
        self.max_bytes = max_bytes

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        # the crawl's clock: tests replay nights
        middleware = cls(
            CrawlContext.of(crawler).clock, crawler.settings.getint("DOWNLOAD_MAXSIZE")
        )
        crawler.signals.connect(middleware.bytes_received, signal=signals.bytes_received)
        return middleware

    def process_request(self, request: Request) -> None:
        request.meta.setdefault(EXCHANGES, [])
        request.meta[RECEIVED] = 0  # each hop and retry is a download of its own

    def bytes_received(self, data: bytes, request: Request) -> None:
        """Count a body's bytes; stop it once it is over the cap (BodyTooLargeError)."""
        received = request.meta.get(RECEIVED, 0) + len(data)
        request.meta[RECEIVED] = received
        limit = request.meta.get("download_maxsize", self.max_bytes)
        if limit and received > limit:
            raise BodyTooLargeError(received, limit)

    def process_response(self, request: Request, response: Response) -> Response:
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
        exchange = HttpExchange(
            url=response.url,
            method=request.method,
            request_headers=header_list(request.headers),
            request_body=request.body,
            status=response.status,
            reason=reason,
            response_headers=header_list(response.headers),
            body=response.body,
            fetched_at=self.clock(),
            protocol=response.protocol or "HTTP/1.1",
            ip_address=str(response.ip_address) if response.ip_address else None,
        )
        request.meta.setdefault(EXCHANGES, []).append(exchange)
        return response


def header_list(headers: Headers) -> list[tuple[str, str]]:
    """Scrapy headers as (name, value) pairs, repeated headers kept."""
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    ]
