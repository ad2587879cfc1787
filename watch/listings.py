"""Article links out of what a watched source answers: a feed, a sitemap or a listing page.

Feeds are read by feedparser (RSS 0.9x-2.0, RSS 1.0, Atom), listing pages by courlan's link
filter (it drops navigation, tag and login links); sitemaps are small XML read with lxml,
entities and network access off. Discovery of a site's feeds and sitemaps uses trafilatura.
"""

from __future__ import annotations

import calendar
import gzip
import io
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import courlan
import feedparser
from lxml import etree
from trafilatura.feeds import FeedParameters, determine_feed
from trafilatura.sitemaps import extract_robots_sitemaps

from archive.charset import UndecodableError, charset_from_content_type, decode_text

KINDS = ("feed", "sitemap", "page")
MAX_SITEMAP_BYTES = 50 * 2**20  # the sitemap protocol's own limit, also for .xml.gz
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
    """What one poll of a source found: article links, and further sitemaps to read."""

    entries: list[Entry]
    sitemaps: list[str]


def read_listing(kind: str, body: bytes, url: str, content_type: str | None = None) -> Listing:
    """The article links in a source's answer; `kind` may be "auto"."""
    if kind == "auto":
        kind = guess_kind(body, content_type)
    if kind == "feed":
        return Listing(feed_entries(body, url), [])
    if kind == "sitemap":
        return sitemap_listing(body, url)
    if kind == "page":
        try:
            html = decode_text(body, charset_from_content_type(content_type), html=True)
        except UndecodableError as exc:
            raise ListingError(f"undecodable listing page: {exc}") from None
        return Listing(page_entries(html, url), [])
    raise ListingError(f"unknown source kind {kind!r}; use one of {', '.join(KINDS)}")


def guess_kind(body: bytes, content_type: str | None) -> str:
    """feed, sitemap or page, from the first bytes of the answer."""
    head = _ungzip(body)[:2000].lower()
    if b"<urlset" in head or b"<sitemapindex" in head:
        return "sitemap"
    if b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head:
        return "feed"
    if content_type and FEED_TYPE_RE.search(content_type):
        return "feed"
    return "page"


def feed_entries(body: bytes, url: str) -> list[Entry]:
    """The items of an RSS or Atom feed, newest first."""
    parsed = feedparser.parse(io.BytesIO(body), response_headers={"content-location": url})
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
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        root = etree.fromstring(_ungzip(body), parser)
    except etree.XMLSyntaxError as exc:
        raise ListingError(f"not a readable sitemap: {exc}") from None
    if root is None or etree.QName(root).localname not in ("urlset", "sitemapindex"):
        raise ListingError("not a sitemap: no <urlset> or <sitemapindex>")
    if etree.QName(root).localname == "sitemapindex":
        return Listing([], [urljoin(url, loc) for loc in _texts(root, "sitemap", "loc")])
    entries = []
    for node in root:
        if not isinstance(node.tag, str) or etree.QName(node).localname != "url":
            continue
        fields = {
            etree.QName(child).localname: (child.text or "").strip()
            for child in node.iter()
            if isinstance(child.tag, str)
        }
        if fields.get("loc"):
            entries.append(
                Entry(
                    urljoin(url, fields["loc"]),
                    fields.get("title") or None,  # news:title
                    fields.get("publication_date") or fields.get("lastmod") or None,
                )
            )
    return Listing(newest_first(entries), [])


def page_entries(html: str, url: str) -> list[Entry]:
    """Links on a listing page to pages of the same site that look like articles, in page order."""
    links = courlan.extract_links(html, url, external_bool=False)
    host = urlsplit(url).hostname
    listed = [
        link for link in links if urlsplit(link).hostname == host and _looks_like_article(link, url)
    ]
    order = {link: _position(html, link) for link in listed}
    return [Entry(link) for link in sorted(listed, key=lambda link: order[link])]


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


def _texts(root: etree._Element, parent: str, child: str) -> list[str]:
    return [
        (node.text or "").strip()
        for node in root.iter()
        if isinstance(node.tag, str)
        and etree.QName(node).localname == child
        and etree.QName(node.getparent()).localname == parent
        and (node.text or "").strip()
    ]


def _first_link(item: feedparser.FeedParserDict) -> str | None:
    for link in item.get("links", []):
        if link.get("href"):
            return str(link["href"])
    return None


def _ungzip(body: bytes) -> bytes:
    """A .xml.gz sitemap's XML, capped."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as packed:
            data = packed.read(MAX_SITEMAP_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise ListingError(f"broken gzip data: {exc}") from None
    if len(data) > MAX_SITEMAP_BYTES:
        raise ListingError(f"sitemap unpacks to over {MAX_SITEMAP_BYTES // 2**20} MB")
    return data
