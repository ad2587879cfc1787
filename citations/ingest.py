"""Store a parsed document with its citations and targets, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citations.document import LoadedDocument
from citations.errors import DocumentError
from citations.extract import Extraction
from models.document import Citation, Document, Target
from models.documents import document_by_content, latest_revision
from models.targets import ensure_targets

LABEL_LENGTH = 20  # Citation.footnote and Citation.refers_to


@dataclass(frozen=True)
class DocumentSummary:
    """What a stored document holds, as `citewatch add` reports it."""

    document_id: int
    title: str
    revision: int
    notes: int
    citations: int
    targets: int
    hosts: int
    created: bool


def add_document(
    session: Session,
    loaded: LoadedDocument,
    extraction: Extraction,
    now: datetime,
    title: str | None = None,
    snapshot_id: int | None = None,
) -> DocumentSummary:
    """Store a new revision, or find the identical file already stored (then nothing changes).

    A report added by its URL names the snapshot (the archived fetch) it was read from."""
    existing = document_by_content(session, loaded.sha256)
    if existing is not None:
        return summarise(session, existing, created=False)
    if not extraction.citations:
        raise DocumentError(str(loaded.path), "no URLs found in the document")
    previous = latest_revision(session, loaded.name)
    document = Document(
        title=(title or extraction.parts.title or loaded.name)[:300],
        source_name=loaded.name[:500],
        content_hash=loaded.sha256,
        format=loaded.format,
        size_bytes=loaded.size,
        note_count=extraction.note_count,
        revision=previous.revision + 1 if previous else 1,
        previous_id=previous.id if previous else None,
        added_at=now,
        snapshot_id=snapshot_id,
    )
    session.add(document)
    targets = ensure_targets(session, {c.canonical_url for c in extraction.citations}, now)
    for found in extraction.citations:
        session.add(
            Citation(
                document=document,
                position=found.position,
                footnote=_label(found.footnote),
                url=found.url,
                canonical_url=found.canonical_url,
                target=targets[found.canonical_url],
                context=found.context,
                link_text=found.link_text,
                refers_to=_label(found.refers_to),
            )
        )
    session.flush()
    return summarise(session, document, created=True)


def _label(label: str | None) -> str | None:
    """A note label as stored: a Markdown label may be any length, the column holds 20."""
    return None if label is None else label[:LABEL_LENGTH]


def summarise(session: Session, document: Document, created: bool) -> DocumentSummary:
    """Counts of a stored document's citations, distinct targets and hosts."""
    citations, targets, hosts = session.execute(
        select(
            func.count(Citation.id),
            func.count(func.distinct(Citation.target_id)),
            func.count(func.distinct(Target.host)),
        )
        .join(Target, Citation.target_id == Target.id)
        .where(Citation.document_id == document.id)
    ).one()
    return DocumentSummary(
        document.id,
        document.title,
        document.revision,
        document.note_count,
        citations,
        targets,
        hosts,
        created,
    )
