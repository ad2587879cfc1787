"""Crontab expressions as APScheduler 3 triggers, with cron's day-of-week numbers.

APScheduler 3 counts days of the week from Monday = 0, while crontab counts from Sunday = 0 (and
7): "1-5" would mean Tuesday to Saturday. Numbers are therefore turned into day names first.
"""

from __future__ import annotations

from datetime import tzinfo

from apscheduler.triggers.cron import CronTrigger

DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def cron_trigger(expression: str, zone: tzinfo | None = None) -> CronTrigger:
    """The trigger of a five-field crontab expression; ValueError if it is not one."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(
            f"expected 5 fields (minute hour day month day-of-week), got {len(fields)}"
        )
    minute, hour, day, month, day_of_week = fields
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=_day_names(day_of_week),
        timezone=zone,
    )


def _day_names(field: str) -> str:
    if not any(c.isdigit() for c in field):
        return field
    names: list[str] = []
    for part in field.split(","):
        spec, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if spec == "*":
            low, high = 0, 6
        elif "-" in spec:
            low, high = (int(n) for n in spec.split("-", 1))
        else:
            low = int(spec)
            high = 6 if step_text else low
        if not 0 <= low <= high <= 7 or step < 1:
            raise ValueError(f"day of week {part!r} is not within 0-7 (0 and 7 are Sunday)")
        names += [DAY_NAMES[day] for day in range(low, high + 1, step)]
    return ",".join(dict.fromkeys(names))
