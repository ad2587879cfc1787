"""The fleet: `citewatch worker` (take crawl work from the shared queue) and `citewatch workers`
(who is alive, what each crawls, how fast)."""

from __future__ import annotations

import argparse
import os
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from cli.app import App
from cli.errors import CommandError
from cli.output import FORMATS, Column, list_rows, say
from crawler.launch import CrawlNotStarted
from models import Worker

WORKER_COLUMNS = (
    Column("name", "Worker", {"no_wrap": True}),
    Column("machine", "Machine", {"no_wrap": True}),
    Column("state", "State", {"no_wrap": True}),
    Column("host", "Crawling", {"overflow": "fold"}),
    Column("fetched", "Fetched", {"justify": "right"}),
    Column("per_minute", "Per minute", {"justify": "right"}),
    Column("seen", "Last heartbeat (UTC)", {"no_wrap": True}),
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's commands to the CLI."""
    worker = commands.add_parser(
        "worker", help="take crawl work from the shared queue until SIGTERM (PostgreSQL)"
    )
    worker.add_argument(
        "--name", help="this worker's name (default MACHINE-PID; its WARC files carry it)"
    )
    worker.set_defaults(handler=cmd_worker)
    workers = commands.add_parser("workers", help="the crawl workers: alive, crawling, speed")
    workers.add_argument("--format", choices=FORMATS, default="table")
    workers.set_defaults(handler=cmd_workers)


def cmd_worker(app: App, args: argparse.Namespace) -> int:
    """citewatch worker [--name NAME]"""
    import psycopg  # the queue's libraries load only for the commands that use them

    from fleet.queue import FleetError, conninfo
    from fleet.worker import WorkerBusy, run_worker

    name = args.name or f"{socket.gethostname()}-{os.getpid()}"
    try:
        conninfo(app.config)
        database = app.database
        say(app.err, f"worker {name}: waiting for work (SIGTERM or Ctrl-C stops it)")
        run_worker(app.config, database, name)
    except (FleetError, WorkerBusy, CrawlNotStarted) as exc:
        raise CommandError(str(exc)) from None
    except psycopg.Error as exc:
        raise CommandError(f"the queue: {' '.join(str(exc).split())}") from None
    say(app.err, f"worker {name} stopped")
    return 0


def cmd_workers(app: App, args: argparse.Namespace) -> int:
    """citewatch workers [--format table|csv|json]"""
    now = datetime.now(UTC)
    alive = timedelta(seconds=app.config.fleet.stalled_seconds)
    with app.database.session() as session:
        rows = [_row(w, now, alive) for w in session.scalars(select(Worker).order_by(Worker.name))]
    list_rows(
        app.out,
        app.err,
        rows,
        args.format,
        WORKER_COLUMNS,
        "No worker has run yet: `citewatch worker` starts one.",
        title="Workers",
    )
    return 0


def _row(worker: Worker, now: datetime, alive: timedelta) -> dict[str, Any]:
    seen = worker.seen_at.astimezone(UTC)
    if worker.stopped_at is not None:
        state = "stopped"
    elif now - seen > alive:
        state = "gone"  # no heartbeat: dead, or cut off; its work went back to the queue
    else:
        state = "crawling" if worker.host else "idle"
    minutes = max((seen - worker.started_at.astimezone(UTC)).total_seconds() / 60, 1 / 60)
    return {
        "name": worker.name,
        "machine": f"{worker.machine} (pid {worker.pid})",
        "state": state,
        "host": worker.host or "",
        "run": worker.run_id,
        "fetched": worker.fetched,
        "per_minute": round(worker.fetched / minutes, 1),
        "seen": seen.strftime("%Y-%m-%d %H:%M:%S"),
        "started_at": worker.started_at.isoformat(timespec="seconds"),
    }
