"""The morning digest: unsent events grouped per case and per document, as text and HTML mail."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from config import AlertsConfig, SmtpConfig
from models import AlertEvent, CaseUpdate, Citation, Snapshot, Target
from models.crawls import ArchivedCopy, archived_copies

KIND_LABELS = {
    "link_dead": "dead (confirmed)",
    "link_drifted": "drifted: the text no longer says what was cited",
    "link_recovered": "recovered",
}


@dataclass(frozen=True)
class Copy:
    """Where our archived copy of a page is."""

    snapshot_id: int
    fetched_at: datetime
    warc: str | None

    @classmethod
    def of(cls, snapshot: Snapshot) -> Copy:
        warc = (
            f"{snapshot.warc_file} at offset {snapshot.warc_offset}" if snapshot.warc_file else None
        )
        return cls(snapshot.id, snapshot.fetched_at, warc)


@dataclass(frozen=True)
class NewsItem:
    title: str
    source: str
    published: str | None
    matched: str
    url: str
    copy: Copy | None


@dataclass(frozen=True)
class LinkNotice:
    label: str
    footnotes: str
    url: str
    since: datetime | None
    copy: Copy | None
    memento_url: str | None


@dataclass
class Digest:
    """What one message says, and the events it carries."""

    cases: dict[str, list[NewsItem]] = field(default_factory=dict)
    documents: dict[str, list[LinkNotice]] = field(default_factory=dict)
    event_ids: list[int] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.event_ids

    @property
    def summary(self) -> str:
        news = sum(len(items) for items in self.cases.values())
        links = sum(len(notices) for notices in self.documents.values())
        parts = []
        if news:
            parts.append(f"{news} case update{'s' * (news != 1)}")
        if links:
            parts.append(f"{links} link alert{'s' * (links != 1)}")
        return ", ".join(parts) or "nothing new"


def unqueued_events(session: Session) -> list[AlertEvent]:
    """Events not yet put into any message, oldest first."""
    return list(
        session.scalars(
            select(AlertEvent)
            .where(AlertEvent.outbox_id.is_(None))
            .options(selectinload(AlertEvent.case_update).selectinload(CaseUpdate.case))
            .order_by(AlertEvent.id)
        )
    )


def compose(session: Session, events: list[AlertEvent]) -> Digest:
    """Group events: case news per case, link alerts per citing document."""
    digest = Digest(event_ids=[e.id for e in events])
    target_ids = [e.target_id for e in events if e.target_id and e.kind != "case_update"]
    copies = archived_copies(session, target_ids)
    snapshots = {
        s.id: s
        for s in session.scalars(
            select(Snapshot).where(
                Snapshot.id.in_(
                    [c.snapshot_id for c in copies.values()]
                    + [
                        e.case_update.snapshot_id
                        for e in events
                        if e.case_update and e.case_update.snapshot_id
                    ]
                )
            )
        )
    }
    for event in events:
        update = event.case_update
        if event.kind == "case_update" and update is not None:
            snapshot = snapshots.get(update.snapshot_id or 0)
            digest.cases.setdefault(update.case.name, []).append(
                NewsItem(
                    update.title or update.url,
                    urlsplit(update.url).hostname or "",
                    update.published,
                    update.matched,
                    update.url,
                    Copy.of(snapshot) if snapshot else None,
                )
            )
    link_events = [e for e in events if e.kind in KIND_LABELS and e.target_id]
    for (title, _), notices in _per_document(session, link_events, copies, snapshots).items():
        digest.documents[title] = notices
    return digest


def _per_document(
    session: Session,
    events: list[AlertEvent],
    copies: dict[int, ArchivedCopy],
    snapshots: dict[int, Snapshot],
) -> dict[tuple[str, int], list[LinkNotice]]:
    grouped: dict[tuple[str, int], list[LinkNotice]] = defaultdict(list)
    for event in events:
        target = session.get(Target, event.target_id)
        if target is None:
            continue
        citations = session.scalars(
            select(Citation)
            .where(Citation.target_id == target.id)
            .options(selectinload(Citation.document))
            .order_by(Citation.document_id, Citation.position)
        ).all()
        copy = copies.get(target.id)
        snapshot = snapshots.get(copy.snapshot_id) if copy is not None else None
        by_document: dict[tuple[str, int], list[Citation]] = defaultdict(list)
        for citation in citations:
            by_document[(citation.document.title, citation.document_id)].append(citation)
        for key, cited in by_document.items():
            notes = ", ".join(dict.fromkeys(c.footnote for c in cited if c.footnote)) or "(body)"
            grouped[key].append(
                LinkNotice(
                    KIND_LABELS[event.kind],
                    notes,
                    cited[0].url,
                    event.since,
                    Copy.of(snapshot) if snapshot else None,
                    target.memento_url,
                )
            )
    return dict(sorted(grouped.items(), key=lambda item: item[0][1]))


_templates = Environment(
    loader=PackageLoader("alerts", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(
    digest: Digest, smtp: SmtpConfig, alerts: AlertsConfig, now: datetime, test: bool = False
) -> EmailMessage:
    """The digest as a multipart/alternative message (plain text first, then HTML)."""
    subject = f"{alerts.subject_prefix} {'test message' if test else digest.summary}".strip()
    context = {"digest": digest, "now": now, "test": test}
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = smtp.sender
    message["To"] = ", ".join(alerts.recipients) or "undisclosed-recipients:;"
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=smtp.sender.rpartition("@")[2] or "citewatch")
    message.set_content(_templates.get_template("digest.txt").render(context))
    message.add_alternative(_templates.get_template("digest.html").render(context), subtype="html")
    return message
