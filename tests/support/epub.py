"""Build small, valid EPUB packages for reader tests, and EPUBs of the bundled briefing made
from its HTML version the two ways e-book tools place notes: EPUB 3 footnote asides in each
chapter, or an EPUB 2 style endnotes document at the back of the book."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

import lxml.html
from lxml import etree

MIMETYPE = "application/epub+zip"
HTML5_DOCTYPE = "<!DOCTYPE html>"
XHTML11_DOCTYPE = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN" '
    '"http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd">'
)
CONTAINER = (
    '<?xml version="1.0"?><container version="1.0" '
    'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
    '<rootfile full-path="{path}" media-type="application/oebps-package+xml"/>'
    "</rootfiles></container>"
)


def xhtml(body: str, doctype: str = HTML5_DOCTYPE, title: str = "Chapter") -> str:
    """A content document around the given body markup (epub: prefix declared)."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}'
        '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">'
        f"<head><title>{escape(title)}</title></head><body>{body}</body></html>"
    )


@dataclass
class Book:
    """What goes into an EPUB: documents by path (relative to the OPF), the spine, the rest."""

    documents: dict[str, str]
    spine: list[str] | None = None  # default: the documents in order
    title: str = "Briefing paper"
    nav: str | None = None  # a navigation document's body, listed in the spine
    opf_path: str = "OEBPS/content.opf"
    mimetype: str | None = MIMETYPE
    container: bool = True
    extra: dict[str, bytes] = field(default_factory=dict)  # more archive members, by full path


def build_epub(book: Book) -> bytes:
    """The package: mimetype first and stored, container, OPF, then the documents."""
    base = book.opf_path.rsplit("/", 1)[0] + "/" if "/" in book.opf_path else ""
    documents = dict(book.documents)
    spine = list(book.spine if book.spine is not None else documents)
    properties = {}
    if book.nav is not None:
        documents["nav.xhtml"] = xhtml(book.nav, title="Contents")
        spine.insert(0, "nav.xhtml")
        properties["nav.xhtml"] = ' properties="nav"'
    ids = {path: f"item{number}" for number, path in enumerate(documents)}
    manifest = "".join(
        f"<item id={quoteattr(ids[path])} href={quoteattr(quote(path))} "
        f'media-type="application/xhtml+xml"{properties.get(path, "")}/>'
        for path in documents
    )
    itemrefs = "".join(f'<itemref idref="{ids.get(path, path)}"/>' for path in spine)
    opf = (
        '<?xml version="1.0" encoding="UTF-8"?><package xmlns="http://www.idpf.org/2007/opf" '
        'version="3.0" unique-identifier="uid"><metadata '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="uid">urn:uuid:'
        "0f2c6a4e-3c55-4b8e-9d4c-7a1e2b3c4d5e</dc:identifier>"
        f"<dc:title>{escape(book.title)}</dc:title><dc:language>en</dc:language></metadata>"
        f'<manifest>{manifest}<item id="css" href="style.css" media-type="text/css"/>'
        f"</manifest><spine>{itemrefs}</spine></package>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        if book.mimetype is not None:
            package.writestr("mimetype", book.mimetype, zipfile.ZIP_STORED)
        if book.container:
            package.writestr("META-INF/container.xml", CONTAINER.format(path=book.opf_path))
        package.writestr(book.opf_path, opf)
        package.writestr(f"{base}style.css", "body { font-family: serif; }")
        for path, document in documents.items():
            package.writestr(f"{base}{path}", document)
        for path, data in book.extra.items():
            package.writestr(path, data)
    return out.getvalue()


# --- the briefing's HTML, made an e-book --------------------------------------------------------

NOTE_NUMBER_RE = re.compile(r"#fn(\d+)$")


def epub_from_html(html: str, placement: str) -> bytes:
    """The briefing as an EPUB of chapters (cut at its numbered section headings).

    placement "asides": EPUB 3 footnotes, <aside epub:type="footnote"> at the end of the chapter
    that refers to them, references <a epub:type="noteref"><sup>1</sup></a>.
    placement "endnotes": an EPUB 2 book (XHTML 1.1 DTD) whose notes are a list in
    Notes/endnotes.xhtml (<section epub:type="rearnotes">, <li id="fn3">, each opening with
    its number linked back to the text: <a href="…#fnref3">3</a>. ), references plain
    <a href="../Notes/endnotes.xhtml#fn3">3</a>, chapters in "Text/part 01.xhtml".
    """
    root = lxml.html.document_fromstring(html)
    notes = {item.get("id", ""): item for item in root.xpath("//section[@role='doc-endnotes']//li")}
    for back in root.xpath("//a[contains(@class, 'footnote-back')]"):
        back.drop_tree()
    chapters = _chapters(root)
    names = [
        f"Text/part {number + 1:02}.xhtml"
        if placement == "endnotes"
        else f"ch{number + 1:03}.xhtml"
        for number in range(len(chapters))
    ]
    documents: dict[str, str] = {}
    rear: list[str] = []
    for name, elements in zip(names, chapters, strict=True):
        asides: list[str] = []
        for element in elements:
            for ref in element.xpath(".//a[contains(@class, 'footnote-ref')]"):
                note_id = ref.get("href", "")[1:]
                number = NOTE_NUMBER_RE.search(ref.get("href", ""))
                assert number is not None
                _reference(ref, number[1], placement)
                content = _xml(notes[note_id], inner=True)
                if placement == "asides":
                    asides.append(f'<aside epub:type="footnote" id="{note_id}">{content}</aside>')
                else:
                    back = f"../{quote(name)}#fnref{number[1]}"
                    rear.append(
                        f'<li id="{note_id}" epub:type="rearnote"><a href="{back}">'
                        f"{number[1]}</a>. {content}</li>"
                    )
        body = "".join(_xml(element) for element in elements) + "".join(asides)
        doctype = XHTML11_DOCTYPE if placement == "endnotes" else HTML5_DOCTYPE
        documents[name] = xhtml(body, doctype)
    if rear:
        documents["Notes/endnotes.xhtml"] = xhtml(
            f'<section epub:type="rearnotes"><h1>Notes</h1><ol>{"".join(rear)}</ol></section>',
            XHTML11_DOCTYPE,
        )
    title = " ".join(root.xpath("string(//h1)").split())
    # A table of contents whose entries are bare numbers, as a note reference's would be: it
    # is navigation, and must not be taken for notes.
    nav = '<nav epub:type="toc"><ol>' + "".join(
        f"<li><a href={quoteattr(quote(name))}>{number + 1}</a></li>"
        for number, name in enumerate(names)
    )
    return build_epub(Book(documents, title=title, nav=nav + "</ol></nav>"))


def _chapters(root: lxml.html.HtmlElement) -> list[list[lxml.html.HtmlElement]]:
    """The body's top-level elements, cut before each numbered section heading (<ol><li>)."""
    chapters: list[list[lxml.html.HtmlElement]] = [[]]
    for element in root.body:
        if element.get("role") == "doc-endnotes":
            continue
        if element.tag == "ol" and chapters[-1] and len(chapters) < 10:
            chapters.append([])
        chapters[-1].append(element)
    return chapters


def _reference(ref: lxml.html.HtmlElement, number: str, placement: str) -> None:
    """Rewrite pandoc's note reference as the placement writes it."""
    for attribute in ("class", "role"):
        ref.attrib.pop(attribute, None)
    if placement == "asides":
        ref.set("data-epub-type", "noteref")  # written out as epub:type (see _xml)
    else:
        ref.set("href", f"../Notes/endnotes.xhtml#fn{number}")
        ref.text = number
        for child in list(ref):
            ref.remove(child)


def _xml(element: lxml.html.HtmlElement, inner: bool = False) -> str:
    """An element (or its content) as XHTML markup."""
    parts = [escape(element.text or "")] if inner else []
    for child in element if inner else [element]:
        parts.append(etree.tostring(child, method="xml", encoding="unicode", with_tail=True))
    return "".join(parts).replace("data-epub-type=", "epub:type=")
