"""Reports on the web: which addresses are pages to fetch, what a fetched body is, and reading
it as a document (`citewatch add URL`).

The page is fetched by the crawl (spiders/report.py), which stores it only if it can be read
here: an HTML page or a PDF. The body read is the one archived, taken back out of its WARC
record, so the citations stored are those of the evidence kept.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from archive.charset import UndecodableError, charset_from_content_type, decode_text
from archive.replay import PayloadError, PayloadTooLargeError, payload_chunks, warc_record
from citations.canonical import DEFAULT_RULES, TrackingRules
from citations.document import Limits, LoadedDocument, Progress, parse_document_bytes
from citations.errors import DocumentError
from citations.readers.webpage import parse_web_page
from citations.worker import Result, within_budget

WEB_ADDRESS_RE = re.compile(r"^https?://", re.IGNORECASE)
HTML_TYPES = frozenset(("text/html", "application/xhtml+xml"))
PDF_TYPES = frozenset(("application/pdf", "application/x-pdf"))
# Types that say nothing: the body itself then tells (servers send PDFs as downloads).
UNTYPED = frozenset(("", "application/octet-stream", "binary/octet-stream"))
SNIFF_BYTES = 1024  # where a PDF header or an HTML start tag must appear
HTML_START_RE = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S
)
PDF_MAGIC = b"%PDF-"


def is_web_address(text: str) -> bool:
    """Whether a command's argument is an http(s) address rather than a file."""
    return bool(WEB_ADDRESS_RE.match(text.strip()))


def media_type(content_type: str | None) -> str:
    """A Content-Type's media type, lowercase, without parameters."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def web_format(content_type: str | None, head: bytes) -> str | None:
    """ "html" or "pdf" for a body that can be read as a report, by its type and first bytes;
    None for anything else (an image, a feed, plain text)."""
    media = media_type(content_type)
    if media in PDF_TYPES or PDF_MAGIC in head[:SNIFF_BYTES]:
        return "pdf"
    if media in HTML_TYPES:
        return "html"
    if media in UNTYPED and HTML_START_RE.match(head[:SNIFF_BYTES].lstrip(b"\xef\xbb\xbf")):
        return "html"
    return None


def unreadable(content_type: str | None) -> str:
    """Why a body of this type is not read as a report."""
    return f"not an HTML page or a PDF ({media_type(content_type) or 'no content type'})"


@dataclass(frozen=True)
class FetchedDocument(LoadedDocument):
    """A document fetched from the web: known by its address (`path` is its last segment)."""

    url: str = ""

    @property
    def name(self) -> str:
        """The address, as users know the document."""
        return self.url


def read_fetched(
    url: str,
    final_url: str,
    content_type: str | None,
    data: bytes,
    limits: Limits | None = None,
    progress: Progress | None = None,
) -> FetchedDocument:
    """Parse a fetched body: a web page's main content and notes, or a PDF. `url` names the
    document, `final_url` (where redirects ended) is what its relative links are relative to."""
    fmt = web_format(content_type, data)
    if fmt is None:
        raise DocumentError(url, unreadable(content_type))
    if fmt == "pdf":
        parts = parse_document_bytes(url, fmt, data, limits, progress)
    else:
        try:
            text = decode_text(data, charset_from_content_type(content_type), html=True)
        except UndecodableError as exc:
            raise DocumentError(url, str(exc)) from exc
        parts = parse_web_page(text, final_url)
        if not any(p.strip() for p in parts.body) and not parts.notes:
            raise DocumentError(url, "the page has no main text")
    name = PurePosixPath(urlsplit(url).path).name or "index.html"
    digest = hashlib.sha256(data).hexdigest()
    return FetchedDocument(Path(name), fmt, digest, len(data), parts, url=url)


def read_fetched_within_budget(
    url: str,
    final_url: str,
    content_type: str | None,
    data: bytes,
    max_seconds: float,
    limits: Limits | None = None,
    rules: TrackingRules = DEFAULT_RULES,
    default_scheme: str = "https",
    progress: Progress | None = None,
) -> Result:
    """`read_fetched` and citation extraction in a child process, within the time budget (a
    page is hostile input as much as a file); a page that cites nothing is an error."""
    read = partial(read_fetched, url, final_url, content_type, data, limits)
    loaded, extraction = within_budget(url, read, max_seconds, rules, default_scheme, progress)
    if not extraction.citations:
        where = "the PDF" if loaded.format == "pdf" else "the page's main content"
        raise DocumentError(url, f"no links found in {where} (menus, header and footer excluded)")
    return loaded, extraction


def archived_body(path: Path, offset: int, max_bytes: int, url: str) -> bytes:
    """The response body of the WARC record at `offset`, decoded, at most `max_bytes`."""
    try:
        with warc_record(path, offset) as record:
            return b"".join(payload_chunks(record, True, max_bytes))
    except PayloadTooLargeError:
        raise DocumentError(
            url,
            f"the page is over {max_bytes // 2**20} MB decoded "
            "(raise documents.max_size_mb to allow it)",
        ) from None
    except (PayloadError, OSError, StopIteration) as exc:
        raise DocumentError(
            url, f"the archived copy in {path.name} cannot be read ({exc})"
        ) from None
