"""EPUB: the spine's XHTML documents, in reading order, read as one HTML document.

META-INF/container.xml names the package document (OPF); its spine lists the content documents
in reading order. Each is parsed on its own, its ids and internal links made unique across the
book (a note reference in chapter 3 often points into notes.xhtml), and the whole handed to the
HTML reader, which finds linked notes: asides (`epub:type="footnote"`), endnote lists, and
plain `<a href="#fn3">3</a>` references alike.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote, urlsplit

import lxml.html
from lxml import etree

from citations.errors import DocumentError
from citations.parts import DocumentParts
from citations.readers.html import parse_html
from citations.readers.package import XML_PARSER, Producer, ZipPackage
from citations.urls import WEB_TARGET_RE

CONTAINER = "META-INF/container.xml"
ENCRYPTION = "META-INF/encryption.xml"
ENC_CIPHER_REFERENCE = "{http://www.w3.org/2001/04/xmlenc#}CipherReference"
OCF = "{urn:oasis:names:tc:opendocument:xmlns:container}"
OPF = "{http://www.idpf.org/2007/opf}"
DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
MIMETYPE = "application/epub+zip"
PACKAGE_TYPE = "application/oebps-package+xml"
CONTENT_TYPES = frozenset({"application/xhtml+xml", "text/html"})
# Books run to a few hundred content documents (converters split long chapters); each one costs
# a parse, so a spine of a million references to one small file is refused before any is read.
MAX_SPINE_ITEMS = 10_000
NAVIGATION = frozenset({"toc", "landmarks", "page-list"})  # <nav> lists, not the text
# One note, rather than a list of them: the HTML reader takes an element whose class says
# "note" as the whole note its reference points into.
NOTE_TYPES = frozenset({"footnote", "endnote", "rearnote", "note"})
# A DTD that declares something of its own (an internal subset): where entities live.
INTERNAL_SUBSET_RE = re.compile(rb"<!DOCTYPE[^>\[]*\[", re.IGNORECASE)
# Books come from many tools (Calibre, Sigil, InDesign, pandoc): the refusals name none of them.
EPUB_WRITERS = Producer("EPUB software", "EPUB")


class EpubPackage(ZipPackage):
    """A zip package whose XHTML documents may name the XHTML DTD, as EPUB 2 books do."""

    def refuse_dtd(self, path: str, head: bytes) -> None:
        """Refuse a part whose DTD declares entities (EPUB forbids them); the parser would
        expand and fetch nothing anyway, and a bare <!DOCTYPE html> is harmless."""
        if INTERNAL_SUBSET_RE.search(head[:4096]):
            raise DocumentError(
                self.name, f"{path} declares entities in its DTD, which EPUB forbids: refused"
            )


def parse_epub(data: bytes, name: str, max_unpacked: int, max_text: int) -> DocumentParts:
    """The spine's documents as one HTML document: body with note markers, then the notes.
    Their XHTML may come to `max_text` bytes, as much as an HTML document may have."""
    package = _open(data, name, max_unpacked)
    package_path = _package_document(package)
    opf = package.xml(package_path)
    spine = _spine(package, opf, package_path)
    if _encrypted(package) & set(spine):
        raise DocumentError(name, "the EPUB is encrypted (DRM) and its text cannot be read")
    parts = parse_html(_combined(package, spine, max_text))
    parts.format = "epub"
    parts.title = _title(opf) or parts.title
    return parts


def _open(data: bytes, name: str, max_unpacked: int) -> EpubPackage:
    """The package, once it is known to be an EPUB with a container."""
    package = EpubPackage(data, name, max_unpacked, EPUB_WRITERS)
    if package.has("mimetype"):  # should be there; some tools leave it out, readers forgive it
        mimetype = package.read("mimetype")[:200].decode("ascii", "replace").strip()
        if mimetype != MIMETYPE:
            raise DocumentError(
                name, f"not an EPUB: its mimetype is {mimetype!r}, not {MIMETYPE!r}"
            )
    if not package.has(CONTAINER):
        raise DocumentError(name, f"a damaged EPUB: it has no {CONTAINER}")
    return package


def _package_document(package: EpubPackage) -> str:
    """The path of the package document (OPF) that container.xml names."""
    rootfiles = list(package.xml(CONTAINER).iter(f"{OCF}rootfile"))
    chosen = [r for r in rootfiles if r.get("media-type") == PACKAGE_TYPE] or rootfiles
    path = chosen[0].get("full-path", "").lstrip("/") if chosen else ""
    if not path:
        raise DocumentError(package.name, f"a damaged EPUB: {CONTAINER} names no package document")
    if not package.has(path):
        raise DocumentError(package.name, f"a damaged EPUB: it has no {path}")
    return path


def _spine(package: EpubPackage, opf: etree._Element, opf_path: str) -> list[str]:
    """The paths of the content documents in reading order, each once; the navigation
    document (a table of contents) left out."""
    manifest = {item.get("id", ""): item for item in opf.iter(f"{OPF}item")}
    refs = [ref.get("idref", "") for ref in opf.iter(f"{OPF}itemref")]
    if len(refs) > MAX_SPINE_ITEMS:
        raise DocumentError(
            package.name,
            f"the EPUB's spine lists {len(refs):,} documents (limit {MAX_SPINE_ITEMS:,})",
        )
    paths: list[str] = []
    for ref in refs:
        item = manifest.get(ref)
        if item is None or item.get("media-type") not in CONTENT_TYPES:
            continue  # an image or an unknown id: no text to read
        if "nav" in item.get("properties", "").split():
            continue
        path = _resolve(opf_path, item.get("href", ""))
        if not package.has(path):
            raise DocumentError(package.name, f"a damaged EPUB: its spine names {path}, not in it")
        if path not in paths:
            paths.append(path)
    if not paths:
        raise DocumentError(package.name, "the EPUB's spine lists no XHTML documents")
    return paths


def _encrypted(package: EpubPackage) -> set[str]:
    """The archive paths encryption.xml lists: fonts (obfuscated, harmless to us) or, in a
    book with DRM, the content documents themselves."""
    encryption = package.xml_or_none(ENCRYPTION)
    if encryption is None:
        return set()
    references = encryption.iter(ENC_CIPHER_REFERENCE)
    return {posixpath.normpath(unquote(r.get("URI", ""))).lstrip("/") for r in references}


def _resolve(base: str, href: str) -> str:
    """The archive path of a relative link's target, from the document that holds it."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), unquote(href)))


def _title(opf: etree._Element) -> str | None:
    """The book's title from the package metadata."""
    for title in opf.iter(DC_TITLE):
        text = " ".join((title.text or "").split())
        if text:
            return text[:300]
    return None


def _combined(package: EpubPackage, spine: list[str], max_text: int) -> str:
    """One HTML document: each content document's body in a <div>, in spine order."""
    index = {path: number for number, path in enumerate(spine)}
    sections: list[str] = []
    read = 0
    for number, path in enumerate(spine):
        data = package.read(path)
        read += len(data)
        if read > max_text:
            raise DocumentError(
                package.name,
                f"the EPUB's documents hold over {max_text // 2**20} MB of XHTML, the limit "
                "for a document (raise documents.max_size_mb to allow it)",
            )
        body = _body(data)
        _normalise(body, number, path, index)
        sections.append(etree.tostring(body, method="html", encoding="unicode", with_tail=False))
    return f"<html><body>{''.join(sections)}</body></html>"


def _body(data: bytes) -> etree._Element:
    """A content document's <body>: parsed as XHTML, or as HTML if it is not well-formed (some
    converters write it carelessly, and reading systems forgive them)."""
    try:
        root = etree.fromstring(data, XML_PARSER)
    except etree.XMLSyntaxError:
        try:
            root = lxml.html.document_fromstring(data)
        except etree.ParserError:  # nothing but blanks and comments
            return etree.Element("div")
    return next(root.iter("{http://www.w3.org/1999/xhtml}body", "body"), root)


def _normalise(body: etree._Element, number: int, path: str, index: dict[str, int]) -> None:
    """Plain HTML names; ids and internal links unique across the book; note types as classes;
    navigation lists left out. The body becomes an attribute-less <div>."""
    for element in list(body.iter()):
        if not isinstance(element.tag, str):
            continue  # comments, processing instructions, &entity; references
        if element.tag.startswith("{"):
            element.tag = etree.QName(element).localname
        types = set((element.get(EPUB_TYPE) or element.get("epub:type") or "").split())
        if element.tag == "nav" and types & NAVIGATION and element is not body:
            _drop(element)
            continue
        for attribute in [a for a in element.attrib if str(a).startswith("{")]:
            del element.attrib[attribute]
        if types & NOTE_TYPES:
            classes = " ".join(f"epub-{t}" for t in sorted(types & NOTE_TYPES))
            element.set("class", f"{element.get('class', '')} {classes}".strip())
        for attribute in ("id", "name"):
            value = element.get(attribute)
            if value:
                element.set(attribute, f"{number}-{value}")
        if element.tag == "a":
            _relink(element, number, path, index)
    body.tag = "div"
    body.attrib.clear()
    etree.cleanup_namespaces(body)


def _relink(anchor: etree._Element, number: int, path: str, index: dict[str, int]) -> None:
    """Point a link to another place in the book at the unique id it now has."""
    href = (anchor.get("href") or "").strip()
    if not href or WEB_TARGET_RE.match(href):
        return
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        return  # mailto:, or another site
    target = index.get(_resolve(path, parts.path)) if parts.path else number
    if target is not None:
        anchor.set("href", f"#{target}-{unquote(parts.fragment)}")


def _drop(element: etree._Element) -> None:
    """Remove an element, keeping the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    previous = element.getprevious()
    if element.tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)
