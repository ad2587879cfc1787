"""The bundled briefing typeset as PDF by real producers, at test time.

The briefing (examples/) is plain text: body paragraphs with superscript note references (¹²),
Markdown bold and italics, and one note per line at the end, URLs in angle brackets, bare or in
Markdown links. Here it is read into blocks and inline segments, then laid out the ways
publishers, word processors and browsers lay out notes:

* WeasyPrint, HTML + CSS Paged Media: real page footnotes (`float: footnote`) under a rule, in
  smaller type, with plain or raised numbers, URLs broken anywhere (`overflow-wrap: anywhere`);
* WeasyPrint again, as a browser prints pandoc's HTML: endnotes at the end of the document (a
  rule, an ordered list, back-links ↩︎), the date, title, file address and "3/21" on every
  page, words and URLs hyphenated (`hyphens: auto` puts U+2010 into URLs, as it does);
* reportlab (Platypus paragraphs placed by a small page builder of our own): footnotes drawn at
  the bottom of each page, or of each of two columns, under a short rule; plain or raised
  numbers; URLs shown in angle brackets and broken anywhere; link annotations over only part
  of some URLs; a note continued on the next page or column; a running head and page numbers.
  (Two columns are reportlab's: WeasyPrint's `columns: 2` with footnotes took 17-28 s here.)

Text stays as the briefing has it: angle-bracket URLs become links (their text the URL), bare
URLs stay plain text with no link, as in the converted document. Nothing is fetched: WeasyPrint
gets no base URL and no remote resource, fonts come from the system (WeasyPrint) or are the PDF
standard fonts (reportlab).
"""

from __future__ import annotations

import html
import io
import multiprocessing
import os
import re
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from tests.support import EXAMPLE

SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
FROM_SUPERSCRIPT = str.maketrans(SUPERSCRIPTS, "0123456789")
NOTE_LINE_RE = re.compile(f"^(?:- )?([{SUPERSCRIPTS}]+) ?(.*)$")
INLINE_RE = re.compile(
    r"\*\*(?P<bold>.+?)\*\*"
    r"|(?<![\w*])\*(?P<italic>[^*\n]+?)\*(?![\w*])"
    r"|\[(?P<md_text>(?:\\.|[^\]\\])+)\]\((?P<md_url>(?:[^()\s]|\([^()\s]*\))+)\)"
    r"|<(?P<angle>https?://[^<>\s]+)>"
    rf"|(?P<ref>[{SUPERSCRIPTS}]+)"
    r"|\\(?P<escaped>[$\[\]*_\\])"
)
ESCAPE_RE = re.compile(r"\\([$\[\]*_\\])")
TITLE = "Briefing paper for EU-Kazakhstan human rights dialogue"
# What each producer prints at the top or bottom of every page besides a page number.
RUNNING_HEADS = {
    "weasyprint": "IPHR / KIBHR briefing, February 2025",
    "browser": "file:///home/iphr/Documents/briefing.html",
    "browser-date": "2/26/25, 10:14 AM",
    "reportlab": "IPHR and KIBHR: Briefing paper, February 2025",
}

# --- the briefing as blocks and segments -------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A run of inline content: text, a link, or a note reference."""

    kind: Literal["text", "link", "ref"]
    text: str
    url: str = ""
    bold: bool = False
    italic: bool = False
    angle: bool = False  # written <https://...>: a link whose text is its address


@dataclass(frozen=True)
class Block:
    """A body paragraph, heading or list item."""

    kind: Literal["title", "heading", "p", "li"]
    segments: tuple[Segment, ...]


@dataclass
class Briefing:
    """The briefing: body blocks in order, and each note's paragraphs."""

    blocks: list[Block] = field(default_factory=list)
    notes: dict[int, list[tuple[Segment, ...]]] = field(default_factory=dict)


def inline(text: str, bold: bool = False, italic: bool = False) -> tuple[Segment, ...]:
    """Markdown-ish inline text as segments."""
    out: list[Segment] = []
    position = 0

    def plain(chunk: str) -> None:
        if chunk:
            out.append(Segment("text", chunk, bold=bold, italic=italic))

    for match in INLINE_RE.finditer(text):
        plain(text[position : match.start()])
        position = match.end()
        if match.group("bold") is not None:
            out.extend(inline(match.group("bold"), True, italic))
        elif match.group("italic") is not None:
            out.extend(inline(match.group("italic"), bold, True))
        elif match.group("md_text") is not None:
            label = ESCAPE_RE.sub(r"\1", match.group("md_text"))
            out.append(Segment("link", label, match.group("md_url"), bold, italic))
        elif match.group("angle") is not None:
            url = match.group("angle")
            out.append(Segment("link", url, url, bold, italic, angle=True))
        elif match.group("ref") is not None:
            out.append(Segment("ref", match.group("ref").translate(FROM_SUPERSCRIPT)))
        else:
            plain(match.group("escaped"))
    plain(text[position:])
    return tuple(out)


def _block_kind(line: str, first: bool) -> Literal["title", "heading", "p", "li"]:
    if first:
        return "title"
    if line.startswith("- "):
        return "li"
    short = len(line) <= 90 and not re.search(r"[.:;,!?>]$|:|<|\*\*", line)
    return "heading" if short else "p"


@cache
def briefing() -> Briefing:
    """The bundled briefing, read once."""
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    first_note = next(
        i
        for i, line in enumerate(lines)
        if (m := NOTE_LINE_RE.match(line)) and m.group(1).translate(FROM_SUPERSCRIPT) == "1"
    )
    result = Briefing()
    for line in lines[:first_note]:
        if not line.strip():
            continue
        kind = _block_kind(line.strip(), not result.blocks)
        text = line.strip()[2:] if kind == "li" else line.strip()
        result.blocks.append(Block(kind, inline(text)))
    current: int | None = None
    for line in lines[first_note:]:
        match = NOTE_LINE_RE.match(line)
        if match:
            current = int(match.group(1).translate(FROM_SUPERSCRIPT))
            result.notes[current] = [inline(match.group(2))]
        elif line.strip() and current is not None:
            result.notes[current].append(inline(line.strip()))
    references = [int(s.text) for b in result.blocks for s in b.segments if s.kind == "ref"]
    assert references == list(range(1, 117)) == list(result.notes), "the briefing changed"
    return result


# --- WeasyPrint --------------------------------------------------------------------------------


def _html_segments(segments: tuple[Segment, ...], ref: Callable[[int], str]) -> str:
    out = []
    for segment in segments:
        if segment.kind == "ref":
            out.append(ref(int(segment.text)))
            continue
        text = html.escape(segment.text)
        if segment.kind == "link":
            text = f'<a href="{html.escape(segment.url)}">{text}</a>'
        if segment.italic:
            text = f"<i>{text}</i>"
        if segment.bold:
            text = f"<b>{text}</b>"
        out.append(text)
    return "".join(out)


def _html_body(ref: Callable[[int], str], headings: bool = True) -> str:
    out: list[str] = []
    in_list = False
    for block in briefing().blocks:
        content = _html_segments(block.segments, ref)
        if block.kind == "li" and not in_list:
            out.append("<ul>")
        elif block.kind != "li" and in_list:
            out.append("</ul>")
        in_list = block.kind == "li"
        tag = {"title": "h1", "heading": "h2", "p": "p", "li": "li"}[block.kind]
        tag = tag if headings or block.kind == "li" else "p"
        out.append(f"<{tag}>{content}</{tag}>")
    if in_list:
        out.append("</ul>")
    return "\n".join(out)


def _note_html(number: int) -> str:
    return "<br>".join(_html_segments(p, lambda n: "") for p in briefing().notes[number])


PAGE_FOOTNOTES_CSS = """
@page { size: A4; margin: 22mm 24mm 24mm;
  @top-right { content: "HEAD"; font: italic 8pt serif; }
  @bottom-center { content: counter(page); font: 9pt serif; }
  @footnote { border-top: 0.6pt solid black; padding-top: 5pt; margin-top: 10pt; } }
html { font-family: "DejaVu Serif", serif; font-size: 10.5pt; line-height: 1.38; }
body { margin: 0; }
p, li { text-align: justify; margin: 0 0 7pt; }
h1 { font-size: 15pt; font-weight: normal; margin: 0 0 12pt; }
h2 { font-size: 12.5pt; font-weight: normal; margin: 12pt 0 6pt; }
ul { margin: 0 0 7pt; padding-left: 16pt; }
a { color: #1a4e8a; text-decoration: none; }
.fn { float: footnote; footnote-policy: line; font-size: 8pt; line-height: 1.3;
  text-align: left; font-weight: normal; font-style: normal; overflow-wrap: anywhere; }
.fn::footnote-call { content: counter(footnote); vertical-align: super; font-size: 62%;
  line-height: 0; }
"""
PAGE_FOOTNOTES_CSS = PAGE_FOOTNOTES_CSS.replace("HEAD", RUNNING_HEADS["weasyprint"])
PLAIN_MARKER_CSS = """
.fn::footnote-marker { content: counter(footnote) "\\2002"; }
"""
RAISED_MARKER_CSS = """
.fn::footnote-marker { content: counter(footnote); vertical-align: super; font-size: 70%;
  line-height: 0; padding-right: 2pt; }
"""


def _weasyprint(document: str) -> bytes:
    from weasyprint import HTML  # imported here: it loads Pango when imported

    pdf = HTML(string=document, base_url=None).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf


def weasyprint_footnotes(raised: bool) -> bytes:
    """Page footnotes by CSS Paged Media, their numbers raised or plain."""
    body = _html_body(lambda n: f'<span class="fn">{_note_html(n)}</span>')
    css = PAGE_FOOTNOTES_CSS + (RAISED_MARKER_CSS if raised else PLAIN_MARKER_CSS)
    return _weasyprint(
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{TITLE}</title>'
        f"<style>{css}</style></head><body>{body}</body></html>"
    )


# pandoc's standalone HTML (its default CSS, abridged) printed as a browser prints it: a date and
# the title at the top of each page, the file's address and "page/pages" at the bottom.
BROWSER_CSS = """
@page { size: Letter; margin: 0.4in 0.4in;
  @top-left { content: "DATE"; font: 8pt sans-serif; }
  @top-center { content: "Briefing paper for EU-Kazakhstan human rights dialogue";
    font: 8pt sans-serif; }
  @bottom-left { content: "ADDRESS"; font: 8pt sans-serif; }
  @bottom-right { content: counter(page) "/" counter(pages); font: 8pt sans-serif; } }
html { line-height: 1.5; font-family: "DejaVu Serif", serif; font-size: 12pt; color: #1a1a1a; }
body { margin: 0 auto; max-width: 36em; padding: 0.4in 0.3in; hyphens: auto;
  overflow-wrap: break-word; text-rendering: optimizeLegibility; font-kerning: normal; }
h1 { font-size: 1.6em; } h2 { font-size: 1.3em; margin-top: 1.4em; }
p { margin: 1em 0; }
a { color: #1a1a1a; }
sup { line-height: 0; font-size: 0.75em; vertical-align: super; }
ul, ol { padding-left: 1.7em; margin-top: 1em; }
li > ol, li > ul { margin-top: 0; }
hr { background-color: #1a1a1a; border: none; height: 1px; margin: 1em 0; }
.footnotes a.footnote-back { text-decoration: none; }
"""


BROWSER_CSS = BROWSER_CSS.replace("DATE", RUNNING_HEADS["browser-date"]).replace(
    "ADDRESS", RUNNING_HEADS["browser"]
)


def browser_endnotes() -> bytes:
    """pandoc's HTML with its notes section at the end, printed the way a browser prints."""
    body = _html_body(
        lambda n: (
            f'<a href="#fn{n}" class="footnote-ref" id="fnref{n}" role="doc-noteref">'
            f"<sup>{n}</sup></a>"
        ),
        headings=False,  # pandoc makes paragraphs of the briefing's unmarked heading lines
    )
    items = []
    for number, paragraphs in briefing().notes.items():
        texts = [_html_segments(p, lambda n: "") for p in paragraphs]
        texts[-1] += f'<a href="#fnref{number}" class="footnote-back" role="doc-backlink">↩︎</a>'
        items.append(f'<li id="fn{number}">' + "".join(f"<p>{t}</p>" for t in texts) + "</li>")
    notes = (
        '<section id="footnotes" class="footnotes footnotes-end-of-document" '
        'role="doc-endnotes"><hr><ol>' + "\n".join(items) + "</ol></section>"
    )
    return _weasyprint(
        f'<!DOCTYPE html><html lang="en" xml:lang="en"><head><meta charset="utf-8">'
        f"<title>{TITLE}</title><style>{BROWSER_CSS}</style></head>"
        f"<body>{body}\n{notes}</body></html>"
    )


# --- reportlab ---------------------------------------------------------------------------------


@dataclass
class Typeset:
    """A rendering and what the typesetter did that a test may want to know."""

    pdf: bytes
    continued_notes: list[int] = field(default_factory=list)  # split onto the next column/page


def _rl_markup(
    segments: tuple[Segment, ...], ref: Callable[[int], str], link_part: Callable[[str], str]
) -> str:
    """Segments as reportlab paragraph markup; <https://...> links shown with their brackets."""
    out = []
    for segment in segments:
        if segment.kind == "ref":
            out.append(ref(int(segment.text)))
            continue
        if segment.kind == "link" and segment.angle:
            text = "&lt;" + link_part(segment.url) + "&gt;"
        elif segment.kind == "link":
            text = f'<a href="{html.escape(segment.url)}">{html.escape(segment.text)}</a>'
        else:
            text = html.escape(segment.text, quote=False)
        if segment.italic:
            text = f"<i>{text}</i>"
        if segment.bold:
            text = f"<b>{text}</b>"
        out.append(text)
    return "".join(out)


class _PartialLinks:
    """Link annotations over a whole URL, or over only its first or its second half (as some
    producers link one piece of a wrapped URL), in turn."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, url: str) -> str:
        self.count += 1
        href = html.escape(url)
        half = len(url) // 2
        head, tail = html.escape(url[:half], quote=False), html.escape(url[half:], quote=False)
        if self.count % 3 == 1:
            return f'<a href="{href}">{head}</a>{tail}'
        if self.count % 3 == 2:
            return f'{head}<a href="{href}">{tail}</a>'
        return f'<a href="{href}">{html.escape(url, quote=False)}</a>'


class _PageBuilder:
    """Paragraphs placed line by line into one or two columns per page; each column's notes
    drawn at its bottom under a short rule, in smaller type; a note that does not fit whole
    goes on at the bottom of the next column; a running header and a page number on every
    page."""

    def __init__(self, columns: int, raised: bool) -> None:
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.styles import ParagraphStyle
        from reportlab.pdfgen.canvas import Canvas

        self.width, self.height = A4
        self.buffer = io.BytesIO()
        self.canvas = Canvas(self.buffer, pagesize=A4, invariant=1, pageCompression=1)
        self.canvas.setTitle(TITLE)
        self.margin, self.top, self.bottom, gutter = 62.0, self.height - 72.0, 60.0, 20.0
        self.column_width = (self.width - 2 * self.margin - gutter * (columns - 1)) / columns
        self.lefts = [self.margin + i * (self.column_width + gutter) for i in range(columns)]
        size = 10.5 if columns == 1 else 9.2
        common = {"fontName": "Times-Roman", "allowOrphans": 1, "allowWidows": 1}
        text = {**common, "fontSize": size, "leading": size * 1.3, "alignment": 4}  # justified
        self.styles = {
            "title": ParagraphStyle("title", **{**common, "fontSize": 15, "leading": 19}),
            "heading": ParagraphStyle(
                "heading", **{**common, "fontSize": 12.5, "leading": 16, "spaceBefore": 6}
            ),
            "p": ParagraphStyle("p", **text),
            "li": ParagraphStyle("li", **text, leftIndent=13, bulletIndent=3),
            # splitLongWords: a URL longer than the room left is broken anywhere, no hyphen
            "note": ParagraphStyle("note", **common, fontSize=8, leading=9.6, splitLongWords=1),
        }
        links = _PartialLinks()
        self.links = links
        self.markup = {
            number: (f"<super>{number}</super>" if raised else f"{number} ")
            # A note's later paragraphs start on a new line, as in the briefing.
            + "<br/>".join(_rl_markup(p, lambda n: "", links) for p in paragraphs)
            for number, paragraphs in briefing().notes.items()
        }
        self.column = 0
        self.page = 0
        self.y = self.top
        self.notes: list[Any] = []  # paragraphs waiting at this column's bottom
        self.carried: list[Any] = []  # the rest of a note split at the previous column
        self.continued: list[int] = []
        self._start_page()

    def _height(self, note: Any) -> float:
        if not hasattr(note, "citewatch_height"):  # wrapped once: heights are asked for often
            note.citewatch_height = note.wrap(self.column_width, 10_000)[1] + 1.5
        return float(note.citewatch_height)

    def _notes_height(self, notes: list[Any]) -> float:
        return sum(self._height(n) for n in notes) + 12 if notes else 0.0  # 12: the rule

    def note(self, number: int) -> Any:
        from reportlab.platypus import Paragraph

        return Paragraph(self.markup[number], self.styles["note"])

    def place(self, markup: str, kind: str, references: list[int]) -> None:
        """Set a paragraph from the current position, its notes at the column bottoms."""
        from reportlab.platypus import Paragraph

        style = self.styles[kind]
        paragraph: Any = Paragraph(markup, style, bulletText="•" if kind == "li" else None)
        waiting = [self.note(n) for n in references]
        self.y -= style.spaceBefore
        while paragraph is not None:
            paragraph.wrap(self.column_width, 10_000)
            per_line = [len(_line_references(line)) for line in paragraph.blPara.lines]
            fitted, placed, rest = self._fit(per_line, waiting, style.leading)
            if fitted == 0:
                self._next_column()
                continue
            if fitted < len(per_line):
                head, paragraph = paragraph.split(self.column_width, fitted * style.leading + 0.5)
            else:
                head, paragraph = paragraph, None
            height = head.wrap(self.column_width, 10_000)[1]
            head.drawOn(self.canvas, self.lefts[self.column], self.y - height)
            self.y -= height + (5 if paragraph is None else 0)
            self.notes.extend(placed)
            waiting = waiting[sum(per_line[:fitted]) :]
            if rest is not None:
                self.carried.append(rest)
            if paragraph is not None:
                self._next_column()

    def _fit(
        self, per_line: list[int], waiting: list[Any], leading: float
    ) -> tuple[int, list[Any], Any]:
        """How many lines fit here with their notes. A note that does not fit whole is split
        when two of its lines fit: (lines, notes placed here, the rest of a split note)."""
        room = self.y - self.bottom
        placed: list[Any] = []
        for index, count in enumerate(per_line):
            candidate = placed + waiting[len(placed) : len(placed) + count]
            need = (index + 1) * leading + self._notes_height(self.notes + candidate)
            if need <= room:
                placed = candidate
                continue
            if count and not self.carried:
                last = candidate[-1]
                before = self._notes_height(self.notes + candidate[:-1]) or 12
                left = room - (index + 1) * leading - before
                if left >= 2 * 9.6 + 2:
                    parts = last.split(self.column_width, left - 2)
                    if len(parts) == 2:
                        number = int(re.match(r"(?:<super>)?(\d+)", last.text).group(1))  # type: ignore[union-attr]
                        self.continued.append(number)
                        return index + 1, [*candidate[:-1], parts[0]], parts[1]
            return index, placed, None
        return len(per_line), placed, None

    def _draw_notes(self) -> None:
        if not self.notes:
            return
        left = self.lefts[self.column]
        heights = [n.wrap(self.column_width, 10_000)[1] for n in self.notes]
        y = self.bottom + sum(heights) + 1.5 * len(heights)
        self.canvas.setLineWidth(0.5)
        self.canvas.line(left, y + 6, left + self.column_width * 0.3, y + 6)
        for note, height in zip(self.notes, heights, strict=True):
            note.drawOn(self.canvas, left, y - height)
            y -= height + 1.5
        self.notes = []

    def _next_column(self) -> None:
        self._draw_notes()
        self.notes, self.carried = self.carried, []
        self.y = self.top
        self.column += 1
        if self.column == len(self.lefts):
            self.canvas.showPage()
            self.column = 0
            self._start_page()

    def _start_page(self) -> None:
        self.page += 1
        self.canvas.setFont("Times-Italic", 8)
        self.canvas.drawString(self.margin, self.height - 40, RUNNING_HEADS["reportlab"])
        self.canvas.setFont("Times-Roman", 9)
        self.canvas.drawCentredString(self.width / 2, 34, str(self.page))

    def finish(self) -> bytes:
        self._draw_notes()
        if self.carried:
            self._next_column()
            self._draw_notes()
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()


def _line_references(line: object) -> list[int]:
    """The note numbers raised in one wrapped line of a reportlab paragraph."""
    numbers = []
    for word in getattr(line, "words", []):
        if getattr(word, "rise", 0) > 0 and getattr(word, "text", "").strip().isdigit():
            numbers.append(int(word.text))
    return numbers


def reportlab_footnotes(raised: bool, columns: int = 1) -> Typeset:
    """Footnotes drawn at the bottom of each page (or column) by a reportlab page builder."""
    builder = _PageBuilder(columns, raised)
    for block in briefing().blocks:
        references = [int(s.text) for s in block.segments if s.kind == "ref"]
        markup = _rl_markup(block.segments, lambda n: f"<super>{n}</super>", builder.links)
        builder.place(markup, block.kind, references)
    return Typeset(builder.finish(), builder.continued)


# --- all renderings, made once per test session ------------------------------------------------


@dataclass(frozen=True)
class Rendering:
    """How one producer lays the briefing out, as the tests check it."""

    name: str
    make: Callable[[], bytes | Typeset]
    notes_at: Literal["page bottoms", "column bottoms", "the end"]
    raised_numbers: bool  # note numbers raised where the notes are (not in the body: always)
    running_heads: tuple[str, ...]


RENDERINGS = {
    r.name: r
    for r in (
        Rendering(
            "weasyprint-footnotes-plain",
            lambda: weasyprint_footnotes(raised=False),
            "page bottoms",
            False,
            (RUNNING_HEADS["weasyprint"],),
        ),
        Rendering(
            "weasyprint-footnotes-raised",
            lambda: weasyprint_footnotes(raised=True),
            "page bottoms",
            True,
            (RUNNING_HEADS["weasyprint"],),
        ),
        Rendering(
            "browser-endnotes",
            browser_endnotes,
            "the end",
            False,
            (RUNNING_HEADS["browser"], RUNNING_HEADS["browser-date"]),
        ),
        Rendering(
            "reportlab-footnotes-plain",
            lambda: reportlab_footnotes(raised=False),
            "page bottoms",
            False,
            (RUNNING_HEADS["reportlab"],),
        ),
        Rendering(
            "reportlab-two-columns-raised",
            lambda: reportlab_footnotes(raised=True, columns=2),
            "column bottoms",
            True,
            (RUNNING_HEADS["reportlab"],),
        ),
    )
}


def _render(name: str, directory: Path) -> tuple[Path, list[int]]:
    """Make one rendering into a file; the notes its typesetter continued elsewhere."""
    made = RENDERINGS[name].make()
    typeset = made if isinstance(made, Typeset) else Typeset(made)
    path = directory / f"{name}.pdf"
    path.write_bytes(typeset.pdf)
    return path, typeset.continued_notes


def render_all(directory: Path) -> dict[str, tuple[Path, list[int]]]:
    """Every rendering, made side by side in child processes (WeasyPrint takes seconds)."""
    context = multiprocessing.get_context("fork")
    workers = max(1, min(len(RENDERINGS), os.cpu_count() or 1))
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = {name: pool.submit(_render, name, directory) for name in RENDERINGS}
        return {name: future.result() for name, future in futures.items()}


# --- small pages drawn to order ----------------------------------------------------------------

DrawnLine = tuple[float, float, float, str]  # x, y from the top, size, text ("^12": raised 12)
RAISED_RE = re.compile(r"\^(\d+)")


def drawn_pdf(pages: list[list[DrawnLine]], rules: list[list[float]] | None = None) -> bytes:
    """A PDF of text lines drawn where told (Times-Roman, A4), raised marks written "^12", and
    on each page separator rules at the given heights (from the top, left margin, 120 pt)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    height = A4[1]
    for number, lines in enumerate(pages):
        for x, top, size, text in lines:
            for index, part in enumerate(RAISED_RE.split(text)):
                raised = index % 2 == 1
                part_size = size * 0.6 if raised else size
                canvas.setFont("Times-Roman", part_size)
                canvas.drawString(x, height - top + (size * 0.35 if raised else 0), part)
                x += stringWidth(part, "Times-Roman", part_size)
        for top in (rules or [])[number] if rules and number < len(rules) else []:
            canvas.setLineWidth(0.5)
            canvas.line(72, height - top, 192, height - top)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
