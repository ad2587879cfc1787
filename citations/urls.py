"""Find the URLs written in a piece of text, the way people and converters write them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

import tldextract

# Markdown link: text may hold escaped or nested brackets, the target balanced parentheses.
MARKDOWN_LINK = (
    r"\[(?P<md_text>(?:\\.|[^\\\[\]]|\[(?:\\.|[^\\\[\]])*\])*)\]"
    r"\(\s*(?P<md_target><[^<>\n]*>|(?:[^\s()\\]|\\.|\((?:[^\s()\\]|\\.)*\))+)"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)"
)
# Autolink in angle brackets; a converter may have broken it across lines.
ANGLE_LINK = r"<(?P<angle>(?i:https?://|www\.)[^<>]*)>"
URL_CHARS = r"[^\s<>\"«»“”]"
# Schemes in any case: older legal texts write HTTP://WWW.ZAKON.KZ/...
BARE_URL = rf"(?<![\w@/.\-])(?P<bare>(?i:https?://|www\.){URL_CHARS}+)"
# A host with a public suffix followed by a path, written without a scheme (exclusive.kz/...).
SCHEMELESS_URL = (
    rf"(?<![\w@/.\-:%])(?P<host>(?:[^\W_](?:[\w-]{{0,61}}[^\W_])?\.)+[^\W\d_]{{2,24}})"
    rf"(?P<path>/{URL_CHARS}*)"
)
URL_RE = re.compile("|".join((MARKDOWN_LINK, ANGLE_LINK, BARE_URL, SCHEMELESS_URL)))
WEB_TARGET_RE = re.compile(r"^(?:https?://|www\.)", re.IGNORECASE)
MARKDOWN_ESCAPE_RE = re.compile(r"\\([!-/:-@\[-`{-~])")
TRAILING_PUNCTUATION = ".,;:!?'\"»”’)]}*"
CLOSERS = {")": "(", "]": "[", "}": "{"}
# A URL that ends in one of these cannot be complete: a line break cut it.
CUT_ENDINGS = tuple("-_=&?%+~")
LINE_BREAK_RE = re.compile(r"[ \t]*\n\s*")
TOKEN_RE = re.compile(URL_CHARS + "+")
CONTINUATION_RE = re.compile(r"^[\w%][\w\-./%?=&#~+:;,@!$*'()\[\]]*$")
# After a URL ending in "/", only a token that is clearly a path is taken as its rest.
PATH_TOKEN_RE = re.compile(r"[/=_%]|\.(?:html?|php|aspx?|jsp|pdf)$|-\w+-")


@dataclass(frozen=True)
class FoundUrl:
    """A URL as cited (markup removed, broken lines joined) and where it sits in the text."""

    url: str
    start: int
    end: int
    link_text: str | None = None


def find_urls(text: str) -> list[FoundUrl]:
    """Every web URL in the text, in order, with Markdown links reduced to their targets."""
    found: list[FoundUrl] = []
    position = 0
    while match := URL_RE.search(text, position):
        item = _from_match(match)
        position = match.end()
        if item is None:
            if match.group("md_text") is not None:
                inner = find_urls(match.group("md_text"))
                offset = match.start("md_text")
                found.extend(
                    FoundUrl(i.url, i.start + offset, i.end + offset, i.link_text) for i in inner
                )
            continue
        item = _join_continuations(text, item, closed=match.group("bare") is None)
        position = max(position, item.end)
        found.append(item)
    return found


def continues_url(before: str, after: str) -> bool:
    """Whether text after a line or paragraph break carries on the last URL before it."""
    last = ending_url(before)
    return last is not None and carries_on(before, last, after)


def ending_url(text: str) -> FoundUrl | None:
    """The text's last URL when nothing but whitespace follows it (a break may have cut it)."""
    urls = find_urls(text)
    return urls[-1] if urls and not text[urls[-1].end :].strip() else None


def carries_on(before: str, last: FoundUrl, after: str) -> bool:
    """Whether `after` carries on `last`, the URL that ends `before`."""
    joined = _join_continuations(before + "\n" + after, last, closed=before[last.end - 1] == ">")
    return joined.end > last.end


def _from_match(match: re.Match[str]) -> FoundUrl | None:
    """Turn one regex match into a FoundUrl, or None when it is not a web URL after all."""
    start, end = match.span()
    if match.group("md_target") is not None:
        target = match.group("md_target").strip("<>").strip()
        if not WEB_TARGET_RE.match(target):
            return None
        label = _unescape(match.group("md_text")).strip()
        url = _unescape(target)
        if _same_link(label, url):
            # The link shows its own address: cite it as written (converters percent-encode
            # the target, e.g. mark[] becomes mark%5B%5D).
            return FoundUrl(re.sub(r"\s+", "", label), start, end)
        return FoundUrl(url, start, end, label or None)
    if match.group("angle") is not None:
        url = re.sub(r"\s+", "", match.group("angle"))
        return FoundUrl(_unescape(url), start, end)
    if match.group("bare") is not None:
        url = _trim(match.group("bare"))
        return FoundUrl(_unescape(url), start, start + len(url))
    host = match.group("host")
    if not _has_public_suffix(host):
        return None
    url = _trim(host + match.group("path"))
    return FoundUrl(_unescape(url), start, start + len(url))


def _join_continuations(text: str, item: FoundUrl, closed: bool) -> FoundUrl:
    """Glue on the pieces of a URL that a line or paragraph break cut off (joined once)."""
    pieces, end = [item.url], item.end
    while True:
        last = pieces[-1]
        if not last.endswith(CUT_ENDINGS) and (closed or not last.endswith("/")):
            break
        gap = LINE_BREAK_RE.match(text, end)
        if gap is None:
            break
        token_match = TOKEN_RE.match(text, gap.end())
        if token_match is None:
            break
        token = _trim(token_match.group())
        if WEB_TARGET_RE.match(token) or not CONTINUATION_RE.match(token):
            break
        if last.endswith("/") and not PATH_TOKEN_RE.search(token):
            break
        pieces.append(_unescape(token))
        end = gap.end() + len(token)
        closed = False
    if len(pieces) == 1:
        return item
    return FoundUrl("".join(pieces), item.start, end, item.link_text)


def _trim(url: str) -> str:
    """Drop punctuation that ends the sentence rather than the URL, keeping balanced brackets."""
    end = len(url)
    # Counted once (trimming removes closers only): a URL ending in a million ")" stays linear.
    count = {char: url.count(char) for char in "()[]{}"}
    while end and url[end - 1] in TRAILING_PUNCTUATION:
        closer = url[end - 1]
        opener = CLOSERS.get(closer)
        if opener is not None:
            if count[opener] >= count[closer]:
                break
            count[closer] -= 1
        end -= 1
    return url[:end]


def _unescape(text: str) -> str:
    """Remove Markdown backslash escapes (\\[ \\] \\_)."""
    return MARKDOWN_ESCAPE_RE.sub(r"\1", text)


def _same_link(label: str, url: str) -> bool:
    """Whether a link's text just repeats its target (percent-encoding aside)."""
    shown = unquote(re.sub(r"\s+", "", label)).rstrip("/")
    return bool(shown) and shown == unquote(url).rstrip("/")


@lru_cache(maxsize=1)
def _suffix_extractor() -> tldextract.TLDExtract:
    """The Public Suffix List snapshot shipped with tldextract; never fetched over the network."""
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def _has_public_suffix(host: str) -> bool:
    """Whether a host name ends in a real public suffix and has a name before it."""
    parts = _suffix_extractor()(host.lower())
    return bool(parts.suffix and parts.domain)
