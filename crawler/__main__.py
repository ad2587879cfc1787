"""The crawl child process: `python -m crawler SPIDER [name=value ...] [--now ISO]`.

Twisted's reactor cannot be restarted inside a process, so the CLI (and the scheduler) run every
crawl here, in a process of its own. Progress goes to standard output as JSON lines, logs to a
file in the data directory. The exit code is 0 when the spider finished its plan.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from config import ConfigError, from_environment
from crawler.context import CONFIG_SETTING, NOW_SETTING
from crawler.settings import apply_config


def main(argv: Sequence[str] | None = None) -> int:
    """Run one spider to completion; 0 when it finished, 1 otherwise."""
    parser = argparse.ArgumentParser(prog="python -m crawler")
    parser.add_argument("spider")
    parser.add_argument("arguments", nargs="*", help="spider arguments as name=value")
    parser.add_argument("--now", help="start the crawl's clock at this ISO time (tests)")
    args = parser.parse_args(argv)
    try:
        config = from_environment()
    except ConfigError as exc:
        print(f"citewatch: error: {exc}", file=sys.stderr)
        return 3
    logs = config.home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set(CONFIG_SETTING, config, priority="cmdline")
    settings.set("CITEWATCH_EVENTS", True, priority="cmdline")
    settings.set("LOG_FILE", str(logs / f"{args.spider}-{datetime.now(UTC):%Y%m%dT%H%M%S}.log"))
    if args.now:
        settings.set(NOW_SETTING, args.now, priority="cmdline")
    # The resolver is built from these process-wide settings, not the spider's: apply them here.
    apply_config(settings, config, priority="cmdline")
    process = CrawlerProcess(settings)
    reasons: list[str] = []
    crawler = process.create_crawler(args.spider)
    crawler.signals.connect(
        lambda reason, spider: reasons.append(reason), signal=signals.spider_closed, weak=False
    )
    spider_args = dict(argument.split("=", 1) for argument in args.arguments)
    process.crawl(crawler, **spider_args)
    process.start()
    logging.shutdown()
    return 0 if reasons == ["finished"] else 1


if __name__ == "__main__":
    sys.exit(main())
