"""DNS resolution that applies the address policy, so no hop can reach an internal address.

The safety middleware judges literal IP addresses; host names are judged here, on the
addresses the crawl will really connect to (a name that resolves to 127.0.0.1 is refused).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self
from urllib.parse import urlsplit
from urllib.request import getproxies

from scrapy.crawler import Crawler
from scrapy.resolver import CachingThreadedResolver
from twisted.internet.defer import Deferred, succeed

from config import from_environment
from crawler.context import CONFIG_SETTING
from crawler.policy import AddressPolicy, BlockedAddressError


class PolicyResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing names that resolve to disallowed addresses."""

    policy: AddressPolicy = AddressPolicy()
    exempt: frozenset[str] = frozenset()
    pins: dict[str, str] = {}  # noqa: RUF012 - replaced per instance in from_crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> Self:
        resolver = super().from_crawler(crawler, reactor)
        # Scrapy builds the resolver from the process's settings, before any spider applies
        # the configuration (`scrapy crawl`): read the configuration itself.
        crawl = (crawler.settings.get(CONFIG_SETTING) or from_environment()).crawl
        resolver.policy = AddressPolicy.build(crawl.allow_private_networks, crawl.allow_networks)
        # Behind a proxy the proxy resolves targets; we only connect to the proxy itself, which
        # may well live on a private network (crawl.proxy, or http_proxy/https_proxy).
        proxies = [crawl.proxy, *getproxies().values()]
        resolver.exempt = frozenset(urlsplit(p).hostname or "" for p in proxies) - {""}
        resolver.pins = crawl.pins
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        pinned = self.pins.get(name.lower())
        resolved = succeed(pinned) if pinned else super().getHostByName(name, timeout)
        if name not in self.exempt:
            resolved.addCallback(self._check, name)
        return resolved

    def _check(self, address: str, name: str) -> str:
        if not self.policy.allows(address):
            raise BlockedAddressError(
                name, f"resolves to {address}, a private, loopback, link-local or reserved address"
            )
        return address
