""" "Our copy": the archived copy of a source that a researcher is offered, in every report,
e-mail and command.

It is always a good copy (models.snapshot.Snapshot.good): a page judged to be the source as
cited, never a not-found page, an error page, a login wall or a front page reached by redirect.
For a live link it is the latest good copy; for a drifted link, the good copy closest to the
date it was cited, with the current (drifted) page offered beside it. A check that repeated an
earlier copy (a 304, an unchanged payload) offers that copy: it holds the bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from models.base import batches
from models.document import Target
from models.kinds import LinkState
from models.snapshot import Snapshot


@dataclass(frozen=True)
class Copies:
    """A target's copy as cited, and for a drifted link the page as it is now."""

    cited: Snapshot | None
    current: Snapshot | None = None


def our_copies(session: Session, targets: Sequence[Target]) -> dict[int, Copies]:
    """Each target's copies (targets without a good copy are left out).

    The choice is made on (id, time) rows; only the chosen snapshots are loaded whole, so a
    document whose thousand sources hold ten thousand snapshots loads a thousand or two."""
    by_id = {t.id: t for t in targets}
    drifted = [t.id for t in targets if t.state == LinkState.DRIFTED]
    others = [target_id for target_id in by_id if by_id[target_id].state != LinkState.DRIFTED]
    chosen: dict[int, tuple[int, int | None]] = {
        target_id: (latest, None) for target_id, latest in _latest(session, others).items()
    }
    good = _held(session, drifted, and_(Snapshot.good))
    current = _held(session, drifted, or_(Snapshot.preserved, Snapshot.revisit_of_id.is_not(None)))
    for target_id, held in good.items():
        target = by_id[target_id]
        cited = min(held, key=lambda h: abs(h[1] - target.first_cited_at))[0]
        latest = current.get(target_id, [])
        chosen[target_id] = (cited, latest[-1][0] if latest else None)
    loaded = _load(session, [i for pair in chosen.values() for i in pair if i is not None])
    return {
        target_id: Copies(
            _payload(loaded[cited]), _payload(loaded[now]) if now is not None else None
        )
        for target_id, (cited, now) in chosen.items()
    }


def sightings(session: Session, snapshot_ids: Sequence[int]) -> dict[int, tuple[datetime, int]]:
    """For each of these copies: the last fetch that found it (its capture, or a check that
    repeated it: a 304 or the same payload) and how many did."""
    found: dict[int, tuple[datetime, int]] = {}
    copy = func.coalesce(Snapshot.revisit_of_id, Snapshot.id)
    for chunk in batches(sorted(set(snapshot_ids))):
        rows = session.execute(
            select(copy, func.max(Snapshot.checked_at), func.sum(Snapshot.times_seen))
            .where(or_(Snapshot.id.in_(chunk), Snapshot.revisit_of_id.in_(chunk)))
            .group_by(copy)
        )
        found.update((snapshot_id, (last, int(times))) for snapshot_id, last, times in rows)
    return found


def _latest(session: Session, target_ids: list[int]) -> dict[int, int]:
    """The id of each target's latest good snapshot, ranked in SQL (one row per target)."""
    found: dict[int, int] = {}
    for chunk in batches(sorted(target_ids)):
        order = (Snapshot.fetched_at.desc(), Snapshot.id.desc())
        ranked = (
            select(
                Snapshot.target_id,
                Snapshot.id,
                func.row_number().over(partition_by=Snapshot.target_id, order_by=order).label("n"),
            )
            .where(Snapshot.target_id.in_(chunk), and_(Snapshot.good))
            .subquery()
        )
        rows = session.execute(select(ranked.c.target_id, ranked.c.id).where(ranked.c.n == 1))
        found.update((target_id, snapshot_id) for target_id, snapshot_id in rows)
    return found


def _held(
    session: Session, target_ids: list[int], criterion: ColumnElement[bool]
) -> dict[int, list[tuple[int, datetime]]]:
    """The (id, fetched_at) of the snapshots matching the criterion, per target, oldest first."""
    found: dict[int, list[tuple[int, datetime]]] = {}
    for chunk in batches(sorted(target_ids)):
        rows = session.execute(
            select(Snapshot.target_id, Snapshot.id, Snapshot.fetched_at)
            .where(Snapshot.target_id.in_(chunk), criterion)
            .order_by(Snapshot.fetched_at, Snapshot.id)
        )
        for target_id, snapshot_id, fetched_at in rows:
            found.setdefault(target_id, []).append((snapshot_id, fetched_at))
    return found


def _load(session: Session, snapshot_ids: list[int]) -> dict[int, Snapshot]:
    """The snapshots themselves, with the originals of revisits."""
    loaded: dict[int, Snapshot] = {}
    for chunk in batches(sorted(set(snapshot_ids))):
        rows = session.scalars(
            select(Snapshot)
            .where(Snapshot.id.in_(chunk))
            .options(selectinload(Snapshot.revisit_of))
        )
        loaded.update((snapshot.id, snapshot) for snapshot in rows)
    return loaded


def _payload(snapshot: Snapshot) -> Snapshot:
    """The snapshot that holds the page's bytes: a revisit's original."""
    return snapshot.revisit_of or snapshot
