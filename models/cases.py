"""Tracked cases, the sources watched for news on them, the articles found, and case updates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base
from models.document import Citation, Target

SOURCE_KINDS = ("feed", "sitemap", "page", "telegram")  # what a source lists articles in
case_citations = Table(
    "case_citations",
    Base.metadata,
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    Column("citation_id", ForeignKey("citations.id", ondelete="CASCADE"), primary_key=True),
)


class Case(Base):
    """A person or organisation whose news the researcher follows."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime]

    terms: Mapped[list[CaseTerm]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseTerm.id"
    )
    citations: Mapped[list[Citation]] = relationship(secondary=case_citations)

    def texts(self, kind: str) -> tuple[str, ...]:
        """The case's aliases or keywords."""
        return tuple(term.text for term in self.terms if term.kind == kind)


class CaseTerm(Base):
    """Another spelling of a case's name (alias) or a term that on its own means it (keyword)."""

    __tablename__ = "case_terms"
    __table_args__ = (UniqueConstraint("case_id", "kind", "text", name="uq_case_terms_text"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # alias, keyword
    text: Mapped[str] = mapped_column(String(200))

    case: Mapped[Case] = relationship(back_populates="terms")


class Source(Base):
    """A feed, sitemap, listing page or Telegram channel polled for new articles (posts)."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    url_hash: Mapped[str] = mapped_column(String(64), unique=True)
    host: Mapped[str] = mapped_column(String(255), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # one of SOURCE_KINDS
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    added_at: Mapped[datetime]
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    last_polled_at: Mapped[datetime | None]
    last_status: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    failures: Mapped[int] = mapped_column(default=0)  # polls in a row that failed
    last_new: Mapped[int] = mapped_column(default=0)  # new articles found by the last poll


class Article(Base):
    """A page found on a watched source: archived like a cited target, matched against cases."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"), unique=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    title: Mapped[str | None] = mapped_column(Text)
    published: Mapped[str | None] = mapped_column(String(40))
    found_at: Mapped[datetime]

    target: Mapped[Target] = relationship()
    source: Mapped[Source | None] = relationship()


class CaseUpdate(Base):
    """News on a case: an article that mentions it, recorded once per case and page, ever."""

    __tablename__ = "case_updates"
    __table_args__ = (UniqueConstraint("case_id", "target_id", name="uq_case_updates_page"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"))
    # Indexed: a snapshot row deleted (health.sightings) is looked up here.
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # new (a watched article), changed (cited)
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    published: Mapped[str | None] = mapped_column(String(40))
    matched: Mapped[str] = mapped_column(Text)
    found_at: Mapped[datetime] = mapped_column(index=True)

    case: Mapped[Case] = relationship()
