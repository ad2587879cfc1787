"""HTML: linked footnotes (pandoc, Word's "Save as HTML", Google Docs) or superscript notes."""

from __future__ import annotations

import html.parser
import re
from collections import Counter
from collections.abc import Callable, Iterator

import lxml.html
from lxml import etree

from citations.parts import TO_SUPERSCRIPT, DocumentParts, Note, markdown_link, note_ref
from citations.readers.text import parse_text
from citations.urls import WEB_TARGET_RE

BLOCK_TAGS = frozenset(
    (
        "p",
        "div",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "section",
        "article",
        "aside",
        "header",
        "footer",
        "main",
        "nav",
        "table",
        "tr",
        "td",
        "th",
        "thead",
        "tbody",
        "dl",
        "dt",
        "dd",
        "pre",
        "figure",
        "figcaption",
        "hr",
        "address",
        "details",
        "summary",
    )
)
DROP_TAGS = ("script", "style", "noscript", "template", "head", "svg", "iframe")
# What a note reference's text looks like: 12, [12], (iv), *, †.
LABEL_RE = re.compile(r"^[\[(]?([0-9]{1,4}|[ivxlcdm]{1,6}|[a-z]|[*†‡§]{1,3})[\])]?$", re.IGNORECASE)
NOTE_CONTAINER_RE = re.compile(r"ftn|edn|foot|endnote|note", re.IGNORECASE)
BACK_LINK_TEXT = frozenset({"↩", "↩︎", "^", "↑", "back"})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
VOID_TAGS = frozenset(
    ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr")
)
XML_NAME_RE = re.compile(r"^[A-Za-z_][\w.-]*$")
NOT_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

Renderer = Callable[[etree._Element], str | None]


def parse_html(text: str) -> DocumentParts:
    """Body paragraphs with note markers, and the notes the body links to."""
    root = _parse_tree(text)
    title = _title(root)
    for element in root.iter(*DROP_TAGS):
        element.drop_tree()
    for comment in root.iter(etree.Comment):
        comment.drop_tree()
    refs, containers = _linked_notes(root)
    if not refs:
        return _superscript_fallback(root, title)
    notes: list[Note] = []
    seen: set[int] = set()
    for anchor, label in refs.items():
        container = containers[anchor]
        if id(container) in seen:
            continue
        seen.add(id(container))
        notes.append(Note(label, _note_text(container, label)))
    skip = {id(c) for c in containers.values()}
    body = _paragraphs(root.body if root.find("body") is not None else root, skip, refs)
    return DocumentParts(format="html", title=title, body=body, notes=notes)


def _parse_tree(text: str) -> etree._Element:
    """The document tree: libxml2's, unless it gave up (nesting deeper than its limit of 2048
    elements): then one built from Python's own tokenizer, which has no such limit, so the text
    after the nesting is read too."""
    parser = lxml.html.HTMLParser(huge_tree=True)  # text nodes over 10 MB are kept whole
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except etree.ParserError:  # "Document is empty": nothing but blanks and comments
        return lxml.html.document_fromstring("<html><body></body></html>")
    if any(error.level_name == "FATAL" for error in parser.error_log):
        return _FlatTreeBuilder.build(text)
    return root


class _FlatTreeBuilder(html.parser.HTMLParser):
    """An lxml tree from the standard library's HTML tokenizer: html and body made once, void
    elements closed, an end tag closing what it matches (or ignored when nothing does)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.builder = etree.TreeBuilder(parser=lxml.html.HTMLParser())  # HtmlElement classes
        self.open: list[str] = []
        self.counts: Counter[str] = Counter()  # open elements by tag: no scan of a deep stack

    @classmethod
    def build(cls, text: str) -> etree._Element:
        """Parse the text and return the <html> root."""
        self = cls()
        self.builder.start("html", {})
        self.builder.start("body", {})
        self.feed(text)
        self.close()
        while self.open:
            self.builder.end(self.open.pop())
        self.builder.end("body")
        self.builder.end("html")
        root: etree._Element = self.builder.close()
        return root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("html", "body") or not XML_NAME_RE.match(tag):
            return
        clean = {k: _xml_text(v or "") for k, v in attrs if XML_NAME_RE.match(k)}
        self.builder.start(tag, clean)
        if tag in VOID_TAGS:
            self.builder.end(tag)
        else:
            self.open.append(tag)
            self.counts[tag] += 1

    def handle_endtag(self, tag: str) -> None:
        if not self.counts[tag]:
            return
        while True:
            name = self.open.pop()
            self.counts[name] -= 1
            self.builder.end(name)
            if name == tag:
                return

    def handle_data(self, data: str) -> None:
        self.builder.data(_xml_text(data))


def _xml_text(text: str) -> str:
    """Text lxml accepts: no control characters or lone surrogates."""
    return NOT_XML_RE.sub("", text)


def _title(root: etree._Element) -> str | None:
    """The <title>, else the first top-level heading."""
    for path in ("//title", "//h1"):
        found = root.xpath(path)
        if found:
            text = " ".join(found[0].text_content().split())
            if text:
                return text[:300]
    return None


def _linked_notes(
    root: etree._Element,
) -> tuple[dict[etree._Element, str], dict[etree._Element, etree._Element]]:
    """Anchors that reference a note (href="#...") with their label, and each note's element."""
    targets: dict[str, etree._Element] = {}
    for element in _elements(root):
        for attribute in ("id", "name"):
            value = element.get(attribute)
            if value:
                targets.setdefault(value, element)
    refs: dict[etree._Element, str] = {}
    containers: dict[etree._Element, etree._Element] = {}
    accepted: set[etree._Element] = set()  # the containers of the notes found so far
    for anchor in root.iter("a"):
        href = anchor.get("href", "")
        target = targets.get(href[1:]) if href.startswith("#") else None
        label = LABEL_RE.match(" ".join(anchor.text_content().split()))
        if target is None or label is None or _inside(anchor, target):
            continue
        container = _note_container(target)
        if container is None or container.tag in HEADINGS or _inside(anchor, container):
            continue
        # A note's own number often links back to the body: the reference seen first wins.
        # (One walk up the anchor's ancestors, not one per note found: linear in the notes.)
        if anchor in accepted or any(a in accepted for a in anchor.iterancestors()):
            continue
        refs[anchor] = label.group(1)
        containers[anchor] = container
        accepted.add(container)
    return refs, containers


def _note_container(target: etree._Element) -> etree._Element | None:
    """The block that holds a note: its list item, or the paragraph or note div it sits in."""
    node: etree._Element | None = target
    while node is not None and node.tag not in BLOCK_TAGS:
        node = node.getparent()
    if node is None:
        return None
    if node.tag not in ("li", "aside", "dd"):
        for ancestor in node.iterancestors("div", "aside", "li", "section"):
            if NOTE_CONTAINER_RE.search(ancestor.get("id", "") + " " + ancestor.get("class", "")):
                return ancestor if ancestor.tag != "section" else node
            break
    return node


def _inside(element: etree._Element, container: etree._Element) -> bool:
    """Whether element is container or one of its descendants."""
    return element is container or any(a is container for a in element.iterancestors())


def _note_text(container: etree._Element, label: str) -> str:
    """A note's text with links kept as Markdown, minus its own label and back links."""

    def render(element: etree._Element) -> str | None:
        if element.tag != "a":
            return None
        text = " ".join(element.text_content().split())
        href = element.get("href", "")
        if href.startswith("#") and (text in BACK_LINK_TEXT or LABEL_RE.match(text)):
            return ""  # the note's own number or its way back to the body
        if "footnote-back" in element.get("class", ""):
            return ""
        return markdown_link(text, href) if WEB_TARGET_RE.match(href) else None

    return "\n\n".join(_render_blocks(container, render)).strip()


def _paragraphs(root: etree._Element, skip: set[int], refs: dict[etree._Element, str]) -> list[str]:
    """The body as paragraphs, notes left out and note references replaced by markers."""

    def render(element: etree._Element) -> str | None:
        if id(element) in skip:
            return ""
        if element in refs:
            return note_ref(refs[element])
        if element.tag == "a" and WEB_TARGET_RE.match(element.get("href", "")):
            return markdown_link(element.text_content(), element.get("href", ""))
        return _bold(element)

    return _render_blocks(root, render)


def _bold(element: etree._Element) -> str | None:
    """Bold text without markup inside, written as Markdown (bold names are tracked cases)."""
    if element.tag in ("b", "strong") and len(element) == 0 and (element.text or "").strip():
        return f"**{' '.join((element.text or '').split())}**"
    return None


def _superscript_fallback(root: etree._Element, title: str | None) -> DocumentParts:
    """No linked notes: write superscript digits as ¹²³ and read the text like a plain document."""

    def render(element: etree._Element) -> str | None:
        if element.tag == "sup":
            text = element.text_content().strip()
            return text.translate(TO_SUPERSCRIPT) if text.isdigit() else None
        if element.tag == "a" and WEB_TARGET_RE.match(element.get("href", "")):
            return markdown_link(element.text_content(), element.get("href", ""))
        return None

    parts = parse_text("\n\n".join(_render_blocks(root, render)), fmt="html")
    parts.title = title or parts.title
    return parts


def _elements(root: etree._Element) -> Iterator[etree._Element]:
    """Every element in document order, each one's ancestors held while it is visited.

    lxml frees an element's Python proxy by walking up to the nearest ancestor that has one:
    holding the path keeps that walk one step long in a tree nested 100,000 deep.
    """
    path: list[tuple[etree._Element, Iterator[etree._Element]]] = [(root, iter(root))]
    yield root
    while path:
        child = next(path[-1][1], None)
        if child is None:
            path.pop()
        elif isinstance(child.tag, str):
            yield child
            path.append((child, iter(child)))


def _render_blocks(root: etree._Element, render: Renderer) -> list[str]:
    """Walk the tree, letting `render` replace elements, and cut the text at block boundaries.

    The walk keeps its own stack rather than recursing (a tree may be nested 100,000 deep), and
    an element stays on it until its children are done (see _elements).
    """
    blocks: list[str] = []
    line: list[str] = []

    def flush() -> None:
        text = " ".join("".join(line).split())
        if text:
            blocks.append(text)
        line.clear()

    # Work items: an element to open, text to add (a tail), or an element to close.
    stack: list[etree._Element | str | tuple[etree._Element]] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            line.append(item)
            continue
        if isinstance(item, tuple):
            if item[0].tag in BLOCK_TAGS:
                flush()
            continue
        replaced = render(item)
        if replaced is not None:
            line.append(replaced)
            continue
        if item.tag in BLOCK_TAGS:
            flush()
        if item.tag == "br":
            line.append("\n")
        line.append(item.text or "")
        stack.append((item,))
        for child in reversed(item):
            stack.append(child.tail or "")
            if isinstance(child.tag, str):
                stack.append(child)
    flush()
    return blocks
