"""A check that saw again what its link's latest snapshot shows is one more sighting of that
snapshot, not a row of its own: the database grows with change, not with time.

After a check run is judged (health.evaluate), each of its snapshots that repeats its target's
latest one — the same outcome, status (a 304 counts as the 2xx of the copy it repeats), final
URL and redirects, the same copy (its own record, or revisited by a 304 or an unchanged
payload: the same payload digest), error and capture note, no text or rendering of its own,
and the same verdict, counted flag and similarity — extends that snapshot instead:
`fetched_at` stays the first sighting, `last_seen_at` and `last_crawl_run_id` become this
check's, `times_seen` counts them, and the check's own row goes. A snapshot judged when there
was no baseline yet (its text then became the baseline) takes the similarity of the checks
that repeat it.

Only checks whose times no state rule reads one by one are folded: good and drifted verdicts
(a link's state reads when a run of them began, how long it is, and the last good time), and
checks that do not count (rate limiting, a degraded night). A counted failure keeps its own
row: confirming death reads the time of each. So every link gets the state it would get with
a row per check.

The evidence stays whole. Every check's records are in the WARC files as before: for a
folded check, a revisit record (WARC-Refers-To: the record id of the copy its snapshot holds
or revisits) after the request and response records of any redirects. `citewatch export`
finds them by that header (archive.revisits) and packs every check; a CDX index of the WARC
files finds each by URL and date (`cdxj-indexer`, as the export runs for WACZ packages); and
`citewatch verify --all` checks every record's digests, whether a row points to it or not.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from health.states import Check
from models import Snapshot
from models.base import batches
from models.kinds import GOOD_VERDICTS, Verdict

NOT_MODIFIED = 304
FOLDED = GOOD_VERDICTS | {Verdict.DRIFTED}  # verdicts whose checks may share a row


def fold_repeats(
    session: Session, run_id: int, snapshots: Sequence[Snapshot], first_id: int
) -> dict[int, Snapshot]:
    """Fold the run's judged snapshots (oldest first) that repeat their target's latest one
    stored before the run's first snapshot (`first_id`) into it; for each target whose check
    was folded, the snapshot that now holds it."""
    fresh = [s for s in snapshots if s.crawl_run_id == run_id]
    if not fresh:
        return {}
    latest = _latest_before(session, run_id, [s.target_id for s in fresh], first_id)
    holding: dict[int, Snapshot] = {}
    folded: list[int] = []
    for check in fresh:
        earlier = latest.get(check.target_id)
        if earlier is not None and repeats(earlier, check):
            earlier.last_seen_at = check.fetched_at
            earlier.last_crawl_run_id = run_id
            earlier.times_seen += check.times_seen
            earlier.similarity = check.similarity
            folded.append(check.id)
            session.expunge(check)
            holding[check.target_id] = earlier
        else:
            latest[check.target_id] = check
            holding.pop(check.target_id, None)
    # One statement per batch: the unit of work would order each deletion against the
    # revisit_of references of every row in the session, seconds per thousand. (The database
    # checks each foreign key to snapshots on deletion: they are indexed, migration 0015.)
    for chunk in batches(folded):
        session.execute(
            delete(Snapshot)
            .where(Snapshot.id.in_(chunk))
            .execution_options(synchronize_session=False)
        )
    session.flush()
    return holding


def checks_of(
    verdict: Verdict, first: datetime, last: datetime, times: int, permanent: bool
) -> list[Check]:
    """The checks a snapshot seen `times` times stands for: the first at its first sighting,
    the others at its last (no state rule reads the times between, see above)."""
    return [Check(verdict, first, permanent)] + [Check(verdict, last, permanent)] * (times - 1)


def repeats(earlier: Snapshot, check: Snapshot) -> bool:
    """Whether a check saw nothing but what an earlier snapshot of its target shows, and was
    judged alike: then it is one more sighting of that snapshot."""
    return (
        (check.verdict in FOLDED or not check.counted)
        and check.text is None  # the copy's text, none of its own
        and check.capture_length is None  # nothing rendered or downloaded of its own
        and (check.revisit_of_id is not None or check.warc_record_id is None)  # no new copy
        and _copy(earlier) == _copy(check)
        and _observed(earlier) == _observed(check)
        and (earlier.verdict, earlier.counted) == (check.verdict, check.counted)
        and earlier.similarity in (None, check.similarity)
        and earlier.checked_at <= check.fetched_at
    )


def _copy(snapshot: Snapshot) -> int | None:
    """The snapshot holding the full record this one holds or revisits (None: no record)."""
    if snapshot.revisit_of_id is not None:
        return snapshot.revisit_of_id
    return snapshot.id if snapshot.warc_record_id is not None else None


def _observed(snapshot: Snapshot) -> tuple[Any, ...]:
    """What a fetch showed, as far as a verdict or a report reads it."""
    status = snapshot.status
    if status == NOT_MODIFIED or (status is not None and 200 <= status < 300):
        status = 200  # the copy it holds or repeats (which the caller compares)
    hops = (snapshot.redirect_chain or [])[:-1]  # the last hop is the final URL and status
    return (
        snapshot.target_id,
        snapshot.outcome,
        status,
        snapshot.final_url,
        hops,
        snapshot.payload_sha256,
        snapshot.error,
        snapshot.capture_note,
    )


def _latest_before(
    session: Session, run_id: int, target_ids: list[int], before_id: int
) -> dict[int, Snapshot]:
    """Each target's latest snapshot stored before the run's first one, from another run."""
    found: dict[int, Snapshot] = {}
    order = (Snapshot.fetched_at.desc(), Snapshot.id.desc())
    for chunk in batches(sorted(set(target_ids))):
        ranked = (
            select(
                Snapshot.id,
                func.row_number().over(partition_by=Snapshot.target_id, order_by=order).label("n"),
            )
            .where(
                Snapshot.target_id.in_(chunk),
                Snapshot.id < before_id,
                or_(Snapshot.crawl_run_id.is_(None), Snapshot.crawl_run_id != run_id),
            )
            .subquery()
        )
        rows = session.scalars(
            select(Snapshot).where(Snapshot.id.in_(select(ranked.c.id).where(ranked.c.n == 1)))
        )
        found.update((snapshot.target_id, snapshot) for snapshot in rows)
    return found
