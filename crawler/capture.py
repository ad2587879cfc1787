"""Keep every HTTP exchange exactly as received, before decompression and redirect handling.

Placed closest to the downloader, this middleware sees each response first: the body still
content-encoded, every redirect hop and retried attempt. The exchanges travel with the
request (redirects and retries share the list) to the item that reaches the WARC pipeline.

It also counts the bytes of each body as they arrive, and stops a body that goes over the size
cap (DOWNLOAD_MAXSIZE) itself: Scrapy cancels such a download with an anonymous CancelledError,
which says nothing of why; ours says "too large" and keeps the status line and headers.

Headers are capped too, by the download handler below: Twisted keeps every header line a server
sends until the blank line that ends them, and a server that never sends it would grow the
crawl process by tens of megabytes a second until the download timeout.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from http import HTTPStatus
from typing import Self

from scrapy import Request, signals
from scrapy.core.downloader.handlers.http11 import (
    HTTP11DownloadHandler,
    _LenientHTTP11ClientFactory,
    _LenientHTTP11ClientProtocol,
    _LenientHTTPClientParser,
)
from scrapy.crawler import Crawler
from scrapy.http import Headers, Response
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IAddress
from twisted.web._newclient import HTTP11ClientProtocol
from twisted.web._newclient import Request as TxRequest
from twisted.web.iweb import IResponse

from archive.warc import HttpExchange
from crawler.context import CrawlContext
from crawler.cookies import ACCOUNT_COOKIES, without_account_cookies
from crawler.failures import BodyTooLargeError, HeadersTooLargeError

EXCHANGES = "citewatch_exchanges"
RECEIVED = "citewatch_received"  # body bytes of the download under way
# Chromium's limit for a response's header section; a single line is capped by Twisted at 16 KB.
MAX_HEADER_BYTES = 256 * 2**10
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
        if request.meta.get("playwright"):
            return  # the browser's page: its capture is recorded by crawler.render
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
        if request.meta.get("playwright"):
            return response
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
        request_headers = header_list(request.headers)
        if request.meta.get(ACCOUNT_COOKIES):  # a capture account's session: never archived
            request_headers = without_account_cookies(request_headers)
        exchange = HttpExchange(
            url=response.url,
            method=request.method,
            request_headers=request_headers,
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


class _CappedParser(_LenientHTTPClientParser):
    """Scrapy's lenient response parser, refusing a header section over MAX_HEADER_BYTES."""

    _header_bytes = 0

    def lineReceived(self, line: bytes) -> None:
        self._header_bytes += len(line) + 1
        if self._header_bytes > MAX_HEADER_BYTES:
            raise HeadersTooLargeError(MAX_HEADER_BYTES)  # the protocol gives the response up
        super().lineReceived(line)

    def lineLengthExceeded(self, line: bytes) -> None:
        raise HeadersTooLargeError(self.MAX_LENGTH, line=True) from None


class _CappedProtocol(_LenientHTTP11ClientProtocol):
    def request(self, request: TxRequest) -> Deferred[IResponse]:
        response = super().request(request)
        assert self._parser is not None
        self._parser.__class__ = _CappedParser  # as Scrapy does for its lenient parser
        return response


class _CappedFactory(_LenientHTTP11ClientFactory):
    def buildProtocol(self, addr: IAddress | None) -> HTTP11ClientProtocol:
        return _CappedProtocol(self._quiescentCallback)  # type: ignore[no-untyped-call]


class CappedHTTPDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 download handler with response headers capped (MAX_HEADER_BYTES)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._pool._factory = _CappedFactory
