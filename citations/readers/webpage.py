"""Web pages: a report's or article's main content and its notes, the site around it left out.

A page on the web carries more than its text: the site's header, menus, sidebars, share
buttons, tag lists, related articles, comments and footer, full of links nobody cited. Only the
main content is read (`<main>`, the article, or the block a CMS names for it), with what sits
inside it but belongs to the site taken out; a link to a page the site's own menus link to, to
the front page, or to the page itself is text, not a citation. Notes are linked as in any HTML
document (html.linked_notes): pandoc's, WordPress plugins' (Easy Footnotes, the block editor's,
`<ol class="footnotes">`), Drupal's footnotes module; modern-footnotes' inline notes are first
moved to a list of their own. Without numbered notes, each link is a citation in the sentence
around it.

Why not trafilatura, which finds main text well: it drops the ids that tie a note reference to
its note and the notes' own anchors, and prunes link-dense lists, which footnote lists are.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree

from citations.parts import DocumentParts
from citations.readers.html import (
    NoteContainers,
    NoteRefs,
    body_of,
    document_title,
    elements,
    linked_notes,
    parse_tree,
    read_notes_and_body,
    strip_unread,
)

# Where a page's main content is, most telling first; several matches: the one with most text.
MAIN_XPATHS = (
    "//main | //*[@role='main']",
    "//article",
    "//*[@itemprop='articleBody']",
    "//*[re:test(concat(' ', @class, ' ', @id, ' '), "
    "'[ _-](?:entry|post|article|page|story|node|single)[_-]{0,2}(?:content|body|text)[ _-]"
    "|field--name-body|field-name-body', 'i')]",
)
REGEXP_NS = {"re": "http://exslt.org/regular-expressions"}
# Parts of a page that belong to the site, not to the text: by element, ARIA role, or a class
# or id naming them (a word of it, so that "footnotes" is not "footer").
CHROME_TAGS = frozenset(("nav", "header", "footer", "aside", "form", "button", "menu", "dialog"))
CHROME_ROLES = frozenset(
    (
        "navigation",
        "banner",
        "contentinfo",
        "complementary",
        "search",
        "menu",
        "menubar",
        "toolbar",
        "dialog",
    )
)
CHROME_NAME_RE = re.compile(
    r"(?:^|[\s_-])(?:nav(?:bar|igation)?|menu\w*|breadcrumbs?|shar(?:e|ing)\w*|social\w*"
    r"|sidebar\w*|widgets?|related\w*|comments?|respond|cookies?\w*|newsletter\w*|subscri\w*"
    r"|tags?|tag-?links|tag-?cloud|cat-?links|categories|meta|byline|author\w*|pagination|pager"
    r"|ads?|advert\w*|banners?|promo\w*|popular\w*|most-?read|trending|footer\w*|header\w*"
    r"|masthead|toolbar|skip-?link\w*|addtoany|a2a_kit|sharedaddy)(?=$|[\s_-])",
    re.IGNORECASE,
)
# The site's own navigation, whose links are never citations wherever they appear.
MENU_TAGS = frozenset(("nav", "header", "footer"))
MENU_ROLES = frozenset(("navigation", "banner", "contentinfo", "menu", "menubar"))
MENU_NAME_RE = re.compile(
    r"(?:^|[\s_-])(?:nav(?:bar|igation)?|menu\w*|breadcrumbs?|footer\w*|header\w*|masthead)"
    r"(?=$|[\s_-])",
    re.IGNORECASE,
)
# Links that share the page rather than cite anything.
SHARE_LINK_RE = re.compile(
    r"^https?://(?:[\w-]+\.)*(?:facebook\.com/(?:sharer|share\.php|dialog/share)"
    r"|(?:twitter|x)\.com/(?:intent|share)|t(?:elegram)?\.me/share|wa\.me/|api\.whatsapp\.com/send"
    r"|vk\.com/share\.php|connect\.ok\.ru/|linkedin\.com/share|reddit\.com/submit"
    r"|pinterest\.com/pin/create|getpocket\.com/save|bsky\.app/intent)",
    re.IGNORECASE,
)
# A list of links to the site's own pages is a menu (a "popular", "related" or "more" list):
# at least this many links, this share of its text in link text, this share on the same site.
MENU_MIN_LINKS = 3
MENU_LINK_TEXT_SHARE = 0.7
MENU_SAME_SITE_SHARE = 0.7
# A block named like chrome but holding more than this share of the main content's text is a
# wrapper ("site-content has-sidebar"), not chrome: it is read, its parts judged one by one.
WRAPPER_SHARE = 0.5
MODERN_FOOTNOTE = "modern-footnotes-footnote__note"


def parse_web_page(text: str, url: str) -> DocumentParts:
    """The main content of the page at `url` with its notes; the site's chrome left out."""
    root = parse_tree(text)
    base = _base_url(root, url)
    og_title = _meta_title(root)
    head_title = document_title(root)
    strip_unread(root)
    _absolute_links(root, base, url)
    _list_inline_notes(root)
    lengths = _text_lengths(root)
    main = main_content(root, lengths)
    title = og_title or _heading(main) or head_title
    refs, containers = linked_notes(root, within=main)
    holding = _holding(refs, containers)
    menu = _menu_links(root, main, holding, lengths) | {_key(url), _key(urljoin(url, "/"))}
    _prune(main, holding, urlsplit(url).hostname or "", lengths)
    _unlink(main, menu, containers)
    return read_notes_and_body(main, title, refs, containers)


def main_content(
    root: etree._Element, lengths: dict[etree._Element, int] | None = None
) -> etree._Element:
    """The element holding the page's main content (the whole body if nothing says where):
    of several candidates, the one with most text (an outer one, never one nested in it)."""
    lengths = lengths if lengths is not None else _text_lengths(root)
    for xpath in MAIN_XPATHS:
        found = [e for e in root.xpath(xpath, namespaces=REGEXP_NS) if isinstance(e.tag, str)]
        if found:
            return max(found, key=lambda e: lengths.get(e, 0))
    return body_of(root)


def _base_url(root: etree._Element, url: str) -> str:
    """What relative links are relative to: a <base href>, else the page's own address."""
    for base in root.iter("base"):
        href = str(base.get("href") or "").strip()
        if href:
            return urljoin(url, href)
    return url


def _meta_title(root: etree._Element) -> str | None:
    """The title the page gives for sharing (og:title): without the site's name after it."""
    for meta in root.iter("meta"):
        if meta.get("property") == "og:title" or meta.get("name") == "twitter:title":
            title = " ".join((meta.get("content") or "").split())
            if title:
                return title[:300]
    return None


def _heading(main: etree._Element) -> str | None:
    """The main content's first top-level heading."""
    for heading in main.iter("h1"):
        text = " ".join(heading.text_content().split())
        if text:
            return text[:300]
    return None


def _absolute_links(root: etree._Element, base: str, page: str) -> None:
    """Every link made absolute; one to a place on this very page written as "#place" (some
    sites write footnote links in full)."""
    page_address = urldefrag(page).url
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith("#"):
            continue
        try:
            absolute = urljoin(base, href)
        except ValueError:  # a malformed address (an unclosed IPv6 bracket): left as written
            continue
        address, fragment = urldefrag(absolute)
        anchor.set("href", f"#{fragment}" if fragment and address == page_address else absolute)


def _list_inline_notes(root: etree._Element) -> None:
    """modern-footnotes writes each note right after its number, hidden until clicked: move
    the notes to a list at the end, each linked from its number like any footnote."""
    notes = [
        span for span in root.iter("span") if MODERN_FOOTNOTE in (span.get("class") or "").split()
    ]
    if not notes:
        return
    listing = root.makeelement("ol", {"class": "footnotes"})
    for index, note in enumerate(notes, 1):
        number = note.getprevious()
        anchor = number.find(".//a") if number is not None and number.tag == "sup" else None
        if anchor is None:
            continue
        note_id = note.get("id") or f"citewatch-inline-note-{index}"
        anchor.set("href", f"#{note_id}")
        item = listing.makeelement("li", {"id": note_id})
        item.text = note.text
        item.extend(list(note))
        listing.append(item)
        note.drop_tree()  # keeps the text after it
    body_of(root).append(listing)


def _holding(refs: NoteRefs, containers: NoteContainers) -> set[etree._Element]:
    """The note references, the notes, and every element around them: never left out.

    Linear: the walk up from each stops at an element already marked."""
    holding: set[etree._Element] = set()
    for element in (*refs, *containers.values()):
        node: etree._Element | None = element
        while node is not None and node not in holding:
            holding.add(node)
            node = node.getparent()
    return holding


def _menu_links(
    root: etree._Element,
    main: etree._Element,
    holding: set[etree._Element],
    lengths: dict[etree._Element, int],
) -> set[str]:
    """The addresses the site's own navigation links to (menus, header, footer, breadcrumbs).

    An element around the main content, or holding most of its text, is a wrapper whatever
    its name ("site has-header"), and so is one around a note."""
    keep = holding | {main, *main.iterancestors()}
    wrapper = WRAPPER_SHARE * lengths.get(main, 0)

    def menu(element: etree._Element) -> bool:
        return element not in keep and lengths.get(element, 0) <= wrapper and _is_menu(element)

    links: set[str] = set()
    for element in elements(root, lambda e: not menu(e)):
        if menu(element):
            links.update(_key(a.get("href", "")) for a in element.iter("a"))
    return links


def _prune(
    main: etree._Element,
    holding: set[etree._Element],
    host: str,
    lengths: dict[etree._Element, int],
) -> None:
    """Take out of the main content what belongs to the site: chrome and menu-like lists.

    Text lengths are counted once, bottom up, and a list inside a list already judged is not
    judged again: linear however deep the page is nested."""
    wrapper = WRAPPER_SHARE * lengths[main]
    dropped: list[etree._Element] = []
    # Each frame: an element's children still to visit, and whether it is inside a list.
    path: list[tuple[etree._Element, Iterator[etree._Element], bool]] = [(main, iter(main), False)]
    while path:
        _held, children, in_list = path[-1]  # the element is held: see _walk
        child = next(children, None)
        if child is None:
            path.pop()
            continue
        if not isinstance(child.tag, str) or child in holding:
            if isinstance(child.tag, str):
                path.append((child, iter(child), in_list))
            continue
        if _is_chrome(child) and lengths[child] <= wrapper:
            dropped.append(child)
            continue
        is_list = child.tag in ("ul", "ol")
        if is_list and not in_list and _is_menu_list(child, host, lengths):
            dropped.append(child)
            continue
        path.append((child, iter(child), in_list or is_list))
    for element in dropped:
        element.drop_tree()


def _unlink(main: etree._Element, menu: set[str], containers: NoteContainers) -> None:
    """Links in the text that cite nothing (the site's menu pages, the front page, the page
    itself, share buttons) keep their words but lose their address; a note's links are its
    citations, whatever they point to (but for a share button)."""
    notes = set(containers.values())
    for element in elements(main, lambda e: e not in notes):
        href = element.get("href", "") if element.tag == "a" else ""
        if href and not href.startswith("#") and _key(href) in menu:
            del element.attrib["href"]
    for anchor in main.getroottree().iter("a"):
        if SHARE_LINK_RE.match(anchor.get("href", "")):
            del anchor.attrib["href"]


def _is_chrome(element: etree._Element) -> bool:
    """Whether an element is the site's rather than the text's."""
    if element.tag in CHROME_TAGS or (element.get("role") or "").lower() in CHROME_ROLES:
        return True
    return bool(CHROME_NAME_RE.search(f"{element.get('class', '')} {element.get('id', '')}"))


def _is_menu(element: etree._Element) -> bool:
    """Whether an element is the site's own navigation."""
    if element.tag in MENU_TAGS or (element.get("role") or "").lower() in MENU_ROLES:
        return True
    return bool(MENU_NAME_RE.search(f"{element.get('class', '')} {element.get('id', '')}"))


def _is_menu_list(element: etree._Element, host: str, lengths: dict[etree._Element, int]) -> bool:
    """A list that is mostly links to the site's own pages."""
    links = [a for a in element.iter("a") if a.get("href", "").startswith(("http:", "https:"))]
    if len(links) < MENU_MIN_LINKS:
        return False
    link_text = sum(lengths[a] for a in links)
    same_site = sum(1 for a in links if _same_site(a.get("href", ""), host))
    return link_text >= MENU_LINK_TEXT_SHARE * lengths[
        element
    ] and same_site >= MENU_SAME_SITE_SHARE * len(links)


def _same_site(url: str, host: str) -> bool:
    """Whether a link stays on the page's own host (www. or not)."""
    linked = (urlsplit(url).hostname or "").removeprefix("www.")
    return linked == host.lower().removeprefix("www.")


def _key(url: str) -> str:
    """An address as compared with the menus': no fragment, no trailing slash."""
    return urldefrag(url.strip()).url.rstrip("/")


def _text_lengths(root: etree._Element) -> dict[etree._Element, int]:
    """The non-blank characters of text each element under `root` holds, counted bottom up
    (one pass, however deep the nesting; the elements are held, as in html.elements)."""
    lengths: dict[etree._Element, int] = {}
    stack: list[tuple[etree._Element, bool]] = [(root, False)]
    while stack:
        element, counted = stack.pop()
        if not counted:
            stack.append((element, True))
            stack.extend((child, False) for child in element if isinstance(child.tag, str))
            continue
        total = _chars(element.text)
        for child in element:
            total += lengths.get(child, 0) + _chars(child.tail)
        lengths[element] = total
    return lengths


def _chars(text: str | None) -> int:
    """Non-blank characters in a text."""
    return len("".join(text.split())) if text else 0
