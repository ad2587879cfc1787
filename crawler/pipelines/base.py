"""What every citewatch pipeline holds: the crawl's shared context and its stats."""

from __future__ import annotations

from typing import Self

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from crawler.context import CrawlContext


class CrawlPipeline:
    """Base class: built from the crawler, with the context and stats collector at hand."""

    def __init__(self, context: CrawlContext, stats: StatsCollector) -> None:
        self.context = context
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(CrawlContext.of(crawler), crawler.stats)
