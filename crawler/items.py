"""What one target's fetch yields, from the spider through the pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.exceptions import StopDownload
from scrapy.http import Response
from twisted.python.failure import Failure

from archive.text import ExtractedText
from archive.warc import HttpExchange, RecordLocation, payload_sha256
from crawler.capture import EXCHANGES
from crawler.failures import classify_failure, describe_failure
from crawler.policy import ALLOWED_SCHEMES
from crawler.render import RenderedCapture
from crawler.video import Video
from models.crawls import ArchivedCopy
from models.kinds import Outcome
from models.snapshot import is_preserved

TARGET = "citewatch_target"
PROBE = "citewatch_probe"  # the host a probe request speaks for
PREVIOUS = "citewatch_previous"  # the target's latest full copy, if we know it
NOT_MODIFIED = 304


def header_text(response: Response, name: str, limit: int = 300) -> str | None:
    """A response header as text (headers are bytes, Latin-1 by the HTTP standard), capped."""
    value = response.headers.get(name)
    return value.decode("latin-1")[:limit] if value else None


@dataclass
class FetchResult:
    """A fetch attempt's outcome and evidence; the pipelines add WARC, text and snapshot id."""

    target_id: int
    url: str
    fetched_at: datetime
    outcome: Outcome
    exchanges: list[HttpExchange] = field(default_factory=list, repr=False)
    status: int | None = None
    final_url: str | None = None
    redirect_chain: list[dict[str, Any]] = field(default_factory=list)
    content_type: str | None = None
    body: bytes = field(default=b"", repr=False)  # decompressed, for text extraction
    error: str | None = None
    response_record: RecordLocation | None = None
    revisit_of: int | None = None
    extracted: ExtractedText | None = None
    snapshot_id: int | None = None
    previous: ArchivedCopy | None = None  # the latest full copy: a 304 or equal payload revisits it
    capture: RenderedCapture | None = field(default=None, repr=False)  # what the browser saw
    render: str | None = None  # why it was rendered and how it went, or why not (the snapshot's)
    capture_length: int | None = None  # bytes of WARC records from the response on (rendered)
    video: Video | None = field(default=None, repr=False)  # a downloaded video to store

    @property
    def preserved(self) -> bool:
        """Whether the page itself was archived (models.snapshot.is_preserved)."""
        return is_preserved(self.outcome, self.status)

    @property
    def payload(self) -> bytes | None:
        """The final response body as received (what the WARC payload digest covers)."""
        return self.exchanges[-1].body if self.exchanges else None

    @cached_property
    def payload_sha256(self) -> str | None:
        """The payload's SHA-256 (hex), computed once for the spider and every pipeline."""
        payload = self.payload
        return None if payload is None else payload_sha256(payload)

    @property
    def repeats_previous(self) -> bool:
        """A 304 to the copy whose validators were sent, or the same payload as that copy:
        the common case of a nightly check, known without asking the database."""
        if self.status == NOT_MODIFIED:
            return True
        digest, previous = self.payload_sha256, self.previous
        return digest is not None and previous is not None and previous.payload_sha256 == digest

    @classmethod
    def from_response(cls, response: Response, fetched_at: datetime) -> FetchResult:
        """A response arrived (any status): it is archived. A redirect to another scheme
        (file:, ftp:, javascript:) is refused, so it is the policy's outcome."""
        request = response.request
        assert request is not None
        refused = refused_redirect(response)
        return cls(
            target_id=request.meta[TARGET],
            url=request.meta.get("redirect_urls", [request.url])[0],
            fetched_at=fetched_at,
            outcome=Outcome.FETCHED if refused is None else Outcome.POLICY,
            exchanges=list(request.meta.get(EXCHANGES, [])),
            status=response.status,
            final_url=response.url,
            redirect_chain=_chain(request, response.url, response.status),
            content_type=header_text(response, "Content-Type"),
            body=response.body,
            error=refused,
            previous=request.meta.get(PREVIOUS),
        )

    @classmethod
    def from_failure(cls, failure: Failure, fetched_at: datetime) -> FetchResult:
        """No usable response: the outcome class says why, with any exchanges seen on the way.

        A download stopped part-way (a body over the size cap) still told its status: kept as
        evidence, though nothing of the body is archived."""
        request: Request = failure.request  # type: ignore[attr-defined]
        error = (
            failure.value if isinstance(failure.value, BaseException) else Exception(str(failure))
        )
        exchanges = list(request.meta.get(EXCHANGES, []))
        last = exchanges[-1] if exchanges else None
        stopped = error.response if isinstance(error, StopDownload) else None
        status, final_url = (last.status, last.url) if last else (None, None)
        if stopped is not None:
            status, final_url = stopped.status, stopped.url
        return cls(
            target_id=request.meta[TARGET],
            url=request.meta.get("redirect_urls", [request.url])[0],
            fetched_at=fetched_at,
            outcome=classify_failure(error),
            exchanges=exchanges,
            status=status,
            final_url=final_url,
            redirect_chain=_chain(request, request.url, None),
            error=describe_failure(error),
        )


def refused_redirect(response: Response) -> str | None:
    """Why a redirect was not followed, when it points outside http and https."""
    location = header_text(response, "Location", 2000) if 300 <= response.status < 400 else None
    if not location:
        return None
    target = urljoin(response.url, location.strip())
    if urlsplit(target).scheme.lower() in ALLOWED_SCHEMES:
        return None
    return f"redirect to {target[:200]} refused: only http and https are fetched"


def _chain(request: Request, final_url: str, final_status: int | None) -> list[dict[str, Any]]:
    """Each hop: the URL asked for and what it answered; the last hop is where it ended."""
    urls = request.meta.get("redirect_urls", [])
    reasons = request.meta.get("redirect_reasons", [])
    hops: list[dict[str, Any]] = [
        {
            "url": url,
            "status": reason if isinstance(reason, int) else None,
            "via": None if isinstance(reason, int) else str(reason),
        }
        for url, reason in zip(urls, reasons, strict=False)
    ]
    hops.append({"url": final_url, "status": final_status, "via": None})
    return hops


@dataclass
class ProbeResult:
    """A host's answer for a random sibling URL."""

    host: str
    url: str
    fetched_at: datetime
    outcome: Outcome
    status: int | None = None
    final_url: str | None = None
    content_type: str | None = None
    body: bytes = b""

    @classmethod
    def from_response(cls, response: Response, fetched_at: datetime) -> ProbeResult:
        request = response.request
        assert request is not None
        return cls(
            request.meta[PROBE],
            request.meta.get("redirect_urls", [request.url])[0],
            fetched_at,
            Outcome.FETCHED,
            response.status,
            response.url,
            header_text(response, "Content-Type"),
            response.body,
        )

    @classmethod
    def from_failure(cls, failure: Failure, fetched_at: datetime) -> ProbeResult:
        request: Request = failure.request  # type: ignore[attr-defined]
        error = (
            failure.value if isinstance(failure.value, BaseException) else Exception(str(failure))
        )
        return cls(request.meta[PROBE], request.url, fetched_at, classify_failure(error))
