"""The nightly cycle: archive new citations, re-check due links, watch sources, send the digest.

Each crawl step with work to do runs in a process of its own (crawler.launch), then the
after-run step here (verdicts, states, case news, events, public copies); a step with nothing
to do is skipped, with the reason. Every step's start, end, counts and error go into the
job-runs table, and a failed step does not stop the steps after it. One
cycle runs at a time per data directory (a lock file), and each crawl step holds the data
directory's crawl lock (crawler.launch); a crawl cut short resumes next time, one whose
storage failed is marked failed with its reason. A distributed cycle (`nightly --distributed`)
has the archive and check crawls done by the fleet's workers (fleet/) and waits for them.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from alerts.delivery import deliver, language_and_zone, queue
from alerts.digest import compose, render, unqueued_events
from alerts.routing import queue_subscriber_digests
from alerts.subscriptions import any_recipient
from config import Config, child_environment
from crawler.launch import CrawlLock, CrawlNotStarted, Event, crawl_lock, run_crawl
from models import CrawlRun, Database, DatabaseError, JobRun
from models.crawls import archive_pending, check_pending, mark_failed, run_counts
from models.kinds import NightlyStep, StepStatus
from nightly.after_run import after_run
from watch.sources import active_sources

if TYPE_CHECKING:  # the fleet's queue (procrastinate) loads only for a distributed cycle
    from fleet.coordinator import Progress

Clock = Callable[[], datetime]


class CycleBusy(Exception):
    """Another nightly cycle holds this data directory."""


@dataclass
class StepResult:
    status: StepStatus
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


StepFunction = Callable[[Database, Config, Clock, str | None], StepResult]
Crawler = Callable[[Database, Config, Clock, str | None, str], StepResult]


@contextmanager
def cycle_lock(config: Config) -> Iterator[None]:
    """Hold the data directory's nightly lock, or raise CycleBusy."""
    config.home.mkdir(parents=True, exist_ok=True)
    with (config.home / "nightly.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CycleBusy(
                f"another nightly cycle is running on {config.home}; try again when it ends"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_cycle(
    config: Config,
    clock: Clock,
    now: str | None = None,
    on_step: Callable[[JobRun], None] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> list[JobRun]:
    """Run every step once, in order; the job-run rows of this cycle. With `on_progress`, the
    cycle is distributed: the fleet's workers archive and check (fleet/), this process waits
    for them, saying how far they are, and runs the after-crawl steps once."""
    steps = STEP_FUNCTIONS if on_progress is None else distributed_steps(on_progress)
    with cycle_lock(config):
        database = Database(config.database_url, pool=config.database)
        try:
            database.ensure_schema()
            with database.session() as session:
                cycle = (session.scalar(select(func.max(JobRun.cycle))) or 0) + 1
            jobs = []
            for step in NightlyStep:
                jobs.append(_run_step(database, config, clock, now, cycle, step, steps[step]))
                if on_step is not None:
                    on_step(jobs[-1])
            return jobs
        finally:
            database.dispose()


def _run_step(
    database: Database,
    config: Config,
    clock: Clock,
    now: str | None,
    cycle: int,
    step: NightlyStep,
    function: StepFunction,
) -> JobRun:
    with database.session() as session:
        job = JobRun(
            cycle=cycle, step=step, started_at=clock(), status=StepStatus.RUNNING, counts={}
        )
        session.add(job)
    try:
        result = function(database, config, clock, now)
    except KeyboardInterrupt:
        result = StepResult(StepStatus.FAILED, error="interrupted")
        _finish(database, job, result, clock())
        raise
    except Exception as exc:  # a failed step must not stop the cycle
        result = StepResult(StepStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
    return _finish(database, job, result, clock())


def _finish(database: Database, job: JobRun, result: StepResult, at: datetime) -> JobRun:
    with database.session() as session:
        row = session.get(JobRun, job.id)
        assert row is not None
        row.finished_at, row.status = at, result.status
        row.counts, row.error = result.counts, result.error
        session.flush()
        session.expunge(row)
    return row


def crawl(
    database: Database, config: Config, clock: Clock, now: str | None, spider: str
) -> StepResult:
    """One crawl in its own process, the after-run step, and what the run fetched, holding the
    data directory's crawl lock: a crawl started meanwhile (`citewatch archive`) is refused
    instead of joining this one."""
    try:
        with crawl_lock(config.home, f"citewatch nightly, {spider} step") as lock:
            return _crawl(database, config, clock, now, spider, lock)
    except CrawlNotStarted as exc:  # busy, or no lock file possible
        return StepResult(StepStatus.FAILED, error=str(exc))


def _crawl(
    database: Database, config: Config, clock: Clock, now: str | None, spider: str, lock: CrawlLock
) -> StepResult:
    seen: dict[str, Any] = {"run": None}

    def on_event(event: Event) -> None:
        if event.get("event") == "planned":
            seen["run"] = event["run"]

    result = run_crawl(spider, {}, child_environment(config), on_event, now=now, lock=lock)
    if result.error is not None:  # storage failed, or the crawl could not start
        run = result.run(seen["run"])
        if result.unrecorded:
            mark_failed(database, run, result.error, clock())
        try:
            counts = _run_counts(database, run)
        except DatabaseError:  # the database may be what failed: the reason comes first
            counts = {}
        return StepResult(StepStatus.FAILED, counts, result.error)
    if result.code != 0:
        return StepResult(
            StepStatus.FAILED,
            _run_counts(database, seen["run"]),
            f"crawl stopped (exit code {result.code}); it resumes next time",
        )
    return _after_crawl(database, config, clock, seen["run"])


def _after_crawl(database: Database, config: Config, clock: Clock, run: int | None) -> StepResult:
    """The after-run step (verdicts, events, seals) once a crawl got through; its counts."""
    done = after_run(database, config, clock())
    counts = _run_counts(database, run)
    counts["events"] = done.events
    if done.custody.waiting:
        counts["waiting_for_timestamp"] = done.custody.waiting
    if done.fallbacks.looked_up:
        counts["public_copies"] = done.fallbacks.found
    return StepResult(StepStatus.OK, counts)


def archive(
    database: Database, config: Config, clock: Clock, now: str | None, crawler: Crawler = crawl
) -> StepResult:
    with database.session() as session:
        if not archive_pending(session):
            return StepResult(StepStatus.SKIPPED, error="every cited page has a copy")
    return crawler(database, config, clock, now, "archive")


def check(
    database: Database, config: Config, clock: Clock, now: str | None, crawler: Crawler = crawl
) -> StepResult:
    minimum = timedelta(hours=config.check.min_interval_hours)
    with database.session() as session:
        if not check_pending(session, clock(), minimum):
            return StepResult(StepStatus.SKIPPED, error="no link is due for a check")
    return crawler(database, config, clock, now, "check")


def fleet_crawler(on_progress: Callable[[Progress], None]) -> Crawler:
    """A crawl by the fleet's workers (fleet/), then the after-run step here, once."""

    def crawl_by_fleet(
        database: Database, config: Config, clock: Clock, now: str | None, spider: str
    ) -> StepResult:
        import psycopg

        from fleet.coordinator import crawl_distributed
        from fleet.queue import FleetError

        try:
            outcome = crawl_distributed(database, config, clock, now, spider, on_progress)
        except FleetError as exc:
            return StepResult(StepStatus.FAILED, error=str(exc))
        except psycopg.Error as exc:
            return StepResult(StepStatus.FAILED, error=f"the queue: {' '.join(str(exc).split())}")
        if outcome.error is not None:
            counts = _run_counts(database, outcome.run_id)
            return StepResult(StepStatus.FAILED, counts, outcome.error)
        return _after_crawl(database, config, clock, outcome.run_id)

    return crawl_by_fleet


def distributed_steps(on_progress: Callable[[Progress], None]) -> dict[NightlyStep, StepFunction]:
    """The steps of a distributed cycle: archive and check by the fleet, the rest here."""
    crawler = fleet_crawler(on_progress)
    return {
        **STEP_FUNCTIONS,
        NightlyStep.ARCHIVE: partial(archive, crawler=crawler),
        NightlyStep.CHECK: partial(check, crawler=crawler),
    }


def watch(database: Database, config: Config, clock: Clock, now: str | None) -> StepResult:
    with database.session() as session:
        if session.scalars(active_sources()).first() is None:
            return StepResult(StepStatus.SKIPPED, error="no sources watched")
    return crawl(database, config, clock, now, "watch")


def _run_counts(database: Database, run_id: int | None) -> dict[str, Any]:
    """How many fetches the run made and how many gave a good copy of the page."""
    if run_id is None:
        return {}
    with database.session() as session:
        counts: dict[str, Any] = {"run": run_id, **run_counts(session, run_id)}
        run = session.get(CrawlRun, run_id)
        if run is not None and run.degraded:
            counts["degraded"] = True  # a network outage: no failure counted, no link alert
        return counts


def send_digest(database: Database, config: Config, clock: Clock, now: str | None) -> StepResult:
    """Put the unsent events into the outbox, then deliver the outbox: one message per
    subscriber with events due (alerts.routing) once recipients are in the database, else one
    message of every unsent event for `[alerts] recipients`."""
    with database.session() as session:
        subscribers = any_recipient(session)
        if subscribers:
            queued = queue_subscriber_digests(session, config, clock()).events
        else:
            events = unqueued_events(session)
            queued = len(events)
            if events:
                digest = compose(session, events)
                language, zone = language_and_zone(config, None)
                message = render(
                    digest,
                    config.smtp,
                    config.alerts,
                    clock(),
                    base_url=config.web.base_url,
                    language=language,
                    zone=zone,
                )
                subject = str(message["Subject"])
                queue(session, config, message, subject, digest.event_ids, clock())
    delivery = deliver(database, config, clock())
    counts = {"events": queued, "sent": delivery.sent, "pending": delivery.pending}
    if delivery.error is None:
        return StepResult(StepStatus.OK, counts)
    # No server or recipient configured is a choice (read the outbox); a destination that
    # refuses or cannot be reached is a failure.
    status = StepStatus.FAILED if delivery.failures else StepStatus.DEFERRED
    return StepResult(status, counts, f"{delivery.error}; {delivery.pending} kept in the outbox")


STEP_FUNCTIONS: dict[NightlyStep, StepFunction] = {
    NightlyStep.ARCHIVE: archive,
    NightlyStep.CHECK: check,
    NightlyStep.WATCH: watch,
    NightlyStep.DIGEST: send_digest,
}
