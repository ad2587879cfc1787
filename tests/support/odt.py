"""Build small, valid ODT packages for reader tests (what LibreOffice writes, minus most of the
styling), and an ODT of the bundled briefing made from its DOCX version, as LibreOffice does
when it opens a DOCX and saves it in its own format."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

MIMETYPE = "application/vnd.oasis.opendocument.text"
NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
    "dc": "http://purl.org/dc/elements/1.1/",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
}
DECLARATIONS = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in NS.items())
# LibreOffice's automatic styles for direct formatting: T1 bold, T2 italic, T3 superscript.
AUTOMATIC_STYLES = (
    '<style:style style:name="T1" style:family="text"><style:text-properties '
    'fo:font-weight="bold" style:font-weight-asian="bold" style:font-weight-complex="bold"/>'
    "</style:style>"
    '<style:style style:name="T2" style:family="text">'
    '<style:text-properties fo:font-style="italic"/></style:style>'
    '<style:style style:name="T3" style:family="text">'
    '<style:text-properties style:text-position="super 58%"/></style:style>'
    '<style:style style:name="P1" style:family="paragraph" style:parent-style-name="Title"/>'
)
COMMON_STYLES = (
    '<style:style style:name="Standard" style:family="paragraph"/>'
    '<style:style style:name="Title" style:family="paragraph" '
    'style:parent-style-name="Standard"><style:text-properties fo:font-weight="bold"/>'
    "</style:style>"
    '<style:style style:name="Footnote" style:family="paragraph" '
    'style:parent-style-name="Standard"/>'
    '<style:style style:name="Strong_20_Emphasis" style:display-name="Strong Emphasis" '
    'style:family="text"><style:text-properties fo:font-weight="bold"/></style:style>'
    '<style:style style:name="Internet_20_link" style:display-name="Internet link" '
    'style:family="text"><style:text-properties fo:color="#000080"/></style:style>'
)
SPACES_RE = re.compile(r" {2,}")


def text(value: str) -> str:
    """Characters as ODF writes them: escaped, a run of spaces as one space and text:s."""
    return SPACES_RE.sub(
        lambda m: f' <text:s text:c="{len(m[0]) - 1}"/>', escape(value).replace("\t", "<text:tab/>")
    )


def p(*content: str, style: str | None = None) -> str:
    attribute = f" text:style-name={quoteattr(style)}" if style else ""
    return f"<text:p{attribute}>{''.join(content)}</text:p>"


def h(value: str, level: int = 1) -> str:
    return f'<text:h text:outline-level="{level}">{text(value)}</text:h>'


def span(value: str, style: str = "T1") -> str:
    return f"<text:span text:style-name={quoteattr(style)}>{text(value)}</text:span>"


def link(url: str, *content: str) -> str:
    inner = "".join(content) if content else text(url)
    return (
        f'<text:a xlink:type="simple" xlink:href={quoteattr(url)} '
        f'text:style-name="Internet_20_link">{inner}</text:a>'
    )


def note(citation: str, *paragraphs: str, kind: str = "footnote", label: str | None = None) -> str:
    """A text:note as LibreOffice writes it: the printed label, then the note's paragraphs."""
    custom = f" text:label={quoteattr(label)}" if label else ""
    return (
        f'<text:note text:id="{kind[:3]}{escape(citation)}" text:note-class="{kind}">'
        f"<text:note-citation{custom}>{escape(citation)}</text:note-citation>"
        f"<text:note-body>{''.join(paragraphs)}</text:note-body></text:note>"
    )


def build_odt(
    body: list[str],
    title: str | None = None,
    automatic_styles: str = AUTOMATIC_STYLES,
    mimetype: str | None = MIMETYPE,
    content: str | None = None,
    extra: dict[str, str] | None = None,
) -> bytes:
    """A package with mimetype (first, stored), manifest, styles, meta and content."""
    if content is None:
        content = (
            f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {DECLARATIONS} '
            f'office:version="1.3"><office:automatic-styles>{automatic_styles}'
            "</office:automatic-styles><office:body><office:text>"
            f"{''.join(body)}</office:text></office:body></office:document-content>"
        )
    meta = f"<dc:title>{escape(title)}</dc:title>" if title else ""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        if mimetype is not None:
            package.writestr("mimetype", mimetype, zipfile.ZIP_STORED)
        package.writestr(
            "META-INF/manifest.xml",
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{MIMETYPE}"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>",
        )
        package.writestr(
            "styles.xml",
            f'<office:document-styles {DECLARATIONS} office:version="1.3">'
            f"<office:styles>{COMMON_STYLES}</office:styles></office:document-styles>",
        )
        package.writestr(
            "meta.xml",
            f'<office:document-meta {DECLARATIONS} office:version="1.3">'
            f"<office:meta>{meta}</office:meta></office:document-meta>",
        )
        package.writestr("content.xml", content)
        for name, data in (extra or {}).items():
            package.writestr(name, data)
    return out.getvalue()


# --- the briefing's DOCX, saved as ODT ---------------------------------------------------------

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"


def odt_from_docx(docx: bytes, kind: str = "footnote", label: Callable[[int], str] = str) -> bytes:
    """The DOCX's paragraphs, bold, hyperlinks, numbered lists and footnotes in ODT, its notes
    made `kind` notes whose printed labels are `label(1)`, `label(2)`, …"""
    source = zipfile.ZipFile(io.BytesIO(docx))
    links = _relationships(source, "word/_rels/document.xml.rels")
    note_links = _relationships(source, "word/_rels/footnotes.xml.rels")
    notes = {
        n.get(f"{W}id", ""): n
        for n in etree.fromstring(source.read("word/footnotes.xml")).iter(f"{W}footnote")
    }
    counter = iter(range(1, 10**6))

    def reference(note_id: str) -> str:
        number = label(next(counter))
        paragraphs = [
            p(_runs(q, note_links, reference), style="Footnote")
            for q in notes[note_id].iter(f"{W}p")
        ]
        return note(number, *paragraphs, kind=kind)

    body: list[str] = []
    in_list = False
    document = etree.fromstring(source.read("word/document.xml"))
    for paragraph in document.iter(f"{W}p"):
        style = paragraph.find(f"{W}pPr/{W}pStyle")
        listed = paragraph.find(f"{W}pPr/{W}numPr") is not None
        if listed != in_list:
            body.append("<text:list>" if listed else "</text:list>")
            in_list = listed
        content = _runs(paragraph, links, reference)
        is_title = style is not None and style.get(f"{W}val") == "Title"
        odt_paragraph = p(content, style="P1" if is_title else "Standard")
        body.append(
            f"<text:list-item>{odt_paragraph}</text:list-item>" if listed else odt_paragraph
        )
    if in_list:
        body.append("</text:list>")
    core = etree.fromstring(source.read("docProps/core.xml"))
    title = core.findtext("{http://purl.org/dc/elements/1.1/}title")
    return build_odt(body, title=title)


def _relationships(source: zipfile.ZipFile, path: str) -> dict[str, str]:
    rels = etree.fromstring(source.read(path))
    return {rel.get("Id", ""): rel.get("Target", "") for rel in rels.iter(PKG_REL)}


def _runs(paragraph: etree._Element, links: dict[str, str], reference: Callable[[str], str]) -> str:
    """A Word paragraph's runs and hyperlinks as ODF inline content."""
    out: list[str] = []
    for child in paragraph:
        if child.tag == f"{W}r":
            out.extend(_run(child, reference))
        elif child.tag == f"{W}hyperlink":
            inner = "".join(part for run in child.iter(f"{W}r") for part in _run(run, reference))
            out.append(link(links[child.get(R_ID, "")], inner))
    return "".join(out)


def _run(run: etree._Element, reference: Callable[[str], str]) -> Iterator[str]:
    bold = run.find(f"{W}rPr/{W}b") is not None
    italic = run.find(f"{W}rPr/{W}i") is not None
    for child in run:
        if child.tag == f"{W}t":
            value = child.text or ""
            yield span(value, "T1") if bold else span(value, "T2") if italic else text(value)
        elif child.tag == f"{W}footnoteReference":
            yield reference(child.get(f"{W}id", ""))
        elif child.tag == f"{W}tab":
            yield "<text:tab/>"
        elif child.tag == f"{W}br":
            yield "<text:line-break/>"
