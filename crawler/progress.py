"""Report a crawl's progress as JSON lines on standard output, for the parent process.

Enabled by the crawl child process (CITEWATCH_EVENTS); a developer's `scrapy crawl` stays quiet.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.items import FetchResult

# Sent by a spider once it knows how many targets it will fetch.
planned = object()


class ProgressEvents:
    """Extension: one event when the plan is known, one per stored fetch, one at the end."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("CITEWATCH_EVENTS"):
            raise NotConfigured("progress events are for the crawl child process")
        extension = cls(crawler)
        crawler.signals.connect(extension.planned, signal=planned)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def planned(self, total: int, run: int, resumed: bool) -> None:
        emit({"event": "planned", "total": total, "run": run, "resumed": resumed})

    def item_scraped(self, item: Any) -> None:
        if isinstance(item, FetchResult):
            emit(
                {
                    "event": "fetched",
                    "url": item.url,
                    "outcome": str(item.outcome),
                    "status": item.status,
                    "snapshot": item.snapshot_id,
                }
            )

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        errors = stats.get("log_count/ERROR", 0)
        emit({"event": "closed", "reason": reason, "errors": errors})


def emit(event: dict[str, Any]) -> None:
    """Write one event line and flush, so the parent sees it at once."""
    sys.stdout.write(json.dumps(event, default=str) + "\n")
    sys.stdout.flush()
