"""The scheduler: when the nightly cycle is due, misfires, and the job run by APScheduler."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.interval import IntervalTrigger

from config import ScheduleConfig
from config.cron import cron_trigger
from scheduler import build_scheduler, misfired, next_run

ALMATY = ZoneInfo("Asia/Almaty")


def test_the_default_schedule_is_two_in_the_morning_in_almaty() -> None:
    schedule = ScheduleConfig()
    after = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    assert next_run(schedule, after) == datetime(2025, 3, 2, 2, 0, tzinfo=ALMATY)
    # exactly at the due time: the next one is a day later
    due = datetime(2025, 3, 2, 2, 0, tzinfo=ALMATY)
    assert next_run(schedule, due) == due + timedelta(days=1)


def test_cron_and_time_zone_come_from_the_configuration() -> None:
    schedule = ScheduleConfig(cron="30 23 * * 1-5", timezone="Europe/Berlin")
    friday_night = datetime(2025, 3, 7, 23, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert next_run(schedule, friday_night) == datetime(
        2025, 3, 7, 23, 30, tzinfo=ZoneInfo("Europe/Berlin")
    )
    saturday = datetime(2025, 3, 8, 0, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert next_run(schedule, saturday) == datetime(
        2025, 3, 10, 23, 30, tzinfo=ZoneInfo("Europe/Berlin")
    )


def test_a_run_missed_by_more_than_the_grace_time_is_a_misfire() -> None:
    schedule = ScheduleConfig(misfire_grace_minutes=60)
    due = datetime(2025, 3, 2, 2, 0, tzinfo=ALMATY)
    assert not misfired(due, due + timedelta(minutes=59), schedule)
    assert misfired(due, due + timedelta(minutes=61), schedule)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"cron": "61 * * * *"}, "cron"),
        ({"cron": "every night"}, "cron"),
        ({"timezone": "Mars/Olympus"}, "time zone"),
        ({"misfire_grace_minutes": 0}, "misfire_grace_minutes"),
    ],
)
def test_garbage_schedules_are_refused(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ScheduleConfig(**settings)  # type: ignore[arg-type]


def test_the_job_runs_on_its_trigger_one_instance_at_a_time() -> None:
    running, most, calls = 0, 0, 0
    lock = threading.Lock()

    def slow_job() -> None:
        nonlocal running, most, calls
        with lock:
            running += 1
            calls += 1
            most = max(most, running)
        time.sleep(0.35)
        with lock:
            running -= 1

    scheduler = build_scheduler(ScheduleConfig(), slow_job, IntervalTrigger(seconds=0.1))
    scheduler.start()
    try:
        time.sleep(1.2)
    finally:
        scheduler.shutdown(wait=True)
    assert calls >= 2  # it ran, again and again
    assert most == 1  # never two at once: the overlapping runs were skipped, not stacked
    assert running == 0  # shutdown waited for the running job


@pytest.mark.parametrize(
    ("field", "days"),
    [("1-5", "mon,tue,wed,thu,fri"), ("0", "sun"), ("7", "sun"), ("*/2", "sun,tue,thu,sat")],
)
def test_days_of_the_week_count_from_sunday_as_in_crontab(field: str, days: str) -> None:
    trigger = cron_trigger(f"0 2 * * {field}")
    assert str(trigger.fields[4]) == days
