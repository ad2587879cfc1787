"""A crawl worker (`citewatch worker`): takes shares of crawl runs (a host's targets, or several
small hosts') from the queue, one at a time, and crawls each in a crawl child — the same crawl
as `citewatch check` — that writes to the shared database and to WARC files of its own (`[warc]
prefix`, by default `citewatch-<worker name>`, so workers can share one WARC directory).

SIGTERM or SIGINT: the worker takes no new share and passes the signal on to its crawl, which
finishes the requests under way and stops; the rest of the share goes back to the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg
from procrastinate import RetryStrategy
from procrastinate.exceptions import ConnectorException
from procrastinate.worker import Worker as QueueWorker
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from config import Config, child_environment
from crawler.launch import CrawlLock, Event, run_crawl
from fleet.queue import QUEUE, TASK, blueprint, conninfo, ensure_schema, make_app
from models import Database, Worker

log = logging.getLogger(__name__)
DEFAULT_PREFIX = "citewatch"
LEASE_POLL_SECONDS = 1.0


class ShareStopped(Exception):
    """The crawl of a share was cut short (the worker is stopping): it goes back to the queue."""


class ShareFailed(Exception):
    """The crawl of a share failed (storage, a crash): retried, then reported."""


class WorkerBusy(Exception):
    """Another live worker has this name."""


@dataclass
class _Running:
    """What the worker process shares with the task it runs (procrastinate calls the task by
    name, so the task finds the worker here)."""

    config: Config
    database: Database
    name: str
    lock: CrawlLock
    clock_start: str | None = None
    children: set[int] = field(default_factory=set)
    stopping: bool = False


_running: _Running | None = None


@blueprint.task(
    name=TASK,
    queue=QUEUE,
    retry=RetryStrategy(
        max_attempts=10, wait=1, linear_wait=2, retry_exceptions={ShareStopped, ShareFailed}
    ),
)
def crawl_share(run: int, hosts: list[str], spider: str, now: str | None = None) -> None:
    """Crawl what run `run` still has to fetch on `hosts` (nothing, if another attempt did)."""
    state = _running
    if state is None:
        raise ShareFailed("crawl_share runs only inside `citewatch worker`")
    share = _share_name(hosts)
    if state.stopping:
        raise ShareStopped(f"{share}: the worker is stopping")
    # Queued again while its first worker still crawls (a heartbeat late, not dead): wait for
    # that worker to let go of the hosts, then take what is left (perhaps nothing).
    try:
        with host_lease(state.config, hosts, lambda: state.stopping) as held:
            if not held:
                raise ShareStopped(f"{share}: the worker is stopping")
            _crawl(state, run, hosts, spider, now)
    except (psycopg.Error, SQLAlchemyError) as exc:  # the database went away: try again later
        raise ShareFailed(f"{share}: {_one_line(exc)}") from exc


def _share_name(hosts: list[str]) -> str:
    """The share as listed: its first host, and how many more."""
    return hosts[0] + (f" (+{len(hosts) - 1})" if len(hosts) > 1 else "")


def _crawl(state: _Running, run: int, hosts: list[str], spider: str, now: str | None) -> None:
    share = _share_name(hosts)
    _mark_share(state, run, share)
    environment = child_environment(state.config)
    if state.config.warc.prefix == DEFAULT_PREFIX:
        environment["CITEWATCH_WARC_PREFIX"] = f"{DEFAULT_PREFIX}-{state.name}"
    fetched = 0

    def on_event(event: Event) -> None:
        nonlocal fetched
        if event.get("event") == "fetched":
            fetched += 1

    try:
        result = run_crawl(
            spider,
            {"run": str(run), "hosts": ",".join(hosts)},
            environment,
            on_event,
            now=now or state.clock_start,
            lock=state.lock,
            on_start=state.children.add,
        )
    finally:
        state.children.clear()
        _mark_share(state, None, None, fetched)
    if result.error is not None:
        raise ShareFailed(f"{share}: {result.error}")
    if result.code != 0:
        raise ShareStopped(f"{share}: the crawl stopped (exit code {result.code})")


@contextlib.contextmanager
def host_lease(config: Config, hosts: list[str], give_up: Callable[[], bool]) -> Iterator[bool]:
    """A PostgreSQL advisory lock on each of the hosts for as long as their share is crawled:
    the lease of the fleet's one-at-a-time rule. A queued job's lock would be let go when the
    job is queued again; these only when their worker's connection ends, so a worker that is
    slow, not dead, keeps its hosts to itself. Waits for them, taken in one order everywhere so
    that two workers never wait for each other (False: `give_up()` said stop first). The keys
    name the schema too: two deployments on one server do not hold each other's hosts."""
    with psycopg.connect(conninfo(config, "citewatch-lease"), autocommit=True) as connection:
        keys = sorted(
            int(row[0])
            for row in connection.execute(
                "SELECT hashtextextended(current_schema() || ' ' || host, 0) "
                "FROM unnest(%s::text[]) AS host",
                (sorted(set(hosts)),),
            )
        )
        held: list[int] = []
        try:
            for key in keys:
                while not _try_lock(connection, key):
                    if give_up():
                        yield False
                        return
                    time.sleep(LEASE_POLL_SECONDS)
                held.append(key)
            yield True
        finally:
            for key in held:
                connection.execute("SELECT pg_advisory_unlock(%s)", (key,))


def _try_lock(connection: psycopg.Connection[tuple[object, ...]], key: int) -> bool:
    row = connection.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
    return bool(row and row[0])


def run_worker(config: Config, database: Database, name: str) -> None:
    """Work until SIGTERM or SIGINT. The worker holds its data directory's crawl lock for its
    whole life (one worker per data directory); WorkerBusy if a live worker has its name."""
    global _running
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        for handler in logging.getLogger().handlers:
            handler.addFilter(_one_line_per_record)
    ensure_schema(config)
    lock = CrawlLock.acquire(config.home, f"citewatch worker {name}")
    _register(database, config, name)
    _running = _Running(config, database, name, lock)
    beating = threading.Event()
    heart = threading.Thread(target=_heartbeat, args=(_running, beating), daemon=True)
    heart.start()
    try:
        _serve_until_stopped(config, name)
    finally:
        beating.set()
        heart.join()
        _stopped(database, name)
        _running = None


def _serve_until_stopped(config: Config, name: str) -> None:
    """Take work until stopped; when the database (the queue) goes away — a restart, a cut
    connection — wait and connect again, as long as it takes."""
    pause = 1.0
    while True:
        started = time.monotonic()
        try:
            asyncio.run(_serve(config, name))
            # Not stopped by a signal: the queue stopped the worker (one of its side tasks, the
            # heartbeat or the listener, lost its connection).
            problem = "the queue's worker stopped"
        except (psycopg.Error, ConnectorException, OSError) as exc:
            problem = _one_line(exc)
        if _running is None or _running.stopping:
            return
        if time.monotonic() - started > 60:
            pause = 1.0  # it worked for a while: a new outage starts with a short wait
        log.warning("lost the queue (%s); connecting again in %.0f s", problem, pause)
        time.sleep(pause)
        pause = min(pause * 2, 30.0)


def _one_line_per_record(record: logging.LogRecord) -> bool:
    """The queue's and the database driver's warnings as one line each: a long-lived worker
    sees database outages, and a traceback per retry buries what happened (-vv keeps them)."""
    if record.name.startswith(("procrastinate", "psycopg")):
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            message = f"{message} ({_one_line(record.exc_info[1])})"
        record.msg, record.args = " ".join(message.split()), None
        record.exc_info, record.exc_text = None, None
    return True


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:300]


async def _serve(config: Config, name: str) -> None:
    app = make_app(config, f"citewatch-worker-{name}")
    async with app.open_async():
        worker = QueueWorker(
            app,
            queues=[QUEUE],
            name=name,
            concurrency=1,
            install_signal_handlers=False,
            update_heartbeat_interval=config.fleet.heartbeat_seconds,
            delete_jobs="successful",  # the queue keeps what waits and what failed
            stalled_worker_timeout=config.fleet.stalled_seconds,
            fetch_job_polling_interval=min(5.0, config.fleet.poll_seconds),
        )
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(number, _stop, worker)
        await worker.run()  # type: ignore[no-untyped-call]


def _stop(worker: QueueWorker) -> None:
    """No new share; the crawl under way finishes its requests and stops."""
    state = _running
    if state is not None:
        state.stopping = True
        for pid in list(state.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
    log.warning("stopping after the requests under way")
    worker.stop()  # type: ignore[no-untyped-call]


def _now() -> datetime:
    return datetime.now(UTC)


def _register(database: Database, config: Config, name: str) -> None:
    """Add or take over this name's row; WorkerBusy while another live worker has it."""
    now = _now()
    with database.session() as session:
        row = session.scalar(select(Worker).where(Worker.name == name))
        if row is not None and row.stopped_at is None:
            silent = (now - row.seen_at).total_seconds()
            if silent < config.fleet.stalled_seconds:
                raise WorkerBusy(
                    f"a worker named {name} is running on {row.machine} (pid {row.pid}); "
                    "give this one another --name"
                )
        if row is None:
            row = Worker(name=name, fetched=0)
            session.add(row)
        row.machine, row.pid = socket.gethostname(), os.getpid()
        row.started_at = row.seen_at = now
        row.stopped_at, row.run_id, row.host, row.share_started_at = None, None, None, None
        row.fetched = 0


def _heartbeat(state: _Running, done: threading.Event) -> None:
    while not done.wait(state.config.fleet.heartbeat_seconds):
        try:
            _update(state, seen_at=_now())
        except Exception as exc:  # the database is away: the next beat tries again
            log.warning("heartbeat not recorded: %s", exc)


def _mark_share(state: _Running, run: int | None, share: str | None, fetched: int = 0) -> None:
    """What the worker crawls now, for `citewatch workers` (not recorded while the database is
    away: the crawl goes on regardless)."""
    try:
        _record_share(state, run, share, fetched)
    except Exception as exc:
        log.warning("share not recorded: %s", _one_line(exc))


def _record_share(state: _Running, run: int | None, share: str | None, fetched: int) -> None:
    with state.database.session() as session:
        row = session.scalar(select(Worker).where(Worker.name == state.name))
        if row is None:
            return
        row.run_id, row.host = run, share[:255] if share else None
        row.share_started_at = _now() if share else None
        row.fetched += fetched
        row.seen_at = _now()


def _update(state: _Running, seen_at: datetime) -> None:
    with state.database.session() as session:
        row = session.scalar(select(Worker).where(Worker.name == state.name))
        if row is not None:
            row.seen_at = seen_at


def _stopped(database: Database, name: str) -> None:
    with database.session() as session:
        row = session.scalar(select(Worker).where(Worker.name == name))
        if row is not None:
            row.stopped_at = _now()
            row.run_id = row.host = None
