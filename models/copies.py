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

from sqlalchemy import ColumnElement, and_, or_, select
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
    """Each target's copies (targets without a good copy are left out)."""
    by_id = {t.id: t for t in targets}
    good = _held(session, list(by_id), and_(Snapshot.good))
    drifted = [t.id for t in targets if t.state == LinkState.DRIFTED]
    current = _held(session, drifted, or_(Snapshot.preserved, Snapshot.revisit_of_id.is_not(None)))
    found: dict[int, Copies] = {}
    for target_id, snapshots in good.items():
        target = by_id[target_id]
        if target.state == LinkState.DRIFTED:
            cited = min(snapshots, key=lambda s: abs(s.fetched_at - target.first_cited_at))
            latest = current.get(target_id, [])
            found[target_id] = Copies(_payload(cited), _payload(latest[-1]) if latest else None)
        else:
            found[target_id] = Copies(_payload(snapshots[-1]))
    return found


def _held(
    session: Session, target_ids: list[int], criterion: ColumnElement[bool]
) -> dict[int, list[Snapshot]]:
    """Snapshots matching the criterion per target, oldest first."""
    found: dict[int, list[Snapshot]] = {}
    for chunk in batches(sorted(target_ids)):
        rows = session.scalars(
            select(Snapshot)
            .where(Snapshot.target_id.in_(chunk), criterion)
            .options(selectinload(Snapshot.revisit_of))
            .order_by(Snapshot.fetched_at, Snapshot.id)
        )
        for snapshot in rows:
            found.setdefault(snapshot.target_id, []).append(snapshot)
    return found


def _payload(snapshot: Snapshot) -> Snapshot:
    """The snapshot that holds the page's bytes: a revisit's original."""
    return snapshot.revisit_of or snapshot
