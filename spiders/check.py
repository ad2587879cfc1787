"""check: fetch every target that is due again, with conditional requests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from crawler.spider import CitewatchSpider
from models.crawls import archived_copies, start_or_resume_run, targets_to_check
from models.kinds import RunKind


class CheckSpider(CitewatchSpider):
    """`scrapy crawl check [-a force=true] [-a document=ID]`: an unchanged page costs a 304.
    `-a run=ID -a hosts=A,B`: a fleet worker's share of a distributed run (fleet/)."""

    name = "check"

    def __init__(
        self,
        force: str = "false",
        document: str | None = None,
        run: str | None = None,
        hosts: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(run=run, hosts=hosts, **kwargs)
        self.force = force.lower() in ("1", "true", "yes")
        self.document_id = int(document) if document else None

    async def start(self) -> AsyncIterator[Any]:
        context = self.context
        now = context.clock()
        scope = f"document:{self.document_id}" if self.document_id is not None else "all"
        minimum = timedelta(hours=context.config.check.min_interval_hours)
        with context.database.session() as session:
            if self.share is not None:
                run, resumed = self.shared_run(session), True
                force = run.refresh
            else:
                run, resumed = start_or_resume_run(session, RunKind.CHECK, scope, self.force, now)
                force = self.force
            hosts = self.share[1] if self.share else None
            targets = targets_to_check(session, run, now, force, self.document_id, minimum, hosts)
            copies = archived_copies(session, [t.id for t in targets])
            if self.share is None:
                run.planned = len(targets) if not resumed else max(run.planned, len(targets))
        for request in self.plan(run.id, resumed, targets, copies, conditional=True):
            yield request
