"""Link states move only on evidence: dead is confirmed over days, never on one bad night."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from health.states import Check, derive_state, is_degraded, next_check, ok_streak
from models.kinds import LinkState, Outcome, Verdict

NIGHT = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
V = Verdict


def nights(
    *verdicts: Verdict | tuple[Verdict, bool], every: timedelta = timedelta(days=1)
) -> list[Check]:
    """One check per night; a failure is permanent-looking unless given as (verdict, False)."""
    checks = []
    for i, item in enumerate(verdicts):
        verdict, permanent = (
            item if isinstance(item, tuple) else (item, item in (V.NOT_FOUND, V.GONE, V.SOFT_404))
        )
        checks.append(Check(verdict, NIGHT + i * every, permanent))
    return checks


def state(checks: list[Check]) -> LinkState:
    return derive_state(checks)[0]


def test_no_checks_is_unknown() -> None:
    assert derive_state([]) == (LinkState.UNKNOWN, None)


def test_alive_and_recovered() -> None:
    assert state(nights(V.OK)) == LinkState.ALIVE
    assert derive_state(nights(V.NOT_FOUND, V.OK, V.REDIRECTED)) == (
        LinkState.ALIVE,
        NIGHT + timedelta(days=1),
    )


def test_one_failure_is_only_suspect() -> None:
    assert derive_state(nights(V.OK, V.NOT_FOUND)) == (LinkState.SUSPECT, NIGHT + timedelta(days=1))


def test_dead_after_three_permanent_failures_over_48_hours() -> None:
    checks = nights(V.OK, V.NOT_FOUND, V.NOT_FOUND, V.GONE)
    assert derive_state(checks) == (LinkState.DEAD, NIGHT + timedelta(days=3))


def test_a_night_run_starting_a_little_early_still_counts_as_a_day_later() -> None:
    early = [Check(V.NOT_FOUND, NIGHT + timedelta(days=i, minutes=-3 * i), True) for i in range(3)]
    assert state(early) == LinkState.DEAD


def test_three_failures_within_48_hours_are_not_enough() -> None:
    checks = nights(V.NOT_FOUND, V.NOT_FOUND, V.NOT_FOUND, every=timedelta(hours=12))
    assert state(checks) == LinkState.SUSPECT
    # The last three checks must span 48 hours: checked twice a day, only the week rule applies.
    twice_a_day = nights(*[V.NOT_FOUND] * 14, every=timedelta(hours=12))
    assert state(twice_a_day) == LinkState.SUSPECT
    assert derive_state([*twice_a_day, Check(V.NOT_FOUND, NIGHT + timedelta(days=7), True)]) == (
        LinkState.DEAD,
        NIGHT + timedelta(days=7),
    )


def test_dns_failures_count_as_permanent() -> None:
    checks = nights((V.UNREACHABLE, True), (V.UNREACHABLE, True), (V.UNREACHABLE, True))
    assert state(checks) == LinkState.DEAD


def test_transient_failures_need_a_week() -> None:
    server_down = [(V.SERVER_ERROR, False)] * 7
    assert state(nights(*server_down)) == LinkState.SUSPECT  # six days apart
    assert derive_state(nights(*server_down, (V.UNREACHABLE, False))) == (
        LinkState.DEAD,
        NIGHT + timedelta(days=7),
    )


def test_mixed_failures_without_three_permanent_in_a_row_need_a_week() -> None:
    mixed = nights(
        V.NOT_FOUND, (V.SERVER_ERROR, False), V.NOT_FOUND, (V.UNREACHABLE, False), V.NOT_FOUND
    )
    assert state(mixed) == LinkState.SUSPECT


def test_a_flapping_host_never_dies() -> None:
    flapping = nights(*[V.NOT_FOUND, V.NOT_FOUND, V.OK] * 10)
    for end in range(1, len(flapping) + 1):
        assert state(flapping[:end]) != LinkState.DEAD


def test_once_dead_stays_dead_while_failing_then_recovers() -> None:
    checks = nights(V.NOT_FOUND, V.NOT_FOUND, V.NOT_FOUND, (V.SERVER_ERROR, False))
    assert derive_state(checks) == (LinkState.DEAD, NIGHT + timedelta(days=2))
    assert state([*checks, Check(V.OK, NIGHT + timedelta(days=9))]) == LinkState.ALIVE


def test_drifted_and_blocked() -> None:
    assert derive_state(nights(V.OK, V.DRIFTED, V.DRIFTED)) == (
        LinkState.DRIFTED,
        NIGHT + timedelta(days=1),
    )
    assert state(nights(V.OK, (V.BLOCKED, False))) == LinkState.SUSPECT
    assert derive_state(nights(V.OK, (V.BLOCKED, False), (V.BLOCKED, False))) == (
        LinkState.BLOCKED,
        NIGHT + timedelta(days=2),
    )


def test_ok_streak() -> None:
    assert ok_streak(nights(V.OK, V.NOT_FOUND, V.OK, V.REDIRECTED)) == 2
    assert ok_streak(nights(V.NOT_FOUND)) == 0


@pytest.mark.parametrize(
    ("state_", "streak", "wait"),
    [
        (LinkState.ALIVE, 1, timedelta(days=1)),
        (LinkState.ALIVE, 2, timedelta(days=2)),
        (LinkState.ALIVE, 3, timedelta(days=4)),
        (LinkState.ALIVE, 9, timedelta(days=7)),
        (LinkState.SUSPECT, 0, timedelta(days=1)),
        (LinkState.DEAD, 0, timedelta(days=7)),
        (LinkState.DRIFTED, 0, timedelta(days=1)),
        (LinkState.BLOCKED, 0, timedelta(days=1)),
        (LinkState.UNKNOWN, 0, timedelta(0)),
    ],
)
def test_adaptive_intervals(state_: LinkState, streak: int, wait: timedelta) -> None:
    due = next_check(state_, streak, NIGHT)
    if state_ == LinkState.UNKNOWN:
        assert due == NIGHT
    else:
        # due a little early, so that the next nightly run picks it up
        assert NIGHT + wait - timedelta(hours=3) < due < NIGHT + wait


def test_outage_guard() -> None:
    down = {f"host{i}.kz": [Outcome.DNS_FAILURE] for i in range(8)}
    up = {f"site{i}.kz": [Outcome.FETCHED] for i in range(2)}
    assert is_degraded({**down, **up})
    assert not is_degraded({**dict(list(down.items())[:2]), **up, "x.kz": [Outcome.FETCHED]})
    assert not is_degraded(
        {"a.kz": [Outcome.TIMEOUT], "b.kz": [Outcome.TIMEOUT]}
    )  # too few hosts to tell
    assert not is_degraded(
        {"a.kz": [Outcome.FETCHED], "b.kz": [Outcome.FETCHED], "c.kz": [Outcome.DNS_FAILURE]}
    )
