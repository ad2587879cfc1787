"""Documents, the citations found in them, and the targets (canonical URLs) they cite."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, EnumText
from models.kinds import LinkState, Verdict


class Document(Base):
    """One revision of a document file or web page; a changed one becomes a new revision."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    source_name: Mapped[str] = mapped_column(String(500), index=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    format: Mapped[str] = mapped_column(String(10))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    note_count: Mapped[int]
    revision: Mapped[int] = mapped_column(default=1)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    added_at: Mapped[datetime]
    # A report added by its URL: the fetch (snapshot, WARC record) this revision was read from
    # (indexed: a snapshot row deleted (health.sightings) is looked up here).
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id"), index=True)

    citations: Mapped[list[Citation]] = relationship(
        back_populates="document", order_by="Citation.position", cascade="all, delete-orphan"
    )


class Target(Base):
    """A cited resource: one row per canonical URL, shared by every document that cites it."""

    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    canonical_url: Mapped[str] = mapped_column(Text)
    # URLs can be longer than an index allows: uniqueness is on the SHA-256 of the URL.
    url_hash: Mapped[str] = mapped_column(String(64), unique=True)
    host: Mapped[str] = mapped_column(String(255), index=True)
    first_cited_at: Mapped[datetime]
    # Link health, derived from the snapshots by health.evaluate after every crawl run.
    state: Mapped[LinkState] = mapped_column(
        EnumText(LinkState), default=LinkState.UNKNOWN, server_default="unknown"
    )
    state_since: Mapped[datetime | None]
    last_verdict: Mapped[Verdict | None] = mapped_column(EnumText(Verdict))
    last_checked_at: Mapped[datetime | None]
    last_ok_at: Mapped[datetime | None]
    next_check_at: Mapped[datetime | None] = mapped_column(index=True)
    override: Mapped[LinkState | None] = mapped_column(EnumText(LinkState))  # set by an operator
    override_by: Mapped[str | None] = mapped_column(String(100))  # who: a user, or "cli"
    override_at: Mapped[datetime | None]
    hint: Mapped[str | None] = mapped_column(Text)
    memento_url: Mapped[str | None] = mapped_column(Text)
    memento_at: Mapped[datetime | None]  # when the public archive captured it
    memento_checked_at: Mapped[datetime | None]

    citations: Mapped[list[Citation]] = relationship(back_populates="target")


class Citation(Base):
    """A URL cited in a document: its note, its place, and the sentence that cites it."""

    __tablename__ = "citations"
    __table_args__ = (
        UniqueConstraint("document_id", "position", name="uq_citations_document_position"),
        Index("ix_citations_target_id", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    position: Mapped[int]
    footnote: Mapped[str | None] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(Text)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"))
    context: Mapped[str] = mapped_column(Text, default="")
    link_text: Mapped[str | None] = mapped_column(Text)
    refers_to: Mapped[str | None] = mapped_column(String(20))

    document: Mapped[Document] = relationship(back_populates="citations")
    target: Mapped[Target] = relationship(back_populates="citations")
