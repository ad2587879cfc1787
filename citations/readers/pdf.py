"""PDF: the text layer rebuilt into body and notes, whichever program typeset it.

A PDF knows no footnotes, only glyphs on pages. We rebuild lines from the characters, drop the
running heads and page numbers, read two-column pages column by column, find each page's
footnote area by its layout (a separator rule, smaller type, at the bottom) and the notes in it
by their numbers in sequence, or an endnote section at the end of the document, and write the
result as a plain-text document for the text reader (citations/readers/text.py).

The text layer is read with PDFium (pypdfium2) rather than pdfminer (pdfplumber): the same
characters, boxes, fonts and link annotations, twelve times faster (a 30-page report in about
one second instead of eleven), which keeps large reports within the reading time budget
(citations/worker.py). Before PDFium sees a file, its streams are measured without inflating
them whole (archive/pdf_limits.py), and the pages read and characters per page are bounded.

The steps live beside this module: pdf_pages (what PDFium gives), pdf_layout (lines, running
heads, columns), pdf_notes (footnote areas, endnotes, note numbers), pdf_text (the text out).
"""

from __future__ import annotations

import itertools
import logging
import statistics
from collections import Counter
from collections.abc import Callable

import pypdfium2 as pdfium
import pypdfium2.raw as raw

from archive.pdf_limits import PdfLimits, PdfTooLargeError, check_pdf_streams
from citations.errors import DocumentError
from citations.parts import DocumentParts
from citations.readers.pdf_layout import (
    Line,
    Typography,
    blocks,
    page_lines,
    set_columns,
    strip_furniture,
)
from citations.readers.pdf_notes import Notes, find_endnotes, raised_numbers, split_page_block
from citations.readers.pdf_pages import PageContent, read_page
from citations.readers.pdf_text import render
from citations.readers.text import parse_text

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]

# More pages and text than any report: a book-length PDF is read up to here, a warning logged.
# Each character read costs about 250 bytes until the text is written: 2 million, some 500 MB.
MAX_PAGES = 2_000
MAX_CHARS = 2_000_000


def parse_pdf(
    data: bytes, name: str, progress: Progress | None = None, limits: PdfLimits | None = None
) -> DocumentParts:
    """Body text first, then the notes, read as a plain-text document."""
    try:
        check_pdf_streams(data, limits)  # a decompression bomb is refused before it is parsed
    except PdfTooLargeError as exc:
        raise DocumentError(name, str(exc)) from None
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise _pdf_error(name, exc) from None
    try:
        pages = _read_pages(pdf, progress)
        title = _title(pdf)
    except Exception as exc:  # PDFium reports damage late for some files
        raise DocumentError(name, f"damaged PDF ({exc})") from exc
    finally:
        pdf.close()
    if not any(page.chars for page in pages):
        raise DocumentError(name, "the PDF has no text layer (a scan? run it through OCR first)")
    parts = parse_text(_text(pages), fmt="pdf")
    if title:
        parts.title = title
    return parts


def _pdf_error(name: str, exc: pdfium.PdfiumError) -> DocumentError:
    """Say whether the PDF is locked or damaged."""
    if getattr(exc, "err_code", None) in (raw.FPDF_ERR_PASSWORD, raw.FPDF_ERR_SECURITY):
        return DocumentError(name, "the PDF is encrypted and needs a password")
    reason = str(exc).rpartition("(PDFium: ")[2].rstrip(").") or "unreadable"
    return DocumentError(name, f"damaged PDF ({reason})")


def _read_pages(pdf: pdfium.PdfDocument, progress: Progress | None) -> list[PageContent]:
    """Every page's characters, links and rules, up to MAX_PAGES."""
    total = len(pdf)
    if total > MAX_PAGES:
        log.warning("the PDF has %d pages; only the first %d are read", total, MAX_PAGES)
        total = MAX_PAGES
    pages = []
    chars = 0
    for index in range(total):
        pages.append(read_page(pdf, index))
        chars += len(pages[-1].chars)
        if progress:
            progress(index + 1, total)
        if chars > MAX_CHARS:
            log.warning(
                "the PDF has over %d characters; pages after %d are not read", chars, index + 1
            )
            break
    return pages


def _title(pdf: pdfium.PdfDocument) -> str | None:
    """The title in the document information, if it has one."""
    title = pdf.get_metadata_dict(skip_empty=True).get("Title", "")
    return title.strip()[:300] or None


def layout(pages: list[PageContent]) -> tuple[list[list[list[Line]]], Typography]:
    """Each page's blocks of lines in reading order (running heads and page numbers left out),
    and the document's typography."""
    rows = strip_furniture([page_lines(page) for page in pages])
    page_blocks = [blocks(page_rows, page) for page_rows, page in zip(rows, pages, strict=True)]
    lines = [line for page in page_blocks for block in page for line in block]
    set_columns(lines)
    body_size = statistics.mode(c.size for line in lines for c in line.chars) if lines else 0.0
    return page_blocks, Typography(body_size, _pitches(lines))


def _text(pages: list[PageContent]) -> str:
    """The pages as a plain-text document: body paragraphs, then notes."""
    page_blocks, typography = layout(pages)
    lines = [line for page in page_blocks for block in page for line in block]
    notes = Notes(cited=raised_numbers(lines))
    for page, page_block_list in zip(pages, page_blocks, strict=True):
        for block in page_block_list:
            split_page_block(block, page.rules, typography.body_size, notes)
    find_endnotes(notes, typography.body_size, _rules_above(notes.body, pages))
    return render(notes.body, notes.notes, typography)


def _rules_above(lines: list[Line], pages: list[PageContent]) -> dict[int, bool]:
    """For each line, whether a rule is drawn just above it (as above an endnote section)."""
    found = {}
    for index, line in enumerate(lines):
        above = lines[index - 1] if index else None
        ceiling = above.bottom if above is not None and above.page == line.page else 0.0
        found[index] = any(
            ceiling <= rule.top <= line.top and line.top - rule.top < line.size * 4
            for rule in pages[line.page - 1].rules
            if rule.x0 < line.x1 and rule.x1 > line.x0
        )
    return found


def _pitches(lines: list[Line]) -> dict[float, float]:
    """The usual distance between the baselines of two lines in a row, per type size."""
    distances: dict[float, Counter[float]] = {}
    for upper, lower in itertools.pairwise(lines):
        if upper.page == lower.page and upper.column == lower.column and upper.size == lower.size:
            distance = round(lower.baseline - upper.baseline, 1)
            if 0 < distance < upper.size * 3:
                distances.setdefault(upper.size, Counter())[distance] += 1
    return {size: counts.most_common(1)[0][0] for size, counts in distances.items()}
