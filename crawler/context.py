"""What the parts of one crawl share: configuration, database, WARC writer, extraction workers.

It also owns the crawl's one rule for storage: when a WARC record or a database write fails
(disk full, read-only directory, a database locked by another process beyond
crawl.database_timeout), nothing more is stored, the spider is closed with the reason
STORAGE_FAILED and the failure is kept, in one line, for the run and the parent process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro
from sqlalchemy import event
from sqlalchemy.orm import Session
from twisted.python.failure import Failure

from archive.warc import WarcWriteError, WarcWriter, recover
from archive.workers import ExtractionPool
from config import Config
from config.clock import clock_from
from models import Database, DatabaseError
from models.database import PoolSettings

log = logging.getLogger(__name__)
CONFIG_SETTING = "CITEWATCH_CONFIG_OBJECT"
NOW_SETTING = "CITEWATCH_NOW"
ATTRIBUTE = "_citewatch_context"
STORAGE_FAILED = "storage_failed"  # the spider's close reason
STORAGE_ERRORS = (WarcWriteError, DatabaseError)


class CrawlSetupError(Exception):
    """A crawl started without the citewatch configuration."""


@dataclass
class StorageFailure:
    """Why the crawl stopped storing, and whether its run was marked failed."""

    error: str
    database: bool = False  # the database failed (else the WARC files)
    recorded: bool = False


class CrawlDatabase(Database):
    """The crawl's database: waits `timeout` seconds for a writer elsewhere, and reports every
    failed transaction to `on_failure` before raising it."""

    def __init__(
        self,
        url: str,
        timeout: float,
        on_failure: Callable[[DatabaseError], None],
        pool: PoolSettings | None = None,
    ) -> None:
        super().__init__(url, pool=pool)
        self.timeout_ms = max(1, int(timeout * 1000))
        self.on_failure = on_failure
        event.listen(self.engine, "connect", self._set_timeout)  # after the default pragmas

    def _set_timeout(self, connection: Any, _record: Any) -> None:
        if self.is_sqlite:
            cursor = connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout={self.timeout_ms}")
            cursor.close()
            return
        autocommit = connection.autocommit  # a SET inside a rolled-back transaction is undone
        connection.autocommit = True
        cursor = connection.cursor()
        cursor.execute(f"SET lock_timeout = {self.timeout_ms}")
        cursor.close()
        connection.autocommit = autocommit

    @contextmanager
    def session(self) -> Iterator[Session]:
        try:
            with super().session() as session:
                yield session
        except DatabaseError as exc:
            self.on_failure(exc)
            raise


class CrawlContext:
    """Created on first use by any component of a crawl, closed when the engine stops."""

    def __init__(
        self, config: Config, clock: Callable[[], datetime], crawler: Crawler | None = None
    ) -> None:
        self.config = config
        self.clock = clock
        self.crawler = crawler
        self.run_id: int | None = None
        self.failure: StorageFailure | None = None
        self.database = CrawlDatabase(
            config.database_url, config.crawl.database_timeout, self.storage_failed, config.database
        )
        self._warc: WarcWriter | None = None
        self._extraction: ExtractionPool | None = None

    @classmethod
    def of(cls, crawler: Crawler) -> Self:
        """The crawl's context, created from the crawler's settings on first use."""
        context = cls.existing(crawler)
        if context is None:
            config = crawler.settings.get(CONFIG_SETTING)
            if not isinstance(config, Config):
                raise CrawlSetupError(
                    "no citewatch configuration in the crawl settings: start crawls with "
                    "`python -m crawler SPIDER` or the citewatch command"
                )
            context = cls(config, clock_from(crawler.settings.get(NOW_SETTING)), crawler)
            setattr(crawler, ATTRIBUTE, context)
            crawler.signals.connect(context.close, signal=signals.engine_stopped)
        return context

    @classmethod
    def existing(cls, crawler: Crawler) -> Self | None:
        """The crawl's context if a component created it."""
        context = getattr(crawler, ATTRIBUTE, None)
        return context if isinstance(context, cls) else None

    @property
    def warc(self) -> WarcWriter:
        """The WARC writer; files a killed crawl left open are finished first."""
        if self._warc is None:
            directory = self.config.warc_directory
            try:
                directory.mkdir(parents=True, exist_ok=True)
                recover(directory, self.config.warc.prefix)
                self._warc = WarcWriter(
                    directory,
                    prefix=self.config.warc.prefix,
                    max_bytes=self.config.warc.max_file_mb * 2**20,
                    clock=self.clock,
                    info={
                        "operator": "citewatch",
                        "robots": "obey" if self.config.crawl.obey_robots_txt else "ignore",
                    },
                )
            except OSError as exc:
                raise WarcWriteError(
                    f"cannot use the WARC directory {directory}: {exc.strerror or exc}"
                ) from exc
        return self._warc

    @property
    def extraction(self) -> ExtractionPool:
        """Text extraction workers, started on first use."""
        if self._extraction is None:
            crawl = self.config.crawl
            self._extraction = ExtractionPool(crawl.extraction_workers, crawl.extraction_timeout)
        return self._extraction

    def storage_failed(self, error: BaseException) -> None:
        """Stop storing and close the spider; the first failure is the one reported."""
        if self.failure is not None:
            return
        self.failure = StorageFailure(self._describe(error), isinstance(error, DatabaseError))
        log.error("storage failed, stopping the crawl: %s", self.failure.error)
        engine = self.crawler.engine if self.crawler is not None else None
        if engine is not None and engine.spider is not None:
            closing = deferred_from_coro(engine.close_spider_async(reason=STORAGE_FAILED))
            closing.addErrback(lambda failure: _already_closing(failure))

    def _describe(self, error: BaseException) -> str:
        """The failure in one line: the database's own words, not the SQL it refused."""
        if isinstance(error, DatabaseError):
            cause = error.__cause__
            detail = str(getattr(cause, "orig", None) or cause or error)
            lines = detail.strip().splitlines() or [type(error).__name__]
            text = f"cannot write to the database {self.database.display_url}: {lines[0]}"
        else:
            text = str(error) or type(error).__name__
        return " ".join(text.split())

    def close(self) -> None:
        """Finish the WARC file, stop the workers, release the database."""
        if self._warc is not None:
            try:
                self._warc.close()
            except WarcWriteError as exc:  # the file stays *.open: recovered next time
                self.storage_failed(exc)
        if self._extraction is not None:
            self._extraction.close()
        self.database.dispose()


def _already_closing(failure: Failure) -> None:
    """The engine was already closing the spider (a failure while it closes): nothing to do."""
    log.debug("close after a storage failure: %s", failure.getErrorMessage())
