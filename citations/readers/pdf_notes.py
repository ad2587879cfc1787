"""Where a PDF's notes are: footnote areas at page bottoms, or an endnote section at the end.

A footnote area is found by layout: the lines below a separator rule, or the run of smaller
type that reaches the bottom of a page or column. A note starts where a line there opens with
a number, raised or not, that follows the previous note's number (so a year, an article number
or a page number at the start of a line is never taken for one). Text above the first number
of an area carries on the previous page's last note.

Endnotes follow the body: a "Notes" heading or a rule, then lines numbered 1, 2, 3 … at one
left edge, running to the end of the document, whose numbers the body cites as raised marks.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from citations.readers.pdf_layout import SUPERSCRIPT_SIZE, Line, spaced
from citations.readers.pdf_pages import Rule

SMALL_TEXT = 0.92  # a line this much smaller than body text may be a footnote
SMALL_SHARE = 0.85  # of an area's characters, at least this share are in small type
MAX_SKIP = 3  # a raised number may skip this many notes (a note lost to a damaged page)
MAX_NOTE_LINES = 60  # an endnote longer than this many lines ends the numbered run
MAX_LINES_PER_NOTE = 12  # endnotes average no more lines than this
MIN_ENDNOTES = 3
NOTE_PITCH = 2.2  # lines of one note area stand no farther apart than this many sizes
NOTES_HEADING_RE = re.compile(
    r"^(?:end\s*notes?|foot\s*notes?|notes?|references|sources|примечания|сноски|ескертпелер)"
    r"\s*:?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Start:
    """A note's number at the start of a line: the number and how many characters it takes."""

    number: int
    length: int  # characters of the number and its "." or ")"
    raised: bool


@dataclass
class Draft:
    """A note being gathered: its number and its lines (the first opens with the number)."""

    start: Start
    lines: list[Line] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The note's label, as the text reader will see it."""
        return str(self.start.number)


@dataclass
class Notes:
    """The document split into body lines and notes."""

    body: list[Line] = field(default_factory=list)
    notes: list[Draft] = field(default_factory=list)
    cited: set[int] = field(default_factory=set)  # numbers the document shows as raised marks

    @property
    def expected(self) -> int | None:
        """The number the next note should have."""
        return self.notes[-1].start.number + 1 if self.notes else None


def note_start(line: Line, body_size: float) -> Start | None:
    """The number a line opens with, if it could be a note's: "12 Text", "12. Text", "¹²Text"."""
    chars = line.chars
    digits = 0
    while digits < min(len(chars), 4) and chars[digits].text.isdigit():
        if digits and spaced(chars[digits - 1], chars[digits]):
            break
        digits += 1
    if not digits or (
        digits < len(chars)
        and chars[digits].text.isdigit()
        and not spaced(chars[digits - 1], chars[digits])
    ):
        return None  # no number, or one of five digits and more: a year is four at most
    marks = chars[:digits]
    number = int("".join(c.text for c in marks))
    if number == 0:
        return None
    raised = all(line.is_raised(c) for c in marks) or (
        digits == len(chars) and all(c.size < body_size * SUPERSCRIPT_SIZE for c in marks)
    )
    if raised:
        return Start(number, digits, True)
    length = digits + (digits < len(chars) and chars[digits].text in ".)")
    if length < len(chars):
        after = chars[length]
        if not (after.space_before or after.x0 - chars[length - 1].x1 >= after.size * 0.15):
            return None  # "2024:" or "12km": the number runs on into the text
    return Start(number, length, False)


def follows(start: Start, notes: Notes, first_in_area: bool) -> bool:
    """Whether a number at a line start is the next note's.

    It is the number after the last note's; or a little past it, when a note went missing
    (a damaged page, a typesetter's slip) and the number is raised, or cited in the text; or
    1 again where numbering restarts.
    """
    expected = notes.expected
    if expected is None:
        return start.number == 1 or start.raised or start.number in notes.cited
    if start.number == expected:
        return True
    if expected < start.number <= expected + MAX_SKIP and (
        start.raised or start.number in notes.cited
    ):
        return True
    return start.number == 1 and (start.raised or first_in_area)  # numbering restarts


def split_page_block(lines: list[Line], rules: list[Rule], body_size: float, notes: Notes) -> None:
    """Put a block's lines into the body or its footnote area's notes."""
    cut = _footnote_area(lines, rules, body_size, notes)
    notes.body.extend(lines[:cut])
    for index, line in enumerate(lines[cut:]):
        start = note_start(line, body_size)
        if start is not None and follows(start, notes, index == 0):
            notes.notes.append(Draft(start, [line]))
        elif notes.notes:
            notes.notes[-1].lines.append(line)  # above the area's first number: a note goes on
        else:
            notes.body.append(line)


def _footnote_area(lines: list[Line], rules: list[Rule], body_size: float, notes: Notes) -> int:
    """Index of the first line of the block's footnote area (len(lines) when it has none).

    Below a separator rule: small type, or notes set line after line from just under it
    (footnotes in the body's size). Without a rule:
    the small type that ends the block, from its first number (or from its top, when it is set
    like notes and carries on the last one). A number counts when it is raised, or the body
    cites it with a raised mark, so that a numbered list in small type is not taken for notes.
    """
    if not lines:
        return 0
    ruled = sorted({cut for cut in (_rule_cut(lines, r, body_size) for r in rules) if cut >= 0})
    for cut in ruled:  # the highest rule that has notes below it
        area = lines[cut:]
        first = _first_start(area, body_size, notes)
        small_type = _small_type(area, body_size)
        if first is not None and (
            small_type
            or (_credible(area[first], body_size, notes, True) and _one_run(area[: first + 1]))
        ):
            return cut
        if first is None and small_type and notes.notes and _continues_note(area, notes.notes[-1]):
            return cut
    small = len(lines)
    while small > 0 and lines[small - 1].size < body_size * SMALL_TEXT:
        small -= 1
    if small == len(lines):
        return small
    first = _first_start(lines[small:], body_size, notes)
    if first is not None and _credible(lines[small + first], body_size, notes, False):
        # Small type above the first number carries on the last note only when it is set like
        # the notes, line after line; else it is a caption or the like.
        cut = small + first
        return small if notes.notes and _one_run(lines[small : cut + 1]) else cut
    if first is None and notes.notes and _continues_note(lines[small:], notes.notes[-1]):
        return small
    return len(lines)


def _credible(line: Line, body_size: float, notes: Notes, ruled: bool) -> bool:
    """A note number raised, or cited in the body; under a rule, also any number when the
    body cites nothing with raised marks."""
    start = note_start(line, body_size)
    return start is not None and (
        start.raised or start.number in notes.cited or (ruled and not notes.cited)
    )


def _small_type(area: list[Line], body_size: float) -> bool:
    """Whether most of the area's characters are smaller than the body text."""
    total = sum(len(line.chars) for line in area)
    small = sum(len(line.chars) for line in area if line.size < body_size * SMALL_TEXT)
    return total > 0 and small >= total * SMALL_SHARE


def _rule_cut(lines: list[Line], rule: Rule, body_size: float) -> int:
    """The index of the first line below a rule that spans the block's left edge (-1: none)."""
    left = min(line.x0 for line in lines)
    if rule.x0 > left + body_size * 2 or rule.x1 < left + body_size * 3:
        return -1
    for line in lines:
        if line.top - 1 < rule.top < line.bottom - 1 and line.x0 < rule.x1 and line.x1 > rule.x0:
            return -1  # an underline or a strike-through, not a separator
    for index, line in enumerate(lines):
        if line.top >= rule.top - 1:
            return index if line.top - rule.top < body_size * 4 else -1
    return -1


def _first_start(area: list[Line], body_size: float, notes: Notes) -> int | None:
    """The index of the area's first line that opens the next note."""
    for index, line in enumerate(area):
        start = note_start(line, body_size)
        if start is not None and follows(start, notes, index == 0):
            return index
    return None


def _continues_note(area: list[Line], note: Draft) -> bool:
    """Whether an area without a number can carry on a note: set in the note's type, at its
    left edge."""
    first = note.lines[0]
    return all(abs(line.size - first.size) <= 0.5 for line in area) and (
        abs(area[0].x0 - first.x0) <= first.size * 3
    )


def _one_run(lines: list[Line]) -> bool:
    """Lines set one after the other in one type, no farther apart than notes are (notes may
    have a little space between them; the body stands well above the footnote area)."""
    return all(
        abs(upper.size - lower.size) <= 0.3
        and 0 < lower.baseline - upper.baseline <= upper.size * NOTE_PITCH
        for upper, lower in itertools.pairwise(lines)
    )


def find_endnotes(notes: Notes, body_size: float, rules_above: dict[int, bool]) -> None:
    """Move an endnote section at the end of the body into the notes, if there is one.

    rules_above maps an index of the body lines to whether a rule is drawn just above it.
    """
    body = notes.body
    candidates = [(i, s) for i, line in enumerate(body) if (s := note_start(line, body_size))]
    if len(candidates) < MIN_ENDNOTES:
        return
    expected = notes.expected or 1
    firsts = [pos for pos, (_, s) in enumerate(candidates) if s.number == expected][-50:]
    best: list[tuple[int, Start]] = []
    for first in reversed(firsts):
        chain = _chain(candidates, first, body)
        if len(chain) > len(best):
            best = chain
    if len(best) < MIN_ENDNOTES:
        return
    head = best[0][0]
    span = best[-1][0] - head
    if span / (len(best) - 1) > MAX_LINES_PER_NOTE or len(body) - best[-1][0] > MAX_NOTE_LINES:
        return
    if not _announced(body, head, best, rules_above):
        return
    starts = dict(best)
    drafts: list[Draft] = []
    for index in range(head, len(body)):
        if index in starts:
            drafts.append(Draft(starts[index], [body[index]]))
        else:
            drafts[-1].lines.append(body[index])
    notes.notes.extend(drafts)
    del body[head:]


def raised_numbers(lines: list[Line]) -> set[int]:
    """The numbers set as raised marks in these lines (note references, mostly)."""
    cited = set()
    for line in lines:
        digits = ""
        for char in line.chars:
            if char.text.isdigit() and line.is_raised(char):
                digits += char.text
                continue
            if digits:
                cited.add(int(digits))
            digits = ""
        if digits:
            cited.add(int(digits))
    return cited


def _chain(
    candidates: list[tuple[int, Start]], first: int, body: list[Line]
) -> list[tuple[int, Start]]:
    """Numbered lines in sequence from candidates[first], at its left edge, none far apart."""
    index, start = candidates[first]
    line = body[index]
    edge_left, edge_right = line.x0, line.chars[start.length - 1].x1
    tolerance = line.size * 1.5
    chain = [(index, start)]
    for index, start in candidates[first + 1 :]:
        if index - chain[-1][0] > MAX_NOTE_LINES:
            break
        line = body[index]
        if start.number != chain[-1][1].number + 1:
            continue
        mark_right = line.chars[start.length - 1].x1
        if abs(line.x0 - edge_left) <= tolerance or abs(mark_right - edge_right) <= tolerance:
            chain.append((index, start))
    return chain


def _announced(
    body: list[Line], head: int, chain: list[tuple[int, Start]], rules_above: dict[int, bool]
) -> bool:
    """An endnote section is headed ("Notes"), ruled off, or cited by raised marks in the body."""
    for index in range(max(0, head - 3), head + 1):
        if NOTES_HEADING_RE.match(body[index].text.strip()) or rules_above.get(index):
            return True
    cited = raised_numbers(body[:head])
    numbers = [s.number for _, s in chain]
    return sum(n in cited for n in numbers) >= len(numbers) / 2
