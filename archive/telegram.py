"""Public Telegram channels through Telegram's web preview: no account, no API key.

https://t.me/s/<channel> lists a public channel's latest posts (about twenty; `?before=<id>` the
ones before), each a `div.tgme_widget_message` carrying the post's text, date, views and media.
https://t.me/<channel>/<id> carries one post in its Open Graph tags (og:description is the text,
og:title the channel); the post itself is drawn there by a script, so the page has no date,
views or media of its own (its og:image is the photo, or the channel's avatar: we cannot tell
which). The `?embed=1` page that script loads has the channel page's widget markup.

Only lxml and the standard library load here: archive/text.py calls `telegram_text` on every
archived page whose URL is a Telegram post.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from lxml import html as lxml_html

if TYPE_CHECKING:  # archive.text imports this module: ExtractedText is imported when used
    from archive.text import ExtractedText

TELEGRAM_HOSTS = frozenset({"t.me", "www.t.me", "telegram.me", "www.telegram.me", "telegram.dog"})
PREVIEW_ORIGIN = "https://t.me"
# A public username: 5 to 32 letters, digits and underscores, starting with a letter (a few old
# ones have 4).
USERNAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")
# t.me paths that look like usernames but are Telegram's own pages.
RESERVED = frozenset(
    {
        "addemoji",
        "addlist",
        "addstickers",
        "addtheme",
        "boost",
        "confirmphone",
        "contact",
        "giftcode",
        "invoice",
        "joinchat",
        "login",
        "proxy",
        "setlanguage",
        "share",
        "socks",
    }
)
VIEWS_RE = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*([KMB]?)\s*$", re.IGNORECASE)
VIEWS_SCALE = {"": 1, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000}
CSS_URL_RE = re.compile(r"""url\(\s*['"]?([^'")]+?)['"]?\s*\)""")
SPACE_RE = re.compile(r"[ \t\r\n\f]+")  # HTML's white space; a no-break space stays
HEADLINE_LENGTH = 120  # characters of a post's first line used as its title
MIN_LANGUAGE_SAMPLE = 40  # characters; as in archive/text.py, shorter texts give no good guess

MESSAGE = "//div[contains(concat(' ', normalize-space(@class), ' '), ' tgme_widget_message ')]"
TEXT = (
    ".//div[contains(concat(' ', normalize-space(@class), ' '), ' tgme_widget_message_text ')]"
    "[not(ancestor::*[contains(@class, 'tgme_widget_message_reply')])]"
    "[not(ancestor::*[contains(@class, 'tgme_widget_message_link_preview')])]"
)
BLOCKS = frozenset({"blockquote", "div", "p", "pre"})  # end a line inside a post's text


@dataclass(frozen=True)
class TelegramPost:
    """One post of a public channel, as Telegram's web preview shows it."""

    channel: str  # the username, as Telegram spells it
    post_id: int
    url: str  # https://t.me/<channel>/<id>
    text: str  # line breaks kept
    published: datetime | None = None  # aware, UTC
    views: int | None = None
    media: list[str] = field(default_factory=list)  # photos, videos, documents, audio
    links: list[str] = field(default_factory=list)  # links in the text
    channel_title: str | None = None
    author: str | None = None  # the signature of a signed post

    @property
    def headline(self) -> str | None:
        """The post's first line, shortened: what stands for a title (posts have none)."""
        line = next((line for line in self.text.splitlines() if line.strip()), "").strip()
        if len(line) <= HEADLINE_LENGTH:
            return line or None
        cut = line[: HEADLINE_LENGTH - 1].rsplit(" ", 1)[0]
        return cut.rstrip(" ,.;:—-") + "…"


def post_address(url: str) -> tuple[str, int] | None:
    """(channel, post id) of a post URL: t.me/<channel>/<id> or t.me/s/<channel>/<id>."""
    parts = _telegram_path(url)
    if parts and parts[0] == "s":
        parts = parts[1:]
    if len(parts) != 2 or not parts[1].isdigit() or not _is_username(parts[0]):
        return None
    return parts[0], int(parts[1])


def is_telegram_post(url: str) -> bool:
    """Whether a URL is one post of a public Telegram channel."""
    return post_address(url) is not None


def channel_name(url: str) -> str | None:
    """The channel of a t.me/<channel>, t.me/s/<channel> or post URL."""
    parts = _telegram_path(url)
    if parts and parts[0] == "s":
        parts = parts[1:]
    if not 1 <= len(parts) <= 2 or not _is_username(parts[0]):
        return None
    if len(parts) == 2 and not parts[1].isdigit():
        return None
    return parts[0]


def channel_preview_url(url: str) -> str | None:
    """https://t.me/s/<channel> for a channel (or one of its posts), else None."""
    channel = channel_name(url)
    return f"{PREVIEW_ORIGIN}/s/{channel}" if channel else None


def post_url(channel: str, post_id: int) -> str:
    """A post's address: https://t.me/<channel>/<id>, whichever page it was read from."""
    return f"{PREVIEW_ORIGIN}/{channel}/{post_id}"


def parse_views(text: str) -> int | None:
    """A view counter as Telegram writes it: "845", "1.2K" (1200), "3M" (3000000)."""
    found = VIEWS_RE.match(text)
    if found is None:
        return None
    try:
        number = Decimal(found.group(1).replace(",", "."))
    except InvalidOperation:
        return None
    return int(number * VIEWS_SCALE[found.group(2).upper()])


def parse_channel_page(html: str, base_url: str) -> list[TelegramPost]:
    """The posts on a channel preview page (t.me/s/<channel>), in page order (oldest first)."""
    tree = _tree(html)
    if tree is None:
        return []
    title = _text_of(tree.xpath(f"//div[{_has_class('tgme_channel_info_header_title')}]"))
    posts: dict[tuple[str, int], TelegramPost] = {}
    for message in tree.xpath(MESSAGE):
        post = _post(message, base_url, title)
        if post is not None:
            posts.setdefault((post.channel.lower(), post.post_id), post)
    return list(posts.values())


def is_channel_page(html: str) -> bool:
    """Whether a page is a channel preview, even one with no posts."""
    tree = _tree(html)
    return tree is not None and bool(
        tree.xpath(f"//div[{_has_class('tgme_channel_info')}] | {MESSAGE}")
    )


def older_posts_url(posts: list[TelegramPost], base_url: str) -> str | None:
    """The channel page listing the posts before these (t.me/s/<channel>?before=<lowest id>)."""
    if not posts:
        return None
    oldest = min(posts, key=lambda post: post.post_id)
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}/s/{oldest.channel}?before={oldest.post_id}"


def parse_post_page(html: str, url: str) -> TelegramPost | None:
    """The post a single-post page shows: from its widget markup (the ?embed=1 page, or a
    channel page opened at the post), else from its Open Graph tags; None if it shows none."""
    tree = _tree(html)
    if tree is None:
        return None
    address = post_address(url)
    title = _text_of(tree.xpath(f"//div[{_has_class('tgme_channel_info_header_title')}]"))
    widgets = [p for m in tree.xpath(MESSAGE) if (p := _post(m, url, title)) is not None]
    if address is not None:
        wanted = (address[0].lower(), address[1])
        matching = [p for p in widgets if (p.channel.lower(), p.post_id) == wanted]
        if matching:
            return matching[0]
    elif len(widgets) == 1:
        return widgets[0]
    return _post_from_open_graph(tree, url, address)


def telegram_note(post: TelegramPost, shown: int = 5) -> str:
    """One line on what the post's embed page adds: views and media links."""
    parts = ["Telegram post"]
    if post.published is not None:
        parts.append(f"published {post.published:%Y-%m-%d %H:%M} UTC")
    if post.views is not None:
        parts.append(f"{post.views:,} views")
    if post.media:
        listed = ", ".join(post.media[:shown]) + (" …" if len(post.media) > shown else "")
        parts.append(f"{len(post.media)} media: {listed}")
    return "; ".join(parts)


def telegram_channels(html: str, base_url: str) -> list[str]:
    """Preview URLs of the Telegram channels a page links to (a site's own channel, usually)."""
    tree = _tree(html)
    if tree is None:
        return []
    found: dict[str, str] = {}
    for href in tree.xpath("//a/@href"):
        link = urljoin(base_url, href.strip())
        channel = channel_name(link)
        if channel and not channel.lower().endswith("bot") and not post_address(link):
            found.setdefault(channel.lower(), f"{PREVIEW_ORIGIN}/s/{channel}")
    return list(found.values())


def telegram_text(url: str, html: str) -> ExtractedText | None:
    """The extracted text of an archived Telegram post: the post's own text, title (its first
    line), channel and date, not the page around it; None if the URL or page is not a post."""
    if not is_telegram_post(url):
        return None
    post = parse_post_page(html, url)
    if post is None:
        return None
    from archive.text import ExtractedText  # here: archive.text imports this module
    from models.kinds import Extraction

    published = post.published.isoformat() if post.published else None
    author = post.author or post.channel_title
    if not post.text:
        return ExtractedText(
            Extraction.EMPTY, title=post.headline, author=author, published=published
        )
    language = None
    if len(post.text) >= MIN_LANGUAGE_SAMPLE:
        import py3langid  # loaded already wherever archive.text runs

        language = py3langid.classify(post.text[:5000])[0]
    return ExtractedText(
        Extraction.OK, post.text, post.headline, author, published, language or None
    )


def _post(
    message: lxml_html.HtmlElement, base_url: str, page_title: str | None
) -> TelegramPost | None:
    """One widget message, or None for service messages and messages without an address."""
    if "service_message" in (message.get("class") or ""):
        return None  # "channel photo updated" and the like
    channel, _, number = (message.get("data-post") or "").partition("/")
    if not _is_username(channel) or not number.isdigit():
        return None
    post_id = int(number)
    text_nodes = message.xpath(TEXT)
    owner = message.xpath(f".//a[{_has_class('tgme_widget_message_owner_name')}]")
    signature = message.xpath(f".//*[{_has_class('tgme_widget_message_from_author')}]")
    views = message.xpath(f".//*[{_has_class('tgme_widget_message_views')}]")
    return TelegramPost(
        channel=channel,
        post_id=post_id,
        url=post_url(channel, post_id),
        text=_message_text(text_nodes[0]) if text_nodes else "",
        published=_published(message),
        views=parse_views(views[0].text_content()) if views else None,
        media=_media(message, base_url),
        links=_links(text_nodes[0], base_url) if text_nodes else [],
        channel_title=_text_of(owner) or page_title,
        author=_text_of(signature),
    )


def _post_from_open_graph(
    tree: lxml_html.HtmlElement, url: str, address: tuple[str, int] | None
) -> TelegramPost | None:
    """A single-post page (t.me/<channel>/<id>): its og:description is the post's text."""
    if not tree.xpath(f"//div[{_has_class('tgme_page_post')}] | //*[@data-telegram-post]"):
        return None  # a channel's page, a deleted post's, or not Telegram's at all
    for embedded in tree.xpath("//*[@data-telegram-post]/@data-telegram-post"):
        channel, _, number = embedded.partition("/")
        if _is_username(channel) and number.isdigit():
            address = (channel, int(number))
    if address is None:
        return None
    channel, post_id = address
    text = _meta(tree, "og:description") or _meta(tree, "twitter:description") or ""
    return TelegramPost(
        channel=channel,
        post_id=post_id,
        url=post_url(channel, post_id),
        text=_clean_lines(text),
        channel_title=_meta(tree, "og:title") or _meta(tree, "twitter:title"),
    )


def _message_text(node: lxml_html.HtmlElement) -> str:
    """A post's text: white space as a browser collapses it, <br> and blocks as line breaks."""
    pieces: list[str] = []

    def walk(element: lxml_html.HtmlElement) -> None:
        if element.tag == "br":
            pieces.append("\n")
        elif isinstance(element.tag, str):  # not a comment
            pieces.append(SPACE_RE.sub(" ", element.text or ""))
            for child in element:
                walk(child)
                pieces.append(SPACE_RE.sub(" ", child.tail or ""))
            if element.tag in BLOCKS and element is not node:
                pieces.append("\n")

    walk(node)
    return _clean_lines("".join(pieces))


def _clean_lines(text: str) -> str:
    """Lines trimmed, at most one empty line in a row, none at either end."""
    lines = [line.strip(" \t") for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _published(message: lxml_html.HtmlElement) -> datetime | None:
    """The post's date (from the date link's <time>), as aware UTC."""
    stamps = message.xpath(
        f".//a[{_has_class('tgme_widget_message_date')}]//time/@datetime"
    ) or message.xpath(".//time/@datetime")
    for stamp in stamps:
        try:
            when = datetime.fromisoformat(stamp.strip().replace("Z", "+00:00"))
        except ValueError:
            continue
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    return None


def _media(message: lxml_html.HtmlElement, base_url: str) -> list[str]:
    """Photo, video, document and audio links of a post, in page order, each once."""
    found: list[str] = []
    photo = _has_class("tgme_widget_message_photo_wrap")
    document = _has_class("tgme_widget_message_document_wrap")
    player = _has_class("tgme_widget_message_video_player")
    for element in message.xpath(
        f".//a[{photo}] | .//video | .//audio | .//a[{document}] | .//a[{player}][not(.//video)]"
    ):
        if element.tag in ("video", "audio"):
            link = element.get("src")
        elif "tgme_widget_message_photo_wrap" in (element.get("class") or ""):
            link = _css_url(element.get("style") or "")
        elif "tgme_widget_message_video_player" in (element.get("class") or ""):
            thumbs = element.xpath(f".//*[{_has_class('tgme_widget_message_video_thumb')}]")
            link = _css_url(thumbs[0].get("style") or "") if thumbs else None
        else:
            link = element.get("href")
        if link:
            absolute = urljoin(base_url, link.strip())
            if absolute not in found:
                found.append(absolute)
    return found


def _links(node: lxml_html.HtmlElement, base_url: str) -> list[str]:
    """The web links in a post's text (not its hashtag searches, ?q=%23...), each once."""
    found: list[str] = []
    for href in node.xpath(".//a/@href"):
        link = urljoin(base_url, href.strip())
        parts = urlsplit(link)
        web = parts.scheme in ("http", "https") and not parts.query.startswith("q=")
        if web and link not in found:
            found.append(link)
    return found


def _css_url(style: str) -> str | None:
    found = CSS_URL_RE.search(style)
    return found.group(1) if found else None


def _meta(tree: lxml_html.HtmlElement, name: str) -> str | None:
    """A <meta property=...> or <meta name=...> value."""
    for value in tree.xpath(f"//meta[@property='{name}' or @name='{name}']/@content"):
        if value.strip():
            return str(value).strip()
    return None


def _text_of(elements: list[lxml_html.HtmlElement]) -> str | None:
    """The first element's text, white space collapsed."""
    if not elements:
        return None
    return SPACE_RE.sub(" ", elements[0].text_content()).strip() or None


def _tree(html: str) -> lxml_html.HtmlElement | None:
    return lxml_html.document_fromstring(html) if html.strip() else None


def _telegram_path(url: str) -> list[str]:
    """The path segments of a t.me URL (scheme optional), or [] for any other URL."""
    parts = urlsplit(url if "//" in url else f"https://{url}")
    if (parts.hostname or "").lower() not in TELEGRAM_HOSTS:
        return []
    return [segment for segment in parts.path.split("/") if segment]


def _has_class(name: str) -> str:
    """An XPath test for one class of an element (the class name, not a substring of one)."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def _is_username(name: str) -> bool:
    return bool(USERNAME_RE.fullmatch(name)) and name.lower() not in RESERVED
