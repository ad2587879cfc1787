"""Archive and check runs started from the dashboard: one at a time per server, in a thread.

A job runs the very functions the CLI runs (`citewatch archive --document ID`, `citewatch check
--all --document ID`), crawl child, after-run step and crawl lock included; from a thread the
crawl child is a new interpreter (crawler.launch.run_crawl). Its progress is read from the crawl
run it is filling; a failure is kept as the one line the CLI would have printed.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.console import Console
from sqlalchemy import select

from citations.errors import DocumentError
from cli.app import App
from cli.crawls import crawl_with_progress
from cli.errors import CommandError
from cli.health import check_links
from models import CrawlRun
from models.crawls import run_counts
from models.kinds import RunKind, RunStatus
from web.context import Web

log = logging.getLogger(__name__)

KINDS = ("archive", "check")


def _archive(app: App, document_id: int) -> int | None:
    """`citewatch archive --document ID`."""
    return crawl_with_progress(app, "archive", {"refresh": "false", "document": str(document_id)})


def _check(app: App, document_id: int) -> int | None:
    """`citewatch check --all --document ID`: "check now" checks every link, due or not."""
    return check_links(app, {"force": "true", "document": str(document_id)})


RUNNERS: dict[str, Callable[[App, int], int | None]] = {"archive": _archive, "check": _check}


class JobBusyError(Exception):
    """A job is already running on this server."""


@dataclass
class Job:
    """An archive or check run of one document's links, started from the dashboard."""

    kind: str
    document_id: int
    started_at: datetime
    by: str
    status: str = "running"  # running, done, failed
    done: int = 0  # fetches stored so far
    total: int | None = None  # fetches planned, once the crawl has planned them
    run_id: int | None = None
    error: str | None = None  # why it failed, in one line
    finished_at: datetime | None = None

    def record(self) -> dict[str, Any]:
        """The job as JSON data (GET /jobs/current)."""
        return {
            "kind": self.kind,
            "document_id": self.document_id,
            "status": self.status,
            "done": self.done,
            "total": self.total,
            "run_id": self.run_id,
            "error": self.error,
            "by": self.by,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "finished_at": self.finished_at.isoformat(timespec="seconds")
            if self.finished_at
            else None,
        }


class Jobs:
    """The server's one job slot: the running job, or the last one that ended."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.current: Job | None = None

    def start(self, shared: Web, kind: str, document_id: int, by: str) -> Job:
        """Start a job in a thread; JobBusyError if one is running."""
        if kind not in RUNNERS:
            raise ValueError(f"no job kind {kind!r}")
        with self._lock:
            running = self.current
            if running is not None and running.status == "running":
                raise JobBusyError(
                    f"An {running.kind} run of document {running.document_id} is still "
                    "running; start this one when it has finished."
                )
            job = Job(kind, document_id, shared.now(), by)
            self.current = job
            self._thread = threading.Thread(
                target=self._run, args=(shared, job), name=f"citewatch-{kind}", daemon=True
            )
            self._thread.start()
        return job

    def wait(self, timeout: float | None = None) -> Job | None:
        """Wait for the running job to end (tests, shutdown); the job."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.current

    def progress(self, shared: Web) -> Job | None:
        """The current job, with a running one's progress read from its crawl run."""
        job = self.current
        if job is None or job.status != "running":
            return job
        with shared.session() as session:
            run = session.scalar(
                select(CrawlRun)
                .where(CrawlRun.kind == RunKind(job.kind), CrawlRun.status == RunStatus.RUNNING)
                .order_by(CrawlRun.id.desc())
                .limit(1)
            )
            if run is not None:
                job.run_id, job.total = run.id, run.planned
                job.done = run_counts(session, run.id)["fetched"]
        return job

    def _run(self, shared: Web, job: Job) -> None:
        """Run the job as the CLI would (output kept out of sight), and record how it ended."""
        try:
            run_id = RUNNERS[job.kind](quiet_app(shared), job.document_id)
        except (CommandError, DocumentError) as exc:
            job.error, job.status = " ".join(str(exc).split()), "failed"
        except Exception as exc:  # a thread's failure must reach the page, whatever it is
            log.exception("%s job of document %s failed", job.kind, job.document_id)
            job.error, job.status = f"{type(exc).__name__}: {' '.join(str(exc).split())}", "failed"
        else:
            job.run_id = run_id if run_id is not None else job.run_id
            if run_id is not None:
                with shared.session() as session:
                    job.done = run_counts(session, run_id)["fetched"]
                    row = session.get(CrawlRun, run_id)
                    job.total = row.planned if row is not None else job.done
            else:
                job.done, job.total = 0, 0
            job.status = "done"
        job.finished_at = shared.now()


def quiet_app(shared: Web) -> App:
    """The CLI's state on the dashboard's configuration and database, printing nowhere (what
    the CLI would print is dropped: the dashboard reads the outcome from the database)."""
    sink = Console(file=io.StringIO(), width=160)
    return App(
        config=shared.config, out=sink, err=sink, clock=shared.clock, _database=shared.database
    )


_REGISTRY = threading.Lock()


def server_jobs(state: Any) -> Jobs:
    """The application's job slot (`request.app.state`), made on first use."""
    with _REGISTRY:
        jobs: Jobs | None = getattr(state, "citewatch_jobs", None)
        if jobs is None:
            jobs = Jobs()
            state.citewatch_jobs = jobs
        return jobs
