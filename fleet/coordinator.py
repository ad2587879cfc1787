"""The coordinator of a distributed crawl (`citewatch nightly --distributed`): one crawl run, one
job per share of its hosts (fleet.queue.shares), then waiting — with progress — until the
workers are through.

Work held by a worker that died (its queue heartbeat stopped) is queued again; a share that
fails after its retries leaves the run unfinished, to resume next time (its fetched targets
are not fetched again). The after-crawl step runs once, in the caller, when the run is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.types import JSONValue
from sqlalchemy import func, select

from config import Config
from config.clock import Clock
from fleet.queue import QUEUE, TASK, ensure_schema, make_app, queueing_lock, shares
from models import CrawlRun, Database, Snapshot, Worker
from models.crawls import due_hosts, finish_run, start_or_resume_run
from models.kinds import RunKind

SPIDERS = {"archive": RunKind.ARCHIVE, "check": RunKind.CHECK}
FAILED = ("failed", "cancelled", "aborted")  # a share that will not run again by itself


@dataclass(frozen=True)
class Progress:
    """Where a distributed run stands."""

    run_id: int
    fetched: int
    planned: int
    hosts_done: int
    hosts: int
    running: int
    failed: int
    workers: int

    def line(self) -> str:
        return (
            f"run {self.run_id}: {self.fetched} of {self.planned} fetched; hosts "
            f"{self.hosts_done} of {self.hosts} done, {self.running} under way"
            + (f", {self.failed} failed" if self.failed else "")
            + f"; {self.workers} worker{'s' * (self.workers != 1)} alive"
        )


@dataclass(frozen=True)
class Outcome:
    run_id: int | None
    error: str | None = None


def crawl_distributed(
    database: Database,
    config: Config,
    clock: Clock,
    now: str | None,
    spider: str,
    on_progress: Callable[[Progress], None] = lambda progress: None,
) -> Outcome:
    """Plan the run, queue its hosts' shares, wait for the workers; the run's id, and the
    one-line error if it did not get through (it then resumes next time)."""
    ensure_schema(config)
    minimum = timedelta(hours=config.check.min_interval_hours)
    with database.session() as session:
        run, resumed = start_or_resume_run(session, SPIDERS[spider], "all", False, clock())
        hosts = due_hosts(session, run, clock(), minimum)
        done = _fetched(database, run.id) if resumed else 0
        run.planned = done + sum(count for _, count in hosts)
        run_id = run.id
    waiting = _queue_and_wait(database, config, clock, run_id, spider, now, hosts, on_progress)
    return asyncio.run(waiting)


async def _queue_and_wait(
    database: Database,
    config: Config,
    clock: Clock,
    run_id: int,
    spider: str,
    now: str | None,
    hosts: list[tuple[str, int]],
    on_progress: Callable[[Progress], None],
) -> Outcome:
    app = make_app(config, "citewatch-coordinator")
    async with app.open_async():
        # Resumed (the night started again): shares that failed before are queued afresh, the
        # hosts already queued stay in their shares.
        await _forget_failed(app, run_id)
        queued = set(await _queued_hosts(app, run_id))
        pending = [(host, count) for host, count in hosts if host not in queued]
        for share in shares(pending, config.fleet.share_targets):
            job = app.configure_task(TASK, queueing_lock=queueing_lock(run_id, share), queue=QUEUE)
            names: list[JSONValue] = list(share)
            with contextlib.suppress(AlreadyEnqueued):  # this night's share already waits
                await job.defer_async(run=run_id, hosts=names, spider=spider, now=now)
        deadline = time.monotonic() + config.fleet.max_wait_minutes * 60
        while True:
            await _requeue_stalled(app, config)
            statuses = await _statuses(app, run_id)
            progress = _progress(database, config, run_id, len(hosts), statuses)
            on_progress(progress)
            if not statuses.get("todo") and not statuses.get("doing"):
                break
            if time.monotonic() > deadline:
                return Outcome(
                    run_id,
                    f"the workers did not finish in {config.fleet.max_wait_minutes} minutes "
                    f"({progress.line()}); the run resumes next time",
                )
            await asyncio.sleep(config.fleet.poll_seconds)
        if progress.failed:
            failed = await _failed_hosts(app, run_id)
            return Outcome(
                run_id,
                f"{len(failed)} host{'s' * (len(failed) != 1)} failed after retries "
                f"({', '.join(failed[:5])}{', ...' if len(failed) > 5 else ''}); "
                "the run resumes next time",
            )
    with database.session() as session:
        finish_run(session, run_id, clock())
    return Outcome(run_id)


async def _requeue_stalled(app: procrastinate.App, config: Config) -> None:
    """Shares held by workers whose queue heartbeat stopped go back to the queue."""
    stalled = await app.job_manager.get_stalled_jobs(
        task_name=TASK, seconds_since_heartbeat=config.fleet.stalled_seconds
    )
    for job in stalled:
        await app.job_manager.retry_job(job)


async def _statuses(app: procrastinate.App, run_id: int) -> dict[str, int]:
    """How many of the run's hosts are in shares of each status."""
    rows = await app.connector.execute_query_all_async(
        "SELECT status::text AS status, sum(jsonb_array_length(args->'hosts')) AS hosts "
        "FROM procrastinate_jobs WHERE task_name = %(task)s "
        "AND (args->>'run')::bigint = %(run)s GROUP BY status",
        task=TASK,
        run=run_id,
    )
    return {str(row["status"]): int(row["hosts"]) for row in rows}


async def _forget_failed(app: procrastinate.App, run_id: int) -> None:
    """Drop the run's failed shares from the queue (their failure was reported when it
    happened): their hosts are planned again."""
    await app.connector.execute_query_async(
        "DELETE FROM procrastinate_jobs WHERE task_name = %(task)s "
        "AND (args->>'run')::bigint = %(run)s AND status::text = ANY(%(statuses)s)",
        task=TASK,
        run=run_id,
        statuses=list(FAILED),
    )


async def _queued_hosts(app: procrastinate.App, run_id: int) -> list[str]:
    """The run's hosts in shares waiting or under way."""
    return await _hosts_of(app, run_id, ("todo", "doing"))


async def _failed_hosts(app: procrastinate.App, run_id: int) -> list[str]:
    return await _hosts_of(app, run_id, FAILED)


async def _hosts_of(app: procrastinate.App, run_id: int, statuses: tuple[str, ...]) -> list[str]:
    rows = await app.connector.execute_query_all_async(
        "SELECT DISTINCT host FROM procrastinate_jobs, "
        "jsonb_array_elements_text(args->'hosts') AS host WHERE task_name = %(task)s "
        "AND (args->>'run')::bigint = %(run)s AND status::text = ANY(%(statuses)s) ORDER BY 1",
        task=TASK,
        run=run_id,
        statuses=list(statuses),
    )
    return [str(row["host"]) for row in rows]


def _progress(
    database: Database, config: Config, run_id: int, hosts: int, statuses: dict[str, int]
) -> Progress:
    """Where the run stands. Workers delete the shares they finished: a share not waiting,
    under way or failed is done."""
    # Heartbeats are written with the machines' real clocks, whatever clock the run has.
    alive_since = datetime.now(UTC) - timedelta(seconds=config.fleet.stalled_seconds)
    with database.session() as session:
        planned = session.scalar(select(CrawlRun.planned).where(CrawlRun.id == run_id)) or 0
        workers = session.scalar(
            select(func.count())
            .select_from(Worker)
            .where(Worker.stopped_at.is_(None), Worker.seen_at >= alive_since)
        )
    waiting, running = statuses.get("todo", 0), statuses.get("doing", 0)
    failed = sum(statuses.get(status, 0) for status in FAILED)
    return Progress(
        run_id,
        _fetched(database, run_id),
        planned,
        max(0, hosts - waiting - running - failed),
        hosts,
        running,
        failed,
        int(workers or 0),
    )


def _fetched(database: Database, run_id: int) -> int:
    with database.session() as session:
        count = session.scalar(
            select(func.count(func.distinct(Snapshot.target_id))).where(
                Snapshot.crawl_run_id == run_id
            )
        )
    return int(count or 0)
