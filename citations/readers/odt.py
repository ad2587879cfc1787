"""ODT: LibreOffice Writer's own format, read from the package's content.xml.

Footnotes and endnotes sit where they are referenced (`text:note`), with the label as printed
(`text:note-citation`); links are `text:a`; bold comes from the span's text style. As in DOCX,
the body is read as a stream, paragraph by paragraph, and released as it goes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from citations.errors import DocumentError
from citations.parts import TO_SUPERSCRIPT, DocumentParts, Note, markdown_link, note_ref
from citations.readers.package import Producer, ZipPackage, release
from citations.readers.text import parse_text
from citations.urls import WEB_TARGET_RE

OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
FO = "{urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0}"
DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
MIMETYPE = "application/vnd.oasis.opendocument.text"
PARAGRAPHS = (f"{TEXT}p", f"{TEXT}h")
# Paragraphs that are not the document's text where they stand: comments, deleted text kept
# for change tracking, and a note's own paragraphs (read with the note).
ASIDE = frozenset({f"{OFFICE}annotation", f"{TEXT}tracked-changes", f"{TEXT}note-body"})
# Skipped inside a paragraph: the above, a text box (its paragraphs are read after the one that
# holds it, as in DOCX), and the end mark of a comment.
SKIPPED = ASIDE | {f"{DRAW}frame", f"{OFFICE}annotation-end"}
STYLED = frozenset({f"{TEXT}span", f"{TEXT}a"})
MAX_SPACES = 100  # text:c="1000000000" must not become a gigabyte of spaces
MAX_STYLE_DEPTH = 32  # parent chains are short; a loop in a hostile file must end
WHITESPACE_RE = re.compile(r"[ \t\r\n]+")  # ODF reads tabs and newlines in the XML as spaces
# The refusals name LibreOffice, the writer of nearly every ODT (none declares a DTD, say).
LIBREOFFICE = Producer("LibreOffice", "OpenDocument text")
ADJACENT_BOLD_RE = re.compile(r"\*\*(\s*)\*\*")  # bold spans split by the writer, joined
# Superscript digits before it is known whether the document has real notes (see `_finish`).
SUPER_OPEN, SUPER_CLOSE = "\ue003", "\ue004"
SUPER_RE = re.compile(f"{SUPER_OPEN}([0-9]*){SUPER_CLOSE}")


@dataclass(frozen=True)
class _Style:
    """What a text or paragraph style says about bold, superscript, and its parent."""

    parent: str | None
    bold: bool | None
    superscript: bool | None


@dataclass
class _Styles:
    """Text and paragraph styles by family and name, resolved through their parents."""

    styles: dict[tuple[str, str], _Style] = field(default_factory=dict)

    def add(self, element: etree._Element) -> None:
        """Record a style:style element."""
        props = element.find(f"{STYLE}text-properties")
        weight = None if props is None else props.get(f"{FO}font-weight")
        position = None if props is None else props.get(f"{STYLE}text-position")
        key = (element.get(f"{STYLE}family", ""), element.get(f"{STYLE}name", ""))
        self.styles[key] = _Style(
            element.get(f"{STYLE}parent-style-name"),
            None if weight is None else _heavy(weight),
            None if position is None else _raised(position),
        )

    def text(self, name: str | None) -> tuple[bool | None, bool | None]:
        """Bold and superscript of a text style (None: not set, the span inherits)."""
        bold: bool | None = None
        superscript: bool | None = None
        for style in self._chain("text", name):
            bold = style.bold if bold is None else bold
            superscript = style.superscript if superscript is None else superscript
        return bold, superscript

    def is_title(self, name: str | None) -> bool:
        """Whether a paragraph style is, or derives from, the Title style."""
        return name == "Title" or any(s.parent == "Title" for s in self._chain("paragraph", name))

    def _chain(self, family: str, name: str | None) -> list[_Style]:
        """The style and its ancestors, nearest first."""
        chain: list[_Style] = []
        while name and len(chain) < MAX_STYLE_DEPTH:
            style = self.styles.get((family, name))
            if style is None:
                break
            chain.append(style)
            name = style.parent
        return chain


def _heavy(weight: str) -> bool:
    """Whether a fo:font-weight ("bold", "normal", "100" to "900") is bold."""
    return weight == "bold" or (weight.isdigit() and int(weight) >= 600)


def _raised(position: str) -> bool:
    """Whether a style:text-position ("super 58%", "33% 58%", "sub", "0%") raises the text."""
    first = position.split()[0] if position.split() else ""
    if first == "super":
        return True
    number = first.rstrip("%")
    return number.replace(".", "", 1).isdigit() and float(number) > 0


@dataclass
class _Notes:
    """The footnotes and endnotes met so far, in reference order."""

    footnotes: list[Note] = field(default_factory=list)
    endnotes: list[Note] = field(default_factory=list)

    def all(self) -> list[Note]:
        """Footnotes first, then endnotes: the order in which they are printed."""
        return self.footnotes + self.endnotes


def parse_odt(data: bytes, name: str, max_unpacked: int) -> DocumentParts:
    """The body with note markers, then the footnotes and endnotes in reference order."""
    package = _open(data, name, max_unpacked)
    styles = _Styles()
    if package.has("styles.xml"):
        for element in package.iterparse("styles.xml", (f"{STYLE}style",)):
            styles.add(element)
            release(element)
    notes = _Notes()
    renderer = _Renderer(styles, notes)
    body: list[str] = []
    styled_title: str | None = None
    for element in package.iterparse("content.xml", (f"{STYLE}style", *PARAGRAPHS)):
        if element.tag == f"{STYLE}style":
            styles.add(element)
        elif not any(True for _ in element.iterancestors(*PARAGRAPHS, *ASIDE)):
            for paragraph in _readable(element):
                text = renderer.paragraph(paragraph)
                if text.strip():
                    body.append(text)
                if styled_title is None:
                    styled_title = _styled_title(paragraph, styles)
        else:
            continue  # read with the paragraph or note that holds it, or not at all
        release(element)
    title = _meta_title(package) or styled_title or (body[0][:300] if body else None)
    return _finish(body, notes.all(), title)


def _open(data: bytes, name: str, max_unpacked: int) -> ZipPackage:
    """The package, once it is known to be an unencrypted OpenDocument text."""
    package = ZipPackage(data, name, max_unpacked, LIBREOFFICE)
    if not package.has("mimetype"):
        raise DocumentError(name, "a zip archive, but not an OpenDocument text (no mimetype)")
    mimetype = package.read("mimetype")[:200].decode("ascii", "replace").strip()
    if mimetype != MIMETYPE:
        raise DocumentError(
            name, f"not an OpenDocument text: its mimetype is {mimetype!r}, not {MIMETYPE!r}"
        )
    if not package.has("content.xml"):
        raise DocumentError(name, "a damaged OpenDocument text: it has no content.xml")
    if package.has("META-INF/manifest.xml") and b"encryption-data" in package.read(
        "META-INF/manifest.xml"
    ):
        raise DocumentError(name, "the ODT is encrypted and needs a password")
    return package


def _readable(root: etree._Element) -> list[etree._Element]:
    """The paragraphs in a paragraph (itself and those of its text boxes) or in a note's body,
    leaving out comments and the paragraphs of notes within."""
    found = []
    for inner in root.iter(*PARAGRAPHS):
        aside = False
        for ancestor in inner.iterancestors():
            if ancestor is root:
                break
            if ancestor.tag in ASIDE:
                aside = True
                break
        if not aside:
            found.append(inner)
    return found


def _finish(body: list[str], notes: list[Note], title: str | None) -> DocumentParts:
    """The parts: with real notes, superscript digits are just digits; without, they are
    written as ¹²³ and the text is read like a plain document, as in DOCX."""
    if not notes:
        text = SUPER_RE.sub(lambda m: m[1].translate(TO_SUPERSCRIPT), "\n\n".join(body))
        parts = parse_text(text, fmt="odt")
        parts.title = title
        return parts
    body = [SUPER_RE.sub(r"\1", text) for text in body]
    return DocumentParts(format="odt", title=title, body=body, notes=notes)


def _meta_title(package: ZipPackage) -> str | None:
    """The title in meta.xml, if any."""
    meta = package.xml_or_none("meta.xml")
    title = None if meta is None else meta.find(f".//{DC_TITLE}")
    if title is not None and title.text and title.text.strip():
        return " ".join(title.text.split())[:300]
    return None


def _styled_title(paragraph: etree._Element, styles: _Styles) -> str | None:
    """The paragraph's text if it is styled as the title or is a first-level heading."""
    heading = paragraph.tag == f"{TEXT}h" and paragraph.get(f"{TEXT}outline-level") == "1"
    if heading or styles.is_title(paragraph.get(f"{TEXT}style-name")):
        text = " ".join(_plain_text(paragraph).split())
        return text[:300] or None
    return None


def _plain_text(element: etree._Element) -> str:
    """An element's text without the notes, comments and text boxes inside it."""
    out = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and child.tag not in SKIPPED | {f"{TEXT}note"}:
            out.append(_plain_text(child))
        out.append(child.tail or "")
    return "".join(out)


class _Renderer:
    """Paragraph text with links as Markdown, bold as **…**, and note references as markers."""

    def __init__(self, styles: _Styles, notes: _Notes) -> None:
        self.styles = styles
        self.notes = notes

    def paragraph(self, paragraph: etree._Element) -> str:
        """One paragraph, bold spans split by the writer joined again."""
        out: list[str] = []
        self._content(paragraph, out, False, False)
        return ADJACENT_BOLD_RE.sub(r"\1", "".join(out))

    def _content(self, element: etree._Element, out: list[str], bold: bool, sup: bool) -> None:
        """An element's text and children, in order."""
        self._text(element.text, out, bold, sup)
        for child in element:
            if isinstance(child.tag, str) and child.tag not in SKIPPED:
                self._child(child, out, bold, sup)
            self._text(child.tail, out, bold, sup)

    def _child(self, child: etree._Element, out: list[str], bold: bool, sup: bool) -> None:
        """One inline element: its own style, if any, applies to all it holds."""
        tag = child.tag
        if tag in STYLED:
            own_bold, own_sup = self.styles.text(child.get(f"{TEXT}style-name"))
            bold = bold if own_bold is None else own_bold
            sup = sup if own_sup is None else own_sup
        if tag == f"{TEXT}s":
            count = child.get(f"{TEXT}c", "1")
            out.append(" " * min(int(count) if count.isdigit() else 1, MAX_SPACES))
        elif tag == f"{TEXT}tab":
            out.append(" ")
        elif tag == f"{TEXT}line-break":
            out.append("\n")
        elif tag == f"{TEXT}note":
            out.append(self._note(child))
        elif tag == f"{TEXT}a":
            inner: list[str] = []
            self._content(child, inner, bold, sup)
            target = (child.get(XLINK_HREF) or "").strip()
            text = "".join(inner)
            out.append(markdown_link(text, target) if WEB_TARGET_RE.match(target) else text)
        else:  # spans, fields, bookmarks, ruby, soft page breaks: their text, if any
            self._content(child, out, bold, sup)

    def _text(self, text: str | None, out: list[str], bold: bool, sup: bool) -> None:
        """A run of text, its whitespace read the ODF way; bold names are tracked cases."""
        if not text:
            return
        text = WHITESPACE_RE.sub(" ", text)
        core = text.strip()
        if sup and core.isdigit():
            out.append(f"{SUPER_OPEN}{core}{SUPER_CLOSE}")
        elif bold and core:
            start = text.index(core)
            out.append(f"{text[:start]}**{core}**{text[start + len(core) :]}")
        else:
            out.append(text)

    def _note(self, note: etree._Element) -> str:
        """Record a footnote or endnote and return the marker for its reference."""
        endnote = note.get(f"{TEXT}note-class") == "endnote"
        kind = self.notes.endnotes if endnote else self.notes.footnotes
        citation = note.find(f"{TEXT}note-citation")
        label = ""
        if citation is not None:
            label = citation.get(f"{TEXT}label") or "".join(citation.itertext())
        label = " ".join(label.split()) or str(len(kind) + 1)
        body = note.find(f"{TEXT}note-body")
        texts = [] if body is None else [self.paragraph(p).strip() for p in _readable(body)]
        kind.append(Note(label, "\n\n".join(t for t in texts if t)))
        return note_ref(label)
