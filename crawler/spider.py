"""The base of citewatch's spiders: outcomes as items, a run recorded in the database.

A crawl only fetches and records. Judging the fetches, moving link states, matching cases and
writing events happen after it, in the parent process (nightly.after_run).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.context import CrawlContext
from crawler.items import PREVIOUS, PROBE, TARGET, FetchResult, ProbeResult
from crawler.probes import one_per_host, sibling_url
from crawler.progress import planned
from models import DatabaseError, Target
from models.crawls import ArchivedCopy, fail_run, finish_run


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """If-None-Match and If-Modified-Since from the validators of the last answer."""
    headers = {"If-None-Match": etag} if etag else {}
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


class CitewatchSpider(scrapy.Spider):
    """A spider whose every target request ends in exactly one FetchResult."""

    @property
    def context(self) -> CrawlContext:
        return CrawlContext.of(self.crawler)

    def plan(
        self,
        run_id: int,
        resumed: bool,
        targets: list[Target],
        copies: dict[int, ArchivedCopy] | None = None,
        conditional: bool = False,
    ) -> Iterator[scrapy.Request]:
        """Announce the plan, then one request per target and one probe per host."""
        self.context.run_id = run_id
        self.crawler.signals.send_catch_log(
            planned, total=len(targets), run=run_id, resumed=resumed
        )
        copies = copies or {}
        for target in targets:
            yield self.target_request(
                target.id, target.canonical_url, copies.get(target.id), conditional
            )
        if self.context.config.crawl.probe_siblings:
            for host, url in one_per_host(t.canonical_url for t in targets).items():
                yield scrapy.Request(
                    sibling_url(url),
                    callback=self.probed,
                    errback=self.probe_failed,
                    dont_filter=True,
                    meta={PROBE: host, "dont_retry": True},
                )

    def target_request(
        self,
        target_id: int,
        url: str,
        previous: ArchivedCopy | None = None,
        conditional: bool = False,
    ) -> scrapy.Request:
        """A request for one target; conditional (If-None-Match, If-Modified-Since) when asked
        and we hold validators of its last copy, which then travels along for a revisit."""
        meta: dict[str, Any] = {TARGET: target_id, PREVIOUS: previous}
        headers = {}
        if previous is not None and conditional:
            headers = conditional_headers(previous.etag, previous.last_modified)
        return scrapy.Request(
            url,
            callback=self.fetched,
            errback=self.failed,
            dont_filter=True,
            headers=headers,
            meta=meta,
        )

    def fetched(self, response: Response) -> Iterator[FetchResult]:
        yield FetchResult.from_response(response, self.context.clock())

    def failed(self, failure: Failure) -> Iterator[FetchResult]:
        yield FetchResult.from_failure(failure, self.context.clock())

    def probed(self, response: Response) -> Iterator[ProbeResult]:
        yield ProbeResult.from_response(response, self.context.clock())

    def probe_failed(self, failure: Failure) -> Iterator[ProbeResult]:
        yield ProbeResult.from_failure(failure, self.context.clock())

    def closed(self, reason: str) -> None:
        """A run that got through its plan is finished; an interrupted one resumes next time;
        one whose storage failed is marked failed, with the reason (or by the parent process,
        if the database is what failed)."""
        context = self.context
        if context.run_id is None or (reason != "finished" and context.failure is None):
            return
        failure = context.failure
        try:
            with context.database.session() as session:
                if failure is None:
                    finish_run(session, context.run_id, context.clock())
                else:
                    fail_run(session, context.run_id, failure.error, context.clock())
        except DatabaseError:
            return  # the failure is kept in the context: the parent process marks the run
        if failure is not None:
            failure.recorded = True
