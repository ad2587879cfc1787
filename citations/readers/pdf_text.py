"""PDF lines written as the plain text the text reader understands.

Body paragraphs come first, split where the layout leaves a gap or a short line, with raised
note marks as superscript digits (¹²), bold runs as Markdown **bold** (bold names are tracked
cases) and linked text as Markdown links to the link annotation's address. Then one line group
per note, opening with its number in superscript digits.

A URL that a line break cut is joined again: a link annotation over it gives the whole address
(also when it covers only part of the printed URL), and without one the break is read from the
layout: the URL runs to the column's edge or stops at a character no URL ends with, and the
next line carries on with URL characters. A hyphen the typesetter added at a break (U+2010,
soft hyphen) is dropped; a hyphen of the URL's own is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from citations.parts import TO_SUPERSCRIPT, markdown_link
from citations.readers.pdf_layout import Line, Typography, spaced
from citations.readers.pdf_notes import Draft
from citations.readers.pdf_pages import Char, Link
from citations.urls import WEB_TARGET_RE, find_urls

ADDED_HYPHENS = "\u2010\u00ad"  # what typesetters put at a break they made inside a word
TAIL = 2048  # of a word running over lines, this much is read to judge a break (longer: no URL)
PARAGRAPH_PITCH = 1.3  # a paragraph leaves more than this many times the usual line distance
URL_PUNCT_RE = re.compile(r"[/_=%&?#~+.\-]|\d")
CONTINUATION_RE = re.compile(r"^[\w%~\-./?=&#+:;,@!$*'()\[\]]+$")
SCHEME_ONLY_RE = re.compile(r"(?i)(?:^|[<(\s])(?:https?:/{0,2}|www\.?)$")
# A line the text reader would take for a note ("¹²", "[12]") or a numbered list item ("272) and
# other offences"), when the layout says it carries on the line before.
NOTE_LIKE_RE = re.compile(
    r"^\s*(?:[-*•+]\s+)?(?:[⁰¹²³⁴⁵⁶⁷⁸⁹]|\[\^?[^\]\s]+\])|^\s*\d{1,3}[.)]\s+\S"
)


@dataclass
class Piece:
    """A character, a space, or a line break (its text is the separator chosen)."""

    text: str
    link: Link | None = None
    bold: bool = False
    sup: bool = False
    brk: bool = False


def render(body: list[Line], notes: list[Draft], typo: Typography) -> str:
    """The document as text: body paragraphs, a blank line, then the notes."""
    text = _emit(_pieces(body, typo, paragraphs=True), body=True)
    rendered = []
    for draft in notes:
        first, *rest = draft.lines
        skip = draft.start.length
        while skip < len(first.chars) and first.chars[skip].text in ".)":
            skip += 1
        pieces = _pieces([first, *rest], typo, paragraphs=False, skip=skip)
        label = draft.label.translate(TO_SUPERSCRIPT)
        rendered.append(f"{label} {_emit(pieces, body=False).strip()}")
    return text + "\n\n" + "\n".join(rendered) + "\n"


def _pieces(lines: list[Line], typo: Typography, paragraphs: bool, skip: int = 0) -> list[Piece]:
    """The lines as pieces, line breaks decided, link annotations stretched over their URLs."""
    pieces: list[Piece] = []
    previous: Line | None = None
    word = ""  # the text since the last space or line break: a URL may span lines
    for line in lines:
        chars = line.chars[skip:] if previous is None else line.chars
        if not chars:
            continue
        marks = paragraphs and line.marks_only(typo.body_size)
        if previous is not None:
            separator, drop = _line_break(previous, line, word[-TAIL:], typo, paragraphs)
            if drop and pieces and not pieces[-1].brk:
                pieces.pop()
                word = word[:-1]
            pieces.append(Piece(separator, brk=True))
            if separator:
                word = ""
        last: Char | None = None
        for char in chars:
            if last is not None and spaced(last, char):
                pieces.append(Piece(" "))
                word = ""
            last = char
            word = word[-TAIL:] + char.text if len(word) > 2 * TAIL else word + char.text
            link = next((k for k in line.links if k.covers(char)), None)
            sup = paragraphs and char.text.isdigit() and (marks or line.is_raised(char))
            pieces.append(Piece(char.text, link, char.bold, sup))
        previous = line
    _stretch_links(pieces)
    return pieces


def _line_break(
    previous: Line, line: Line, word: str, typo: Typography, paragraphs: bool
) -> tuple[str, bool]:
    """What joins two lines, and whether the hyphen ending the first is the typesetter's.

    `word` is the text the first line ends with, back to the last space (it may have begun
    lines earlier, when a URL runs over several).
    """
    last = previous.chars[-1].text
    first = line.chars[0].text
    if last in ADDED_HYPHENS and first.isalnum():
        return "", True
    if paragraphs and (
        _wrapped_marks(previous, line, typo) or (first.isdigit() and line.is_raised(line.chars[0]))
    ):
        return "", False  # note marks wrapped away from the word they follow
    if paragraphs and _new_paragraph(previous, line, typo):
        return "\n\n", False
    if _continues_url(previous, line, word):
        return "", False
    if (
        last == "-"
        and len(previous.chars) > 1
        and previous.chars[-2].text.isalnum()
        and not spaced(previous.chars[-2], previous.chars[-1])
        and first.isalnum()
    ):
        return "", False  # a compound word broken after its hyphen (not a dash: " - ")
    if NOTE_LIKE_RE.match(line.text):
        return " ", False  # a line that would read as a note or list item of its own
    return "\n", False


def _wrapped_marks(previous: Line, line: Line, typo: Typography) -> bool:
    """A line of note marks alone, right under the line they belong to."""
    distance = line.baseline - previous.baseline
    return (
        line.marks_only(typo.body_size)
        and line.page == previous.page
        and line.column.key == previous.column.key
        and 0 < distance < typo.pitch(previous.size) * PARAGRAPH_PITCH
    )


def _new_paragraph(previous: Line, line: Line, typo: Typography) -> bool:
    """A gap larger than the usual line distance, a change of type size, or a line that ends
    where the next line's first word would still have fitted."""
    words = line.text.split(" ", 1)[0]
    first_word = line.chars[min(len(words), len(line.chars)) - 1].x1 - line.chars[0].x0
    room = previous.column.right - previous.x1
    short = room > first_word + previous.size * 0.5
    if previous.page != line.page or previous.column.key != line.column.key:
        return short
    if abs(line.size - previous.size) > previous.size * 0.1:
        return True
    distance = line.baseline - previous.baseline
    pitch = typo.pitch(previous.size)
    return short or distance > pitch * PARAGRAPH_PITCH or distance < 0


def _continues_url(previous: Line, line: Line, before: str) -> bool:
    """Whether the URL that `before` (the end of `previous`) ends with goes on in `line`."""
    after = line.text.split(" ", 1)
    token = after[0].rstrip(".,;:)»”’\"'" + ADDED_HYPHENS)
    if not token or not CONTINUATION_RE.match(token):
        return False
    if SCHEME_ONLY_RE.search(before):
        return True  # "https://" | "www.example.org/..."
    if WEB_TARGET_RE.match(token) or before.endswith(">"):
        return False
    found = find_urls(before)
    if not found:
        return False
    url = found[-1]
    after_url = before[url.end :]
    if after_url.strip(".:?") or url.url.endswith((">", ")")):
        return False  # a comma, a bracket, words: the URL has ended
    end = before[-1]
    rest_of_line = len(after) == 1 or not after[1][:1].isalpha()
    urlish = bool(URL_PUNCT_RE.search(token))
    if end in "-_=&?%+~":
        return True
    if end in "/#:":
        return urlish
    if end == ".":
        return token[:1].islower() and (urlish or rest_of_line)
    room = previous.column.right - previous.x1
    full = room < (line.chars[0].x1 - line.chars[0].x0) + max(1.0, previous.size * 0.1)
    return full and (urlish or (rest_of_line and token[:1].islower()))


def _stretch_links(pieces: list[Piece]) -> None:
    """Give a link annotation the rest of its printed URL when it covers only part of it.

    Some producers link one line of a wrapped URL, or its first part: the characters before
    and after the linked run that spell the rest of the annotation's address join the link.
    """
    index = 0
    while index < len(pieces):
        link = pieces[index].link
        if link is None:
            index += 1
            continue
        end = _run_end(pieces, index)
        shown = "".join(p.text for p in pieces[index : end + 1] if not p.brk and p.text != " ")
        address = link.uri if shown in link.uri else unquote(link.uri)
        at = address.find(shown) if shown else -1
        if at >= 0 and address.count(shown) == 1:  # where the printed part sits: known
            index = _stretch(pieces, index, -1, address, at - 1, link)
            end = _stretch(pieces, end, 1, address, at + len(shown), link)
        index = end + 1


def _run_end(pieces: list[Piece], start: int) -> int:
    """The last piece of the linked run that starts at `start`: pieces linked to the same
    address (producers make one annotation per line), line breaks between them included."""
    link = pieces[start].link
    uri = link.uri if link is not None else None
    end = start
    while end + 1 < len(pieces):
        following = pieces[end + 1]
        if following.brk and end + 2 < len(pieces):
            following = pieces[end + 2]
            if following.link is None or following.link.uri != uri:
                break
            end += 2
        elif following.link is not None and following.link.uri == uri:
            end += 1
        else:
            break
    return end


def _stretch(
    pieces: list[Piece], edge: int, step: int, address: str, position: int, link: Link
) -> int:
    """Extend a linked run from `edge` while the characters spell `address` on from
    `position`, across line breaks; returns the new edge."""
    cursor = edge + step
    while 0 <= position < len(address) and 0 <= cursor < len(pieces):
        piece = pieces[cursor]
        if piece.brk:
            if piece.text == "\n\n":
                break
            cursor += step
            continue
        if (piece.link is not None and piece.link.uri != link.uri) or piece.text != address[
            position
        ]:
            break
        piece.link = link
        edge = cursor
        cursor += step
        position += step
    return edge


def _emit(pieces: list[Piece], body: bool) -> str:
    """Pieces as text: links as Markdown, raised digits as superscripts, bold as **bold**."""
    out: list[str] = []
    pending = ""  # spaces and line breaks, written before the next character
    bold = False
    index = 0
    while index < len(pieces):
        piece = pieces[index]
        if piece.brk or piece.text == " ":
            if piece.text == "\n\n" and bold:
                out.append("**")
                bold = False
            pending = piece.text if piece.brk else (pending or " ")
            index += 1
            continue
        strong = body and piece.bold and piece.link is None and not piece.sup
        if bold and not strong:
            out.append("**")
            bold = False
        out.append(pending)
        pending = ""
        if strong and not bold:
            out.append("**")
            bold = True
        if piece.link is not None:
            end = _run_end(pieces, index)
            run = pieces[index : end + 1]
            if _printed_beyond(pieces, end):
                out.append("".join(p.text for p in run))  # the target was cut: trust the print
            else:
                text = _link_text(run, piece.link)
                after = end + 1
                if text.startswith("<") and after < len(pieces) and pieces[after].text == ">":
                    while out and not out[-1]:
                        out.pop()
                    if out and out[-1] == "<":  # printed <https://...>: its brackets, once
                        out.pop()
                        end = after
                out.append(text)
            index = end + 1
            continue
        out.append(piece.text.translate(TO_SUPERSCRIPT) if piece.sup else piece.text)
        index += 1
    if bold:
        out.append("**")
    return "".join(out)


def _printed_beyond(pieces: list[Piece], end: int) -> bool:
    """Whether the printed URL of a linked run goes on past it, joined across a line break:
    the link's target is cut short (it ends where the line did)."""
    return (
        end + 2 < len(pieces)
        and pieces[end + 1].brk
        and pieces[end + 1].text == ""
        and pieces[end + 2].link is None
        and pieces[end + 2].text != " "
    )


def _link_text(run: list[Piece], link: Link) -> str:
    """A linked run as a Markdown link; a printed URL's breaks and added hyphens removed."""
    shown = "".join(p.text for p in run if not p.brk)
    address = unquote(link.uri).replace(" ", "")
    squeezed = shown.replace(" ", "")
    if WEB_TARGET_RE.match(squeezed.lstrip("<")) or address.startswith(squeezed.strip("<>")):
        text = "".join(p.text if not p.brk else "" for p in run).strip("<>")
        if text not in address:
            text = "".join(c for c in text if c not in ADDED_HYPHENS)
        return markdown_link(text, link.uri)
    return markdown_link("".join(p.text if not p.brk else " " for p in run), link.uri)
