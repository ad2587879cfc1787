"""Snapshots (one row per distinct fetch outcome: checks that saw the same again extend it)
and crawl runs (so a killed crawl resumes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    and_,
    false,
    func,
    or_,
    text,
    true,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, EnumText
from models.document import Target
from models.kinds import GOOD_VERDICTS, Extraction, Outcome, RunKind, RunStatus, Verdict


class CrawlRun(Base):
    """One `citewatch archive` (or later `check`, `watch`) run, finished or not."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[RunKind] = mapped_column(EnumText(RunKind))
    scope: Mapped[str] = mapped_column(String(100))  # "all" or "document:<id>"
    refresh: Mapped[bool] = mapped_column(default=False)
    status: Mapped[RunStatus] = mapped_column(EnumText(RunStatus))
    planned: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    # Most hosts failed at the connection level: the local network's fault, so no failure counts.
    degraded: Mapped[bool] = mapped_column(default=False, server_default=false())
    evaluated_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)  # why a failed run stopped, in one line


class Probe(Base):
    """A random sibling URL fetched to learn what a host answers for pages that do not exist."""

    __tablename__ = "probes"

    id: Mapped[int] = mapped_column(primary_key=True)
    crawl_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    host: Mapped[str] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(20))
    status: Mapped[int | None]
    final_url: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)


class Snapshot(Base):
    """What a fetch of a target gave: the response and where its evidence is, or the failure;
    and how often later checks saw the same again."""

    __tablename__ = "snapshots"
    __table_args__ = (
        Index("ix_snapshots_target_fetched", "target_id", "fetched_at"),
        # What a run has fetched (a resumed run skips it): read from the index alone.
        Index("ix_snapshots_run_target", "crawl_run_id", "target_id"),
        # The preserved copies (`preserved` below): which targets still need archiving.
        Index(
            "ix_snapshots_preserved_target",
            "target_id",
            postgresql_where=text("outcome = 'fetched' AND status >= 200 AND status < 300"),
            sqlite_where=text("outcome = 'fetched' AND status >= 200 AND status < 300"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"))
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    fetched_at: Mapped[datetime]
    outcome: Mapped[Outcome] = mapped_column(EnumText(Outcome))
    status: Mapped[int | None]
    final_url: Mapped[str | None] = mapped_column(Text)
    redirect_chain: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    content_type: Mapped[str | None] = mapped_column(String(200))
    content_length: Mapped[int | None] = mapped_column(BigInteger)  # payload bytes as received
    payload_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    warc_file: Mapped[str | None] = mapped_column(String(200))
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)
    warc_length: Mapped[int | None] = mapped_column(BigInteger)
    warc_record_id: Mapped[str | None] = mapped_column(String(100))
    revisit_of_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id"), index=True)
    extraction: Mapped[Extraction | None] = mapped_column(EnumText(Extraction))
    text: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    published: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str | None] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    # Set by health.evaluate: the check's verdict, whether it counts toward the link's state
    # (not in a degraded run, not rate limiting), and the text's similarity to the baseline.
    verdict: Mapped[Verdict | None] = mapped_column(EnumText(Verdict))
    counted: Mapped[bool] = mapped_column(default=True, server_default=true())
    similarity: Mapped[float | None]
    # The page asks for a password (a login wall, whatever its wording).
    login_form: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Beyond the plain fetch: rendered in a browser (why, and what came of it, or why a page
    # that needed it was not), a video kept; one line.
    capture_note: Mapped[str | None] = mapped_column(Text)
    # A rendered page's records (response, request, DOM, screenshot, sub-resources) lie one
    # after the other from warc_offset: this many bytes of them, to replay the page whole.
    capture_length: Mapped[int | None] = mapped_column(BigInteger)
    # Later checks that saw the same again (health.sightings): fetched_at is the first
    # sighting; the last one's time (None: seen once) and run, and how many there were.
    last_seen_at: Mapped[datetime | None]
    last_crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    times_seen: Mapped[int] = mapped_column(default=1, server_default="1")

    target: Mapped[Target] = relationship()
    revisit_of: Mapped[Snapshot | None] = relationship(remote_side=[id])

    @property
    def archived_text(self) -> str | None:
        """The text of the page as archived: a revisit's text is its original's."""
        if self.text is None and self.revisit_of is not None:
            return self.revisit_of.text
        return self.text

    @hybrid_property
    def checked_at(self) -> datetime:
        """When a check last saw what this snapshot shows."""
        return self.last_seen_at or self.fetched_at

    @checked_at.inplace.expression
    @classmethod
    def _checked_at_expression(cls) -> ColumnElement[datetime]:
        return func.coalesce(cls.last_seen_at, cls.fetched_at)

    @hybrid_property
    def preserved(self) -> bool:
        """Whether this fetch preserved a page: a 2xx response, its body in a WARC file."""
        return is_preserved(self.outcome, self.status)

    @preserved.inplace.expression
    @classmethod
    def _preserved_expression(cls) -> ColumnElement[bool]:
        return and_(cls.outcome == Outcome.FETCHED, cls.status >= 200, cls.status < 300)

    @hybrid_property
    def good(self) -> bool:
        """Whether this is a good copy: a page we hold (a 2xx, or a 304 repeating one) that was
        judged to be the source as cited. Never a not-found page, an error page, a login wall
        or a front page reached by redirect: "our copy" is always a good copy."""
        held = self.preserved or self.revisit_of_id is not None
        return held and self.verdict in GOOD_VERDICTS

    @good.inplace.expression
    @classmethod
    def _good_expression(cls) -> ColumnElement[bool]:
        held = or_(cls.preserved, cls.revisit_of_id.is_not(None))
        return and_(held, cls.verdict.in_(GOOD_VERDICTS))


def checked_in(run_id: int) -> ColumnElement[bool]:
    """The snapshots holding a check of this run: its own, and earlier ones its checks saw
    again (until a later run sees them again too: a run's counts are read when it ends)."""
    return or_(Snapshot.crawl_run_id == run_id, Snapshot.last_crawl_run_id == run_id)


def is_preserved(outcome: Outcome | str, status: int | None) -> bool:
    """Whether a fetch with this outcome and status preserved the page (a 2xx response)."""
    return outcome == Outcome.FETCHED and status is not None and 200 <= status < 300
