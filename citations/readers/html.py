"""HTML: linked footnotes (pandoc, Word's "Save as HTML", Google Docs) or superscript notes."""

from __future__ import annotations

import re
from collections.abc import Callable

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

Renderer = Callable[[etree._Element], str | None]


def parse_html(text: str) -> DocumentParts:
    """Body paragraphs with note markers, and the notes the body links to."""
    root = lxml.html.document_fromstring(text)
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
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for attribute in ("id", "name"):
            value = element.get(attribute)
            if value:
                targets.setdefault(value, element)
    refs: dict[etree._Element, str] = {}
    containers: dict[etree._Element, etree._Element] = {}
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
        if any(_inside(anchor, accepted) for accepted in containers.values()):
            continue
        refs[anchor] = label.group(1)
        containers[anchor] = container
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


def _render_blocks(root: etree._Element, render: Renderer) -> list[str]:
    """Walk the tree, letting `render` replace elements, and cut the text at block boundaries."""
    blocks: list[str] = []
    line: list[str] = []

    def flush() -> None:
        text = " ".join("".join(line).split())
        if text:
            blocks.append(text)
        line.clear()

    def walk(element: etree._Element) -> None:
        replaced = render(element)
        if replaced is not None:
            line.append(replaced)
        else:
            block = element.tag in BLOCK_TAGS
            if block:
                flush()
            if element.tag == "br":
                line.append("\n")
            line.append(element.text or "")
            for child in element:
                if isinstance(child.tag, str):
                    walk(child)
                line.append(child.tail or "")
            if block:
                flush()

    walk(root)
    flush()
    return blocks
