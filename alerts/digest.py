"""The morning digest: unsent events grouped per case and per document, as text and HTML mail."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import cache
from itertools import groupby
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from alerts.i18n import N_, RecipientLocale, translations
from config import AlertsConfig, SmtpConfig
from models import AlertEvent, CaseUpdate, Citation, Snapshot
from models.base import batches
from models.copies import Copies, our_copies
from models.kinds import EventKind

# In English: each label is translated where the message is rendered.
KIND_LABELS = {
    EventKind.LINK_DEAD: N_("dead (confirmed)"),
    EventKind.LINK_DRIFTED: N_("drifted: the text no longer says what was cited"),
    EventKind.LINK_RECOVERED: N_("recovered"),
}
BODY = N_("(body)")  # the notes of a link its document cites in the body, not in a note


@dataclass(frozen=True)
class Copy:
    """Where our archived copy of a page is."""

    snapshot_id: int
    fetched_at: datetime
    warc_file: str | None
    target_id: int | None = None  # the page's link, whose dashboard page replays the copy
    title: str | None = None  # the copy's title
    warc_offset: int | None = None

    @classmethod
    def of(cls, snapshot: Snapshot) -> Copy:
        offset = snapshot.warc_offset if snapshot.warc_file else None
        return cls(
            snapshot.id,
            snapshot.fetched_at,
            snapshot.warc_file,
            snapshot.target_id,
            snapshot.title,
            offset,
        )

    @property
    def warc(self) -> str | None:
        """Where the copy is, in English: "citewatch-….warc.gz at offset 1234"."""
        if self.warc_offset is None:
            return self.warc_file
        return f"{self.warc_file} at offset {self.warc_offset}"


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
    label: str  # a KIND_LABELS value, in English
    footnotes: str  # the notes citing the link: "12, 14", or BODY
    url: str
    since: datetime | None
    copy: Copy | None  # our copy: the source as cited
    memento_url: str | None
    current: Copy | None = None  # for a drifted link: the page as it is now
    context: str = ""  # the sentence that cites the link

    @property
    def in_body(self) -> bool:
        return self.footnotes == BODY


@dataclass
class Digest:
    """What one message says, and the events it carries."""

    cases: dict[str, list[NewsItem]] = field(default_factory=dict)
    documents: list[tuple[str, list[LinkNotice]]] = field(default_factory=list)  # title, alerts
    event_ids: list[int] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.event_ids

    @property
    def summary(self) -> str:
        """What the message holds, in English: "3 case updates, 2 link alerts"."""
        return self.summary_in(RecipientLocale.of())

    def summary_in(self, local: RecipientLocale) -> str:
        """What the message holds, in the recipient's language."""
        news = sum(len(items) for items in self.cases.values())
        links = sum(len(notices) for _, notices in self.documents)
        parts = []
        if news:
            text = local.ngettext("%(num)s case update", "%(num)s case updates", news)
            parts.append(text % {"num": local.number(news)})
        if links:
            text = local.ngettext("%(num)s link alert", "%(num)s link alerts", links)
            parts.append(text % {"num": local.number(links)})
        return ", ".join(parts) or local.gettext("nothing new")


def unqueued_events(session: Session) -> list[AlertEvent]:
    """Events not yet put into any message, oldest first."""
    return list(
        session.scalars(
            select(AlertEvent)
            .where(AlertEvent.outbox_id.is_(None))
            .options(
                selectinload(AlertEvent.case_update).selectinload(CaseUpdate.case),
                selectinload(AlertEvent.target),
            )
            .order_by(AlertEvent.id)
        )
    )


def compose(
    session: Session, events: list[AlertEvent], documents: set[int] | None = None
) -> Digest:
    """Group events: case news per case, link alerts per citing document (only the documents
    in `documents` when given: a subscriber to one report reads about that report)."""
    digest = Digest(event_ids=[e.id for e in events])
    targets = {e.target.id: e.target for e in events if e.target and e.kind in KIND_LABELS}
    copies = our_copies(session, list(targets.values()))
    snapshots = {
        s.id: s
        for s in session.scalars(
            select(Snapshot).where(
                Snapshot.id.in_(
                    [
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
        if event.kind == EventKind.CASE_UPDATE and update is not None:
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
    digest.documents = _link_notices(session, link_events, copies, documents)
    return digest


def _link_notices(
    session: Session,
    events: list[AlertEvent],
    copies: dict[int, Copies],
    documents: set[int] | None = None,
) -> list[tuple[str, list[LinkNotice]]]:
    """Link alerts grouped per citing document (in document order), with the document's notes."""
    citations: dict[int, list[Citation]] = defaultdict(list)
    target_ids = sorted({e.target_id for e in events if e.target_id})
    for chunk in batches(target_ids):
        for citation in session.scalars(
            select(Citation)
            .where(Citation.target_id.in_(chunk))
            .options(selectinload(Citation.document), selectinload(Citation.target))
            .order_by(Citation.document_id, Citation.position)
        ):
            if documents is None or citation.document_id in documents:
                citations[citation.target_id].append(citation)
    grouped: dict[int, tuple[str, list[LinkNotice]]] = {}
    for event in events:
        found = copies.get(event.target_id or 0)
        snapshot = found.cited if found is not None else None
        for document_id, group in groupby(citations[event.target_id or 0], lambda c: c.document_id):
            cited = list(group)
            notes = ", ".join(dict.fromkeys(c.footnote for c in cited if c.footnote)) or BODY
            notice = LinkNotice(
                KIND_LABELS[event.kind],
                notes,
                cited[0].url,
                event.since,
                Copy.of(snapshot) if snapshot else None,
                cited[0].target.memento_url,
                Copy.of(found.current) if found is not None and found.current else None,
                cited[0].context,
            )
            grouped.setdefault(document_id, (cited[0].document.title, []))[1].append(notice)
    return [grouped[document_id] for document_id in sorted(grouped)]


@cache
def _templates(language: str) -> Environment:
    """The templates with one language's messages (`_()`, `ngettext()`, `{% trans %}`)."""
    environment = Environment(
        loader=PackageLoader("alerts", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    messages = translations(language)
    environment.install_gettext_translations(messages, newstyle=True)  # type: ignore[attr-defined]
    return environment


def render(
    digest: Digest,
    smtp: SmtpConfig,
    alerts: AlertsConfig,
    now: datetime,
    test: bool = False,
    base_url: str = "",
    to: str | None = None,
    unsubscribe_token: str = "",
    *,
    language: str = "en",
    zone: str = "UTC",
) -> EmailMessage:
    """The digest as a multipart/alternative message (plain text first, then HTML).

    In the recipient's `language` (one of config.schema.LANGUAGES), with dates and times in their
    `zone` (an IANA name); what sources and documents say is quoted as written. ValueError for
    an unknown language or zone.

    With `base_url` (config [web] base_url), every "our copy" is a link to the dashboard's page
    of the link (`{base_url}/links/{target_id}`), where the copy is replayed. `to`: one
    subscriber's address (default: `[alerts] recipients`); with their `unsubscribe_token` and a
    base_url the message carries RFC 8058 one-click List-Unsubscribe headers and the same link
    in its text."""
    local = RecipientLocale.of(language, zone)
    summary = local.gettext("test message") if test else digest.summary_in(local)
    subject = f"{alerts.subject_prefix} {summary}".strip()
    base = base_url.rstrip("/")
    unsubscribe_url = (
        f"{base}/unsubscribe/{unsubscribe_token}" if base and unsubscribe_token else ""
    )
    context = {
        "digest": digest,
        "summary": summary,
        "local": local,
        "language": language,
        "now": now,
        "test": test,
        "base_url": base,
        "unsubscribe_url": unsubscribe_url,
    }
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = smtp.sender
    message["To"] = to or ", ".join(alerts.recipients) or "undisclosed-recipients:;"
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=smtp.sender.rpartition("@")[2] or "citewatch")
    templates = _templates(language)
    message.set_content(templates.get_template("digest.txt").render(context))
    message.add_alternative(templates.get_template("digest.html").render(context), subtype="html")
    message["Content-Language"] = language  # after the parts: set_content clears Content-*
    return message
