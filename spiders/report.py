"""report: fetch one report page or PDF for `citewatch add URL`, and archive it like any target.

Only an answer that can be read as a report is stored: a 2xx HTML page or PDF. Its exchanges
go to the WARC file, its text and snapshot row through the pipelines, in a run of its own
(RunKind.REPORT), as a snapshot of the report's own target. Anything else (an error status, an
address the safety rules refuse, a name that does not resolve, a body over the size cap,
robots.txt, another content type) stores nothing at all and is reported in one `refused`
event: a failed `add` leaves the database and the WARC files as they were.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from http import HTTPStatus
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from citations.canonical import TrackingRules, UrlError, canonical_url
from citations.web import unreadable, web_format
from crawler.failures import classify_failure, describe_failure
from crawler.items import TARGET, FetchResult, header_text, refused_redirect
from crawler.progress import emit, planned
from crawler.spider import CitewatchSpider
from models.crawls import start_or_resume_run
from models.kinds import Outcome, RunKind
from models.targets import ensure_targets

# What each failed fetch means to someone adding a report (the details follow in brackets).
FAILURES = {
    Outcome.DNS_FAILURE: "the host name does not resolve",
    Outcome.REFUSED: "the server refused the connection",
    Outcome.RESET: "the connection broke off",
    Outcome.TLS_ERROR: "the secure connection failed",
    Outcome.TIMEOUT: "no answer in time (crawl.timeout)",
    Outcome.TOO_LARGE: "the page is over the size limit (crawl.max_body_mb)",
    Outcome.POLICY: "refused by the crawl's safety rules or robots.txt",
    Outcome.REDIRECT_LOOP: "too many redirects",
    Outcome.ERROR: "the fetch failed",
}


class ReportSpider(CitewatchSpider):
    """`scrapy crawl report -a url=URL`"""

    name = "report"

    def __init__(self, url: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url = url.strip()

    async def start(self) -> AsyncIterator[Any]:
        yield scrapy.Request(
            self.url, callback=self.answered, errback=self.unanswered, dont_filter=True
        )

    def answered(self, response: Response) -> Iterator[FetchResult]:
        """A response: stored if it is a readable report, else refused."""
        problem = refused_redirect(response) or _problem(response)
        if problem is not None:
            self.refuse(problem)
            return
        rules = TrackingRules.from_patterns(self.context.config.urls.tracking_params)
        try:
            url = canonical_url(self.url, rules)
        except UrlError as exc:
            self.refuse(str(exc))
            return
        response.meta[TARGET] = self._start_run(url)
        yield FetchResult.from_response(response, self.context.clock())

    def unanswered(self, failure: Failure) -> None:
        """No response: refused, saying why."""
        error = failure.value if isinstance(failure.value, BaseException) else Exception()
        request = getattr(failure, "request", None)
        detail = describe_failure(error)
        if request is not None:  # the safety rules name the address: it is said already
            detail = detail.replace(f"{request.url}: ", "")
        self.refuse(f"{FAILURES[classify_failure(error)]} ({detail})")

    def refuse(self, problem: str) -> None:
        """Report why nothing was stored (an event for the parent process, and the log)."""
        self.logger.warning("%s not stored: %s", self.url, problem)
        if self.settings.getbool("CITEWATCH_EVENTS"):
            emit({"event": "refused", "url": self.url, "error": problem})

    def _start_run(self, url: str) -> int:
        """The report's target and this fetch's run, created now that there is a page to store;
        the target's id."""
        context = self.context
        now = context.clock()
        with context.database.session() as session:
            target = ensure_targets(session, [url], now)[url]
            run, _ = start_or_resume_run(session, RunKind.REPORT, f"target:{target.id}", False, now)
            run.planned = 1
            context.run_id, target_id = run.id, target.id
        self.crawler.signals.send_catch_log(planned, total=1, run=context.run_id, resumed=False)
        return target_id


def _problem(response: Response) -> str | None:
    """Why a response is not a report to read: its status, or what it holds."""
    if not 200 <= response.status < 300:
        try:
            phrase = HTTPStatus(response.status).phrase
        except ValueError:
            phrase = "unknown status"
        return f"HTTP {response.status} {phrase}"
    content_type = header_text(response, "Content-Type")
    if web_format(content_type, response.body) is None:
        return unreadable(content_type)
    return None
