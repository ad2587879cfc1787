"""DOCX: real Word footnotes and endnotes, read from the package's XML parts."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from lxml import etree

from citations.parts import (
    REF_CLOSE,
    REF_OPEN,
    TO_SUPERSCRIPT,
    DocumentParts,
    Note,
    markdown_link,
    note_ref,
)
from citations.readers.package import ZipPackage, release
from citations.readers.text import parse_text
from citations.urls import WEB_TARGET_RE

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
HYPERLINK_FIELD_RE = re.compile(r'^\s*HYPERLINK\s+"([^"]+)"', re.IGNORECASE)
SKIPPED_NOTE_TYPES = {"separator", "continuationSeparator", "continuationNotice"}
# Word's defaults: footnotes 1, 2, 3; endnotes i, ii, iii.
DEFAULT_FORMATS = {"footnote": "decimal", "endnote": "lowerRoman"}
CHICAGO_MARKS = ("*", "†", "‡", "§")
# A note reference before its label is known: REF_OPEN, PLACEHOLDER, "footnote:12", REF_CLOSE.
PLACEHOLDER = "\ue002"
PLACEHOLDER_RE = re.compile(
    f"{REF_OPEN}{PLACEHOLDER}(?P<kind>\\w+):(?P<id>[^{REF_CLOSE}]*){REF_CLOSE}"
)


@dataclass
class NoteKind:
    """Footnotes or endnotes: their texts and relationships by note id, numbering, and the
    order in which the body refers to them."""

    name: str
    texts: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    number_format: str = "decimal"
    start: int = 1
    referenced: dict[str, str | None] = field(default_factory=dict)  # id -> custom mark

    def reference(self, note_id: str, custom: str | None) -> str:
        """A placeholder marker for a reference: the numbering settings that give its label
        come at the end of the body, which is read as a stream (see `labels`)."""
        self.referenced.setdefault(note_id, custom)
        return note_ref(f"{PLACEHOLDER}{self.name}:{note_id}")

    def labels(self) -> dict[str, str]:
        """The printed label of every referenced note: its custom mark, or the next number in
        the kind's format, in reference order."""
        labels: dict[str, str] = {}
        numbered = 0
        for note_id, custom in self.referenced.items():
            if custom:
                labels[note_id] = custom
            else:
                labels[note_id] = format_number(self.start + numbered, self.number_format)
                numbered += 1
        return labels


def parse_docx(package: ZipPackage) -> DocumentParts:
    """The body with note markers, then the footnotes and endnotes in reference order.

    Every large part is read as a stream, paragraph by paragraph, and released as it goes:
    time and memory grow with the text, not with the XML around it.
    """
    document_path = _main_part(package)
    kinds = {name: _note_kind(package, document_path, name) for name in DEFAULT_FORMATS}
    has_notes = any(kind.texts for kind in kinds.values())
    renderer = _Renderer(_relationships(package, document_path), kinds if has_notes else None)
    body: list[str] = []
    styled_title: str | None = None
    for element in package.iterparse(document_path, (f"{W}p", f"{W}sectPr")):
        if element.tag == f"{W}sectPr":
            parent = element.getparent()
            if parent is not None and parent.tag == f"{W}body":
                for kind in kinds.values():
                    _numbering(kind, element)
            continue
        if any(True for _ in element.iterancestors(f"{W}p")):
            continue  # a paragraph in a text box: read with the paragraph that holds it
        for paragraph in element.iter(f"{W}p"):
            text = renderer.paragraph(paragraph)
            if text.strip():
                body.append(text)
            if styled_title is None:
                styled_title = _styled_title(paragraph)
        release(element)
    title = _core_title(package) or styled_title or (body[0][:300] if body else None)
    if not has_notes:
        parts = parse_text("\n\n".join(body), fmt="docx")
        parts.title = title
        return parts
    labels = {name: kind.labels() for name, kind in kinds.items()}

    def label(match: re.Match[str]) -> str:
        return note_ref(labels.get(match["kind"], {}).get(match["id"], ""))

    body = [PLACEHOLDER_RE.sub(label, text) for text in body]
    notes = [
        Note(label, kind.texts[note_id])
        for name, kind in kinds.items()
        for note_id, label in labels[name].items()
        if note_id in kind.texts
    ]
    return DocumentParts(format="docx", title=title, body=body, notes=notes)


def format_number(number: int, number_format: str) -> str:
    """A note number as Word prints it in the given w:numFmt."""
    if number_format in ("lowerRoman", "upperRoman"):
        roman = _roman(number)
        return roman if number_format == "upperRoman" else roman.lower()
    if number_format in ("lowerLetter", "upperLetter"):
        letter = chr(ord("a") + (number - 1) % 26) * ((number - 1) // 26 + 1)
        return letter if number_format == "lowerLetter" else letter.upper()
    if number_format == "chicago":
        return CHICAGO_MARKS[(number - 1) % 4] * ((number - 1) // 4 + 1)
    return str(number)


def _roman(number: int) -> str:
    """Upper-case Roman numerals."""
    values = (
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    )
    out = []
    for value, letters in values:
        count, number = divmod(number, value)
        out.append(letters * count)
    return "".join(out)


def _main_part(package: ZipPackage) -> str:
    """The path of the main document part, from the package relationships."""
    if package.has("_rels/.rels"):
        for rel in package.xml("_rels/.rels").iter(f"{PKG_REL}Relationship"):
            if rel.get("Type", "").endswith("/officeDocument"):
                return str(rel.get("Target", "")).lstrip("/")
    return "word/document.xml"


def _relationships(package: ZipPackage, part: str) -> dict[str, str]:
    """Relationship id -> target for a part (hyperlink targets live only here)."""
    rels = package.xml_or_none(_rels_path(part))
    if rels is None:
        return {}
    return {rel.get("Id", ""): rel.get("Target", "") for rel in rels.iter(f"{PKG_REL}Relationship")}


def _note_kind(package: ZipPackage, document_path: str, name: str) -> NoteKind:
    """Read footnotes.xml or endnotes.xml (each note rendered as it streams past) and the
    numbering settings of settings.xml; the body's own settings come with the body."""
    kind = NoteKind(name, number_format=DEFAULT_FORMATS[name])
    directory = posixpath.dirname(document_path)
    part = None
    rels = package.xml_or_none(_rels_path(document_path))
    for rel in [] if rels is None else rels.iter(f"{PKG_REL}Relationship"):
        if rel.get("Type") == f"{REL_TYPE}{name}s":
            part = posixpath.normpath(posixpath.join(directory, rel.get("Target", "")))
    if part is None or not package.has(part):
        return kind
    kind.links = _relationships(package, part)
    renderer = _Renderer(kind.links, None)
    for note in package.iterparse(part, (f"{W}{name}",)):
        if note.get(f"{W}type") not in SKIPPED_NOTE_TYPES:
            texts = (renderer.paragraph(p).strip() for p in note.iter(f"{W}p"))
            kind.texts[note.get(f"{W}id", "")] = "\n\n".join(t for t in texts if t)
        release(note)
    settings = package.xml_or_none(posixpath.join(directory, "settings.xml"))
    if settings is not None:
        _numbering(kind, settings)
    return kind


def _numbering(kind: NoteKind, source: etree._Element) -> None:
    """Take the note kind's number format and start from settings or a section's properties."""
    properties = source.find(f".//{W}{kind.name}Pr")
    if properties is None:
        return
    number_format = properties.find(f"{W}numFmt")
    start = properties.find(f"{W}numStart")
    if number_format is not None:
        kind.number_format = number_format.get(f"{W}val", kind.number_format)
    if start is not None and (start.get(f"{W}val") or "").isdigit():
        kind.start = int(start.get(f"{W}val", "1"))


def _rels_path(part: str) -> str:
    """Where a part's relationships are stored."""
    directory, name = posixpath.split(part)
    return posixpath.join(directory, "_rels", f"{name}.rels")


def _core_title(package: ZipPackage) -> str | None:
    """The title in the core properties, if any."""
    core = package.xml_or_none("docProps/core.xml")
    title = None if core is None else core.find(DC_TITLE)
    if title is not None and title.text and title.text.strip():
        return str(title.text).strip()[:300]
    return None


def _styled_title(paragraph: etree._Element) -> str | None:
    """The paragraph's text if it is styled as the title (or the first heading)."""
    style = paragraph.find(f"{W}pPr/{W}pStyle")
    if style is not None and style.get(f"{W}val", "").lower() in ("title", "heading1"):
        text = "".join(paragraph.itertext()).strip()
        return text[:300] or None
    return None


@dataclass
class _Field:
    """A complex field being read: its instruction, then the text it displays."""

    instruction: list[str] = field(default_factory=list)
    result: list[str] = field(default_factory=list)
    in_result: bool = False


ADJACENT_BOLD_RE = re.compile(r"\*\*(\s*)\*\*")  # bold runs split by Word, joined


class _Renderer:
    """Paragraph text with hyperlinks as Markdown links and note references as markers."""

    def __init__(self, links: dict[str, str], kinds: dict[str, NoteKind] | None) -> None:
        self.links = links
        self.kinds = kinds  # None: write superscript digits as ¹²³ for the plain-text reader
        self.fields: list[_Field] = []

    def paragraph(self, paragraph: etree._Element) -> str:
        """One paragraph, its complex fields (HYPERLINK "...") resolved."""
        out: list[str] = []
        self.fields = []
        self._children(paragraph, out)
        for unfinished in self.fields:  # a field left open by a broken document: keep its text
            out.extend(unfinished.result)
        return ADJACENT_BOLD_RE.sub(r"\1", "".join(out))

    def _sink(self, out: list[str]) -> list[str]:
        """Where text goes now: the innermost field's result, or the paragraph."""
        if self.fields and self.fields[-1].in_result:
            return self.fields[-1].result
        return out

    def _children(self, element: etree._Element, out: list[str]) -> None:
        for child in element:
            tag = child.tag
            if tag == f"{W}r":
                self._run(child, out)
            elif tag in (f"{W}hyperlink", f"{W}fldSimple"):
                inner: list[str] = []
                self._children(child, inner)
                if tag == f"{W}hyperlink":
                    target = self.links.get(child.get(f"{R}id", ""), "")
                else:
                    match = HYPERLINK_FIELD_RE.match(child.get(f"{W}instr", ""))
                    target = match.group(1) if match else ""
                self._sink(out).append(self._link("".join(inner), target))
            elif tag in (f"{W}ins", f"{W}smartTag", f"{W}customXml", f"{W}sdt", f"{W}sdtContent"):
                self._children(child, out)

    def _run(self, run: etree._Element, out: list[str]) -> None:
        superscript = run.find(f"{W}rPr/{W}vertAlign[@{W}val='superscript']") is not None
        bold = run.find(f"{W}rPr/{W}b")
        strong = bold is not None and bold.get(f"{W}val", "true") not in ("0", "false", "off")
        skip_custom_mark = False
        for child in run:
            tag = child.tag
            if tag == f"{W}t":
                text = child.text or ""
                if skip_custom_mark:
                    skip_custom_mark = False
                    continue
                if superscript and self.kinds is None and text.strip().isdigit():
                    text = text.strip().translate(TO_SUPERSCRIPT)
                elif strong and text.strip():  # bold names are tracked cases
                    core = text.strip()
                    start = text.index(core)
                    text = f"{text[:start]}**{core}**{text[start + len(core) :]}"
                self._sink(out).append(text)
            elif tag in (f"{W}tab", f"{W}ptab"):
                self._sink(out).append(" ")
            elif tag in (f"{W}br", f"{W}cr"):
                self._sink(out).append("\n")
            elif tag == f"{W}noBreakHyphen":
                self._sink(out).append("-")
            elif tag in (f"{W}footnoteReference", f"{W}endnoteReference") and self.kinds:
                kind = self.kinds["footnote" if tag == f"{W}footnoteReference" else "endnote"]
                custom = None
                if child.get(f"{W}customMarkFollows") in ("1", "true", "on"):
                    custom = "".join(t.text or "" for t in run.iter(f"{W}t")).strip() or None
                    skip_custom_mark = custom is not None
                self._sink(out).append(kind.reference(child.get(f"{W}id", ""), custom))
            elif tag == f"{W}fldChar":
                self._field_char(child.get(f"{W}fldCharType", ""), out)
            elif tag == f"{W}instrText" and self.fields:
                self.fields[-1].instruction.append(child.text or "")

    def _field_char(self, kind: str, out: list[str]) -> None:
        """Track complex fields: begin, instruction, separate, result, end."""
        if kind == "begin":
            self.fields.append(_Field())
        elif kind == "separate" and self.fields:
            self.fields[-1].in_result = True
        elif kind == "end" and self.fields:
            done = self.fields.pop()
            match = HYPERLINK_FIELD_RE.match("".join(done.instruction))
            text = "".join(done.result)
            self._sink(out).append(self._link(text, match.group(1)) if match else text)

    def _link(self, text: str, target: str) -> str:
        """A hyperlink as Markdown when it leads to the web, else just its text."""
        if WEB_TARGET_RE.match(target):
            return markdown_link(text, target)
        return text
