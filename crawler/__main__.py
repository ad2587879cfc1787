"""The crawl child process: `python -m crawler SPIDER [name=value ...] [--now ISO]`.

Twisted's reactor cannot be restarted inside a process, so the CLI (and the scheduler) run every
crawl here, in a process of its own. Progress goes to standard output as JSON lines, logs to a
file in the data directory. Before anything is fetched the process holds the data directory's
crawl lock (handed down by its parent, or its own) and checks its storage; started by a parent
(`--parent PID`) it dies with it. Exit codes: crawler.launch.EXIT_*; a failure is also an
event, `{"event": "failed", "error": "<one line>"}`.
"""

from __future__ import annotations

# Imported first, from a shallow stack: Scrapy's TLS modules build deprecated-class shims whose
# inspect.stack() call reads the source of every frame above it. From deep inside our own
# imports that costs about a second per crawl process; from here, a tenth of that.
import scrapy.core.downloader.contextfactory  # noqa: F401  # isort: skip

import argparse
import contextlib
import ctypes
import logging
import os
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from sqlalchemy.engine import make_url
from twisted.python.failure import Failure

from config import Config, ConfigError, from_environment
from crawler.context import CONFIG_SETTING, NOW_SETTING, CrawlContext
from crawler.cookies import check_cookie_files
from crawler.launch import (
    EXIT_FAILED,
    EXIT_FINISHED,
    EXIT_NOT_STARTED,
    EXIT_STOPPED,
    CrawlLock,
    CrawlNotStarted,
    check_storage,
)
from crawler.progress import emit
from crawler.settings import apply_config

PR_SET_PDEATHSIG = 1  # linux/prctl.h
PR_SET_NAME = 15


def main(argv: Sequence[str] | None = None) -> int:
    """Run one spider to completion; the exit code says how it ended (crawler.launch)."""
    parser = argparse.ArgumentParser(prog="python -m crawler")
    parser.add_argument("spider")
    parser.add_argument("arguments", nargs="*", help="spider arguments as name=value")
    parser.add_argument("--now", help="start the crawl's clock at this ISO time (tests)")
    parser.add_argument("--lock-fd", type=int, help="the crawl lock, held by the parent")
    parser.add_argument("--parent", type=int, help="the parent's pid: die with it")
    args = parser.parse_args(argv)
    if not die_with_parent(args.parent):
        return EXIT_STOPPED
    name_process(f"crawl {args.spider}")
    # A full disk fails every log write too: never a traceback per log line on stderr.
    logging.raiseExceptions = False
    try:
        config = from_environment()
    except ConfigError as exc:
        print(f"citewatch: error: {exc}", file=sys.stderr)
        return 3
    try:
        lock = (
            CrawlLock.inherit(args.lock_fd)
            if args.lock_fd is not None
            else CrawlLock.acquire(config.home, f"python -m crawler {args.spider}")
        )
        check_storage(storage_directories(config), config.crawl.min_free_mb)
        check_cookie_files(config.crawl)  # a capture account's cookies, read before any fetch
    except CrawlNotStarted as exc:
        return failed(args.parent, EXIT_NOT_STARTED, str(exc), "not_started")
    try:
        return crawl(args, config)
    finally:
        lock.close()


def crawl(args: argparse.Namespace, config: Config) -> int:
    """The Scrapy crawl itself."""
    logs = config.home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set(CONFIG_SETTING, config, priority="cmdline")
    settings.set("CITEWATCH_EVENTS", True, priority="cmdline")
    settings.set("LOG_FILE", str(logs / f"{args.spider}-{datetime.now(UTC):%Y%m%dT%H%M%S}.log"))
    if args.now:
        settings.set(NOW_SETTING, args.now, priority="cmdline")
    # The one route for the configuration into Scrapy: every component reads these settings.
    apply_config(settings, config, priority="cmdline")
    process = CrawlerProcess(settings)
    reasons: list[str] = []
    crawler = process.create_crawler(args.spider)
    crawler.signals.connect(
        lambda reason, spider: reasons.append(reason), signal=signals.spider_closed, weak=False
    )
    spider_args = dict(argument.split("=", 1) for argument in args.arguments)
    crashes: list[str] = []
    process.crawl(crawler, **spider_args).addErrback(crashed, crashes)
    process.start()
    logging.shutdown()
    if crashes:
        return failed(args.parent, EXIT_FAILED, f"the crawl crashed: {crashes[0]}", "crashed")
    context = CrawlContext.existing(crawler)
    failure = context.failure if context is not None else None
    if failure is not None:
        run = context.run_id if context is not None else None
        extra = {"run": run, "recorded": failure.recorded}
        return failed(args.parent, EXIT_FAILED, failure.error, "storage_failed", extra)
    return EXIT_FINISHED if reasons == ["finished"] else EXIT_STOPPED


def crashed(failure: Failure, crashes: list[str]) -> None:
    """An error that ended the crawl outside every spider callback: logged, and said in one line
    (never left to a garbage collector that an exiting process does not wait for)."""
    error = failure.value
    assert error is not None
    logging.getLogger(__name__).error("the crawl crashed", exc_info=error)
    crashes.append(f"{type(error).__name__}: {error}")


def storage_directories(config: Config) -> list[Path]:
    """Where a crawl writes: the data directory (logs), the WARC files, a SQLite database."""
    directories = [config.home, config.warc_directory]
    url = make_url(config.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        directories.append(Path(str(url.database)).expanduser().resolve().parent)
    return directories


def failed(
    parent: int | None, code: int, error: str, reason: str, extra: dict[str, Any] | None = None
) -> int:
    """Say why the crawl failed: an event for the parent, or a line for whoever ran it."""
    line = " ".join(error.split())
    with contextlib.suppress(OSError):  # the parent may be gone
        emit({"event": "failed", "reason": reason, "error": line, **(extra or {})})
    if parent is None:
        print(f"citewatch: error: {line}", file=sys.stderr)
    return code


def die_with_parent(parent: int | None) -> bool:
    """Have the kernel send SIGTERM when the parent dies, `kill -9` included (Linux); False if
    it already has (this process would be an orphan nobody waits for)."""
    if parent is None:
        return True
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    return os.getppid() == parent


def name_process(name: str) -> None:
    """The name `ps` and `top` show for this process (Linux, 15 bytes): a crawl forked from the
    CLI would otherwise pass for the CLI."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0)


def quiet_stdout() -> None:
    """Flush the events; if the parent is gone, drop them instead of dying with a traceback."""
    try:
        sys.stdout.flush()
    except OSError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":
    code = main()
    quiet_stdout()
    sys.exit(code)
