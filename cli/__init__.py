"""The `citewatch` command line: `main(argv) -> exit code`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from cli import (
    archive,
    cases,
    database,
    documents,
    evidence,
    feeds,
    fleet,
    health,
    nightly,
    recipients,
    serve,
    sources,
    users,
)
from cli.app import App
from cli.errors import EXIT_CODES, EXIT_USAGE, error_line
from cli.output import say
from config import from_environment
from config.clock import Clock, clock_from, utc_now

log = logging.getLogger(__name__)
COMMAND_MODULES = (
    documents,
    archive,
    health,
    evidence,
    cases,
    sources,
    nightly,
    recipients,
    feeds,
    fleet,
    database,
    users,
    serve,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command registered."""
    parser = argparse.ArgumentParser(
        prog="citewatch",
        description="Archive and watch the web sources cited in human-rights reports.",
    )
    parser.add_argument(
        "--config",
        type=Path,
        help="TOML configuration file (default: $CITEWATCH_CONFIG, ./citewatch.toml)",
    )
    parser.add_argument(
        "--home", type=Path, help="data directory (default: $CITEWATCH_HOME, ./citewatch-data)"
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)"
    )
    parser.add_argument("--now", help=argparse.SUPPRESS)  # start the clock at this time (tests)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None, clock: Clock = utc_now) -> int:
    """Run one command; the exit code says how it ended (see README, "Exit codes")."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    logging.basicConfig(
        level=(logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)],
        format="%(levelname)s %(name)s: %(message)s",
    )
    err = Console(stderr=True)
    app: App | None = None
    try:
        config = from_environment(args.config, args.home)
        if args.now:
            clock = clock_from(args.now)
        app = App(config=config, err=err, clock=clock, now=args.now)
        return int(args.handler(app, args))
    except tuple(EXIT_CODES) as exc:
        say(err, f"citewatch: error: {error_line(exc)}")
        return next(code for kind, code in EXIT_CODES.items() if isinstance(exc, kind))
    except KeyboardInterrupt:
        say(err, "citewatch: interrupted")
        return 130
    finally:
        if app is not None:
            app.close()


if __name__ == "__main__":
    sys.exit(main())
