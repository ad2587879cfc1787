"""A state per link that only moves on evidence, and when to look at it again.

The state is a pure function of the link's counted checks (oldest first): a link is dead only
after repeated failures on different days, never on one bad night.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from health.verdicts import CONNECTION_FAILURES, GOOD
from models.kinds import LinkState, Outcome, Verdict

# Nightly runs start at slightly different times: a link due "in 24 hours" must be due the next
# night even if that run starts a few minutes earlier than the last one.
DUE_SLACK = timedelta(hours=2)
# For the same reason "48 hours apart" allows the hour a night's run may start early.
SPAN_TOLERANCE = timedelta(hours=1)


@dataclass(frozen=True)
class Check:
    """A counted check: its verdict, when, and whether the failure looked permanent."""

    verdict: Verdict
    at: datetime
    permanent: bool = False


@dataclass(frozen=True)
class Thresholds:
    """How much evidence each state needs (all configurable, see [check] in the README)."""

    dead_after: int = 3  # failing checks in a row
    dead_min_span: timedelta = timedelta(hours=48)  # first to last of them, permanent failures
    transient_dead_after: timedelta = timedelta(days=7)  # failing for this long, whatever kind
    blocked_after: int = 2  # blocked checks in a row


def derive_state(
    history: Sequence[Check], thresholds: Thresholds = Thresholds()
) -> tuple[LinkState, datetime | None]:
    """The link's state and since when it has held, from its counted checks (oldest first)."""
    if not history:
        return LinkState.UNKNOWN, None
    last = history[-1].verdict
    if last in GOOD:
        return LinkState.ALIVE, history[-_trailing(history, GOOD)].at
    if last == Verdict.DRIFTED:
        return LinkState.DRIFTED, history[-_trailing(history, {Verdict.DRIFTED})].at
    failing = history[len(history) - _trailing(history, set(Verdict) - GOOD - {Verdict.DRIFTED}) :]
    for end in range(len(failing)):
        if _confirms_death(failing, end, thresholds):
            return LinkState.DEAD, failing[end].at
    blocked = _trailing(history, {Verdict.BLOCKED})
    if blocked >= thresholds.blocked_after:
        return LinkState.BLOCKED, history[len(history) - blocked + thresholds.blocked_after - 1].at
    return LinkState.SUSPECT, failing[0].at


def _confirms_death(failing: Sequence[Check], end: int, thresholds: Thresholds) -> bool:
    """Whether the failures up to `end` confirm death: the last N all permanent and spread over
    48 hours, or failing for a week whatever the kind."""
    count = thresholds.dead_after
    if end + 1 >= count:
        recent = failing[end + 1 - count : end + 1]
        span = recent[-1].at - recent[0].at + SPAN_TOLERANCE
        if all(c.permanent for c in recent) and span >= thresholds.dead_min_span:
            return True
        return failing[end].at - failing[0].at + SPAN_TOLERANCE >= thresholds.transient_dead_after
    return False


def _trailing(history: Sequence[Check], verdicts: set[Verdict] | frozenset[Verdict]) -> int:
    """How many of the latest checks in a row have one of these verdicts."""
    count = 0
    for check in reversed(history):
        if check.verdict not in verdicts:
            break
        count += 1
    return count


def ok_streak(history: Sequence[Check]) -> int:
    """How many good checks in a row the link has just had."""
    return _trailing(history, GOOD)


@dataclass(frozen=True)
class Intervals:
    """How often to look at a link in each state."""

    base: timedelta = timedelta(hours=24)
    max_alive: timedelta = timedelta(days=7)  # alive links back off: 1, 2, 4, then 7 days
    # Nightly: three permanent failures then span the 48 hours that confirm death.
    suspect: timedelta = timedelta(hours=24)
    dead: timedelta = timedelta(days=7)  # a dead link may come back


def next_check(
    state: LinkState, streak: int, checked_at: datetime, intervals: Intervals = Intervals()
) -> datetime:
    """When the link is next due: suspect links soon, long-alive ones rarely."""
    if state == LinkState.ALIVE:
        wait: timedelta = min(intervals.base * 2 ** max(streak - 1, 0), intervals.max_alive)
    elif state == LinkState.SUSPECT:
        wait = intervals.suspect
    elif state == LinkState.DEAD:
        wait = intervals.dead
    elif state == LinkState.UNKNOWN:
        return checked_at
    else:
        wait = intervals.base
    return checked_at + wait - DUE_SLACK


def is_degraded(
    outcomes_by_host: Mapping[str, Sequence[Outcome]], share: float = 0.5, min_hosts: int = 3
) -> bool:
    """Most hosts failed at the connection level in one run: the local network is down, so none
    of the run's failures count against the links."""
    if len(outcomes_by_host) < min_hosts:
        return False
    failed = sum(
        1
        for outcomes in outcomes_by_host.values()
        if outcomes and all(o in CONNECTION_FAILURES for o in outcomes)
    )
    return failed / len(outcomes_by_host) > share
