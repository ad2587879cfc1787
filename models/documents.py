"""Stored documents: found by their content, listed with how many citations each holds."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.document import Citation, Document


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
