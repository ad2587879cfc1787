"""Extract the main text of archived pages in worker processes, never on the reactor."""

from __future__ import annotations

from typing import Any

from archive.text import ExtractedText
from crawler.items import FetchResult
from crawler.pipelines.base import CrawlPipeline
from models.kinds import Extraction


class ExtractionPipeline(CrawlPipeline):
    """Text and metadata for 2xx pages; revisits reuse their original's text, unless the page
    was rendered again (its text is the browser's)."""

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, FetchResult):
            return item
        if item.revisit_of is not None and item.capture is None:
            return item  # same payload: the snapshot pipeline copies the original's text
        if (not item.preserved and item.capture is None) or not item.body:
            item.extracted = ExtractedText(Extraction.SKIPPED)
        else:
            item.extracted = await self.context.extraction.extract(
                item.body, item.content_type, item.final_url or item.url
            )
        self.stats.inc_value(f"citewatch/extraction/{item.extracted.status}")
        return item
