"""Keep every HTTP exchange exactly as received, before decompression and redirect handling.

Placed closest to the downloader, this middleware sees each response first: the body still
content-encoded, every redirect hop and retried attempt. The exchanges travel with the
request (redirects and retries share the list) to the item that reaches the WARC pipeline.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from http import HTTPStatus
from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Headers, Response

from archive.warc import HttpExchange
from crawler.context import CrawlContext

EXCHANGES = "citewatch_exchanges"
Clock = Callable[[], datetime]


class CaptureMiddleware:
    """Downloader middleware recording (request, raw response) pairs in request.meta."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(CrawlContext.of(crawler).clock)  # the crawl's clock: tests replay nights

    def process_request(self, request: Request) -> None:
        request.meta.setdefault(EXCHANGES, [])

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
