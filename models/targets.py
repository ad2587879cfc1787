"""Targets are shared by every document that cites them: get or create them in bulk."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models.base import batches
from models.document import Target


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
