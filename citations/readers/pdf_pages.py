"""What a PDF page holds for us: its characters, its web links and its horizontal rules.

Read through PDFium (pypdfium2): characters with their loose boxes (the font's ascent to descent,
so every character of a line shares a top and bottom), baseline origin, effective size (the
font size times the text and page matrices) and font name; link annotations with a URI action;
thin horizontal paths, which is how footnote separators and <hr> are drawn. Coordinates are
turned top-down (0 at the top of the page), as people read.

Every page's work is bounded: so many characters, links and drawing objects, no more.
"""

from __future__ import annotations

import ctypes
import itertools
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as raw

log = logging.getLogger(__name__)

# A dense page of text has 4,000-6,000 characters; a page with more than this many is a
# drawing, a table of numbers, or built to make us slow. The rest of such a page is not read.
MAX_PAGE_CHARS = 30_000
MAX_PAGE_LINKS = 1_000
MAX_PAGE_OBJECTS = 5_000  # drawing objects looked at for separator rules
MAX_PATH_SEGMENTS = 24  # a rule is a line or a rectangle or two, not a drawing
RULE_THICKNESS = 1.5  # a separator is drawn thinner than this (points)
RULE_MIN_LENGTH = 20.0
MAX_PAGE_RULES = 64  # the lowest ones: a separator is drawn below the text it ends
BOLD_WORDS = ("bold", "black", "heavy", "semibold", "demibold", "demi", "extrabold", "ultrabold")
FORCE_BOLD = 1 << 18  # font descriptor flag bit 19
IGNORED = "\u21a9\ufe0e\ufe0f"  # back-links from a note to its reference (↩︎), pandoc and Word
HYPHEN_MARK = 0x02  # how PDFium reports a hyphen it takes for one that ends a line


@dataclass(slots=True)
class Char:
    """One character, in page coordinates measured from the top-left corner."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    baseline: float
    size: float
    bold: bool
    space_before: bool = False  # a space (drawn, or added by PDFium for a gap) precedes it


@dataclass(frozen=True, slots=True)
class Link:
    """A link annotation's web address and the areas it covers."""

    uri: str
    boxes: tuple[tuple[float, float, float, float], ...]  # x0, top, x1, bottom

    def covers(self, char: Char) -> bool:
        """Whether the character's centre lies in one of the link's areas."""
        x = (char.x0 + char.x1) / 2
        y = (char.top + char.bottom) / 2
        return any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in self.boxes)


@dataclass(frozen=True, slots=True)
class Rule:
    """A thin horizontal line or band: a footnote separator, a horizontal rule, a border."""

    x0: float
    x1: float
    top: float


@dataclass
class PageContent:
    """Everything read from one page."""

    number: int
    width: float
    height: float
    chars: list[Char]
    links: list[Link]
    rules: list[Rule]


def read_page(pdf: pdfium.PdfDocument, index: int) -> PageContent:
    """Characters, web links and rules of one page."""
    page = pdf[index]
    try:
        height = page.get_height()
        textpage = page.get_textpage()
        try:
            chars = _chars(textpage, height)
        finally:
            textpage.close()
        return PageContent(
            index + 1,
            page.get_width(),
            height,
            chars,
            _links(pdf, page, height),
            sorted(set(_rules(page, height)), key=lambda r: -r.top)[:MAX_PAGE_RULES],
        )
    finally:
        page.close()


def _chars(textpage: pdfium.PdfTextPage, height: float) -> list[Char]:
    """The page's visible, upright characters (spaces and PDFium's own additions left out)."""
    handle = textpage.raw  # the bare handle: the helper object costs a lookup per call
    count = raw.FPDFText_CountChars(handle)
    if count > MAX_PAGE_CHARS:
        log.warning("a page has %d characters; only the first %d are read", count, MAX_PAGE_CHARS)
        count = MAX_PAGE_CHARS
    unicode, generated = raw.FPDFText_GetUnicode, raw.FPDFText_IsGenerated
    get_matrix, get_box = raw.FPDFText_GetMatrix, raw.FPDFText_GetLooseCharBox
    get_origin, get_size, get_font = (
        raw.FPDFText_GetCharOrigin,
        raw.FPDFText_GetFontSize,
        raw.FPDFText_GetFontInfo,
    )
    box = raw.FS_RECTF()
    matrix = raw.FS_MATRIX()
    x, y = ctypes.c_double(), ctypes.c_double()
    name = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()
    bold_fonts: dict[tuple[bytes, int], bool] = {}
    chars: list[Char] = []
    pending_high = 0  # a UTF-16 high surrogate waiting for its pair
    space = False  # a space was drawn since the last character kept
    gap = False  # PDFium saw a gap there and put in a space of its own
    for i in range(count):
        code = unicode(handle, i)
        if generated(handle, i):
            gap = gap or code == 0x20
            continue
        if 0xD800 <= code <= 0xDBFF:
            pending_high = code
            continue
        if 0xDC00 <= code <= 0xDFFF:
            if not pending_high:
                continue
            code = 0x10000 + ((pending_high - 0xD800) << 10) + (code - 0xDC00)
        pending_high = 0
        if code == HYPHEN_MARK:
            code = 0x2D  # the hyphen as drawn; the reader decides whether it joins a word
        text = chr(code)
        if not text.strip():
            space = True
            continue
        if not text.isprintable() or text in IGNORED:
            continue
        get_matrix(handle, i, matrix)
        if abs(matrix.b) > abs(matrix.a) * 0.05 or matrix.a <= 0:
            continue  # rotated or mirrored text: margin notes, stamps, axis labels
        get_box(handle, i, box)
        get_origin(handle, i, x, y)
        size = round(get_size(handle, i) * math.hypot(matrix.c, matrix.d), 1)
        get_font(handle, i, name, 128, flags)
        key = (name.value, flags.value)
        bold = bold_fonts.get(key)
        if bold is None:
            bold = bold_fonts[key] = _is_bold(name.value, flags.value)
        top, bottom = height - box.top, height - box.bottom
        if bottom <= top or size <= 0:
            continue
        char = Char(text, box.left, box.right, top, bottom, height - y.value, size, bold)
        if chars and gap and not space:
            # PDFium also puts its spaces between a word and its raised note mark: a space only
            # where the two stand apart.
            space = char.x0 - chars[-1].x1 > max(size, chars[-1].size) * 0.1
        char.space_before = space
        chars.append(char)
        space = gap = False
    return chars


def _is_bold(name: bytes, flags: int) -> bool:
    """Bold by the font's name (after any subset prefix "ABCDEF+") or its ForceBold flag."""
    base = name.decode("latin-1").rpartition("+")[2].lower().replace(" ", "").replace("_", "")
    style = base.rpartition("-")[2] if "-" in base else base
    return bool(flags & FORCE_BOLD) or any(word in style for word in BOLD_WORDS)


def _links(pdf: pdfium.PdfDocument, page: pdfium.PdfPage, height: float) -> list[Link]:
    """The page's link annotations that lead to a URI, with the areas they cover."""
    links: list[Link] = []
    position = ctypes.c_int(0)
    link = raw.FPDF_LINK()
    rect = raw.FS_RECTF()
    quad = raw.FS_QUADPOINTSF()
    while len(links) < MAX_PAGE_LINKS and raw.FPDFLink_Enumerate(page, position, link):
        action = raw.FPDFLink_GetAction(link)
        if not action or raw.FPDFAction_GetType(action) != raw.PDFACTION_URI:
            continue
        length = raw.FPDFAction_GetURIPath(pdf, action, None, 0)
        if length <= 1 or length > 10_000:
            continue
        buffer = ctypes.create_string_buffer(length)
        raw.FPDFAction_GetURIPath(pdf, action, buffer, length)
        uri = buffer.value.decode("utf-8", errors="replace").strip()
        boxes = []
        for n in range(min(raw.FPDFLink_CountQuadPoints(link), 20)):
            if raw.FPDFLink_GetQuadPoints(link, n, quad):
                xs = (quad.x1, quad.x2, quad.x3, quad.x4)
                ys = (quad.y1, quad.y2, quad.y3, quad.y4)
                boxes.append((min(xs), height - max(ys), max(xs), height - min(ys)))
        if not boxes and raw.FPDFLink_GetAnnotRect(link, rect):
            boxes.append(
                (
                    min(rect.left, rect.right),
                    height - max(rect.top, rect.bottom),
                    max(rect.left, rect.right),
                    height - min(rect.top, rect.bottom),
                )
            )
        if uri and boxes:
            links.append(Link(uri, tuple(boxes)))
    return links


def _rules(page: pdfium.PdfPage, height: float) -> Iterator[Rule]:
    """Thin horizontal lines and bands drawn on the page.

    Producers draw them as a stroked line (LibreOffice, reportlab), a filled thin rectangle
    (browsers' <hr>), or a filled box minus a slightly lower box (WeasyPrint's border-top):
    every pair of horizontal edges closer than RULE_THICKNESS over the same span is a rule.
    """
    matrix = raw.FS_MATRIX()
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    px, py = ctypes.c_float(), ctypes.c_float()
    width = ctypes.c_float()
    for index in range(min(raw.FPDFPage_CountObjects(page), MAX_PAGE_OBJECTS)):
        obj = raw.FPDFPage_GetObject(page, index)
        if raw.FPDFPageObj_GetType(obj) != raw.FPDF_PAGEOBJ_PATH:
            continue
        segments = raw.FPDFPath_CountSegments(obj)
        if not 2 <= segments <= MAX_PATH_SEGMENTS:
            continue
        raw.FPDFPageObj_GetMatrix(obj, matrix)
        raw.FPDFPath_GetDrawMode(obj, fill, stroke)
        points: list[tuple[float, float, bool]] = []  # x, y, starts a subpath
        for n in range(segments):
            segment = raw.FPDFPath_GetPathSegment(obj, n)
            raw.FPDFPathSegment_GetPoint(segment, px, py)
            x = matrix.a * px.value + matrix.c * py.value + matrix.e
            y = matrix.b * px.value + matrix.d * py.value + matrix.f
            kind = raw.FPDFPathSegment_GetType(segment)
            points.append((x, height - y, kind == raw.FPDF_SEGMENT_MOVETO))
            if raw.FPDFPathSegment_GetClose(segment):
                start = next(p for p in reversed(points) if p[2])
                points.append((start[0], start[1], False))
        edges = _horizontal_edges(points)
        if stroke.value:
            raw.FPDFPageObj_GetStrokeWidth(obj, width)
            if width.value * abs(matrix.d) <= RULE_THICKNESS:
                yield from (Rule(x0, x1, y) for x0, x1, y in edges)
        if fill.value:
            yield from _bands(edges)


def _horizontal_edges(
    points: list[tuple[float, float, bool]],
) -> list[tuple[float, float, float]]:
    """Horizontal segments of a path, as (x0, x1, y)."""
    edges = []
    for (xa, ya, _), (xb, yb, starts) in itertools.pairwise(points):
        if not starts and abs(ya - yb) < 0.1 and abs(xa - xb) >= RULE_MIN_LENGTH:
            edges.append((min(xa, xb), max(xa, xb), ya))
    return edges


def _bands(edges: list[tuple[float, float, float]]) -> Iterator[Rule]:
    """Thin filled bands between two horizontal edges over the same span."""
    for i, (x0, x1, y) in enumerate(edges):
        for u0, u1, v in edges[i + 1 :]:
            if 0.05 < abs(y - v) <= RULE_THICKNESS and abs(x0 - u0) < 1 and abs(x1 - u1) < 1:
                yield Rule(x0, x1, min(y, v))
