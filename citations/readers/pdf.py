"""PDF: the text layer read character by character, superscripts and link annotations kept.

A PDF knows no footnotes, only glyphs on pages. We rebuild lines from the characters, write
raised small digits as superscripts (¹²), put the whole URI of a link annotation where its
(often line-broken) text was, move each page's footnote area after the body, and read the
result like a plain-text document.
"""

from __future__ import annotations

import io
import logging
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfplumber.utils.exceptions import PdfminerException

from archive.pdf_limits import PdfLimits, PdfTooLargeError, check_pdf_streams
from citations.errors import DocumentError
from citations.parts import TO_SUPERSCRIPT, DocumentParts, markdown_link
from citations.readers.text import parse_text
from citations.urls import WEB_TARGET_RE

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]

SMALL_TEXT = 0.92  # a line this much smaller than body text may be a footnote
SUPERSCRIPT_SIZE = 0.85  # a digit this much smaller than its line, and raised, is a note mark
SUPERSCRIPT_RAISE = 0.15  # raised by at least this fraction of the line's font size
PARAGRAPH_GAP = 1.5  # a vertical gap this many times the line's size starts a new paragraph
# Word and LibreOffice draw a short rule above the footnotes: thin, and at most this share of
# the page's width (table borders and full-width rules are wider).
RULE_THICKNESS = 1.5
SHORT_LINE = 0.85  # a line ending this far short of the right margin ends its paragraph
RULE_MAX_WIDTH = 0.6


@dataclass
class Page:
    """One page's text lines and the tops of its candidate footnote separator rules."""

    lines: list[Line]
    rules: list[float]


@dataclass
class Line:
    """Characters sharing a baseline, left to right."""

    chars: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)  # the page's link annotations
    body_size: float = 0.0  # the document's running-text size, once known
    page_right: float = 0.0  # where the page's longest lines end

    @cached_property
    def top(self) -> float:
        """The highest point of the line."""
        return float(min(c["top"] for c in self.chars))

    @cached_property
    def size(self) -> float:
        """The font size most of the line is set in."""
        return float(statistics.mode(round(c["size"], 1) for c in self.chars))

    @cached_property
    def baseline(self) -> float:
        """Where the line's full-size characters stand."""
        size = self.size
        return float(
            statistics.median(c["bottom"] for c in self.chars if round(c["size"], 1) >= size)
        )


def parse_pdf(
    data: bytes, name: str, progress: Progress | None = None, limits: PdfLimits | None = None
) -> DocumentParts:
    """Body text first, then every page's notes, read as a plain-text document."""
    try:
        check_pdf_streams(data, limits)  # pdfminer would inflate a bomb whole, in memory
    except PdfTooLargeError as exc:
        raise DocumentError(name, str(exc)) from None
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            pages = _read_pages(pdf, progress)
            title = (pdf.metadata or {}).get("Title")
    except Exception as exc:  # pdfminer raises dozens of types on damaged input; all mean one thing
        raise _pdf_error(name, exc) from exc
    if not any(page.lines for page in pages):
        raise DocumentError(name, "the PDF has no text layer (a scan? run it through OCR first)")
    body_size = _body_size([line for page in pages for line in page.lines])
    for page in pages:
        for line in page.lines:
            line.body_size = body_size
    body: list[Line] = []
    notes: list[Line] = []
    for page in pages:
        cut = _footnote_area(page, body_size)
        body += page.lines[:cut]
        notes += page.lines[cut:]
    text = _render(body, paragraphs=True) + "\n\n" + _render(notes, paragraphs=False)
    parts = parse_text(text, fmt="pdf")
    if isinstance(title, str) and title.strip():
        parts.title = title.strip()[:300]
    return parts


def _pdf_error(name: str, exc: Exception) -> DocumentError:
    """Say whether the PDF is locked or damaged (pdfplumber wraps pdfminer's errors)."""
    cause = exc.args[0] if isinstance(exc, PdfminerException) and exc.args else exc
    if isinstance(cause, PDFPasswordIncorrect | PDFEncryptionError):
        return DocumentError(name, "the PDF is encrypted and needs a password")
    return DocumentError(name, f"damaged PDF ({str(cause) or type(cause).__name__})")


def _read_pages(pdf: Any, progress: Progress | None) -> list[Page]:
    """Lines, link annotations and separator rules of every page, page numbers removed."""
    pages = []
    total = len(pdf.pages)
    for number, page in enumerate(pdf.pages, start=1):
        chars = [c for c in page.chars if c.get("upright", True) and c["text"].strip() != ""]
        links = [link for link in page.hyperlinks if WEB_TARGET_RE.match(link.get("uri") or "")]
        rules = [
            float(shape["top"])
            for shape in (*page.rects, *page.lines)
            if shape["bottom"] - shape["top"] <= RULE_THICKNESS
            and 0 < shape["x1"] - shape["x0"] <= page.width * RULE_MAX_WIDTH
        ]
        lines = _strip_page_numbers(_lines(chars))
        right = max((line.chars[-1]["x1"] for line in lines), default=0.0)
        for line in lines:
            line.links = links
            line.page_right = float(right)
        pages.append(Page(lines, rules))
        page.flush_cache()
        if progress:
            progress(number, total)
    return pages


def _lines(chars: list[dict[str, Any]]) -> list[Line]:
    """Group characters into lines by vertical centre, tolerant of raised superscripts."""
    if not chars:
        return []
    typical = statistics.median(c["size"] for c in chars)
    ordered = sorted(chars, key=lambda c: (c["top"] + c["bottom"]) / 2)
    lines: list[Line] = []
    anchor = None
    for char in ordered:
        centre = (char["top"] + char["bottom"]) / 2
        if anchor is None or centre - anchor > typical * 0.5:
            lines.append(Line())
            anchor = centre
        lines[-1].chars.append(char)
    for line in lines:
        line.chars.sort(key=lambda c: c["x0"])
    return lines


def _strip_page_numbers(lines: list[Line]) -> list[Line]:
    """Drop a first or last line that is only a page number."""

    def is_number(line: Line) -> bool:
        text = "".join(c["text"] for c in line.chars).strip()
        return text.isdigit() and len(text) <= 4

    if lines and is_number(lines[-1]):
        lines = lines[:-1]
    if lines and is_number(lines[0]):
        lines = lines[1:]
    return lines


def _body_size(lines: list[Line]) -> float:
    """The font size of running text: the size most characters are set in."""
    sizes = [round(c["size"], 1) for line in lines for c in line.chars]
    return statistics.mode(sizes) if sizes else 0.0


def _footnote_area(page: Page, body_size: float) -> int:
    """Index of the first line of the page's footnote area (len(lines) when there is none).

    The area lies below the separator rule, or else is the run of small-type lines that
    reaches the bottom of the page; either way some line in it opens with a note number (a
    note carried over from the previous page may sit above the first number).
    """
    lines = page.lines
    cuts = {
        next((i for i, line in enumerate(lines) if line.top > rule), len(lines))
        for rule in page.rules
    }
    small = len(lines)
    while small > 0 and lines[small - 1].size < body_size * SMALL_TEXT:
        small -= 1
    for cut in sorted({*cuts, small}, reverse=True):
        if 0 < cut < len(lines) and any(_starts_with_mark(line) for line in lines[cut:]):
            return cut
    return len(lines)


def _starts_with_mark(line: Line) -> bool:
    """Whether a line opens with a raised number, the way a note does."""
    first = line.chars[0]
    return bool(first["text"].isdigit()) and _is_superscript(first, line)


def _is_superscript(char: dict[str, Any], line: Line) -> bool:
    """A small digit set above the line's baseline (or alone on a line of small digits)."""
    size = line.size
    if all(c["text"].isdigit() for c in line.chars):
        return bool(char["size"] < line.body_size * SUPERSCRIPT_SIZE)
    return bool(
        char["size"] < size * SUPERSCRIPT_SIZE
        and char["bottom"] < line.baseline - size * SUPERSCRIPT_RAISE
    )


def _render(lines: list[Line], paragraphs: bool) -> str:
    """Lines as text; linked runs become the annotation's URI, paragraphs split by gaps."""
    out: list[str] = []
    previous: Line | None = None
    open_link: dict[str, Any] | None = None
    link_text: list[str] = []

    def close_link() -> None:
        nonlocal open_link
        if open_link is not None:
            out.append(markdown_link("".join(link_text), open_link["uri"]))
            open_link = None
            link_text.clear()

    for line in lines:
        if previous is not None:
            carried = _link_at(line.chars[0], line.links)
            if open_link is None or carried is None or carried["uri"] != open_link["uri"]:
                close_link()
                out.append(_line_break(previous, line, paragraphs))
        last_x1: float | None = None
        for char in line.chars:
            text = char["text"]
            if last_x1 is not None and char["x0"] - last_x1 > char["size"] * 0.2:
                text = " " + text
            last_x1 = char["x1"]
            link = _link_at(char, line.links)
            if link is not None and open_link is not None and link["uri"] == open_link["uri"]:
                link_text.append(text.strip() if not link_text else text)
                continue
            close_link()
            if link is not None:
                open_link = link
                link_text.append(text.strip())
                if text.startswith(" "):
                    out.append(" ")
                continue
            if text.strip().isdigit() and _is_superscript(char, line):
                text = text.translate(TO_SUPERSCRIPT)
            out.append(text)
        previous = line
    close_link()
    return "".join(out)


def _line_break(previous: Line, line: Line, paragraphs: bool) -> str:
    """What separates two lines: a paragraph break, a line break, or nothing after a hyphen."""
    last, first = previous.chars[-1]["text"], line.chars[0]["text"]
    before_last = previous.chars[-2]["text"] if len(previous.chars) > 1 else ""
    if not paragraphs:
        return "\n"  # notes keep their line breaks: the URL finder rejoins broken URLs
    if last == "-" and before_last.isalnum() and first.isalnum():
        return ""  # a compound word broken after its hyphen
    gap = line.top - previous.top
    short = previous.chars[-1]["x1"] < previous.page_right * SHORT_LINE
    return "\n\n" if gap > previous.size * PARAGRAPH_GAP or short else "\n"


def _link_at(char: dict[str, Any], links: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The link annotation covering a character's centre, if any."""
    x = (char["x0"] + char["x1"]) / 2
    y = (char["top"] + char["bottom"]) / 2
    for link in links:
        if link["x0"] <= x <= link["x1"] and link["top"] <= y <= link["bottom"]:
            return link
    return None
