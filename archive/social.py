"""What the public page of a social-network post or a YouTube video shows without an account.

Facebook, Instagram and X show a post only to a logged-in browser; everyone else gets a login
wall or a script shell. Those pages still carry the post's Open Graph tags (and Twitter-card
tags), from which link previews are drawn: its title, its text (often cut short), its picture,
its address. A YouTube watch page draws the video with scripts too, but its title, channel,
upload date, description and thumbnail are in the HTML: Open Graph, schema.org microdata
(`<meta itemprop>`, the channel as `<link itemprop="name">` inside `<span itemprop="author">`),
JSON-LD when there is some, and the player's own JSON (`ytInitialPlayerResponse`), the one place
where the description is never cut short.

Pure functions of a URL and its HTML (the raw fetch or the rendered DOM); lxml and the standard
library only. archive/text.py uses them when a page's own text is not the post's.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from lxml import etree
from lxml import html as lxml_html

from config.hosts import within

# Registrable domains (their subdomains too) whose posts are shown to logged-in readers only.
SOCIAL_NETWORKS = {
    "facebook.com": "facebook",
    "fb.com": "facebook",
    "fb.watch": "facebook",
    "instagram.com": "instagram",
    "instagr.am": "instagram",
    "x.com": "x",
    "twitter.com": "x",
}
YOUTUBE_DOMAINS = ("youtube.com", "youtu.be")
VIDEO_ID_RE = re.compile(r"[A-Za-z0-9_-]{11}")
VIDEO_PATH_RE = re.compile(r"/(?:shorts|live)/([A-Za-z0-9_-]{11})(?:/|$)")
PLAYER_RESPONSE_RE = re.compile(r"ytInitialPlayerResponse\s*=\s*(?=\{)")
SPACE_RE = re.compile(r"[ \t\f\v\u00a0]+")
CUT_MARK_RE = re.compile(r"(?:\.\.\.|…)\s*$")  # how previews end a text they cut short
# Characters of a preview's text looked for in the page's own text: enough to be that post's,
# few enough to stay inside what a preview keeps before cutting (Facebook: about 150).
CARRIED_SAMPLE = 50

PREVIEW_NOTE = (
    "public preview only (Open Graph): the full post needs a logged-in capture ([crawl] cookies)"
)
VIDEO_NOTE = "video page metadata only (YouTube): title, channel, upload date and description"


@dataclass(frozen=True)
class PublicMetadata:
    """What a post's or a video's public page says about it."""

    network: str  # facebook, instagram, x or youtube
    title: str | None = None
    description: str | None = None
    image: str | None = None  # og:image, or the video's thumbnail
    url: str | None = None  # og:url: the post's own address
    site_name: str | None = None
    published: str | None = None  # article:published_time, or the video's upload date
    author: str | None = None  # the video's channel; a post's author when the page names one


@dataclass(frozen=True)
class SnapshotFields:
    """Public metadata as citewatch stores it for the snapshot, with a note saying so."""

    title: str | None
    text: str
    author: str | None
    published: str | None
    note: str


def network_of(url: str) -> str | None:
    """facebook, instagram or x for a page on those sites; youtube for a video's page (watch,
    shorts, live, youtu.be); else None."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    for domain, network in SOCIAL_NETWORKS.items():
        if within(host, domain):
            return network
    if not any(within(host, domain) for domain in YOUTUBE_DOMAINS):
        return None
    if host == "youtu.be":
        video = parts.path.strip("/").split("/")[0]
    elif parts.path.rstrip("/") == "/watch":
        video = (parse_qs(parts.query).get("v") or [""])[0]
    else:
        found = VIDEO_PATH_RE.match(parts.path)
        video = found.group(1) if found else ""
    return "youtube" if VIDEO_ID_RE.fullmatch(video) else None


def public_metadata(url: str, html: str) -> PublicMetadata | None:
    """The public metadata of a post's or video's page; None for other pages, and for pages
    that carry neither a title nor a description."""
    network = network_of(url)
    if network is None or not html.strip():
        return None
    try:
        tree = lxml_html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None
    tags = _meta_tags(tree)
    if network == "youtube":
        metadata = _youtube(tree, tags, url)
    else:
        metadata = _open_graph(network, tags, url)
    return metadata if metadata.title or metadata.description else None


def replaces_page_text(metadata: PublicMetadata, page_text: str, login_form: bool) -> bool:
    """Whether the public metadata, not the page's own text, is what to keep: always for a
    video (the page's text is YouTube's menus); for a post, behind a login wall, or when the
    page's text is not the post's (a script shell, a "JavaScript is disabled" notice)."""
    if metadata.network == "youtube" or login_form or not page_text.strip():
        return True
    return bool(metadata.description) and not _carries(page_text, metadata.description or "")


def snapshot_fields(metadata: PublicMetadata) -> SnapshotFields:
    """What the snapshot stores: the title, the description as its text (what nightly checks
    and case matching read), author and date, and a note on where they came from."""
    note = VIDEO_NOTE if metadata.network == "youtube" else PREVIEW_NOTE
    if metadata.image:  # the post's picture, the video's thumbnail: where it is, not fetched
        note += f"; image: {metadata.image}"
    return SnapshotFields(
        title=metadata.title,
        text=metadata.description or "",
        author=metadata.author,
        published=metadata.published,
        note=note,
    )


def _open_graph(network: str, tags: dict[str, str], url: str) -> PublicMetadata:
    """A post's Open Graph tags, Twitter-card tags where Open Graph has none."""
    return PublicMetadata(
        network=network,
        title=_line(_first(tags, "og:title", "twitter:title")),
        description=_paragraphs(_first(tags, "og:description", "twitter:description")),
        image=_address(
            url, _first(tags, "og:image", "og:image:url", "twitter:image", "twitter:image:src")
        ),
        url=_address(url, _first(tags, "og:url", "twitter:url")),
        site_name=_line(_first(tags, "og:site_name")),
        published=_line(_first(tags, "article:published_time", "og:published_time")),
        author=_line(_first(tags, "article:author", "twitter:creator")),
    )


def _youtube(tree: lxml_html.HtmlElement, tags: dict[str, str], url: str) -> PublicMetadata:
    """A video's metadata from every place the watch page keeps it, the fullest first."""
    item = _microdata(tree)
    linked = _json_ld_video(tree)
    player = _player_response(tree)
    details = _dict(player.get("videoDetails"))
    microformat = _dict(_dict(player.get("microformat")).get("playerMicroformatRenderer"))
    page_title = tree.findtext(".//title") or ""
    descriptions = [
        _string(linked.get("description")),
        _string(details.get("shortDescription")),
        _string(_dict(microformat.get("description")).get("simpleText")),
        item.get("description"),
        _first(tags, "og:description", "twitter:description", "description"),
    ]
    # Every one but the player's is cut short on YouTube's own pages: the longest is the whole.
    description = max((d.strip() for d in descriptions if d and d.strip()), key=len, default=None)
    return PublicMetadata(
        network="youtube",
        title=_line(
            _first(tags, "og:title", "twitter:title")
            or item.get("name")
            or _string(linked.get("name"))
            or _string(details.get("title"))
            or _first(tags, "title")
            or re.sub(r"\s+-\s+YouTube\s*$", "", page_title)
        ),
        description=_paragraphs(description),
        image=_address(
            url,
            _first(tags, "og:image", "twitter:image")
            or item.get("thumbnailUrl")
            or _thumbnail(linked.get("thumbnailUrl")),
        ),
        url=_address(url, _first(tags, "og:url") or _canonical(tree) or _string(linked.get("url"))),
        site_name=_line(_first(tags, "og:site_name")) or "YouTube",
        published=_line(
            item.get("uploadDate")
            or item.get("datePublished")
            or _string(linked.get("uploadDate"))
            or _string(linked.get("datePublished"))
            or _string(microformat.get("uploadDate"))
            or _string(microformat.get("publishDate"))
        ),
        author=_line(
            _channel(tree)
            or _person(linked.get("author"))
            or _string(details.get("author"))
            or _string(microformat.get("ownerChannelName"))
        ),
    )


def _meta_tags(tree: lxml_html.HtmlElement) -> dict[str, str]:
    """<meta property|name=... content=...>, names lowercased; the first non-empty one wins
    (og:image repeats: the first is the main picture)."""
    tags: dict[str, str] = {}
    for meta in tree.iter("meta"):
        name = (meta.get("property") or meta.get("name") or "").strip().lower()
        content = meta.get("content")
        if name and content and content.strip() and name not in tags:
            tags[name] = content
    return tags


def _microdata(tree: lxml_html.HtmlElement) -> dict[str, str]:
    """The page's own schema.org item properties (the video's), not those of items nested in
    it: the channel's `name` inside `<span itemprop="author">` is not the video's name."""
    found: dict[str, str] = {}
    for element in tree.xpath("//*[@itemprop][not(ancestor::*[@itemprop and @itemscope])]"):
        value = element.get("content") or element.get("href")
        name = element.get("itemprop", "").strip()
        if value and value.strip() and name not in found:
            found[name] = value
    return found


def _channel(tree: lxml_html.HtmlElement) -> str | None:
    """The channel's name: `<link itemprop="name">` inside the video's author item."""
    for element in tree.xpath("//*[@itemprop='author']//*[@itemprop='name']"):
        value = element.get("content") or element.text_content()
        if value and value.strip():
            return str(value)
    return None


def _canonical(tree: lxml_html.HtmlElement) -> str | None:
    """The page's <link rel="canonical">."""
    for link in tree.iter("link"):
        if (link.get("rel") or "").strip().lower() == "canonical" and link.get("href"):
            return str(link.get("href"))
    return None


def _json_ld_video(tree: lxml_html.HtmlElement) -> dict[str, Any]:
    """The first VideoObject of the page's JSON-LD (alone, in a list or in an @graph)."""
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        pending = [data]
        while pending:
            node = pending.pop(0)
            if isinstance(node, list):
                pending.extend(node)
            elif isinstance(node, dict):
                kinds = node.get("@type")
                if "VideoObject" in (kinds if isinstance(kinds, list) else [kinds]):
                    return node
                pending.extend(_list(node.get("@graph")))
    return {}


def _player_response(tree: lxml_html.HtmlElement) -> dict[str, Any]:
    """The JSON the watch page hands its player (`var ytInitialPlayerResponse = {...};`)."""
    for script in tree.iter("script"):
        source = script.text or ""
        found = PLAYER_RESPONSE_RE.search(source)
        if found is None:
            continue
        try:
            data, _ = json.JSONDecoder().raw_decode(source, found.end())
        except ValueError:
            continue
        return _dict(data)
    return {}


def _carries(page_text: str, description: str) -> bool:
    """Whether the page's text shows the post a preview describes: the preview's opening
    words (up to a cut mark) are in it."""
    sample = _comparable(CUT_MARK_RE.sub("", description))[:CARRIED_SAMPLE]
    return bool(sample) and sample in _comparable(page_text)


def _comparable(text: str) -> str:
    return " ".join(text.casefold().split())


def _first(tags: dict[str, str], *names: str) -> str | None:
    for name in names:
        if name in tags:
            return tags[name]
    return None


def _line(value: str | None) -> str | None:
    """One line, spaces collapsed; None when nothing is left."""
    text = " ".join(value.split()) if value else ""
    return text or None


def _paragraphs(value: str | None) -> str | None:
    """A text with its line breaks kept, spaces collapsed within lines."""
    if not value:
        return None
    lines = [SPACE_RE.sub(" ", line).strip() for line in value.replace("\r\n", "\n").split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text or None


def _address(base: str, value: str | None) -> str | None:
    """An absolute http(s) address, or None: a preview's links are kept, never fetched."""
    if not value or not value.strip():
        return None
    address = urljoin(base, value.strip())
    return address if urlsplit(address).scheme in ("http", "https") else None


def _thumbnail(value: object) -> str | None:
    """JSON-LD's thumbnailUrl: one address or a list of them."""
    for candidate in _list(value) if isinstance(value, list) else [value]:
        if isinstance(candidate, str) and candidate.strip():
            return candidate
    return None


def _person(value: object) -> str | None:
    """JSON-LD's author: a name, a Person, or a list of them."""
    for candidate in _list(value) if isinstance(value, list) else [value]:
        name = candidate.get("name") if isinstance(candidate, dict) else candidate
        if isinstance(name, str) and name.strip():
            return name
    return None


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
