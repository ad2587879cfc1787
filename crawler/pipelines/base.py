"""What every citewatch pipeline holds: the crawl's shared context and its stats."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from crawler.context import STORAGE_ERRORS, CrawlContext


class CrawlPipeline:
    """Base class: built from the crawler, with the context and stats collector at hand."""

    def __init__(self, context: CrawlContext, stats: StatsCollector) -> None:
        self.context = context
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(CrawlContext.of(crawler), crawler.stats)

    @contextmanager
    def storing(self, after_warc_failure: bool = False) -> Iterator[None]:
        """Store something of an item; a storage failure stops the crawl and drops the item,
        and once storage has failed later items are dropped unstored (but for the rows of
        items whose WARC records were written before a WARC failure, with
        `after_warc_failure`: their evidence is whole)."""
        failure = self.context.failure
        if failure is not None and (failure.database or not after_warc_failure):
            self.stats.inc_value("citewatch/storage/dropped")
            raise DropItem("not stored: the crawl stops after a storage failure", "DEBUG")
        try:
            yield
        except STORAGE_ERRORS as exc:
            self.context.storage_failed(exc)
            self.stats.inc_value("citewatch/storage/dropped")
            raise DropItem(f"not stored: {exc}", "DEBUG") from exc
