"""What the parts of one crawl share: configuration, database, WARC writer, extraction workers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler

from archive.warc import WarcWriter, recover
from archive.workers import ExtractionPool
from config import Config
from config.clock import clock_from
from models import Database

log = logging.getLogger(__name__)
CONFIG_SETTING = "CITEWATCH_CONFIG_OBJECT"
NOW_SETTING = "CITEWATCH_NOW"
ATTRIBUTE = "_citewatch_context"


class CrawlSetupError(Exception):
    """A crawl started without the citewatch configuration."""


class CrawlContext:
    """Created on first use by any component of a crawl, closed when the engine stops."""

    def __init__(self, config: Config, clock: Callable[[], datetime]) -> None:
        self.config = config
        self.clock = clock
        self.database = Database(config.database_url)
        self.run_id: int | None = None
        self._warc: WarcWriter | None = None
        self._extraction: ExtractionPool | None = None

    @classmethod
    def of(cls, crawler: Crawler) -> Self:
        """The crawl's context, created from the crawler's settings on first use."""
        context = getattr(crawler, ATTRIBUTE, None)
        if context is None:
            config = crawler.settings.get(CONFIG_SETTING)
            if not isinstance(config, Config):
                raise CrawlSetupError(
                    "no citewatch configuration in the crawl settings: start crawls with "
                    "`python -m crawler SPIDER` or the citewatch command"
                )
            context = cls(config, clock_from(crawler.settings.get(NOW_SETTING)))
            setattr(crawler, ATTRIBUTE, context)
            crawler.signals.connect(context.close, signal=signals.engine_stopped)
        return context

    @property
    def warc(self) -> WarcWriter:
        """The WARC writer; files a killed crawl left open are finished first."""
        if self._warc is None:
            directory = self.config.warc_directory
            directory.mkdir(parents=True, exist_ok=True)
            recover(directory)
            self._warc = WarcWriter(
                directory,
                max_bytes=self.config.warc.max_file_mb * 2**20,
                clock=self.clock,
                info={
                    "operator": "citewatch",
                    "robots": "obey" if self.config.crawl.obey_robots_txt else "ignore",
                },
            )
        return self._warc

    @property
    def extraction(self) -> ExtractionPool:
        """Text extraction workers, started on first use."""
        if self._extraction is None:
            crawl = self.config.crawl
            self._extraction = ExtractionPool(crawl.extraction_workers, crawl.extraction_timeout)
        return self._extraction

    def close(self) -> None:
        """Finish the WARC file, stop the workers, release the database."""
        if self._warc is not None:
            self._warc.close()
        if self._extraction is not None:
            self._extraction.close()
        self.database.dispose()
