"""Targets, shared by every document that cites them: created in bulk, looked up, listed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models.base import batches
from models.document import Citation, Target
from models.snapshot import Snapshot


def url_hash(canonical_url: str) -> str:
    """The key a target is unique on (URLs may be too long to index)."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()


def ensure_targets(
    session: Session, canonical_urls: Iterable[str], now: datetime
) -> dict[str, Target]:
    """The target of every URL, inserting the missing ones; safe when two processes race."""
    wanted = {url_hash(url): url for url in canonical_urls}
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    keys = list(wanted)
    found: dict[str, Target] = {}
    for chunk in batches(keys):
        rows = [
            {
                "canonical_url": wanted[key],
                "url_hash": key,
                "host": (urlsplit(wanted[key]).hostname or "")[:255],
                "first_cited_at": now,
            }
            for key in chunk
        ]
        session.execute(
            insert(Target).values(rows).on_conflict_do_nothing(index_elements=["url_hash"])
        )
        for target in session.scalars(select(Target).where(Target.url_hash.in_(chunk))):
            found[target.canonical_url] = target
    return found


def target_by_url(session: Session, canonical_url: str) -> Target | None:
    """The target of a canonical URL, if any document cites it or a source found it."""
    return session.scalar(select(Target).where(Target.url_hash == url_hash(canonical_url)))


def target_snapshots(session: Session, target_id: int) -> list[Snapshot]:
    """Every snapshot of a target, oldest first."""
    return list(
        session.scalars(
            select(Snapshot)
            .where(Snapshot.target_id == target_id)
            .order_by(Snapshot.fetched_at, Snapshot.id)
        )
    )


def citation_count(session: Session, target_id: int) -> int:
    """How many citations, in every stored document, point to a target."""
    count = session.scalar(
        select(func.count()).select_from(Citation).where(Citation.target_id == target_id)
    )
    return count or 0
