"""The briefing typeset as PDF by different producers: every note's URLs found again.

Each rendering is made at test time from examples/ (tests/support/pdfs.py): WeasyPrint page
footnotes with plain and with raised numbers, a browser-style print of pandoc's HTML with its
endnotes at the end, and reportlab footnotes in one and in two columns (numbers plain and
raised, URLs broken anywhere inside angle brackets, link annotations over part of a URL, notes
continued on the next page or column). The reader must find the same note–URL pairs, sentences
and bold names as in the text version, cut no URL at a line break, and keep running heads and
page numbers out.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from cases.learn import bold_names
from citations.document import LoadedDocument, read_document
from citations.extract import Extraction, extract_citations
from citations.readers.pdf import layout
from citations.readers.pdf_pages import read_page
from tests.component.test_briefing import expected_pairs, written_pairs
from tests.support import EXAMPLE
from tests.support.pdfs import RENDERINGS, DrawnLine, Rendering, briefing, drawn_pdf, render_all

PLAIN_QUOTES = str.maketrans("’‘“”", "''\"\"")  # the producers typeset quotes


@dataclass(frozen=True)
class Read:
    """A rendering, and what the reader made of it."""

    rendering: Rendering
    path: Path
    continued_notes: list[int]
    document: LoadedDocument
    extraction: Extraction


class Renderings:
    """The session's renderings, made together once, each read on first use."""

    def __init__(self, directory: Path) -> None:
        self.made = render_all(directory)
        self.read: dict[str, Read] = {}

    def __getitem__(self, name: str) -> Read:
        if name not in self.read:
            path, continued = self.made[name]
            document = read_document(path)
            self.read[name] = Read(
                RENDERINGS[name], path, continued, document, extract_citations(document.parts)
            )
        return self.read[name]


@pytest.fixture(scope="session")
def renderings(tmp_path_factory: pytest.TempPathFactory) -> Renderings:
    return Renderings(tmp_path_factory.mktemp("pdf-producers"))


@pytest.fixture(scope="module")
def text_version() -> Extraction:
    return extract_citations(read_document(EXAMPLE).parts)


NAMES = list(RENDERINGS)


@pytest.mark.parametrize("name", NAMES)
def test_every_note_and_url_is_found(renderings: Renderings, name: str) -> None:
    extraction = renderings[name].extraction
    found = written_pairs(extraction)
    missing = list((Counter(expected_pairs()) - Counter(found)).elements())
    unexpected = list((Counter(found) - Counter(expected_pairs())).elements())
    assert (missing, unexpected) == ([], [])
    assert extraction.note_count == 116
    assert [note.label for note in extraction.parts.notes] == [str(n) for n in range(1, 117)]


@pytest.mark.parametrize("name", NAMES)
def test_no_url_is_cut_at_a_line_break(
    renderings: Renderings, name: str, text_version: Extraction
) -> None:
    known = {c.url for c in text_version.citations}
    for citation in renderings[name].extraction.citations:
        if citation.url in known:
            continue
        # A URL the text version does not have must at least be no piece of one, nor one run
        # into the next line's words.
        assert not any(
            url.startswith(citation.url) or citation.url.startswith(url) for url in known
        ), citation.url


@pytest.mark.parametrize("name", NAMES)
def test_each_note_keeps_the_sentence_that_cites_it(
    renderings: Renderings, name: str, text_version: Extraction
) -> None:
    sentences = {
        (c.footnote, c.url): c.context.translate(PLAIN_QUOTES) for c in text_version.citations
    }
    for citation in renderings[name].extraction.citations:
        expected = sentences.get((citation.footnote, citation.url))
        if expected is not None:
            assert citation.context.translate(PLAIN_QUOTES) == expected


@pytest.mark.parametrize("name", NAMES)
def test_bold_names_are_the_cases_of_the_text_version(renderings: Renderings, name: str) -> None:
    def cases(document: LoadedDocument) -> dict[str, list[str]]:
        return {s.name: s.footnotes for s in bold_names(document.parts)}

    assert cases(renderings[name].document) == cases(read_document(EXAMPLE))


@pytest.mark.parametrize("name", NAMES)
def test_running_heads_and_page_numbers_are_left_out(renderings: Renderings, name: str) -> None:
    parts = renderings[name].document.parts
    text = "\n".join([*parts.body, *(note.text for note in parts.notes)])
    for head in renderings[name].rendering.running_heads:
        assert head not in text
    for note in parts.notes:
        assert not re.search(r"\n\s*\d{1,3}\s*(?:\n|$)", note.text), note  # a page number
    assert parts.title == "Briefing paper for EU-Kazakhstan human rights dialogue"


# --- the renderings are what they claim to be ---------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_the_rendering_is_typeset_as_described(renderings: Renderings, name: str) -> None:
    """Every note is in the PDF (no producer dropped one), numbered in order where the notes
    are, raised or not as described, under a rule on nearly every page; many URLs break
    over lines; reportlab continued a note on the next page or column."""
    rendering = renderings[name].rendering
    pdf = pdfium.PdfDocument(renderings[name].path)
    pages = [read_page(pdf, index) for index in range(len(pdf))]
    pdf.close()
    letters = "".join(c.text for page in pages for c in page.chars if c.text.isalnum())
    for number, paragraphs in briefing().notes.items():
        opening = "".join(c for s in paragraphs[0] for c in s.text if c.isalnum())[:40]
        assert opening in letters, number
    page_blocks, typography = layout(pages)
    lines = [line for page in page_blocks for block in page for line in block]
    if rendering.notes_at == "the end":
        last_body_line = max(i for i, line in enumerate(lines) if "for his killing." in line.text)
        lines = lines[last_body_line + 1 :]
    else:
        lines = [line for line in lines if line.size < typography.body_size * 0.92]
    raised = Counter()  # how the numbers opening the notes are set
    expected = 1
    for line in lines:
        number = re.match(r"\d+", line.text)
        if number and int(number.group()) == expected:
            raised[line.is_raised(line.chars[0])] += 1
            expected += 1
    assert raised == {rendering.raised_numbers: 116}
    if rendering.notes_at != "the end":
        assert sum(1 for page in pages if page.rules) >= len(pages) - 2
    urls = {url for _, url in expected_pairs()}
    texts = {line.text for page in page_blocks for block in page for line in block}
    assert sum(1 for url in urls if not any(url in text for text in texts)) >= 10
    if name.startswith("reportlab"):
        assert renderings[name].continued_notes


# --- small pages that each test one rule ------------------------------------------------------


def read_drawn(
    tmp_path: Path, pages: list[list[DrawnLine]], rules: list[list[float]]
) -> Extraction:
    path = tmp_path / "drawn.pdf"
    path.write_bytes(drawn_pdf(pages, rules))
    return extract_citations(read_document(path).parts)


def body(top: float, *texts: str) -> list[DrawnLine]:
    return [(72, top + 15 * i, 11, text) for i, text in enumerate(texts)]


def notes(top: float, *texts: str) -> list[DrawnLine]:
    return [(72, top + 10 * i, 8, text) for i, text in enumerate(texts)]


def test_a_year_or_an_article_number_opening_a_note_line_starts_no_note(tmp_path: Path) -> None:
    page = [
        *body(100, "Bloggers were fined.^1 Activists were detained.^2", "More text follows here."),
        *notes(
            700,
            "1 Azattyq reported the fines in an article published on 12 March",
            "2024 and updated later: https://rus.azattyq.org/a/33143196.html",
            "2 Under article",
            "174 of the Criminal Code: https://adilet.zan.kz/rus/docs/K1400000226",
        ),
    ]
    extraction = read_drawn(tmp_path, [page], [[690]])
    assert [(c.footnote, c.url) for c in extraction.citations] == [
        ("1", "https://rus.azattyq.org/a/33143196.html"),
        ("2", "https://adilet.zan.kz/rus/docs/K1400000226"),
    ]


def test_a_lost_note_does_not_swallow_the_notes_after_it(tmp_path: Path) -> None:
    page = [
        *body(100, "One.^1 Two.^2 Three.^3 Four.^4"),
        *notes(
            700,
            "1 https://vlast.kz/novosti/1.html",
            "3 https://vlast.kz/novosti/3.html",  # a typesetter lost note 2
            "4 https://vlast.kz/novosti/4.html",
        ),
    ]
    extraction = read_drawn(tmp_path, [page], [[690]])
    assert [c.footnote for c in extraction.citations] == ["1", "3", "4"]


def test_a_numbered_list_in_small_type_without_note_marks_is_body_text(tmp_path: Path) -> None:
    page = [
        *body(100, "The authorities should:", "act on these recommendations."),
        *notes(
            700,
            "1 Free https://vlast.kz/novosti/1.html",
            "2 Review https://vlast.kz/novosti/2.html",
        ),
    ]
    extraction = read_drawn(tmp_path, [page], [[]])
    assert [c.footnote for c in extraction.citations] == [None, None]


def test_a_page_of_too_many_characters_is_read_only_so_far(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    crowded = [(20, 20 + 0.5 * i, 1, "x" * 400) for i in range(100)]  # 40,000 characters
    page = [*crowded, *body(100, "See https://vlast.kz/novosti/1.html")]
    extraction = read_drawn(tmp_path, [page, body(100, "And https://orda.kz/2/")], [])
    assert "only the first 30000 are read" in caplog.text
    assert "https://orda.kz/2/" in [c.url for c in extraction.citations]
