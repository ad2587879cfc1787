"""Watched sources in the database: adding them, and turning a poll's links into new articles."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from archive.telegram import TELEGRAM_HOSTS, channel_name, channel_preview_url
from citations.canonical import TrackingRules, UrlError, canonical_url
from models import Article, Citation, Snapshot, Source, Target
from models.base import batches
from models.cases import SOURCE_KINDS
from models.targets import ensure_targets, url_hash

if TYPE_CHECKING:  # the listing readers (feedparser, trafilatura) load only for a poll
    from watch.listings import Entry


class SourceError(ValueError):
    """A source the user named cannot be added."""


def default_kind(url: str) -> str:
    """The kind of source a URL is when the user names none: a t.me channel, else a feed."""
    return "telegram" if channel_preview_url(url) else "feed"


def add_source(
    session: Session, url: str, kind: str, now: datetime, rules: TrackingRules
) -> tuple[Source, bool]:
    """The source for this URL, created if new (True) or reactivated; a Telegram channel is
    watched on its preview page, https://t.me/s/<channel>."""
    if kind not in SOURCE_KINDS:
        raise SourceError(f"unknown kind {kind!r}; use one of {', '.join(SOURCE_KINDS)}")
    if kind == "telegram":
        preview = channel_preview_url(url)
        if preview is None:
            raise SourceError(
                f"{url}: not a public Telegram channel; give https://t.me/CHANNEL "
                "or https://t.me/s/CHANNEL"
            )
        url = preview
    try:
        canonical = canonical_url(url, rules)
    except UrlError as exc:
        raise SourceError(f"{url}: {exc}") from None
    if urlsplit(canonical).scheme not in ("http", "https"):
        raise SourceError(f"{url}: only http and https sources can be watched")
    key = url_hash(canonical)
    source = session.scalar(select(Source).where(Source.url_hash == key))
    if source is not None:
        source.active = True
        source.kind = kind
        return source, False
    source = Source(
        url=canonical,
        url_hash=key,
        host=urlsplit(canonical).hostname or "",
        kind=kind,
        active=True,
        added_at=now,
        failures=0,
        last_new=0,
    )
    session.add(source)
    session.flush()
    return source, True


def active_sources(source_id: int | None = None) -> Select[Source]:
    """The sources being watched (or the one with this id, if it is), in order."""
    query = select(Source).where(Source.active.is_(True)).order_by(Source.id)
    return query if source_id is None else query.where(Source.id == source_id)


def all_sources(session: Session) -> list[Source]:
    """Every source, watched or not, in the order they were added."""
    return list(session.scalars(select(Source).order_by(Source.id)))


def watched_sources(session: Session, source_id: int | None = None) -> list[Source]:
    """The sources being watched (or the one with this id, if it is), in order."""
    return list(session.scalars(active_sources(source_id)))


def source_state(source: Source) -> str:
    """How a source's last poll went, in a few words."""
    if source.last_polled_at is None:
        return "not polled yet"
    if source.last_error:
        return f"failing ({source.failures}x): {source.last_error}"
    if source.last_status == 304:
        return "unchanged (304)"
    return "ok"


def archived_any_article(session: Session, run_id: int) -> bool:
    """Whether a crawl run stored a snapshot of any article found on a source."""
    first = session.scalar(
        select(Snapshot.id)
        .join(Article, Article.target_id == Snapshot.target_id)
        .where(Snapshot.crawl_run_id == run_id)
        .limit(1)
    )
    return first is not None


def cited_hosts(session: Session) -> list[tuple[str, int]]:
    """Hosts cited by stored documents that no source watches yet, most cited first."""
    watched = select(Source.host).where(Source.active.is_(True))
    rows = session.execute(
        select(Target.host, func.count(Citation.id))
        .join(Citation, Citation.target_id == Target.id)
        .where(Target.host.not_in(watched))
        .group_by(Target.host)
        .order_by(func.count(Citation.id).desc(), Target.host)
    )
    return [(host, count) for host, count in rows if host]


def cited_channels(session: Session) -> list[tuple[str, int]]:
    """Telegram channels whose posts stored documents cite and no source watches yet, by
    their preview URL, most cited first."""
    watched = {
        (channel_name(url) or "").lower()
        for url in session.scalars(
            select(Source.url).where(Source.active.is_(True), Source.kind == "telegram")
        )
    }
    counts: dict[str, int] = {}
    spelled: dict[str, str] = {}
    rows = session.execute(
        select(Target.canonical_url, func.count(Citation.id))
        .join(Citation, Citation.target_id == Target.id)
        .where(Target.host.in_(TELEGRAM_HOSTS))
        .group_by(Target.canonical_url)
    )
    for url, count in rows:
        channel = channel_name(url)
        if channel and channel.lower() not in watched:
            spelled.setdefault(channel.lower(), channel_preview_url(url) or url)
            counts[channel.lower()] = counts.get(channel.lower(), 0) + count
    ranked = sorted(counts, key=lambda key: (-counts[key], key))
    return [(spelled[key], counts[key]) for key in ranked]


def new_articles(
    session: Session,
    source: Source,
    entries: Sequence[Entry],
    now: datetime,
    rules: TrackingRules,
    limit: int,
) -> list[Article]:
    """Articles for the entries never seen before (by canonical URL), at most `limit`, stored."""
    wanted: dict[str, Entry] = {}
    for entry in entries:
        try:
            canonical = canonical_url(entry.url, rules)
        except UrlError:
            continue
        if urlsplit(canonical).scheme in ("http", "https"):
            wanted.setdefault(canonical, entry)
    known = _known_urls(session, list(wanted))
    fresh = [url for url in wanted if url not in known][:limit]
    if not fresh:
        return []
    targets = ensure_targets(session, fresh, now)
    articles = [
        Article(
            target_id=targets[url].id,
            source_id=source.id,
            title=(wanted[url].title or "")[:1000] or None,
            published=(wanted[url].published or "")[:40] or None,
            found_at=now,
        )
        for url in fresh
    ]
    session.add_all(articles)
    session.flush()
    return articles


def unfetched_articles(session: Session) -> list[Target]:
    """Targets of articles found but not fetched yet (a crawl stopped before it got to them)."""
    fetched = select(Snapshot.target_id)
    return list(
        session.scalars(
            select(Target)
            .join(Article, Article.target_id == Target.id)
            .where(Target.id.not_in(fetched))
            .order_by(Article.id)
        )
    )


def _known_urls(session: Session, urls: list[str]) -> set[str]:
    """Which of these canonical URLs are already targets (cited, or found before)."""
    known: set[str] = set()
    hashes = {url_hash(url): url for url in urls}
    for chunk in batches(list(hashes)):
        for key in session.scalars(select(Target.url_hash).where(Target.url_hash.in_(chunk))):
            known.add(hashes[key])
    return known
