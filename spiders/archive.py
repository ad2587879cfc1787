"""archive: fetch every cited target not yet archived (or all of them, or one document's)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from crawler.spider import CitewatchSpider
from models.crawls import archived_copies, start_or_resume_run, targets_to_archive
from models.kinds import RunKind


class ArchiveSpider(CitewatchSpider):
    """`scrapy crawl archive [-a refresh=true] [-a document=ID]`; `-a run=ID -a hosts=A,B`:
    a fleet worker's share of a distributed run (fleet/)."""

    name = "archive"

    def __init__(
        self,
        refresh: str = "false",
        document: str | None = None,
        run: str | None = None,
        hosts: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(run=run, hosts=hosts, **kwargs)
        self.refresh = refresh.lower() in ("1", "true", "yes")
        self.document_id = int(document) if document else None

    async def start(self) -> AsyncIterator[Any]:
        context = self.context
        scope = f"document:{self.document_id}" if self.document_id is not None else "all"
        with context.database.session() as session:
            if self.share is not None:
                run, resumed = self.shared_run(session), True
            else:
                run, resumed = start_or_resume_run(
                    session, RunKind.ARCHIVE, scope, self.refresh, context.clock()
                )
            hosts = self.share[1] if self.share else None
            targets = targets_to_archive(session, run, run.refresh, self.document_id, hosts)
            if self.share is None:
                run.planned = len(targets) if not resumed else max(run.planned, len(targets))
            copies = archived_copies(session, [t.id for t in targets]) if run.refresh else {}
        for request in self.plan(run.id, resumed, targets, copies):
            yield request
