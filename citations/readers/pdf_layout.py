"""From characters to lines in reading order: page furniture removed, columns read in turn.

A PDF page is a set of glyphs. Here they become lines (characters sharing a baseline, raised
note marks kept with their line); lines repeated at the top or bottom of most pages (running
headers and footers, page numbers) are dropped; a page set in two columns is split at its gutter
and read left column first, then right, with full-width parts (a title, a footnote band) in
their place from top to bottom.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

from citations.readers.pdf_pages import Char, Link, PageContent

SUPERSCRIPT_SIZE = 0.85  # a digit this much smaller than its line, and raised, is a note mark
SUPERSCRIPT_RAISE = 0.15  # raised by at least this fraction of the line's font size
FURNITURE_ROWS = 2  # how many lines at the top and at the bottom may be running heads
FURNITURE_SHARE = 0.5  # repeated on at least this share of the pages
PAGE_NUMBER_RE = re.compile(
    r"^(?:page\s*)?[-–—(\[]?\s*\d{1,4}\s*[-–—)\]]?(?:\s*(?:/|of|из)\s*\d{1,4})?$", re.IGNORECASE
)
# Two columns: a vertical strip in the middle of the page that at most this share of the
# lines cross, with text on both sides of it on at least MIN_COLUMN_ROWS lines.
GUTTER_CROSSING = 0.12
MIN_COLUMN_ROWS = 6
RAISED_ROW = 0.6  # a superscript stands less than this share of its line's size above it


@dataclass(frozen=True)
class Typography:
    """The document's running-text size and usual line distances, per type size."""

    body_size: float
    pitches: dict[float, float]

    def pitch(self, size: float) -> float:
        """The usual distance between baselines of lines in this size."""
        return self.pitches.get(size, size * 1.2)


@dataclass(frozen=True)
class Column:
    """Where a block of lines sits across the page."""

    key: str  # "full", "left" or "right"
    left: float
    right: float


@dataclass
class Line:
    """Characters sharing a baseline, left to right, with the links of their page."""

    chars: list[Char]
    page: int
    links: list[Link] = field(default_factory=list)
    column: Column = Column("full", 0.0, 0.0)

    @cached_property
    def top(self) -> float:
        """The highest point of the line."""
        return min(c.top for c in self.chars)

    @cached_property
    def bottom(self) -> float:
        """The lowest point of the line."""
        return max(c.bottom for c in self.chars)

    @cached_property
    def x0(self) -> float:
        """Where the line starts."""
        return self.chars[0].x0

    @cached_property
    def x1(self) -> float:
        """Where the line ends."""
        return max(c.x1 for c in self.chars)

    @cached_property
    def size(self) -> float:
        """The font size most of the line is set in."""
        return statistics.mode(c.size for c in self.chars)

    @cached_property
    def baseline(self) -> float:
        """Where the line's full-size characters stand."""
        return statistics.median(c.baseline for c in self.chars if c.size >= self.size)

    @cached_property
    def text(self) -> str:
        """The line's characters, a space where they stand apart."""
        return "".join(
            (" " if i and spaced(self.chars[i - 1], c) else "") + c.text
            for i, c in enumerate(self.chars)
        )

    def marks_only(self, body_size: float) -> bool:
        """A line of nothing but small digits: note marks a typesetter wrapped onto a line of
        their own."""
        return all(c.text.isdigit() or c.text == "," for c in self.chars) and all(
            c.size < body_size * SUPERSCRIPT_SIZE for c in self.chars
        )

    def is_raised(self, char: Char) -> bool:
        """A small character set above the line's baseline (or a line of small digits)."""
        size = self.size
        if size < char.size / SUPERSCRIPT_SIZE:  # the line is as small as the character
            return False
        return char.baseline < self.baseline - size * SUPERSCRIPT_RAISE


SPACE = 0.2  # characters farther apart than this share of their size have a space between


def spaced(before: Char, char: Char) -> bool:
    """Whether a space separates two characters of a line: one is drawn (or PDFium found a
    gap for one), or they stand apart."""
    return char.space_before or char.x0 - before.x1 > char.size * SPACE


def page_lines(page: PageContent) -> list[list[Char]]:
    """The page's characters grouped into rows, top to bottom, each left to right."""
    return _rows(page.chars)


def _rows(chars: list[Char]) -> list[list[Char]]:
    """Group characters into rows by baseline; a raised note mark joins the line below it.

    Characters whose baselines lie within a fraction of their size form a row; a row of
    small characters standing less than RAISED_ROW of a line above a row of larger ones holds
    that row's superscripts.
    """
    if not chars:
        return []
    groups: list[list[Char]] = []
    last = None
    for char in sorted(chars, key=lambda c: c.baseline):
        if last is not None and char.baseline - last <= max(1.0, char.size * 0.12):
            groups[-1].append(char)
        else:
            groups.append([char])
        last = char.baseline
    rows: list[list[Char]] = []
    for group in groups:
        if rows and _raised_over(rows[-1], group):
            group = rows.pop() + group
        rows.append(group)
    for row in rows:
        row.sort(key=lambda c: c.x0)
    return rows


def _raised_over(small: list[Char], row: list[Char]) -> bool:
    """Whether a row of small characters holds the raised marks of the row below it."""
    size = max(c.size for c in row)
    small_size = max(c.size for c in small)
    distance = statistics.median(c.baseline for c in row) - max(c.baseline for c in small)
    return small_size < size * SUPERSCRIPT_SIZE and 0 < distance <= size * RAISED_ROW


def strip_furniture(pages: list[list[list[Char]]]) -> list[list[list[Char]]]:
    """Drop running headers, footers and page numbers: the first and last rows of pages that
    repeat (digits aside) on most pages, and lone page numbers at the top or bottom."""

    def key(row: list[Char]) -> str:
        return re.sub(r"\d+", "#", "".join(c.text for c in row)).strip().lower()

    seen: Counter[tuple[str, str]] = Counter()
    for rows in pages:
        edges = {("top", key(r)) for r in rows[:FURNITURE_ROWS]}
        edges |= {("bottom", key(r)) for r in rows[-FURNITURE_ROWS:]}
        seen.update(edges)
    enough = max(3, len(pages) * FURNITURE_SHARE)
    repeated = {k for k, n in seen.items() if n >= enough}
    result = []
    for rows in pages:
        drop = set()
        for index in range(len(rows)):
            top, bottom = index < FURNITURE_ROWS, index >= len(rows) - FURNITURE_ROWS
            if (top or bottom) and (
                (top and ("top", key(rows[index])) in repeated)
                or (bottom and ("bottom", key(rows[index])) in repeated)
            ):
                drop.add(index)
        for index in (0, len(rows) - 1):
            if rows and _lone_page_number(rows, index):
                drop.add(index)
        result.append([row for i, row in enumerate(rows) if i not in drop])
    return result


def _lone_page_number(rows: list[list[Char]], index: int) -> bool:
    """A first or last row that is only a page number, set apart from the text next to it."""
    text = " ".join("".join(c.text for c in rows[index]).split())
    if not PAGE_NUMBER_RE.match(text):
        return False
    if len(rows) == 1:
        return True
    neighbour = rows[1] if index == 0 else rows[index - 1]
    size = max(c.size for c in rows[index])
    distance = abs(rows[index][0].baseline - neighbour[0].baseline)
    return distance > size * 1.8


def blocks(rows: list[list[Char]], page: PageContent) -> list[list[Line]]:
    """The page's lines in reading order, as blocks: full-width parts, and each column."""
    gutter = _gutter(rows, page.width)
    if gutter is None:
        lines = [Line(row, page.number, _links_near(page.links, row)) for row in rows]
        return [lines] if lines else []
    out: list[list[Line]] = []
    band: list[list[Char]] = []

    def close_band() -> None:
        left = [c for row in band for c in row if (c.x0 + c.x1) / 2 < gutter]
        right = [c for row in band for c in row if (c.x0 + c.x1) / 2 >= gutter]
        for side, chars in (("left", left), ("right", right)):
            lines = [Line(r, page.number, _links_near(page.links, r)) for r in _rows(chars)]
            if lines:
                out.append(lines)
                for line in lines:
                    line.column = Column(side, 0.0, 0.0)
        band.clear()

    for row in rows:
        if _across(row, gutter):
            close_band()
            line = Line(row, page.number, _links_near(page.links, row))
            if out and out[-1][0].column.key == "full" and not band:
                out[-1].append(line)
            else:
                out.append([line])
        else:
            band.append(row)
    close_band()
    return out


def _across(row: list[Char], gutter: float) -> bool:
    """Whether a row runs across the gutter (a full-width line): a character stands on it, or
    the words either side are no farther apart than words are."""
    before = [c for c in row if (c.x0 + c.x1) / 2 < gutter]
    after = [c for c in row if (c.x0 + c.x1) / 2 >= gutter]
    if not before or not after:
        return False
    last, first = before[-1], after[0]
    return last.x1 > gutter or first.x0 < gutter or first.x0 - last.x1 < first.size * 0.6


def _gutter(rows: list[list[Char]], width: float) -> float | None:
    """The middle of the strip between two columns, if the page has two."""
    if len(rows) < MIN_COLUMN_ROWS * 2:
        return None
    text_left = min(c.x0 for row in rows for c in row)
    text_right = max(c.x1 for row in rows for c in row)
    span = text_right - text_left
    if span <= 0:
        return None
    step = 1.0
    low, high = text_left + span * 0.3, text_left + span * 0.7
    bins = int((high - low) / step) + 1
    # Count rows, not characters, crossing each strip position.
    row_crossing = [0] * bins
    for row in rows:
        covered: set[int] = set()
        for char in row:
            first = max(0, int((char.x0 - low) / step))
            last = min(bins - 1, int((char.x1 - low) / step))
            if char.x1 >= low and char.x0 <= high:
                covered.update(range(first, last + 1))
        for b in covered:
            row_crossing[b] += 1
    best = min(range(bins), key=lambda b: (row_crossing[b], abs(b - bins / 2)))
    if row_crossing[best] > len(rows) * GUTTER_CROSSING:
        return None
    # A lone centred page number or a spanning caption crosses the gutter: widen past them.
    limit = max(row_crossing[best], len(rows) * 0.05)
    start = end = best
    while start > 0 and row_crossing[start - 1] <= limit:
        start -= 1
    while end < bins - 1 and row_crossing[end + 1] <= limit:
        end += 1
    left_edge, right_edge = low + start * step, low + (end + 1) * step
    typical = statistics.median(c.size for row in rows for c in row)
    if right_edge - left_edge < typical * 0.8:
        return None  # narrower than a column gap: a river of spaces, not a gutter
    both = sum(
        1
        for row in rows
        if any(c.x1 <= left_edge for c in row) and any(c.x0 >= right_edge for c in row)
    )
    return (left_edge + right_edge) / 2 if both >= MIN_COLUMN_ROWS else None


def _links_near(links: list[Link], row: list[Char]) -> list[Link]:
    """The links whose areas overlap the row vertically (checked per character later)."""
    top = min(c.top for c in row)
    bottom = max(c.bottom for c in row)
    return [link for link in links if any(t < bottom and b > top for _, t, _, b in link.boxes)]


def set_columns(lines: list[Line]) -> None:
    """Give every line the left and right edges of its column, measured over the document.

    The right edge is where most full lines of that kind of column end (the 95th percentile of
    line ends, so a URL running into the margin does not move it).
    """
    ends: dict[str, list[float]] = {}
    starts: dict[str, list[float]] = {}
    for line in lines:
        ends.setdefault(line.column.key, []).append(line.x1)
        starts.setdefault(line.column.key, []).append(line.x0)
    edges = {}
    for key, values in ends.items():
        values.sort()
        begin = sorted(starts[key])
        edges[key] = (begin[len(begin) // 20], values[len(values) * 95 // 100])
    for line in lines:
        left, right = edges[line.column.key]
        line.column = Column(line.column.key, left, right)
