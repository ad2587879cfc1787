"""The base of citewatch's spiders: outcomes as items, a run recorded in the database.

A crawl only fetches and records. Judging the fetches, moving link states, matching cases and
writing events happen after it, in the parent process (nightly.after_run).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from archive.telegram import is_telegram_post, parse_post_page, telegram_note
from crawler.capture import EXCHANGES
from crawler.context import CrawlContext, CrawlSetupError
from crawler.failures import describe_failure
from crawler.items import PREVIOUS, PROBE, TARGET, FetchResult, ProbeResult
from crawler.probes import one_per_host, sibling_url
from crawler.progress import planned
from crawler.render import RenderedCapture, render_reason
from crawler.resolver import HostLookups
from crawler.video import wants_video
from models import CrawlRun, DatabaseError, Session, Target
from models.crawls import ArchivedCopy, fail_run, finish_run
from models.kinds import Outcome, RunStatus

RAW = "citewatch_raw"  # the plain fetch's result, waiting for its rendered capture
CAPTURE = "citewatch_capture"


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """If-None-Match and If-Modified-Since from the validators of the last answer."""
    headers = {"If-None-Match": etag} if etag else {}
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


class CitewatchSpider(scrapy.Spider):
    """A spider whose every target request ends in exactly one FetchResult.

    Given `run` and `hosts` (comma-separated), it fetches those hosts' share of a distributed
    run (fleet/): the coordinator made the run and finishes it; the spider never does."""

    def __init__(self, run: str | None = None, hosts: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        names = [name for name in (hosts or "").split(",") if name]
        self.share = (int(run), names) if run and names else None

    def shared_run(self, session: Session) -> CrawlRun:
        """The distributed run this crawl has a share of; CrawlSetupError unless it runs."""
        assert self.share is not None
        run = session.get(CrawlRun, self.share[0])
        if run is None or run.status != RunStatus.RUNNING:
            raise CrawlSetupError(f"run {self.share[0]} is not running: nothing to do")
        return run

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

    async def fetched(self, response: Response) -> AsyncIterator[FetchResult | scrapy.Request]:
        """The plain fetch's result, or first the page rendered in the browser."""
        item = FetchResult.from_response(response, self.context.clock())
        render = self.render_request(item)
        if render is not None:
            yield render
        elif item.preserved and is_telegram_post(item.final_url or item.url):
            yield self.telegram_request(item)
        else:
            yield await self.with_video(item)

    def telegram_request(self, item: FetchResult) -> scrapy.Request:
        """A Telegram post's page shows only its text (a script draws the rest): its embed page,
        fetched and archived beside it, has the date, views and media links."""
        url = item.final_url or item.url
        return scrapy.Request(
            f"{url.split('?')[0]}?embed=1",
            callback=self.telegram_embed,
            errback=self.telegram_embed_failed,
            dont_filter=True,
            meta={RAW: item, "dont_retry": True},
        )

    async def telegram_embed(self, response: Response) -> AsyncIterator[FetchResult]:
        item: FetchResult = response.meta[RAW]
        # Written first: the cited page's response stays the snapshot's record.
        item.exchanges = [*response.meta.get(EXCHANGES, []), *item.exchanges]
        post = parse_post_page(response.text, item.final_url or item.url)
        if post is not None and post.text:
            item.body = response.body  # the widget markup: text, date, channel
            item.render = telegram_note(post)
        yield await self.with_video(item)

    async def telegram_embed_failed(self, failure: Failure) -> AsyncIterator[FetchResult]:
        item: FetchResult = failure.request.meta[RAW]  # type: ignore[attr-defined]
        error = failure.value if isinstance(failure.value, BaseException) else None
        reason = describe_failure(error) if error is not None else str(failure)
        item.render = f"Telegram: the post's embed page could not be fetched: {reason}"
        yield item

    async def with_video(self, item: FetchResult) -> FetchResult:
        """The page with its video, for a video host's page when `[crawl] video` is on (the
        outcome, kept or why not, goes into the snapshot's note)."""
        crawl = self.context.config.crawl
        url = item.final_url or item.url
        host = urlsplit(url).hostname or ""
        if not crawl.video or not item.preserved or not wants_video(host, crawl.video_hosts):
            return item
        from crawler import video

        try:
            info = await asyncio.to_thread(video.find, url, crawl.proxy, crawl.timeout)
            refusal = await HostLookups.of(self.crawler).refusal(str(info["url"]))
            if refusal is not None:
                raise video.VideoError(f"the video's address is refused: {refusal}")
            item.video = await asyncio.to_thread(
                video.download,
                url,
                info,
                self.context.config.warc_directory,
                crawl.video_max_mb * 2**20,
                crawl.proxy,
                crawl.timeout,
            )
            note = item.video.note()
        except video.VideoError as exc:
            note = f"video: {exc}"
        item.render = "; ".join(part for part in (item.render, note) if part)
        return item

    def render_request(self, item: FetchResult) -> scrapy.Request | None:
        """The request that renders the page in Chromium, when its host's rule or the page
        itself asks for it (crawler.render); None otherwise, with the reason on the item when
        it should have been rendered but cannot be."""
        if item.outcome != Outcome.FETCHED:
            return None
        url = item.final_url or item.url
        crawl = self.context.config.crawl
        host = urlsplit(url).hostname or ""
        mode = crawl.render_mode(host)
        rendered_before = item.previous is not None and item.previous.rendered
        if item.repeats_previous:
            if not rendered_before or mode == "never":
                return None  # a copy we hold already, and the plain page is all there is
            # The same page, whose scripts may fetch other text now: look again.
            reason: str | None = "the copy we hold was rendered, and its page is unchanged"
        else:
            reason = render_reason(mode, item.status, item.content_type, item.body, host)
        if reason is None:
            return None
        if not self.settings.get("CITEWATCH_BROWSER"):
            item.render = f"not rendered ({reason}): no browser found; set [crawl] browser"
            return None
        from crawler.browser import page_init  # Playwright loads with the first page to render
        from crawler.cookies import playwright_cookies

        capture = RenderedCapture(reason, url, self.context.clock())
        cookies = playwright_cookies(crawl, url, self.context.clock())
        return scrapy.Request(
            url,
            callback=self.rendered,
            errback=self.render_failed,
            dont_filter=True,
            meta={
                "playwright": True,
                "playwright_include_page": True,
                "playwright_page_init_callback": page_init(capture, cookies),
                "playwright_page_goto_kwargs": {"wait_until": "load"},
                "dont_retry": True,
                RAW: item,
                CAPTURE: capture,
            },
        )

    async def rendered(self, response: Response) -> AsyncIterator[FetchResult]:
        from crawler.browser import finish

        item, capture = response.meta[RAW], response.meta[CAPTURE]
        crawl = self.context.config.crawl
        limits = (crawl.render_max_resources, crawl.render_max_mb * 2**20)
        page = response.meta["playwright_page"]
        try:
            await asyncio.wait_for(finish(page, capture, limits), crawl.render_timeout)
        except TimeoutError:
            capture.error = f"timed out after {crawl.render_timeout:g} s (what loaded is kept)"
        yield await self.with_video(_with_capture(item, capture))

    async def render_failed(self, failure: Failure) -> AsyncIterator[FetchResult]:
        """A page that did not render (it never finished loading, the browser failed): the
        plain fetch stands, with what the browser showed by then."""
        from crawler.browser import salvage

        request = failure.request  # type: ignore[attr-defined]
        item, capture = request.meta[RAW], request.meta[CAPTURE]
        error = failure.value if isinstance(failure.value, BaseException) else None
        reason = describe_failure(error) if error is not None else str(failure)
        if "Timeout" in type(error).__name__:
            timeout = self.context.config.crawl.render_timeout
            reason = f"timed out after {timeout:g} s without finishing loading"
        await salvage(request.meta.get("playwright_page"), capture, f"render failed: {reason}")
        yield await self.with_video(_with_capture(item, capture))

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
        if self.share is not None:  # the coordinator finishes the run or fails it
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


def _with_capture(item: FetchResult, capture: RenderedCapture) -> FetchResult:
    """The plain fetch with what the browser saw: its text is extracted from the DOM."""
    item.capture = capture
    item.render = capture.note()
    if capture.dom:
        item.body = capture.dom
    return item
