"""Store each host's answer to a random sibling URL, with its text, for the soft-404 check."""

from __future__ import annotations

from typing import Any

from crawler.items import ProbeResult
from crawler.pipelines.base import CrawlPipeline
from models import Probe


class ProbePipeline(CrawlPipeline):
    """Probe results go to the probes table; nothing of them is archived as evidence."""

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, ProbeResult):
            return item
        with self.storing():
            text = None
            status = item.status or 0
            if 200 <= status < 300 and item.body:
                extracted = await self.context.extraction.extract(
                    item.body, item.content_type, item.final_url or item.url
                )
                text = extracted.text or None
            with self.context.database.session() as session:
                session.add(
                    Probe(
                        crawl_run_id=self.context.run_id,
                        host=item.host[:255],
                        url=item.url,
                        fetched_at=item.fetched_at,
                        outcome=str(item.outcome),
                        status=item.status,
                        final_url=item.final_url,
                        text=text,
                    )
                )
        self.stats.inc_value("citewatch/probes")
        return item
