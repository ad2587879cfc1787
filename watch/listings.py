"""Article links out of what a watched source answers: a feed, a sitemap, a listing page or a
Telegram channel's preview page.

Feeds are read by feedparser (RSS 0.9x-2.0, RSS 1.0, Atom), listing pages by courlan's link
filter (it drops navigation, tag and login links); sitemaps are read with lxml's pull parser as
they unpack, entities and network access off, each <url> dropped once read, so a sitemap of
40 MB costs what its newest 50,000 entries cost; a channel's posts by watch/telegram.py.
Discovery of a site's feeds and sitemaps uses trafilatura.
"""

from __future__ import annotations

import calendar
import heapq
import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import courlan
import feedparser
from lxml import etree
from trafilatura.feeds import FeedParameters, determine_feed
from trafilatura.sitemaps import extract_robots_sitemaps

from archive.charset import UndecodableError, charset_from_content_type, decode_text
from archive.decompress import GZIP_WBITS, inflate
from archive.telegram import is_channel_page, older_posts_url, parse_channel_page
from models.cases import SOURCE_KINDS

# The sitemap protocol's own limits (also for .xml.gz, unpacked); of a longer sitemap the newest
# MAX_SITEMAP_URLS entries are kept.
MAX_SITEMAP_BYTES = 50 * 2**20
MAX_SITEMAP_URLS = 50_000
MAX_FEED_BYTES = 10 * 2**20  # a feed lists recent items: a few hundred KB; feedparser is slow
XML_SLICE = 2**20  # bytes handed to the XML parser at a time
GZIP_MAGIC = b"\x1f\x8b"
SITEMAP_TAGS = ("{*}urlset", "{*}sitemapindex", "{*}url", "{*}sitemap")  # in any namespace
FEED_TYPE_RE = re.compile(r"(rss|atom|rdf)\+xml|application/xml|text/xml", re.IGNORECASE)
COMMON_FEEDS = ("/feed", "/rss", "/rss.xml", "/feed.xml", "/atom.xml")


class ListingError(Exception):
    """A source's answer could not be read as the kind of listing it is."""


@dataclass(frozen=True)
class Entry:
    """An article link a source lists, with what the source says about it."""

    url: str
    title: str | None = None
    published: str | None = None  # ISO 8601, when the source gives a date


@dataclass(frozen=True)
class Listing:
    """What one poll of a source found: article links, and further sitemaps to read; for a
    Telegram channel, the page of its older posts."""

    entries: list[Entry]
    sitemaps: list[str]
    older: str | None = None


def read_listing(kind: str, body: bytes, url: str, content_type: str | None = None) -> Listing:
    """The article links in a source's answer; `kind` may be "auto"."""
    if kind == "auto":
        kind = guess_kind(body, content_type)
    if kind == "feed":
        return Listing(feed_entries(body, url), [])
    if kind == "sitemap":
        return sitemap_listing(body, url)
    if kind in ("page", "telegram"):
        try:
            html = decode_text(body, charset_from_content_type(content_type), html=True)
        except UndecodableError as exc:
            raise ListingError(f"undecodable {kind} page: {exc}") from None
        if kind == "telegram":
            return telegram_listing(html, url)
        return Listing(page_entries(html, url), [])
    raise ListingError(f"unknown source kind {kind!r}; use one of {', '.join(SOURCE_KINDS)}")


def guess_kind(body: bytes, content_type: str | None) -> str:
    """feed, sitemap or page, from the first bytes of the answer."""
    head = b"".join(_head(_unpacked(body, MAX_SITEMAP_BYTES, "answer"), 2000))[:2000].lower()
    if b"<urlset" in head or b"<sitemapindex" in head:
        return "sitemap"
    if b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head:
        return "feed"
    if content_type and FEED_TYPE_RE.search(content_type):
        return "feed"
    return "page"


def feed_entries(body: bytes, url: str) -> list[Entry]:
    """The items of an RSS or Atom feed, newest first."""
    data = b"".join(_unpacked(body, MAX_FEED_BYTES, "feed"))
    parsed = feedparser.parse(io.BytesIO(data), response_headers={"content-location": url})
    if not parsed.entries and parsed.get("bozo"):
        raise ListingError(f"not a readable feed: {parsed.get('bozo_exception')}")
    entries = []
    for item in parsed.entries:
        link = item.get("link") or _first_link(item)
        if not link:
            continue
        stamp = item.get("published_parsed") or item.get("updated_parsed")
        published = (
            datetime.fromtimestamp(calendar.timegm(stamp), UTC).isoformat() if stamp else None
        )
        title = " ".join(str(item.get("title", "")).split()) or None
        entries.append(Entry(urljoin(url, link), title, published))
    return newest_first(entries)


def sitemap_listing(body: bytes, url: str) -> Listing:
    """The pages of a sitemap (newest first by lastmod) or the sitemaps of a sitemap index."""
    elements = _sitemap_elements(body)
    root = next(elements, None)
    if root is None or etree.QName(root).localname not in ("urlset", "sitemapindex"):
        raise ListingError("not a sitemap: no <urlset> or <sitemapindex>")
    if etree.QName(root).localname == "sitemapindex":
        found = (_fields(node).get("loc") for node in elements)
        sitemaps = [_absolute(url, loc) for loc in found if loc]
        return Listing([], sitemaps[:MAX_SITEMAP_URLS])
    entries = (
        Entry(
            _absolute(url, fields["loc"]),
            fields.get("title") or None,  # news:title
            fields.get("publication_date") or fields.get("lastmod") or None,
        )
        for fields in map(_fields, elements)
        if fields.get("loc")
    )
    # nlargest is sorted(..., reverse=True)[:n] (stable, as newest_first) holding only n entries
    newest = heapq.nlargest(MAX_SITEMAP_URLS, entries, key=lambda e: _timestamp(e.published))
    return Listing(newest, [])


def _sitemap_elements(body: bytes) -> Iterator[etree._Element]:
    """The root element, then each of its children once parsed (and then dropped from the tree),
    the XML unpacked and parsed a slice at a time."""
    parser = etree.XMLPullParser(
        events=("start", "end"),
        tag=SITEMAP_TAGS,  # Python sees these elements only; their children stay in lxml
        resolve_entities=False,
        no_network=True,
        recover=True,
        huge_tree=False,
    )
    root: etree._Element | None = None
    try:
        for piece in _unpacked(body, MAX_SITEMAP_BYTES, "sitemap"):
            parser.feed(piece)
            for event, element in parser.read_events():
                if root is None and event == "start":
                    root = element
                    yield root
                elif event == "end" and element.getparent() is root and root is not None:
                    yield element
                    element.clear(keep_tail=False)
                    while element.getprevious() is not None:  # already read: drop
                        del root[0]
        parser.close()
    except etree.XMLSyntaxError as exc:
        raise ListingError(f"not a readable sitemap: {exc}") from None


def _absolute(base: str, loc: str) -> str:
    """A sitemap's URL made absolute (urljoin is slow, and the protocol wants them absolute)."""
    return loc if loc.startswith(("http://", "https://")) else urljoin(base, loc)


def _fields(node: etree._Element) -> dict[str, str]:
    """An element's descendants by local name: their text (loc, lastmod, news:title ...); the
    first of a name wins, so an <image:loc> inside a <url> does not replace its <loc>."""
    fields: dict[str, str] = {}
    for child in node.iter():
        if isinstance(child.tag, str):
            fields.setdefault(child.tag.rpartition("}")[2], (child.text or "").strip())
    return fields


def page_entries(html: str, url: str) -> list[Entry]:
    """Links on a listing page to pages of the same site that look like articles, in page order."""
    links = courlan.extract_links(html, url, external_bool=False)
    host = urlsplit(url).hostname
    listed = [
        link for link in links if urlsplit(link).hostname == host and _looks_like_article(link, url)
    ]
    order = {link: _position(html, link) for link in listed}
    return [Entry(link) for link in sorted(listed, key=lambda link: order[link])]


def telegram_listing(html: str, url: str) -> Listing:
    """The posts on a channel's preview page, newest first (by post id: Telegram numbers a
    channel's posts in order), and the page of the posts before them."""
    posts = parse_channel_page(html, url)
    if not posts and not is_channel_page(html):
        raise ListingError("not a Telegram channel's preview page (is the channel public?)")
    posts.sort(key=lambda post: post.post_id, reverse=True)
    entries = [
        Entry(post.url, post.headline, post.published.isoformat() if post.published else None)
        for post in posts
    ]
    return Listing(entries, [], older_posts_url(posts, url))


def newest_first(entries: list[Entry]) -> list[Entry]:
    """Dated entries newest first, then undated ones in the order listed."""
    return sorted(entries, key=lambda e: _timestamp(e.published), reverse=True)


def feeds_in_page(html: str, url: str) -> list[str]:
    """Feed URLs a home page announces (<link rel="alternate">, else feed-looking links)."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    return determine_feed(html, FeedParameters(origin, parts.hostname or "", url))


def sitemaps_in_robots(robots_txt: str, url: str) -> list[str]:
    """Sitemap URLs a robots.txt names."""
    parts = urlsplit(url)
    return extract_robots_sitemaps(robots_txt, f"{parts.scheme}://{parts.netloc}")


def _looks_like_article(link: str, listing_url: str) -> bool:
    path = urlsplit(link).path.strip("/")
    if not path or link.rstrip("/") == listing_url.rstrip("/"):
        return False
    segments = path.split("/")
    return len(segments) >= 2 or any(c.isdigit() for c in path) or "-" in path


def _position(html: str, link: str) -> int:
    path = urlsplit(link).path
    found = html.find(path) if path else -1
    return found if found >= 0 else len(html)


def _timestamp(published: str | None) -> float:
    if not published:
        return float("-inf")
    try:
        stamp = datetime.fromisoformat(published.replace("Z", "+00:00"))
    except ValueError:
        return float("-inf")
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()


def _first_link(item: feedparser.FeedParserDict) -> str | None:
    for link in item.get("links", []):
        if link.get("href"):
            return str(link["href"])
    return None


def _unpacked(body: bytes, limit: int, what: str) -> Iterator[bytes]:
    """The answer's bytes a slice at a time, gunzipped if gzipped (.xml.gz); at most `limit`."""
    packed = body.startswith(GZIP_MAGIC)
    pieces = inflate((body,), GZIP_WBITS) if packed else _slices(body)
    size = 0
    try:
        for piece in pieces:
            size += len(piece)
            if size > limit:
                verb = "unpacks to" if packed else "is"
                raise ListingError(f"{what} {verb} over {limit // 2**20} MB; not read")
            yield piece
    except zlib.error as exc:
        raise ListingError(f"broken gzip data: {exc}") from None


def _slices(body: bytes) -> Iterator[bytes]:
    view = memoryview(body)
    for start in range(0, len(body), XML_SLICE):
        yield bytes(view[start : start + XML_SLICE])


def _head(pieces: Iterator[bytes], size: int) -> Iterator[bytes]:
    """The first pieces, until they come to `size` bytes."""
    seen = 0
    for piece in pieces:
        yield piece
        seen += len(piece)
        if seen >= size:
            return
