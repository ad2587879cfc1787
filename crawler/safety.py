"""Refuse, on every request and every redirect hop, schemes and addresses the policy forbids."""

from __future__ import annotations

from typing import Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler

from crawler.policy import BlockedAddressError, BlockedByPolicyError, literal_address
from crawler.resolver import HostLookups


class SafetyMiddleware:
    """Downloader middleware: only http(s), and no private, loopback or reserved addresses.

    Each host is looked up here, once per crawl (crawler.resolver.HostLookups), and its
    addresses judged; the reactor's resolver then connects to the address judged, never to a
    second answer. A name that does not resolve fails the request with a HostLookupError (a DNS
    failure) saying how the lookup failed. Behind a proxy, resolution is the proxy's job and
    only literal addresses are judged.
    """

    def __init__(self, lookups: HostLookups) -> None:
        self.lookups = lookups

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(HostLookups.of(crawler))

    async def process_request(self, request: Request) -> None:
        refusal = self.lookups.policy.refusal(request.url)  # scheme, literal address
        host = urlsplit(request.url).hostname or ""
        named = literal_address(host) is None
        if refusal is None and named and not self.lookups.behind_proxy(request.url):
            try:
                await self.lookups.address(host)  # HostLookupError: the request fails with it
            except BlockedAddressError as exc:
                refusal = exc.reason
        if refusal is not None:
            raise BlockedByPolicyError(f"{request.url}: {refusal}")
