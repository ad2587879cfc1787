"""Checks that saw the same again share a row: which ones may, and why no link's state moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from health.sightings import FOLDED, checks_of, repeats
from health.states import Check, derive_state, ok_streak
from health.verdicts import GOOD, PERMANENT
from models import Snapshot
from models.kinds import Outcome, Verdict

NIGHT = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
DIGEST = "a" * 64


def snapshot(**changes: Any) -> Snapshot:
    """A 200 of the page whose full record is snapshot 1's, judged ok."""
    fields: dict[str, Any] = {
        "id": 2,
        "target_id": 7,
        "crawl_run_id": 2,
        "fetched_at": NIGHT + timedelta(days=1),
        "outcome": Outcome.FETCHED,
        "status": 200,
        "final_url": "https://vlast.kz/novosti/1.html",
        "redirect_chain": [{"url": "https://vlast.kz/novosti/1.html", "status": 200, "via": None}],
        "payload_sha256": DIGEST,
        "warc_record_id": "<urn:uuid:2>",
        "revisit_of_id": 1,
        "verdict": Verdict.OK,
        "counted": True,
        "similarity": 1.0,
        "times_seen": 1,
    }
    return Snapshot(**{**fields, **changes})


EARLIER = snapshot(id=1, crawl_run_id=1, fetched_at=NIGHT, revisit_of_id=None, text="Текст")


@pytest.mark.parametrize(
    ("check", "same"),
    [
        (snapshot(), True),  # the same payload again: a revisit of the copy
        (snapshot(status=304, redirect_chain=[EARLIER.redirect_chain[-1] | {"status": 304}]), True),
        (snapshot(status=404, verdict=Verdict.NOT_FOUND), False),
        (snapshot(verdict=Verdict.REDIRECTED), False),
        (snapshot(similarity=0.9), False),  # measured against another baseline
        (snapshot(revisit_of_id=None), False),  # a new full record: a new copy
        (snapshot(text="Другой текст"), False),  # rendered again: text of its own
        (snapshot(capture_length=4096), False),  # a screenshot or video of its own
        (snapshot(final_url="https://vlast.kz/"), False),
        (snapshot(error="extraction: timed out"), False),
        (snapshot(fetched_at=NIGHT - timedelta(days=1)), False),  # not after it
    ],
)
def test_which_checks_repeat_a_snapshot(check: Snapshot, same: bool) -> None:
    assert repeats(EARLIER, check) is same


def test_a_snapshot_judged_before_there_was_a_baseline_takes_the_checks_similarity() -> None:
    assert repeats(snapshot(id=1, similarity=None, revisit_of_id=None), snapshot(id=3))


def failure(**changes: Any) -> tuple[Snapshot, Snapshot]:
    """The same 404 page on two nights: the first a full record, the second a revisit of it."""
    common = {"status": 404, "verdict": Verdict.NOT_FOUND, "similarity": None, **changes}
    return snapshot(id=1, revisit_of_id=None, fetched_at=NIGHT, **common), snapshot(**common)


def test_a_counted_failure_keeps_its_own_row() -> None:
    assert not repeats(*failure())


def test_a_failure_that_does_not_count_may_share_a_row() -> None:
    assert repeats(*failure(counted=False))


# -- no state moves -------------------------------------------------------------------------

VERDICTS = st.sampled_from(list(Verdict))


@given(
    st.lists(
        st.tuples(VERDICTS, st.lists(st.tuples(st.integers(-600, 600), st.booleans()), min_size=1)),
        max_size=12,
    )
)
def test_a_history_of_shared_rows_gives_every_link_the_same_state(
    runs: list[tuple[Verdict, list[tuple[int, bool]]]],
) -> None:
    """Any grouping of consecutive checks that sharing a row allows (the same folded verdict)
    gives the state, since when, streak and last good time of one row per check. Runs of one
    verdict on consecutive nights, each night a few minutes early or late, each night joining
    the row before it or not."""
    nights = [(verdict, *night) for verdict, run in runs for night in run]
    checks = [
        Check(verdict, NIGHT + timedelta(days=i, seconds=jitter), verdict in PERMANENT)
        for i, (verdict, jitter, _) in enumerate(nights)
    ]
    rows: list[list[Check]] = []
    for check, (_, _, join) in zip(checks, nights, strict=True):
        if rows and join and check.verdict in FOLDED and rows[-1][-1].verdict == check.verdict:
            rows[-1].append(check)
        else:
            rows.append([check])
    shared = [
        expanded
        for row in rows
        for expanded in checks_of(row[0].verdict, row[0].at, row[-1].at, len(row), row[0].permanent)
    ]
    assert derive_state(shared) == derive_state(checks)
    assert ok_streak(shared) == ok_streak(checks)
    good = [c.at for c in checks if c.verdict in GOOD]
    assert [c.at for c in shared if c.verdict in GOOD][-1:] == good[-1:]


def test_checks_of_a_row_seen_three_times() -> None:
    first, last = NIGHT, NIGHT + timedelta(days=2)
    assert checks_of(Verdict.OK, first, last, 3, False) == [
        Check(Verdict.OK, first),
        Check(Verdict.OK, last),
        Check(Verdict.OK, last),
    ]
