"""For dead and drifted links, where a copy can still be found; for live ones, a public capture."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from config import Config
from health.memento import MementoError, WaybackClient
from models import Database, Target
from models.kinds import LinkState

log = logging.getLogger(__name__)


@dataclass
class FallbackSummary:
    """What the lookups did."""

    looked_up: int = 0
    found: int = 0
    saved: int = 0
    errors: int = 0


def client_for(config: Config) -> WaybackClient:
    """A Wayback client as the configuration describes it."""
    check = config.check
    return WaybackClient(
        check.memento_endpoint,
        check.save_page_now_endpoint,
        timeout=check.memento_timeout,
        per_minute=check.memento_per_minute,
        proxy=config.crawl.proxy,
        user_agent=config.crawl.user_agent,
    )


def refresh_fallbacks(
    database: Database, config: Config, client: WaybackClient, now: datetime
) -> FallbackSummary:
    """Look up public copies of dead and drifted links (cached), and ask for live captures."""
    summary = FallbackSummary()
    check = config.check
    stale = now - timedelta(days=check.memento_cache_days)
    if check.memento:
        with database.session() as session:
            wanted = session.scalars(
                select(Target).where(
                    Target.state.in_([LinkState.DEAD, LinkState.DRIFTED]),
                    or_(Target.memento_checked_at.is_(None), Target.memento_checked_at < stale),
                )
            ).all()
            for target in wanted:
                summary.looked_up += 1
                try:
                    memento = client.closest(target.canonical_url, target.first_cited_at)
                except MementoError as exc:
                    summary.errors += 1
                    log.warning("memento lookup failed for %s: %s", target.canonical_url, exc)
                    continue
                target.memento_checked_at = now
                if memento is not None:
                    summary.found += 1
                    target.memento_url, target.memento_at = memento.url, memento.captured_at
    if check.save_page_now:
        with database.session() as session:
            live = session.scalars(
                select(Target)
                .where(Target.state == LinkState.ALIVE, Target.memento_url.is_(None))
                .where(or_(Target.memento_checked_at.is_(None), Target.memento_checked_at < stale))
                .limit(check.save_page_now_per_run)
            ).all()
            for target in live:
                try:
                    client.save(target.canonical_url)
                except MementoError as exc:
                    summary.errors += 1
                    log.warning("Save Page Now failed for %s: %s", target.canonical_url, exc)
                    continue
                target.memento_checked_at = now
                summary.saved += 1
    return summary
