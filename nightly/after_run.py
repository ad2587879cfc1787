"""After a crawl, in the parent process: everything the crawl child does not do.

The crawl child only fetches and records. Then, once per finished run (this one, and any whose
parent was stopped before it got here): verdicts and link states for runs that checked cited
links, case updates for every run, and the alert events of both, in one transaction per run;
then the WARC files the runs sealed are recorded, signed and time-stamped (evidence.seal);
then public-archive copies of dead and drifted links. The CLI and the nightly cycle call this
the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from alerts.events import record_case_events, record_link_events
from cases.updates import record_updates
from config import Config
from evidence.seal import SealSummary, seal
from health.evaluate import RunHealth, evaluate_run
from health.fallbacks import FallbackSummary, client_for, refresh_fallbacks
from health.memento import WaybackClient
from models import CrawlRun, Database
from models.kinds import JUDGED_RUNS, RunStatus

log = logging.getLogger(__name__)


@dataclass
class AfterRun:
    """What the step did."""

    runs: list[int] = field(default_factory=list)  # the runs it processed
    health: list[RunHealth] = field(default_factory=list)  # of the runs that judged links
    case_updates: int = 0
    events: int = 0
    fallbacks: FallbackSummary = field(default_factory=FallbackSummary)
    custody: SealSummary = field(default_factory=SealSummary)  # WARC files sealed, signed, stamped


def after_run(
    database: Database, config: Config, now: datetime, client: WaybackClient | None = None
) -> AfterRun:
    """Process every finished, unprocessed run, oldest first; then look up public copies."""
    done = AfterRun()
    with database.session() as session:
        pending = list(
            session.scalars(
                select(CrawlRun.id)
                .where(CrawlRun.status == RunStatus.FINISHED, CrawlRun.evaluated_at.is_(None))
                .order_by(CrawlRun.id)
            )
        )
    for run_id in pending:
        with database.session() as session:  # a run is processed entirely or not at all
            run = session.get(CrawlRun, run_id)
            assert run is not None
            if run.kind in JUDGED_RUNS:
                health = evaluate_run(session, run_id, now, config.check)
                done.health.append(health)
                done.events += record_link_events(session, health, now)
            updates = record_updates(session, run_id, now, config.watch)
            done.case_updates += len(updates)
            done.events += record_case_events(session, updates, now)
            run.evaluated_at = now
        done.runs.append(run_id)
    done.custody = seal(database, config, now)
    done.fallbacks = refresh_fallbacks(database, config, client or client_for(config), now)
    log.info("after-run: runs %s, %s events", done.runs, done.events)
    return done
