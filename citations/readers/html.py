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
# What a note reference's text looks like: 12, [12], (iv), *, †, and a note's own number as
# Drupal's footnotes module prints it before the note: "12.".
LABEL_RE = re.compile(
    r"^[\[(]?([0-9]{1,4}|[ivxlcdm]{1,6}|[a-z]|[*†‡§]{1,3})[\])]?\.?$", re.IGNORECASE
)
NOTE_CONTAINER_RE = re.compile(r"ftn|edn|foot|endnote|note", re.IGNORECASE)
# What is left of a note number once its link is taken out: "3</a>. Text", "[3</a>] Text".
LABEL_AFTER_RE = re.compile(r"^[\s.,:;)\]\u2013\u2014-]+")
BACK_LINK_TEXT = frozenset({"↩", "↩︎", "^", "↑", "back"})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
VOID_TAGS = frozenset(
    ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr")
)
XML_NAME_RE = re.compile(r"^[A-Za-z_][\w.-]*$")
NOT_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

Renderer = Callable[[etree._Element], str | None]
NoteRefs = dict[etree._Element, str]  # a note reference and the label it shows
NoteContainers = dict[etree._Element, etree._Element]  # a note reference and its note's block


def parse_html(text: str) -> DocumentParts:
    """Body paragraphs with note markers, and the notes the body links to."""
    root = parse_tree(text)
    title = document_title(root)
    strip_unread(root)
    return read_notes_and_body(body_of(root), title, *linked_notes(root))


def strip_unread(root: etree._Element) -> None:
    """Take out what is never read: scripts, styles, the head, comments."""
    for element in root.iter(*DROP_TAGS):
        element.drop_tree()
    for comment in root.iter(etree.Comment):
        comment.drop_tree()


def body_of(root: etree._Element) -> etree._Element:
    """The <body>, or the root of a fragment that has none."""
    body = root.find("body")
    return body if body is not None else root


def read_notes_and_body(
    body: etree._Element, title: str | None, refs: NoteRefs, containers: NoteContainers
) -> DocumentParts:
    """The notes (in the order the body refers to them) and `body`'s paragraphs with note
    markers; without linked notes, superscript numbers read as a plain document's."""
    if not refs:
        return _superscript_fallback(body, title)
    notes: list[Note] = []
    seen: set[int] = set()
    for anchor, label in refs.items():
        container = containers[anchor]
        if id(container) in seen:
            continue
        seen.add(id(container))
        notes.append(Note(label, _note_text(container, label)))
    skip = {id(c) for c in containers.values()}
    paragraphs = _paragraphs(body, skip, refs)
    return DocumentParts(format="html", title=title, body=paragraphs, notes=notes)


def parse_tree(text: str) -> etree._Element:
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


def document_title(root: etree._Element) -> str | None:
    """The <title>, else the first top-level heading."""
    for path in ("//title", "//h1"):
        found = root.xpath(path)
        if found:
            text = " ".join(found[0].text_content().split())
            if text:
                return text[:300]
    return None


def linked_notes(
    root: etree._Element, within: etree._Element | None = None
) -> tuple[NoteRefs, NoteContainers]:
    """Anchors that reference a note (href="#...") with their label, and each note's element;
    with `within`, only the references inside that element (a web page's main content)."""
    targets: dict[str, etree._Element] = {}
    for element in elements(root):
        for attribute in ("id", "name"):
            value = element.get(attribute)
            if value:
                targets.setdefault(value, element)
    candidates: list[tuple[etree._Element, str, etree._Element]] = []
    for anchor in (within if within is not None else root).iter("a"):
        href = anchor.get("href", "")
        target = targets.get(href[1:]) if href.startswith("#") else None
        shown = LABEL_RE.match(" ".join(anchor.text_content().split()))
        if target is not None and shown is not None and not _inside(anchor, target):
            candidates.append((anchor, shown.group(1), target))
    shared = _shared_ancestors([target for _, _, target in candidates])
    refs: NoteRefs = {}
    containers: NoteContainers = {}
    accepted: set[etree._Element] = set()  # the containers of the notes found so far
    for anchor, label, target in candidates:
        container = _note_container(target, shared)
        if container is None or container.tag in HEADINGS or _inside(anchor, container):
            continue
        # A note's own number often links back to the body: the reference seen first wins.
        # (One walk up the anchor's ancestors, not one per note found: linear in the notes.)
        if anchor in accepted or any(a in accepted for a in anchor.iterancestors()):
            continue
        refs[anchor] = label
        containers[anchor] = container
        accepted.add(container)
    return refs, containers


def _shared_ancestors(targets: list[etree._Element]) -> set[etree._Element]:
    """The elements that hold more than one of these link targets.

    Each target's ancestors are walked up to the first one already known to hold two (whose
    own ancestors then do too), so every element is passed at most twice: linear in the tree.
    """
    holder: dict[etree._Element, etree._Element] = {}  # an ancestor and the one target it holds
    shared: set[etree._Element] = set()
    for target in dict.fromkeys(targets):  # each once, in order
        for ancestor in target.iterancestors():
            if ancestor in shared:
                break
            if holder.setdefault(ancestor, target) is not target:
                shared.add(ancestor)
    return shared


def _note_container(target: etree._Element, shared: set[etree._Element]) -> etree._Element | None:
    """The block that holds a note: its list item, or the paragraph or note div it sits in.

    A div whose class or id says "note" is the whole note (Word's `<div id=ftn1>` around a
    note's paragraphs) unless other notes' targets are in it too: then it is the list of
    notes (`<div class="footnotes"><p id="fn1">…<p id="fn2">`), and each paragraph a note.
    """
    node: etree._Element | None = target
    while node is not None and node.tag not in BLOCK_TAGS:
        node = node.getparent()
    if node is None:
        return None
    if node.tag not in ("li", "aside", "dd"):
        for ancestor in node.iterancestors("div", "aside", "li", "section"):
            if ancestor in shared or ancestor.tag == "section":
                break
            if NOTE_CONTAINER_RE.search(ancestor.get("id", "") + " " + ancestor.get("class", "")):
                return ancestor
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

    text = "\n\n".join(_render_blocks(container, render)).strip()
    if _opens_with_label_link(container):
        return LABEL_AFTER_RE.sub("", text)  # "3</a>. See the previous endnote"
    own_label = re.match(rf"[\[(]?{re.escape(label)}(?:[\])]|[\])]?[.:])\s+", text)
    return text[own_label.end() :] if own_label else text  # "<p id=fn3>3. See note 2"


def _opens_with_label_link(container: etree._Element) -> bool:
    """Whether the first thing in a note is a link that reads as a note number (its own,
    linking back to the body), with only blanks before it."""
    for event, element in etree.iterwalk(container, events=("start", "end")):
        if event == "end":
            if element is not container and (element.tail or "").strip():
                return False
            continue
        if element.tag == "a" and element.get("href", "").startswith("#"):
            return bool(LABEL_RE.match(" ".join(element.text_content().split())))
        if (element.text or "").strip():
            return False
    return False


def _paragraphs(root: etree._Element, skip: set[int], refs: NoteRefs) -> list[str]:
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


def elements(
    root: etree._Element, descend: Callable[[etree._Element], bool] | None = None
) -> Iterator[etree._Element]:
    """Every element in document order, entering only those `descend` accepts (all without
    it), each one's ancestors held while it is visited.

    lxml frees an element's Python proxy by walking up to the nearest ancestor that has one:
    holding the path keeps that walk one step long in a tree nested 100,000 deep.
    """
    yield root
    if descend is not None and not descend(root):
        return
    path: list[tuple[etree._Element, Iterator[etree._Element]]] = [(root, iter(root))]
    while path:
        child = next(path[-1][1], None)
        if child is None:
            path.pop()
        elif isinstance(child.tag, str):
            yield child
            if descend is None or descend(child):
                path.append((child, iter(child)))


def _render_blocks(root: etree._Element, render: Renderer) -> list[str]:
    """Walk the tree, letting `render` replace elements, and cut the text at block boundaries.

    The walk keeps its own stack rather than recursing (a tree may be nested 100,000 deep), and
    an element stays on it until its children are done (see elements).
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
