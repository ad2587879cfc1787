"""check: fetch every target that is due again, with conditional requests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from crawler.spider import CitewatchSpider
from models.crawls import archived_copies, start_or_resume_run, targets_to_check
from models.kinds import RunKind


class CheckSpider(CitewatchSpider):
    """`scrapy crawl check [-a force=true] [-a document=ID]`: an unchanged page costs a 304."""

    name = "check"

    def __init__(self, force: str = "false", document: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.force = force.lower() in ("1", "true", "yes")
        self.document_id = int(document) if document else None

    async def start(self) -> AsyncIterator[Any]:
        context = self.context
        now = context.clock()
        scope = f"document:{self.document_id}" if self.document_id is not None else "all"
        minimum = timedelta(hours=context.config.check.min_interval_hours)
        with context.database.session() as session:
            run, resumed = start_or_resume_run(session, RunKind.CHECK, scope, self.force, now)
            targets = targets_to_check(session, run, now, self.force, self.document_id, minimum)
            copies = archived_copies(session, [t.id for t in targets])
            run.planned = len(targets) if not resumed else max(run.planned, len(targets))
        for request in self.plan(run.id, resumed, targets, copies, conditional=True):
            yield request
