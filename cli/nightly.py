"""Commands of day-to-day operation: nightly, runs, schedule, alerts test/send."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from alerts.delivery import send_test_message
from alerts.mailer import DeliveryError
from alerts.subscriptions import SubscriptionError, find_recipient
from cli.app import App
from cli.errors import CommandError
from cli.output import FORMATS, Column, list_rows, say
from config.clock import utc_now
from models import Database, JobRun
from nightly.cycle import CycleBusy, run_cycle, send_digest
from nightly.runs import recent_job_runs
from scheduler import build_scheduler, next_run, run_in_foreground

if TYPE_CHECKING:
    from fleet.coordinator import Progress

RUN_COLUMNS = (
    Column("cycle", "#", {"no_wrap": True}),
    Column("step", "Step", {"no_wrap": True}),
    Column("started_at", "Started (UTC)", {"no_wrap": True}),
    Column("status", "Status", {"no_wrap": True}),
    Column("summary", "What happened", {"overflow": "fold"}),
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's commands to the CLI."""
    nightly = commands.add_parser(
        "nightly", help="the nightly cycle: archive, check, watch, send the digest"
    )
    _distributed_option(nightly)
    nightly.set_defaults(handler=cmd_nightly)

    runs = commands.add_parser("runs", help="past nightly cycles, step by step")
    runs.add_argument("--limit", type=int, default=10, help="cycles to show (default 10)")
    runs.add_argument("--format", choices=FORMATS, default="table")
    runs.set_defaults(handler=cmd_runs)

    schedule = commands.add_parser(
        "schedule", help="run the nightly cycle on the configured schedule, in the foreground"
    )
    _distributed_option(schedule)
    schedule.set_defaults(handler=cmd_schedule)

    alerts = commands.add_parser("alerts", help="alert digests: e-mail, channels, webhooks")
    sub = alerts.add_subparsers(dest="alerts_command", required=True, metavar="COMMAND")
    test = sub.add_parser(
        "test", help="send a test message to [alerts] recipients, or to one recipient (--to)"
    )
    test.add_argument(
        "--to", metavar="RECIPIENT", help="a recipient's address or channel, in their language"
    )
    test.set_defaults(handler=cmd_alerts_test)
    sub.add_parser("send", help="send the digest of unsent events now").set_defaults(
        handler=cmd_alerts_send
    )


def _distributed_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--distributed",
        action="store_true",
        help="queue the archive and check crawls for `citewatch worker`s and wait (PostgreSQL)",
    )


def _progress_printer(app: App, every: float) -> Callable[[Progress], None]:
    """Progress lines on standard error, at most one per `every` seconds (and the last)."""
    last = [0.0]

    def show(state: Progress) -> None:
        now = time.monotonic()
        if now - last[0] >= every or state.fetched >= state.planned:
            last[0] = now
            say(app.err, f"  {state.line()}")

    return show


def cmd_nightly(app: App, args: argparse.Namespace) -> int:
    """citewatch nightly"""
    app.database  # noqa: B018  (the schema is current before the steps start)

    def report(job: JobRun) -> None:
        say(app.out, f"{job.step}: {job.status} {_summary(job.counts)}".rstrip())
        if job.error:
            say(app.err, f"  {job.step}: {job.error}")

    try:
        jobs = run_cycle(
            app.config,
            app.clock,
            app.now,
            on_step=report,
            on_progress=_progress_printer(app, 5) if args.distributed else None,
        )
    except CycleBusy as exc:
        raise CommandError(str(exc)) from None
    failed = [job.step for job in jobs if job.status == "failed"]
    if failed:
        say(app.err, f"cycle {jobs[0].cycle}: {', '.join(failed)} failed (see `citewatch runs`)")
        return 1
    return 0


def cmd_runs(app: App, args: argparse.Namespace) -> int:
    """citewatch runs [--limit N] [--format table|csv|json]"""
    with app.database.session() as session:
        rows = [_run_row(job) for job in recent_job_runs(session, args.limit)]
    list_rows(
        app.out,
        app.err,
        rows,
        args.format,
        RUN_COLUMNS,
        "No nightly cycle has run yet: `citewatch nightly` runs one.",
        title="Nightly cycles",
    )
    return 0


def cmd_schedule(app: App, args: argparse.Namespace) -> int:
    """citewatch schedule: the scheduler in the foreground, until SIGTERM or Ctrl-C."""
    app.database  # noqa: B018
    schedule = app.config.schedule

    def job() -> None:
        try:
            progress = _progress_printer(app, 60) if args.distributed else None
            jobs = run_cycle(app.config, utc_now, on_progress=progress)
        except CycleBusy as exc:
            say(app.err, f"skipped: {exc}")
            return
        statuses = ", ".join(f"{j.step} {j.status}" for j in jobs)
        say(app.out, f"cycle {jobs[0].cycle} done: {statuses}")
        _announce_next(app)

    scheduler = build_scheduler(schedule, job)
    run_in_foreground(
        scheduler,
        lambda name: say(app.err, f"{name}: stopping after the running step"),
        lambda: _announce_next(app),
    )
    say(app.err, "scheduler stopped")
    return 0


def _announce_next(app: App) -> None:
    schedule = app.config.schedule
    upcoming = next_run(schedule, datetime.now(UTC))
    say(
        app.out,
        f"next nightly cycle: {upcoming:%Y-%m-%d %H:%M %Z} "
        f"(cron {schedule.cron!r}, {schedule.timezone})",
    )


def cmd_alerts_test(app: App, args: argparse.Namespace) -> int:
    """citewatch alerts test [--to RECIPIENT]"""
    try:
        if args.to:
            with app.database.session() as session:
                recipient = find_recipient(session, args.to)
                session.expunge(recipient)
        else:
            recipient = None
        where = send_test_message(app.config, app.clock(), recipient)
    except (DeliveryError, SubscriptionError) as exc:
        raise CommandError(str(exc)) from None
    say(app.out, f"Test message sent to {where}.")
    return 0


def cmd_alerts_send(app: App, args: argparse.Namespace) -> int:
    """citewatch alerts send: the digest step on its own."""
    database: Database = app.database
    result = send_digest(database, app.config, app.clock, app.now)
    say(app.out, f"digest: {result.status} {_summary(result.counts)}".rstrip())
    if result.error:
        say(app.err, f"  {result.error}")
    return 1 if result.status == "failed" else 0


def _summary(counts: dict[str, Any]) -> str:
    return ", ".join(f"{key} {value}" for key, value in counts.items())


def _run_row(job: JobRun) -> dict[str, Any]:
    seconds = (job.finished_at - job.started_at).total_seconds() if job.finished_at else None
    return {
        "cycle": job.cycle,
        "step": job.step,
        "started_at": job.started_at.strftime("%Y-%m-%d %H:%M"),
        "finished_at": job.finished_at.isoformat(timespec="seconds") if job.finished_at else None,
        "seconds": round(seconds, 1) if seconds is not None else None,
        "status": job.status,
        "counts": job.counts,
        "summary": "; ".join(p for p in (_summary(job.counts), job.error or "") if p),
        "error": job.error,
    }
