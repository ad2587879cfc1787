"""Plain text and Markdown: superscript (¹⁰⁵), [^12] and [12] notes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from citations.parts import FROM_SUPERSCRIPT, DocumentParts, Note, note_ref
from citations.urls import FoundUrl, carries_on, ending_url, find_urls

SUPERSCRIPT = "[⁰¹²³⁴⁵⁶⁷⁸⁹]+"
# A note begins a line: "¹² text", "- ¹² text" (converted lists), "[^12]: text" or "[12] text".
NOTE_START_RE = re.compile(
    rf"^[ \t]*(?:[-*•+][ \t]+)?"
    rf"(?:(?P<sup>{SUPERSCRIPT})|\[\^(?P<md>[^\[\]\s]+)\]:|\[(?P<br>\d{{1,4}})\])[ \t]*"
)
BODY_REF_RE = re.compile(
    rf"(?P<sup>{SUPERSCRIPT})|\[\^(?P<md>[^\[\]\s]+)\](?!:)|(?<!\])\[(?P<br>\d{{1,4}})\](?![(:\[])"
)
BULLET_RE = re.compile(r"^\s*(?:[-*•+‣◦▪]|\d{1,3}[.)])\s+\S")
BLANK_LINE_RE = re.compile(r"\n[ \t]*\n")
HEADING_MARKUP_RE = re.compile(r"^[#\s*_]+|[*_\s]+$")
MAX_TITLE = 300
# How much of a note's end is read to decide whether the next paragraph continues it: more than
# any real URL cut by the paragraph break; reading less keeps a note followed by thousands of
# paragraphs cheap.
TAIL = 2048


@dataclass
class _OpenNote:
    """A note being read: its pieces, joined once at the end, and what the next block needs."""

    label: str
    pieces: list[str] = field(default_factory=list)
    has_url: bool = False
    _tail: tuple[int, str, FoundUrl | None] = (0, "", None)  # after n pieces: tail, ending URL

    def add(self, text: str) -> None:
        """Append text (a line, a separator) without copying the note."""
        self.pieces.append(text)
        self.has_url = self.has_url or bool(find_urls(text))

    @property
    def tail(self) -> str:
        """The note's last TAIL characters (each piece is joined into it once)."""
        return self._tail_and_url()[0]

    @property
    def ending_url(self) -> FoundUrl | None:
        """The URL the note ends with, if any (looked for once per change of the note)."""
        return self._tail_and_url()[1]

    def _tail_and_url(self) -> tuple[str, FoundUrl | None]:
        count, tail, url = self._tail
        if count < len(self.pieces):
            tail = (tail + "".join(self.pieces[count:]))[-TAIL:]
            url = ending_url(tail)
            self._tail = (len(self.pieces), tail, url)
        return tail, url

    def note(self) -> Note:
        """The finished note."""
        return Note(self.label, "".join(self.pieces))


def parse_text(text: str, fmt: str = "txt") -> DocumentParts:
    """Split a text into body paragraphs and notes, and mark the note references in the body."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    body: list[str] = []
    notes: list[_OpenNote] = []
    for block in BLANK_LINE_RE.split(text):
        block = block.strip("\n")
        if not block.strip():
            continue
        in_note = bool(notes) and not NOTE_START_RE.match(block) and _continues(notes[-1], block)
        separator = "\n\n"  # a continued note keeps its paragraph break
        paragraph: list[str] = []
        for line in block.split("\n"):
            start = NOTE_START_RE.match(line)
            if start and (line[start.end() :].strip() or start.group("sup") or start.group("md")):
                if paragraph:
                    body.append(_join_lines(paragraph))
                    paragraph = []
                notes.append(_OpenNote(_label(start)))
                notes[-1].add(line[start.end() :].strip())
                in_note = True
            elif in_note:
                if line.strip():
                    notes[-1].add(separator)
                    notes[-1].add(line.strip())
            else:
                if BULLET_RE.match(line) and paragraph:  # each list item is its own paragraph
                    body.append(_join_lines(paragraph))
                    paragraph = []
                paragraph.append(line)
            separator = "\n"
        if paragraph:
            body.append(_join_lines(paragraph))
    labels = {note.label for note in notes}
    body = [_mark_refs(paragraph, labels) for paragraph in body]
    finished = [note.note() for note in notes]
    return DocumentParts(format=fmt, title=_title(text), body=body, notes=finished)


def _join_lines(lines: list[str]) -> str:
    """One body paragraph from its soft-wrapped lines."""
    return " ".join(line.strip() for line in lines if line.strip())


def _continues(note: _OpenNote, block: str) -> bool:
    """Whether a paragraph after a note still belongs to it rather than to the body.

    Only the note's tail is read, so a long note followed by many paragraphs stays linear.
    """
    head = block.lstrip()
    if block.startswith(("    ", "\t")):  # an indented Markdown footnote paragraph
        return True
    if note.tail.rstrip().endswith(":"):
        return True
    last = note.ending_url
    if last is not None and carries_on(note.tail, last, head):
        return True
    return head.startswith(("<http", "http://", "https://", "www.")) and not note.has_url


def _label(match: re.Match[str]) -> str:
    """The note label as printed, superscript digits read as digits."""
    if match.group("sup"):
        return match.group("sup").translate(FROM_SUPERSCRIPT)
    return match.group("md") or match.group("br")


def _mark_refs(paragraph: str, labels: set[str]) -> str:
    """Replace the references to known notes with the shared marker."""

    def mark(match: re.Match[str]) -> str:
        label = _label(match)
        return note_ref(label) if label in labels else match.group()

    return BODY_REF_RE.sub(mark, paragraph)


def _title(text: str) -> str | None:
    """The first non-empty line, without Markdown heading or emphasis marks."""
    for line in text.split("\n"):
        title = HEADING_MARKUP_RE.sub("", line).strip()
        if title:
            return title[:MAX_TITLE]
    return None
