"""The alert ledger: events are written when detected, apart from their delivery."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from health.evaluate import RunHealth
from models import AlertEvent, CaseUpdate
from models.kinds import EventKind, LinkState

# Link state changes worth a message: confirmed death, drift, and coming back from either.
LINK_EVENTS = {LinkState.DEAD: EventKind.LINK_DEAD, LinkState.DRIFTED: EventKind.LINK_DRIFTED}
RECOVERED_FROM = {LinkState.DEAD, LinkState.DRIFTED}


def record_link_events(session: Session, health: RunHealth, now: datetime) -> int:
    """One event per link that died, drifted or recovered in this run; none for a degraded run
    (a network outage is not news about the links)."""
    if health.degraded:
        return 0
    count = 0
    for change in health.transitions:
        kind = LINK_EVENTS.get(change.after)
        if kind is None and change.after == LinkState.ALIVE and change.before in RECOVERED_FROM:
            kind = EventKind.LINK_RECOVERED
        if kind is None:
            continue
        session.add(
            AlertEvent(
                kind=kind,
                detected_at=now,
                target_id=change.target_id,
                crawl_run_id=health.run_id,
                since=change.since,
            )
        )
        count += 1
    return count


def record_case_events(session: Session, updates: list[CaseUpdate], now: datetime) -> int:
    """One event per new case update; how many."""
    for update in updates:
        session.add(
            AlertEvent(
                kind=EventKind.CASE_UPDATE,
                detected_at=now,
                target_id=update.target_id,
                case_update_id=update.id,
            )
        )
    return len(updates)
