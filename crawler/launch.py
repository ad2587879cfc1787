"""Start a crawl child process and follow its progress events.

One crawl per data directory at a time. The crawl lock (`crawl.lock` in the data directory, an
flock on an open file) is taken by the parent before it starts the child and handed down to it
(the child holds the same open file), so it is held until both have let go: the child's whole
life, and the parent's after-run step. A crawl started alone (`python -m crawler`) takes the
lock itself. The lock is never unlocked explicitly (that would release the child's hold too):
it goes when the last process holding the file closes it or dies.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

Event = dict[str, Any]

# Exit codes of the crawl child (3, bad configuration, as the CLI's).
EXIT_FINISHED = 0  # got through its plan
EXIT_STOPPED = 1  # cut short (interrupted, shut down): the run resumes next time
EXIT_FAILED = 2  # storage failed: what was stored is kept, the run is marked failed
EXIT_NOT_STARTED = 4  # another crawl holds the data directory, or storage is not usable
LOCK_NAME = "crawl.lock"


class CrawlNotStarted(Exception):
    """A crawl cannot start: its data directory is busy, full or not writable."""


class CrawlBusy(CrawlNotStarted):
    """Another crawl holds this data directory."""


class CrawlLock:
    """The data directory's crawl lock, held through an open file."""

    def __init__(self, handle: IO[str]) -> None:
        self.handle = handle

    @property
    def fd(self) -> int:
        return self.handle.fileno()

    @classmethod
    def acquire(cls, home: Path, holder: str) -> CrawlLock:
        """Take the lock of `home`, or raise CrawlBusy naming who holds it (CrawlNotStarted if
        the data directory cannot hold a lock file)."""
        try:
            home.mkdir(parents=True, exist_ok=True)
            handle = (home / LOCK_NAME).open("a+", encoding="utf-8")
        except OSError as exc:
            raise CrawlNotStarted(f"{home} is not writable: {exc.strerror or exc}") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            who = " ".join(handle.read().split())
            handle.close()
            raise CrawlBusy(
                f"another crawl is running on {home}{f' ({who})' if who else ''}; "
                "try again when it ends"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(
            f"{holder}, pid {os.getpid()}, since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC"
        )
        handle.flush()
        return cls(handle)

    @classmethod
    def inherit(cls, fd: int) -> CrawlLock:
        """The lock a parent handed down: its open file, checked to hold the lock."""
        handle = os.fdopen(fd, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # already ours: a no-op
        except BlockingIOError:
            handle.close()
            raise CrawlBusy(f"file descriptor {fd} does not hold the crawl lock") from None
        return cls(handle)

    def close(self) -> None:
        """Let go (the lock is released once no process holds the file)."""
        self.handle.close()


@contextmanager
def crawl_lock(home: Path, holder: str) -> Iterator[CrawlLock]:
    """Hold the crawl lock of `home` for the block, or raise CrawlBusy."""
    lock = CrawlLock.acquire(home, holder)
    try:
        yield lock
    finally:
        lock.close()


def check_storage(directories: Iterable[Path], min_free_mb: int) -> None:
    """Raise CrawlNotStarted unless each directory is writable with `min_free_mb` free."""
    for directory in dict.fromkeys(directories):
        try:
            directory.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=directory):
                pass
        except OSError as exc:
            raise CrawlNotStarted(f"{directory} is not writable: {exc.strerror or exc}") from None
        free = shutil.disk_usage(directory).free // 2**20
        if free < min_free_mb:
            raise CrawlNotStarted(
                f"only {free} MB free in {directory}; a crawl needs {min_free_mb} MB "
                "(crawl.min_free_mb): free some space, or lower the setting"
            )


@dataclass(frozen=True)
class CrawlExit:
    """How the child ended: its exit code, its closing event, and why it failed if it did."""

    code: int
    closed: Event | None
    failure: Event | None = None

    @property
    def error(self) -> str | None:
        """The failure in one line, if the child said why it failed."""
        if self.failure is None:
            return None
        return " ".join(str(self.failure.get("error", "")).split()) or None

    def run(self, planned: int | None) -> int | None:
        """The crawl run: announced in the plan, or named by the failure."""
        run = planned if planned is not None else (self.failure or {}).get("run")
        return int(run) if run is not None else None

    @property
    def started(self) -> bool:
        """Whether the crawl got past its lock and storage checks."""
        return self.failure is None or self.failure.get("reason") != "not_started"

    @property
    def unrecorded(self) -> bool:
        """A storage failure the child could not mark in its run (the database failed): the
        parent marks it (models.crawls.mark_failed)."""
        failure = self.failure
        return self.started and failure is not None and not failure.get("recorded")


def run_crawl(
    spider: str,
    arguments: Mapping[str, str],
    environment: Mapping[str, str],
    on_event: Callable[[Event], None],
    now: str | None = None,
    cwd: Path | None = None,
    lock: CrawlLock | None = None,
    on_start: Callable[[int], None] = lambda pid: None,
) -> CrawlExit:
    """Run `python -m crawler SPIDER ...` and hand each JSON event line to `on_event`.

    With `lock`, the child holds the caller's crawl lock; without, it takes the lock itself.
    A single-threaded caller forks (the crawl modules are imported once per caller, so a nightly
    cycle's crawls start at once); one with threads, which must not fork, starts a new
    interpreter."""
    argv = [
        spider,
        *(f"{name}={value}" for name, value in arguments.items()),
        *(["--now", now] if now else []),
        *(["--lock-fd", str(lock.fd)] if lock else []),
        "--parent",
        str(os.getpid()),
    ]
    closed = failure = None
    child = (
        _Forked(argv, environment, cwd) if _may_fork() else _Started(argv, environment, cwd, lock)
    )
    on_start(child.pid)  # a fleet worker passes SIGTERM on to its crawl
    for line in child.lines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue  # stray output from a library: not an event
        if not isinstance(event, dict):
            continue
        if event.get("event") == "closed":
            closed = event
        elif event.get("event") == "failed":
            failure = event
        on_event(event)
    return CrawlExit(child.wait(), closed, failure)


def _may_fork() -> bool:
    """Forking is safe only where no other thread may hold a lock the child would inherit."""
    return hasattr(os, "fork") and threading.active_count() == 1


class _Started:
    """The crawl in a new interpreter: `python -m crawler ARGV`."""

    def __init__(
        self,
        argv: Sequence[str],
        environment: Mapping[str, str],
        cwd: Path | None,
        lock: CrawlLock | None,
    ) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "crawler", *argv],
            stdout=subprocess.PIPE,
            text=True,
            env=dict(environment),
            cwd=cwd,
            bufsize=1,
            pass_fds=(lock.fd,) if lock else (),
        )
        self.pid = self.process.pid

    def lines(self) -> Iterator[str]:
        assert self.process.stdout is not None
        with self.process.stdout:
            yield from self.process.stdout

    def wait(self) -> int:
        return self.process.wait()


class _Forked:
    """The crawl in a fork of this process, as if started by `python -m crawler ARGV`: its own
    environment, directory and standard streams, its events on a pipe."""

    def __init__(self, argv: Sequence[str], environment: Mapping[str, str], cwd: Path | None):
        import crawler.__main__  # noqa: F401  # Scrapy and the spiders: once per caller

        reader, writer = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            os.close(reader)
            _become_crawl(argv, environment, cwd, writer)  # never returns
        os.close(writer)
        self.events = os.fdopen(reader, encoding="utf-8")

    def lines(self) -> Iterator[str]:
        with self.events:
            yield from self.events

    def wait(self) -> int:
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)


def _become_crawl(
    argv: Sequence[str], environment: Mapping[str, str], cwd: Path | None, events: int
) -> None:
    """In the forked child: take the crawl's setting, run it, and exit with its code."""
    code = EXIT_FAILED
    try:
        os.dup2(events, 1)
        os.close(events)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
        os.environ.clear()
        os.environ.update(environment)
        if cwd is not None:
            os.chdir(cwd)
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_DFL)
        logging.root.handlers.clear()  # the caller's log handlers are not the crawl's
        sys.argv = ["python -m crawler", *argv]
        from crawler.__main__ import main, quiet_stdout

        code = main(argv)
        quiet_stdout()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else EXIT_FAILED
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)
