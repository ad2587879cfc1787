"""Stored documents: found by their content, listed with how many citations each holds, and
the fetched copy a report added by its URL was read from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models.document import Citation, Document, Target
from models.snapshot import Snapshot


def document_by_content(session: Session, content_hash: str) -> Document | None:
    """The stored revision whose file has this SHA-256, if any (a file is stored once)."""
    return session.scalar(select(Document).where(Document.content_hash == content_hash))


def all_documents(session: Session) -> list[Document]:
    """Every stored document, every revision, in the order they were added."""
    return list(session.scalars(select(Document).order_by(Document.id)))


def citation_counts(session: Session) -> dict[int, int]:
    """Citations per document id (documents without citations are left out)."""
    rows = session.execute(
        select(Citation.document_id, func.count()).group_by(Citation.document_id)
    )
    return dict(rows.all())


@dataclass
class DocumentHealth:
    """A document's citations counted by the state of their source, and its latest check."""

    states: dict[str, int] = field(default_factory=dict)
    last_checked_at: datetime | None = None

    @property
    def citations(self) -> int:
        return sum(self.states.values())


def document_health(session: Session) -> dict[int, DocumentHealth]:
    """Every document's health, in one grouped query (documents without citations left out)."""
    rows = session.execute(
        select(Citation.document_id, Target.state, func.count(), func.max(Target.last_checked_at))
        .join(Target, Target.id == Citation.target_id)
        .group_by(Citation.document_id, Target.state)
    )
    found: dict[int, DocumentHealth] = {}
    for document_id, state, count, checked in rows:
        health = found.setdefault(document_id, DocumentHealth())
        health.states[str(state)] = count
        if checked is not None and (
            health.last_checked_at is None or checked > health.last_checked_at
        ):
            health.last_checked_at = checked
    return found


@dataclass(frozen=True)
class FetchedCopy:
    """A report page as a report crawl stored it, and where its body is archived."""

    snapshot_id: int
    url: str  # the address asked for
    final_url: str  # where redirects ended
    content_type: str | None
    warc_file: str  # the record holding the body: a revisit's original's
    warc_offset: int
    unchanged: bool  # the same body as an earlier fetch (a revisit record)


def fetched_copy(session: Session, run_id: int) -> FetchedCopy | None:
    """The page a report crawl run stored (it fetches one), if it holds a body."""
    snapshot = session.scalar(
        select(Snapshot)
        .where(Snapshot.crawl_run_id == run_id, Snapshot.preserved)
        .options(selectinload(Snapshot.revisit_of), selectinload(Snapshot.target))
        .order_by(Snapshot.id.desc())
        .limit(1)
    )
    if snapshot is None:
        return None
    source = snapshot.revisit_of or snapshot
    if source.warc_file is None or source.warc_offset is None:
        return None
    return FetchedCopy(
        snapshot.id,
        snapshot.target.canonical_url,
        snapshot.final_url or snapshot.target.canonical_url,
        source.content_type,
        source.warc_file,
        source.warc_offset,
        snapshot.revisit_of_id is not None,
    )


def latest_revision(session: Session, source_name: str) -> Document | None:
    """The newest revision of the document known by this name (a file name or an address)."""
    return session.scalar(
        select(Document)
        .where(Document.source_name == source_name)
        .order_by(Document.revision.desc())
        .limit(1)
    )
