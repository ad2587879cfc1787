"""Plain text and Markdown: superscript (¹⁰⁵), [^12] and [12] notes."""

from __future__ import annotations

import re

from citations.parts import FROM_SUPERSCRIPT, DocumentParts, Note, note_ref
from citations.urls import continues_url, find_urls

SUPERSCRIPT = "[⁰¹²³⁴⁵⁶⁷⁸⁹]+"
# A note begins a line: "¹² text", "- ¹² text" (converted lists), "[^12]: text" or "[12] text".
NOTE_START_RE = re.compile(
    rf"^[ \t]*(?:[-*•+][ \t]+)?"
    rf"(?:(?P<sup>{SUPERSCRIPT})|\[\^(?P<md>[^\]\s]+)\]:|\[(?P<br>\d{{1,4}})\])[ \t]*"
)
BODY_REF_RE = re.compile(
    rf"(?P<sup>{SUPERSCRIPT})|\[\^(?P<md>[^\]\s]+)\](?!:)|(?<!\])\[(?P<br>\d{{1,4}})\](?![(:\[])"
)
BULLET_RE = re.compile(r"^\s*(?:[-*•+‣◦▪]|\d{1,3}[.)])\s+\S")
BLANK_LINE_RE = re.compile(r"\n[ \t]*\n")
HEADING_MARKUP_RE = re.compile(r"^[#\s*_]+|[*_\s]+$")
MAX_TITLE = 300


def parse_text(text: str, fmt: str = "txt") -> DocumentParts:
    """Split a text into body paragraphs and notes, and mark the note references in the body."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    body: list[str] = []
    notes: list[Note] = []
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
                notes.append(Note(_label(start), line[start.end() :].strip()))
                in_note = True
            elif in_note:
                if line.strip():
                    notes[-1].text += separator + line.strip()
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
    return DocumentParts(format=fmt, title=_title(text), body=body, notes=notes)


def _join_lines(lines: list[str]) -> str:
    """One body paragraph from its soft-wrapped lines."""
    return " ".join(line.strip() for line in lines if line.strip())


def _continues(note: Note, block: str) -> bool:
    """Whether a paragraph after a note still belongs to it rather than to the body."""
    head = block.lstrip()
    if block.startswith(("    ", "\t")):  # an indented Markdown footnote paragraph
        return True
    if note.text.rstrip().endswith(":"):
        return True
    if continues_url(note.text, head):
        return True
    return head.startswith(("<http", "http://", "https://", "www.")) and not find_urls(note.text)


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
