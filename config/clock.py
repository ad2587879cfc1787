"""Time is passed in: the real UTC clock, or one that starts at a given moment (tests, replays)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from time import monotonic

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def clock_from(start: str | None) -> Clock:
    """The real clock, or one that starts at an ISO time and runs at real speed."""
    if not start:
        return utc_now
    origin = datetime.fromisoformat(start)
    if origin.tzinfo is None:
        origin = origin.replace(tzinfo=UTC)
    began = monotonic()
    return lambda: origin.astimezone(UTC) + timedelta(seconds=monotonic() - began)
