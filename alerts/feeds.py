"""Atom 1.0 feeds of the alert ledger: the news on one case, the link alerts of one document.

A feed is a view of events already written (alerts.events, cases.updates), newest first and
bounded. Nothing in it depends on when it is built: entry and feed ids are tag: URIs made
from stored ids and dates, and an empty feed is as old as its case or document, so a feed
reader polling twice sees the same bytes (and the dashboard answers 304).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from urllib.parse import urlsplit

from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from alerts.digest import KIND_LABELS
from config import Config
from models import AlertEvent, Case, CaseUpdate, Citation, Document, Recipient
from models.copies import our_copies
from models.kinds import EventKind
from models.subscriptions import SubscriptionKind

LIMIT = 50  # entries per feed: readers keep what they have seen, a feed is news, not an archive
DAY = "%Y-%m-%d"


def case_feed(session: Session, config: Config, case: Case, limit: int = LIMIT) -> bytes:
    """The case's news (CASE_UPDATE events), newest first, as Atom XML in UTF-8."""
    events = list(
        session.scalars(
            select(AlertEvent)
            .join(CaseUpdate, AlertEvent.case_update_id == CaseUpdate.id)
            .where(AlertEvent.kind == EventKind.CASE_UPDATE, CaseUpdate.case_id == case.id)
            .options(selectinload(AlertEvent.case_update))
            .order_by(AlertEvent.detected_at.desc(), AlertEvent.id.desc())
            .limit(limit)
        )
    )
    base = config.web.base_url.rstrip("/")
    feed = _feed(
        config,
        SubscriptionKind.CASE,
        case.id,
        case.created_at,
        events[0].detected_at if events else None,
        f"citewatch: {case.name}",
        "News on the case from the watched sources",
    )
    for event in reversed(events):  # feedgen prepends: add the oldest first
        update = event.case_update
        assert update is not None
        entry = _entry(feed, config, event, update.title or update.url, update.url)
        published = _parsed(update.published)
        entry.published(published or event.detected_at)
        # Our copy: the page as archived when it was matched (as the case page links it).
        copy = f"{base}/links/{update.target_id}" if base and update.snapshot_id else ""
        meta = Markup(" · ").join(
            escape(part)
            for part in (urlsplit(update.url).hostname or "", update.published or "")
            if part
        )
        content = Markup("<blockquote><p>{}</p></blockquote><p>{}</p>").format(update.matched, meta)
        entry.content(str(content + _copy_link(copy)), type="html")
    return _xml(feed)


def document_feed(
    session: Session, config: Config, document: Document, limit: int = LIMIT
) -> bytes:
    """The link alerts (dead, drifted, recovered) of the sources the document cites, newest
    first, as Atom XML in UTF-8."""
    cited = select(Citation.target_id).where(Citation.document_id == document.id)
    events = list(
        session.scalars(
            select(AlertEvent)
            .where(AlertEvent.kind.in_(list(KIND_LABELS)), AlertEvent.target_id.in_(cited))
            .options(selectinload(AlertEvent.target))
            .order_by(AlertEvent.detected_at.desc(), AlertEvent.id.desc())
            .limit(limit)
        )
    )
    targets = {e.target.id: e.target for e in events if e.target is not None}
    citations: dict[int, list[Citation]] = defaultdict(list)
    if targets:
        for citation in session.scalars(
            select(Citation)
            .where(Citation.document_id == document.id, Citation.target_id.in_(list(targets)))
            .order_by(Citation.position)
        ):
            citations[citation.target_id].append(citation)
    copies = our_copies(session, list(targets.values()))
    base = config.web.base_url.rstrip("/")
    feed = _feed(
        config,
        SubscriptionKind.DOCUMENT,
        document.id,
        document.added_at,
        events[0].detected_at if events else None,
        f"citewatch: {document.title}",
        "Cited sources that died, drifted or recovered",
    )
    for event in reversed(events):
        target = event.target
        assert target is not None
        notes = citations[target.id]
        url = notes[0].url if notes else target.canonical_url
        entry = _entry(feed, config, event, f"{KIND_LABELS[event.kind]}: {url}", url)
        entry.published(event.detected_at)
        labels = list(dict.fromkeys(c.footnote for c in notes if c.footnote))
        where = f"Note{'s' * (len(labels) > 1)} {', '.join(labels)}" if labels else "In the text"
        lines = [Markup("<p>{}</p>").format(where)]
        lines += [
            Markup("<blockquote><p>{}</p></blockquote>").format(context)
            for context in dict.fromkeys(c.context for c in notes if c.context)
        ]
        if event.since is not None:
            lines.append(Markup("<p>Since {} UTC</p>").format(f"{event.since:%Y-%m-%d %H:%M}"))
        held = copies.get(target.id)
        if base and held is not None and held.cited is not None:
            lines.append(_copy_link(f"{base}/links/{target.id}"))
        if target.memento_url:
            lines.append(
                Markup('<p><a href="{}">Public archive copy</a></p>').format(target.memento_url)
            )
        entry.content(str(Markup("").join(lines)), type="html")
    return _xml(feed)


def follows(recipient: Recipient, kind: SubscriptionKind, item_id: int) -> bool:
    """Whether the recipient may read the private feed of this case or document (kind CASE or
    DOCUMENT): not unsubscribed, and a subscription of theirs covers it (ALL covers all)."""
    if recipient.unsubscribed_at is not None:
        return False
    return any(
        s.kind == SubscriptionKind.ALL
        or (
            s.kind == kind
            and (s.case_id if kind == SubscriptionKind.CASE else s.document_id) == item_id
        )
        for s in recipient.subscriptions
    )


def feed_path(kind: SubscriptionKind, item_id: int) -> str:
    """Where the dashboard serves the feed of a case or a document (web.pages.feeds)."""
    return f"/feeds/{kind}/{item_id}.atom"


def _authority(config: Config) -> str:
    """The tag: URI authority: the dashboard's host name, else "citewatch"."""
    return urlsplit(config.web.base_url).hostname or "citewatch"


def _feed(
    config: Config,
    kind: SubscriptionKind,
    item_id: int,
    created: datetime,
    updated: datetime | None,
    title: str,
    subtitle: str,
) -> FeedGenerator:
    """A feed without entries. Its id is made from the creation date of its case or document;
    `updated` is its newest entry's time, else that creation (never "now", so polling an
    unchanged feed gives the same bytes)."""
    base = config.web.base_url.rstrip("/")
    feed = FeedGenerator()
    feed.id(f"tag:{_authority(config)},{created:{DAY}}:{kind}/{item_id}")
    feed.title(title)
    feed.subtitle(subtitle)
    feed.author(name="citewatch")
    feed.generator("citewatch")
    feed.updated(updated or created)
    if base:  # the dashboard's page (cases/ID, documents/ID) and the feed without a token
        feed.link(href=f"{base}/{kind}s/{item_id}", rel="alternate", type="text/html")
        self_url = base + feed_path(kind, item_id)
        feed.link(href=self_url, rel="self", type="application/atom+xml")
    return feed


def _entry(
    feed: FeedGenerator, config: Config, event: AlertEvent, title: str, url: str
) -> FeedEntry:
    """A new entry for the event (prepended), with its id, title, link and time."""
    entry = feed.add_entry()
    entry.id(f"tag:{_authority(config)},{event.detected_at:{DAY}}:event/{event.id}")
    entry.title(title)
    entry.link(href=url, rel="alternate")
    entry.updated(event.detected_at)
    return entry


def _copy_link(url: str) -> Markup:
    return Markup('<p><a href="{}">Our copy</a></p>').format(url) if url else Markup("")


def _parsed(published: str | None) -> datetime | None:
    """An article's publication date as stored (ISO 8601), None when absent or unreadable."""
    if not published:
        return None
    try:
        moment = datetime.fromisoformat(published.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _xml(feed: FeedGenerator) -> bytes:
    xml: bytes = feed.atom_str(pretty=True, encoding="UTF-8")
    return xml
