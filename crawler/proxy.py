"""Send requests through the configured proxy (crawl.proxy); http_proxy/https_proxy still work."""

from __future__ import annotations

from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class ConfiguredProxyMiddleware:
    """Downloader middleware placed before Scrapy's HttpProxyMiddleware, which does the rest."""

    def __init__(self, proxy: str) -> None:
        self.proxy = proxy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        proxy = crawler.settings.get("CITEWATCH_PROXY")
        if not proxy:
            raise NotConfigured("no crawl.proxy set")
        return cls(proxy)

    def process_request(self, request: Request) -> None:
        request.meta.setdefault("proxy", self.proxy)
