"""Write each fetch's exchanges to WARC; an unchanged payload becomes a revisit record."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from archive.warc import (
    OriginalRecord,
    RecordLocation,
    hex_to_warc_digest,
    warc_date,
)
from crawler.items import FetchResult
from crawler.pipelines.base import CrawlPipeline
from crawler.render import RenderedCapture
from crawler.video import discard
from models import Snapshot
from models.crawls import ArchivedCopy
from models.kinds import Outcome


class WarcPipeline(CrawlPipeline):
    """Every exchange as request and response records; the final one may be a revisit."""

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, FetchResult):
            return item
        with self.storing():
            if item.exchanges:
                self._write(item)
        return item

    def _write(self, item: FetchResult) -> None:
        """The exchanges of a fetch; a failed write leaves no part of this fetch's records."""
        warc = self.context.warc
        *earlier, last = item.exchanges
        for exchange in earlier:
            warc.write_exchange(exchange)
        copy = self._archived_copy(item) if item.outcome == Outcome.FETCHED else None
        if copy is None:
            item.response_record, _ = warc.write_exchange(last)
            self.stats.inc_value("citewatch/warc/records", 2 * len(item.exchanges))
            item.capture_length = self._write_extras(item, item.response_record)
            return
        item.revisit_of = copy.snapshot_id
        digest = hex_to_warc_digest(copy.payload_sha256) if copy.payload_sha256 else None
        item.response_record = warc.write_revisit(
            last,
            OriginalRecord(
                copy.record_id, copy.url or item.url, warc_date(copy.fetched_at), digest
            ),
        )
        # An unchanged page rendered again (its text may differ), a video downloaded again.
        item.capture_length = self._write_extras(item, item.response_record)
        self.stats.inc_value("citewatch/warc/records", 2 * len(earlier) + 1)
        self.stats.inc_value("citewatch/warc/revisits")

    def _archived_copy(self, item: FetchResult) -> ArchivedCopy | None:
        """The full copy this fetch repeats: for a 304 the one whose validators were sent, else
        an earlier copy of the target with the same payload."""
        digest = item.payload_sha256
        assert digest is not None
        if item.repeats_previous:
            return item.previous  # the common case, known without asking the database
        with self.context.database.session() as session:
            row = session.scalar(
                select(Snapshot)
                .where(
                    Snapshot.target_id == item.target_id,
                    Snapshot.payload_sha256 == digest,
                    Snapshot.revisit_of_id.is_(None),
                    Snapshot.warc_record_id.is_not(None),
                )
                .order_by(Snapshot.fetched_at.desc())
                .limit(1)
            )
            return None if row is None else ArchivedCopy.of(row)

    def _write_extras(self, item: FetchResult, response: RecordLocation) -> int | None:
        """What the browser saw and a downloaded video, right after the response (and its
        request): how many bytes the records take from the response on, for replay; None when
        there is nothing, or the WARC file rotated in between (then the page replays alone)."""
        written: list[RecordLocation] = []
        if item.capture is not None:
            written.extend(self._write_capture(item.capture, response))
        if item.video is not None:
            try:
                video = item.video
                written.append(
                    self.context.warc.write_resource(
                        video.url, video.content_type, video.path, response
                    )
                )
                self.stats.inc_value("citewatch/video/bytes", video.size)
            finally:
                discard(item.video)
        if not written or any(w.filename != response.filename for w in written):
            return None
        last = max(written, key=lambda w: w.offset)
        return last.offset + last.length - response.offset

    def _write_capture(
        self, capture: RenderedCapture, response: RecordLocation
    ) -> list[RecordLocation]:
        """The DOM and the screenshot as resource records (named as browsertrix-crawler names
        them, so replay tools find the screenshot), then every sub-resource as request and
        response records."""
        warc = self.context.warc
        written: list[RecordLocation] = []
        if capture.dom:
            uri = f"urn:dom:{capture.url}"
            written.append(warc.write_resource(uri, "text/html", capture.dom, response))
        if capture.screenshot:
            uri = f"urn:fullPage:{capture.url}"
            written.append(warc.write_resource(uri, "image/png", capture.screenshot, response))
        for exchange in capture.resources:
            written.extend(warc.write_exchange(exchange))
        self.stats.inc_value("citewatch/render/pages")
        self.stats.inc_value("citewatch/render/resources", len(capture.resources))
        return written
