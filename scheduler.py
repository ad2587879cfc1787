"""The scheduler: APScheduler 3 runs the nightly cycle on the configured cron and time zone.

One instance at a time (max_instances=1, and the cycle's own lock), missed runs coalesced into
one, a grace time for misfires (the machine was asleep at 02:00), jobs rebuilt from the
configuration at every start (no job store), clean shutdown on SIGTERM and SIGINT: the running
step finishes, and a crawl cut short resumes next time.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from config import ScheduleConfig
from config.cron import cron_trigger

JOB_ID = "nightly"


def nightly_trigger(schedule: ScheduleConfig) -> CronTrigger:
    """The cron trigger of the configured schedule, in its time zone."""
    return cron_trigger(schedule.cron, ZoneInfo(schedule.timezone))


def next_run(schedule: ScheduleConfig, after: datetime) -> datetime | None:
    """When the nightly cycle is next due, strictly after `after`."""
    trigger = nightly_trigger(schedule)
    fire: datetime | None = trigger.get_next_fire_time(None, after + timedelta(microseconds=1))
    return fire


def misfired(scheduled: datetime, now: datetime, schedule: ScheduleConfig) -> bool:
    """Whether a run due at `scheduled` is too late to start at `now` (and is skipped)."""
    return now - scheduled > timedelta(minutes=schedule.misfire_grace_minutes)


def build_scheduler(
    schedule: ScheduleConfig, job: Callable[[], Any], trigger: BaseTrigger | None = None
) -> BackgroundScheduler:
    """A scheduler with the nightly job added (not started)."""
    scheduler = BackgroundScheduler(timezone=ZoneInfo(schedule.timezone))
    scheduler.add_job(
        job,
        trigger or nightly_trigger(schedule),
        id=JOB_ID,
        name="citewatch nightly cycle",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=schedule.misfire_grace_minutes * 60,
        replace_existing=True,
    )
    return scheduler


def run_in_foreground(
    scheduler: BaseScheduler, on_stop: Callable[[str], None], ready: Callable[[], None]
) -> None:
    """Run until SIGTERM or SIGINT, then wait for a running job to finish. `ready` is called
    once the signals are handled and the scheduler runs."""
    stopped = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        on_stop(signal.Signals(signum).name)
        stopped.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        scheduler.start()
        ready()
        while not stopped.wait(1.0):  # wake up now and then: signals are handled between waits
            pass
        scheduler.shutdown(wait=True)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
