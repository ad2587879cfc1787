"""Open a document file safely: check it is what it claims, decode it, hand it to its reader."""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from archive.charset import UndecodableError, decode_text
from citations.errors import DocumentError
from citations.parts import DocumentParts
from citations.readers.docx import parse_docx
from citations.readers.epub import parse_epub
from citations.readers.html import parse_html
from citations.readers.legacy import LEGACY_FORMATS, refuse_legacy
from citations.readers.odt import parse_odt
from citations.readers.package import ZipPackage
from citations.readers.text import parse_text

FORMATS = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".docx": "docx",
    ".pdf": "pdf",
    ".odt": "odt",
    ".epub": "epub",
    ".doc": "doc",  # refused with what to do instead (readers/legacy.py)
    ".rtf": "rtf",
}
ZIP_MAGIC = b"PK\x03\x04"
PDF_MAGIC = b"%PDF-"
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Limits:
    """How large a document and its unpacked contents may be."""

    max_bytes: int = 50 * 2**20
    max_unpacked_bytes: int = 200 * 2**20


@dataclass(frozen=True)
class LoadedDocument:
    """A document file read and parsed, not yet stored."""

    path: Path
    format: str
    sha256: str
    size: int
    parts: DocumentParts

    @property
    def name(self) -> str:
        """The file name, as users know the document."""
        return self.path.name


def read_document(
    path: Path, limits: Limits | None = None, progress: Progress | None = None
) -> LoadedDocument:
    """Read, check and parse a .txt/.md/.html/.docx/.pdf/.odt/.epub document."""
    limits = limits or Limits()
    name = str(path)
    fmt = FORMATS.get(path.suffix.lower())
    if not path.exists():
        if path.is_symlink():
            raise DocumentError(name, "a symbolic link that leads nowhere (a loop, or no target)")
        raise DocumentError(name, "no such file")
    if path.is_dir():
        raise DocumentError(name, "is a directory, not a document")
    if fmt is None:
        supported = ", ".join(sorted(e for e, f in FORMATS.items() if f not in LEGACY_FORMATS))
        raise DocumentError(
            name, f"unsupported file type {path.suffix or '(none)'!r}; supported: {supported}"
        )
    size = path.stat().st_size
    if size == 0:
        raise DocumentError(name, "the file is empty")
    if size > limits.max_bytes:
        raise DocumentError(
            name,
            f"the file is {size / 2**20:.0f} MB, over the {limits.max_bytes // 2**20} MB limit "
            "(raise documents.max_size_mb to allow it)",
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(name, f"cannot read: {exc.strerror or exc}") from exc
    parts = _parse(name, fmt, data, limits, progress)
    if not any(p.strip() for p in parts.body) and not parts.notes:
        raise DocumentError(name, "the document has no text")
    return LoadedDocument(path, fmt, hashlib.sha256(data).hexdigest(), size, parts)


def _parse(
    name: str, fmt: str, data: bytes, limits: Limits, progress: Progress | None
) -> DocumentParts:
    """Check the bytes match the extension, then parse with the format's reader."""
    refuse_legacy(name, fmt, data)
    if fmt == "pdf":
        if PDF_MAGIC not in data[:1024]:
            raise DocumentError(name, "not a PDF file (no %PDF header)")
        from citations.readers.pdf import parse_pdf  # pdfplumber and pypdf load only for PDFs

        return parse_pdf(data, name, progress)
    if fmt == "docx":
        if not data.startswith(ZIP_MAGIC):
            raise DocumentError(name, "not a DOCX file (a DOCX is a zip archive; this is not one)")
        package = ZipPackage(data, name, limits.max_unpacked_bytes)
        if not package.has("word/document.xml") and not package.has("_rels/.rels"):
            raise DocumentError(
                name, "a zip archive, but not a Word document (no word/document.xml)"
            )
        return parse_docx(package)
    if fmt in ("odt", "epub"):
        if not data.startswith(ZIP_MAGIC):
            kind = fmt.upper()
            raise DocumentError(
                name, f"not an {kind} file (an {kind} is a zip archive; this is not one)"
            )
        if fmt == "odt":
            return parse_odt(data, name, limits.max_unpacked_bytes)
        return parse_epub(data, name, limits.max_unpacked_bytes, limits.max_bytes)
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    bare_utf16 = None if utf16 else _utf16_without_bom(data)
    if data.startswith((ZIP_MAGIC, PDF_MAGIC)) or (
        b"\x00" in data[:8192] and not utf16 and not bare_utf16
    ):
        raise DocumentError(name, f"a binary file, not {fmt.upper()} text")
    if bare_utf16:
        try:
            text = data.decode(bare_utf16)
        except UnicodeDecodeError as exc:
            raise DocumentError(
                name, f"looks like {bare_utf16.upper()} without a byte-order mark, but is not"
            ) from exc
    else:
        text = decode_document(data, name, html=fmt == "html")
    return parse_html(text) if fmt == "html" else parse_text(text, fmt)


def _utf16_without_bom(data: bytes) -> str | None:
    """Which UTF-16 a text saved without a byte-order mark is in (some Windows tools do that).

    Spaces, digits and Latin letters put a zero byte in every second place, always the same
    one, where a binary file has zeros anywhere: zeros in 5% of the places suffice, so Cyrillic
    text, with its spaces and punctuation, is recognised too.
    """
    sample = data[:8192]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    enough = len(sample) // 40
    if odd > enough and even * 20 < odd:
        return "utf-16-le"
    if even > enough and odd * 20 < even:
        return "utf-16-be"
    return None


def decode_document(data: bytes, name: str, html: bool = False) -> str:
    """Decode a text document, or say that no encoding fits it."""
    try:
        return decode_text(data, html=html)
    except UndecodableError as exc:
        raise DocumentError(name, str(exc)) from exc


def parse_document_bytes(
    name: str, fmt: str, data: bytes, limits: Limits | None = None, progress: Progress | None = None
) -> DocumentParts:
    """Check and parse a document held in memory (a report fetched from the web, `name` its
    URL) with its format's reader, as `read_document` does a file's bytes."""
    limits = limits or Limits()
    if len(data) > limits.max_bytes:
        raise DocumentError(
            name,
            f"the document is {len(data) / 2**20:.0f} MB, over the "
            f"{limits.max_bytes // 2**20} MB limit (raise documents.max_size_mb to allow it)",
        )
    parts = _parse(name, fmt, data, limits, progress)
    if not any(p.strip() for p in parts.body) and not parts.notes:
        raise DocumentError(name, "the document has no text")
    return parts
