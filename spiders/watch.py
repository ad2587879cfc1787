"""watch: poll the watched sources, archive the articles not seen before, match them to cases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from functools import cached_property
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from citations.canonical import TrackingRules
from crawler.failures import describe_failure
from crawler.items import header_text
from crawler.progress import planned
from crawler.spider import CitewatchSpider, conditional_headers
from models import Source
from models.crawls import start_or_resume_run
from models.kinds import RunKind
from watch.listings import ListingError, read_listing
from watch.sources import active_sources, new_articles, unfetched_articles

SOURCE = "citewatch_source"
SITEMAP_DEPTH = "citewatch_sitemap_depth"


class WatchSpider(CitewatchSpider):
    """`scrapy crawl watch [-a source=ID]`: one conditional request per source, then one
    request per new article, archived like any target. A Telegram channel's page of older
    posts is read too while every post on the newer one was new (up to the poll's limit), so a
    busy channel loses no post between two polls."""

    name = "watch"

    def __init__(self, source: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source_id = int(source) if source else None
        self.total = 0
        self.resumed = False

    @cached_property
    def rules(self) -> TrackingRules:
        return TrackingRules.from_patterns(self.context.config.urls.tracking_params)

    async def start(self) -> AsyncIterator[Any]:
        context = self.context
        scope = f"source:{self.source_id}" if self.source_id is not None else "all"
        with context.database.session() as session:
            run, self.resumed = start_or_resume_run(
                session, RunKind.WATCH, scope, False, context.clock()
            )
            sources = [
                (s.id, s.url, s.etag, s.last_modified)
                for s in session.scalars(active_sources(self.source_id))
            ]
            pending = [(t.id, t.canonical_url) for t in unfetched_articles(session)]
        context.run_id = run.id
        self._announce(len(pending))
        for target_id, url in pending:
            yield self.target_request(target_id, url)
        for source_id, url, etag, last_modified in sources:
            yield self._poll(source_id, url, conditional_headers(etag, last_modified), depth=0)

    def _poll(
        self, source_id: int, url: str, headers: dict[str, str], depth: int
    ) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.listed,
            errback=self.poll_failed,
            dont_filter=True,
            headers=headers,
            meta={SOURCE: source_id, SITEMAP_DEPTH: depth},
            priority=10,  # learn what is new before fetching it
        )

    def _announce(self, more: int) -> None:
        self.total += more
        assert self.context.run_id is not None
        self.crawler.signals.send_catch_log(
            planned, total=self.total, run=self.context.run_id, resumed=self.resumed
        )

    def listed(self, response: Response) -> Iterator[scrapy.Request]:
        """A source answered: store its new articles and fetch them."""
        source_id, depth = response.meta[SOURCE], response.meta[SITEMAP_DEPTH]
        context = self.context
        now = context.clock()
        requests: list[scrapy.Request] = []
        with context.database.session() as session:
            source = session.get(Source, source_id)
            if source is None:
                return
            source.last_polled_at = now
            source.last_status = response.status
            if response.status == 304:
                source.failures, source.last_error, source.last_new = 0, None, 0
                return
            if response.status >= 400:
                self._failed(source, f"HTTP {response.status}")
                return
            telegram = source.kind == "telegram"
            try:
                kind = source.kind if depth == 0 or telegram else "sitemap"
                content_type = header_text(response, "Content-Type")
                listing = read_listing(kind, response.body, response.url, content_type)
            except ListingError as exc:
                self._failed(source, str(exc))
                return
            watch = context.config.watch
            limit = watch.max_new_per_source
            if telegram and depth > 0:  # a channel's older posts count toward the same poll
                limit -= source.last_new
            articles = new_articles(session, source, listing.entries, now, self.rules, limit)
            if depth == 0:
                source.etag = header_text(response, "ETag")
                source.last_modified = header_text(response, "Last-Modified")
                source.last_new = 0
            source.failures, source.last_error = 0, None
            source.last_new += len(articles)
            requests = [self.target_request(a.target_id, a.target.canonical_url) for a in articles]
            if depth == 0:
                requests += [
                    self._poll(source_id, url, {}, depth=1)
                    for url in listing.sitemaps[: watch.max_sitemaps]
                ]
            if (
                telegram
                and listing.older
                and len(articles) == len(listing.entries)
                and source.last_new < watch.max_new_per_source
            ):  # every post on this page is new: the ones before it may be too
                requests.append(self._poll(source_id, listing.older, {}, depth=depth + 1))
        self._announce(sum(1 for r in requests if SOURCE not in r.meta))
        yield from requests

    def poll_failed(self, failure: Failure) -> None:
        """A source did not answer: recorded on the source, the other sources go on."""
        request = failure.request  # type: ignore[attr-defined]
        error = failure.value if isinstance(failure.value, BaseException) else Exception()
        with self.context.database.session() as session:
            source = session.get(Source, request.meta[SOURCE])
            if source is not None:
                source.last_polled_at = self.context.clock()
                source.last_status = None
                self._failed(source, describe_failure(error))

    @staticmethod
    def _failed(source: Source, error: str) -> None:
        source.failures += 1
        source.last_error = error[:1000]
        source.last_new = 0
