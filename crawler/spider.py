"""The base of citewatch's spiders: configuration applied at crawl start, outcomes as items,
a run recorded in the database and judged when it ends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.settings import BaseSettings
from sqlalchemy.orm import Session
from twisted.python.failure import Failure

from alerts.events import record_case_events, record_link_events
from cases.updates import record_updates
from config import from_environment
from crawler.context import CONFIG_SETTING, CrawlContext
from crawler.items import PREVIOUS, PROBE, TARGET, FetchResult, ProbeResult
from crawler.progress import planned
from crawler.settings import apply_config
from health.evaluate import evaluate_run
from health.probes import one_per_host, sibling_url
from models import Target
from models.crawls import ArchivedCopy, finish_run


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """If-None-Match and If-Modified-Since from the validators of the last answer."""
    headers = {"If-None-Match": etag} if etag else {}
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


class CitewatchSpider(scrapy.Spider):
    """A spider whose every target request ends in exactly one FetchResult."""

    judges_links = True  # its fetches are checks of cited links: verdicts and states follow

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        config = settings.get(CONFIG_SETTING) or from_environment()
        settings.set(CONFIG_SETTING, config, priority="spider")
        apply_config(settings, config)

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
        """A run that got through its plan is finished and judged; an interrupted one resumes."""
        context = self.context
        if reason != "finished" or context.run_id is None:
            return
        with context.database.session() as session:
            finish_run(session, context.run_id, context.clock())
            self.judge(session, context.run_id)

    def judge(self, session: Session, run_id: int) -> None:
        """After a finished run: the links' verdicts and states, then news on the cases."""
        now, config = self.context.clock(), self.context.config
        if self.judges_links:
            record_link_events(session, evaluate_run(session, run_id, now, config.check), now)
        record_case_events(session, record_updates(session, run_id, now, config.watch), now)
