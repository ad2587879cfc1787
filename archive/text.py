"""Main text and metadata from an archived payload: trafilatura for HTML, pdfplumber for PDF.

Runs on bytes we fetched ourselves; nothing here touches the network.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, replace

import pdfplumber
import py3langid
import trafilatura
from lxml import html as lxml_html

from archive.charset import UndecodableError, charset_from_content_type, decode_text
from archive.pdf_limits import PdfLimits, PdfTooLargeError, check_pdf_streams
from archive.social import public_metadata, replaces_page_text, snapshot_fields
from archive.telegram import telegram_text
from models.kinds import Extraction

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
PDF_TYPES = ("application/pdf", "application/x-pdf")
MAX_PDF_PAGES = 500  # enough for any report; bounds the work a hostile PDF can cause
LANG_ATTRIBUTE_RE = re.compile(rb"<html[^>]*\slang\s*=\s*[\"']?([A-Za-z]{2,3})", re.IGNORECASE)
PASSWORD_FIELD = "//input[translate(@type, 'PASSWORD', 'password') = 'password']"
MIN_LANGUAGE_SAMPLE = 40  # characters; shorter texts give no reliable guess
OUT_OF_MEMORY = "extraction ran out of memory"


@dataclass(frozen=True)
class ExtractedText:
    """What a payload says, and how getting it went."""

    status: Extraction
    text: str = ""
    title: str | None = None
    author: str | None = None
    published: str | None = None
    language: str | None = None
    error: str | None = None
    login_form: bool = False  # the page asks for a password
    note: str | None = None  # where the text came from when not the page's own (archive/social.py)


def extract_text(
    body: bytes, content_type: str | None, url: str, pdf_limits: PdfLimits | None = None
) -> ExtractedText:
    """The main text of an HTML page, a PDF or a plain-text file."""
    kind = (content_type or "").split(";")[0].strip().lower()
    try:
        if kind in PDF_TYPES or body.startswith(b"%PDF-"):
            return _from_pdf(body, pdf_limits)
        if kind in HTML_TYPES or (not kind and b"<html" in body[:2048].lower()):
            return _from_html(body, content_type, url)
        if kind.startswith("text/"):
            text = decode_text(body, charset_from_content_type(content_type)).strip()
            return _result(text, None, None, None, None)
    except (UndecodableError, PdfTooLargeError) as exc:
        return ExtractedText(Extraction.FAILED, error=str(exc))
    except MemoryError:  # past the worker's memory limit (see archive/workers.py)
        log.warning("extraction ran out of memory for %s", url)
        return ExtractedText(Extraction.FAILED, error=OUT_OF_MEMORY)
    except Exception as exc:  # trafilatura, lxml and pdfminer fail in many ways on hostile input
        log.warning("extraction failed for %s: %s", url, exc)
        return ExtractedText(Extraction.FAILED, error=f"{type(exc).__name__}: {exc}")
    return ExtractedText(
        Extraction.UNSUPPORTED, error=f"no text extraction for {kind or 'unknown type'}"
    )


def _from_html(body: bytes, content_type: str | None, url: str) -> ExtractedText:
    """The decoded page's text: a post's or a video's where we know the site, else trafilatura's."""
    page = decode_text(body, charset_from_content_type(content_type), html=True)
    post = telegram_text(url, page)  # a Telegram post: its own text, not the page around it
    if post is not None:
        return post
    # A social post or a YouTube video: what its public page shows (archive/social.py).
    return _with_public_metadata(url, page, _from_page(body, page, url))


def _from_page(body: bytes, page: str, url: str) -> ExtractedText:
    """trafilatura on the decoded page; language from the page, else from the text."""
    tree = lxml_html.document_fromstring(page) if page.strip() else None
    if tree is None:
        return ExtractedText(Extraction.EMPTY)
    login_form = bool(tree.xpath(PASSWORD_FIELD))  # before trafilatura prunes the tree
    document = trafilatura.bare_extraction(
        tree, url=url, with_metadata=True, include_comments=False, include_tables=True
    )
    if document is None:
        return ExtractedText(Extraction.EMPTY, title=_page_title(tree), login_form=login_form)
    data = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    declared = LANG_ATTRIBUTE_RE.search(body[:4096])
    language = declared.group(1).decode("ascii").lower() if declared else None
    extracted = _result(
        (data.get("text") or "").strip(),
        data.get("title") or _page_title(tree),
        data.get("author"),
        data.get("date"),
        language,
    )
    return replace(extracted, login_form=login_form)


def _with_public_metadata(url: str, page: str, found: ExtractedText) -> ExtractedText:
    """A social post's or YouTube video's public metadata in place of the page's own text when
    that is not the post's: a login wall (still one), a script shell, YouTube's menus."""
    metadata = public_metadata(url, page)
    if metadata is None or not replaces_page_text(metadata, found.text, found.login_form):
        return found
    fields = snapshot_fields(metadata)
    kept = _result(fields.text, fields.title, fields.author, fields.published, None)
    return replace(kept, login_form=found.login_form, note=fields.note)


def _from_pdf(body: bytes, limits: PdfLimits | None) -> ExtractedText:
    """The text layer of every page; the title from the PDF's metadata."""
    check_pdf_streams(body, limits)  # pdfminer would inflate a bomb whole, in memory
    pages: list[str] = []
    with pdfplumber.open(io.BytesIO(body)) as pdf:
        for page in pdf.pages[:MAX_PDF_PAGES]:
            pages.append(page.extract_text() or "")
            page.close()  # each page's characters and layout, kept until the end otherwise
        metadata = pdf.metadata or {}
    title = metadata.get("Title")
    author = metadata.get("Author")
    return _result(
        "\n\n".join(p.strip() for p in pages if p.strip()),
        title if isinstance(title, str) and title.strip() else None,
        author if isinstance(author, str) and author.strip() else None,
        None,
        None,
    )


def _result(
    text: str, title: str | None, author: str | None, published: str | None, language: str | None
) -> ExtractedText:
    """An OK result, or EMPTY when there is no text; the language guessed if not declared."""
    if not text:
        return ExtractedText(Extraction.EMPTY, title=title, author=author, published=published)
    if language is None and len(text) >= MIN_LANGUAGE_SAMPLE:
        language = py3langid.classify(text[:5000])[0]
    return ExtractedText(Extraction.OK, text, title, author, published, language)


def _page_title(tree: lxml_html.HtmlElement) -> str | None:
    """The <title> of a page, when trafilatura finds no better one."""
    found = tree.findtext(".//title")
    return " ".join(found.split()) or None if found else None
