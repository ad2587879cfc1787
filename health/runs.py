"""What a check run found, counted from its snapshots."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Snapshot
from models.kinds import Verdict
from models.snapshot import checked_in


def verdict_counts(session: Session, run_id: int) -> dict[Verdict | None, int]:
    """Checks per verdict in a crawl run (None: not judged); empty if it fetched nothing."""
    rows = session.execute(
        select(Snapshot.verdict, func.count()).where(checked_in(run_id)).group_by(Snapshot.verdict)
    )
    return dict(rows.all())
