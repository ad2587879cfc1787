"""Store the snapshot rows and tie each full copy to its row with a WARC metadata record.

Rows are written in small batches (every BATCH items or FLUSH_SECONDS): one commit per fetch
would cost more than the fetch. A batch is committed only after its WARC records are on disk,
so a killed crawl leaves at most a batch of fetches to repeat, never a row without evidence.

A batch the database refuses is lost as a whole (the next run fetches it again) and its metadata
records are taken back out of the WARC file; after a WARC failure, the rows of fetches whose
records were already written are still committed, without their metadata records.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from scrapy import Spider
from scrapy.statscollectors import StatsCollector
from twisted.internet import task

from archive.warc import WarcWriteError
from crawler.context import CrawlContext
from crawler.items import NOT_MODIFIED, FetchResult
from crawler.pipelines.base import CrawlPipeline
from models import DatabaseError, Snapshot
from models.crawls import ArchivedCopy

BATCH = 50
FLUSH_SECONDS = 1.0
COPIED = ("extraction", "title", "author", "published", "language", "login_form")


@dataclass
class _Pending:
    item: FetchResult
    snapshot: Snapshot


class SnapshotPipeline(CrawlPipeline):
    """One row per fetch attempt outcome, committed after its WARC records are written."""

    def __init__(self, context: CrawlContext, stats: StatsCollector) -> None:
        super().__init__(context, stats)
        self.pending: list[_Pending] = []
        self._timer = task.LoopingCall(self.flush)

    def open_spider(self, spider: Spider) -> None:
        self._timer.start(FLUSH_SECONDS, now=False)

    def close_spider(self, spider: Spider) -> None:
        if self._timer.running:
            self._timer.stop()
        self.flush()

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, FetchResult):
            return item
        with self.storing(after_warc_failure=True):
            self.pending.append(_Pending(item, self._row(item)))
        if len(self.pending) >= BATCH:
            self.flush()
        self.stats.inc_value(f"citewatch/outcome/{item.outcome}")
        return item

    def flush(self) -> None:
        """Insert the pending rows, write their metadata records, commit (never raises: a
        failure stops the crawl through the context)."""
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        failure = self.context.failure
        if failure is not None and failure.database:
            self.stats.inc_value("citewatch/storage/dropped", len(batch))
            return
        held = any(entry.item.response_record for entry in batch)
        mark = self.context.warc.mark() if held else None
        started = time.monotonic()
        try:
            with self.context.database.session() as session:
                session.add_all(p.snapshot for p in batch)
                session.flush()
                tied = held
                for entry in batch:
                    entry.item.snapshot_id = entry.snapshot.id
                    if tied:
                        tied = self._tie(entry)
        except DatabaseError:  # the context has stopped the crawl
            if mark is not None:
                self.context.warc.rollback(mark)  # no metadata record for a row not stored
            self.stats.inc_value("citewatch/storage/dropped", len(batch))
            return
        self.stats.inc_value("citewatch/snapshots/batches")
        self.stats.max_value(
            "citewatch/snapshots/slowest_batch_ms", int((time.monotonic() - started) * 1000)
        )

    def _tie(self, entry: _Pending) -> bool:
        """The metadata record tying a full copy to its row; False once the WARC has failed."""
        item, record = entry.item, entry.item.response_record
        if record is None or item.revisit_of is not None:
            return True
        try:
            self.context.warc.write_metadata(
                item.final_url or item.url,
                record,
                {
                    "citewatch-snapshot-id": entry.snapshot.id,
                    "citewatch-target-id": item.target_id,
                    "citewatch-cited-url": item.url,
                    "citewatch-outcome": item.outcome,
                    "citewatch-redirects": " -> ".join(hop["url"] for hop in item.redirect_chain),
                    "citewatch-rendered": item.render,
                },
            )
        except WarcWriteError as exc:
            self.context.storage_failed(exc)
            return False
        return True

    def _row(self, item: FetchResult) -> Snapshot:
        """The snapshot row of a fetch (a revisit takes its original's metadata, not its text)."""
        record, payload = item.response_record, item.payload
        snapshot = Snapshot(
            target_id=item.target_id,
            crawl_run_id=self.context.run_id,
            fetched_at=item.exchanges[-1].fetched_at if item.exchanges else item.fetched_at,
            outcome=item.outcome,
            status=item.status,
            final_url=item.final_url,
            redirect_chain=item.redirect_chain,
            content_type=(item.content_type or "")[:200] or None,
            content_length=len(payload) if payload is not None else None,
            payload_sha256=item.payload_sha256,
            warc_file=record.filename if record else None,
            warc_offset=record.offset if record else None,
            warc_length=record.length if record else None,
            warc_record_id=record.record_id if record else None,
            revisit_of_id=item.revisit_of,
            error=item.error,
            etag=_header(item, "etag", 300),
            last_modified=_header(item, "last-modified", 100),
            capture_note=item.render,
            capture_length=item.capture_length,
        )
        original = item.previous if item.revisit_of is not None and item.previous else None
        if item.capture is not None and item.extracted is not None:
            _extracted(snapshot, item)  # rendered again: the browser's text, even on a revisit
        elif original is not None and original.snapshot_id == item.revisit_of:
            _copy_metadata(original, snapshot, item)
        elif item.revisit_of is not None:
            with self.context.database.session() as session:
                found = session.get(Snapshot, item.revisit_of)
                if found is not None:
                    for name in COPIED:
                        setattr(snapshot, name, getattr(found, name))
        else:
            _extracted(snapshot, item)
        return snapshot


def _copy_metadata(original: ArchivedCopy, snapshot: Snapshot, item: FetchResult) -> None:
    """A revisit shows what its original showed; its text stays with the original."""
    for name in COPIED:
        setattr(snapshot, name, getattr(original, name))
    if item.status == NOT_MODIFIED:
        # Nothing came back but the server's word that the payload is unchanged.
        snapshot.payload_sha256 = original.payload_sha256
        snapshot.content_length = None
        snapshot.content_type = original.content_type
        snapshot.etag = snapshot.etag or original.etag
        snapshot.last_modified = snapshot.last_modified or original.last_modified


def _extracted(snapshot: Snapshot, item: FetchResult) -> None:
    """The text and metadata extraction found."""
    extracted = item.extracted
    if extracted is None:
        return
    snapshot.extraction = extracted.status
    snapshot.text = extracted.text or None
    snapshot.title = extracted.title
    snapshot.author = extracted.author
    snapshot.published = (extracted.published or "")[:40] or None
    snapshot.language = extracted.language
    snapshot.login_form = extracted.login_form
    if extracted.note:  # where the text came from, when not from the page's own article
        snapshot.capture_note = "; ".join(p for p in (snapshot.capture_note, extracted.note) if p)
    if extracted.error and not snapshot.error:
        snapshot.error = f"extraction: {extracted.error}"


def _header(item: FetchResult, name: str, limit: int) -> str | None:
    """A response header of the final exchange (validators for the next conditional request)."""
    if not item.exchanges:
        return None
    for header, value in item.exchanges[-1].response_headers:
        if header.lower() == name:
            return value[:limit]
    return None
