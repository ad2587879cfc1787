"""The bundled briefing, in every format: each note's URLs exactly as written."""

from __future__ import annotations

import functools
import io
import re
import zipfile
from pathlib import Path

import pytest

from citations.document import read_document
from citations.extract import Extraction, extract_citations
from tests.support import EXAMPLE, FIXTURES

VARIANTS = FIXTURES / "documents"


def expected_pairs() -> list[tuple[str, str]]:
    """The hand-made list: one (note, URL) per URL written in a note, in document order."""
    lines = (FIXTURES / "briefing_note_urls.tsv").read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t")) for line in lines if line and not line.startswith("#")]  # type: ignore[misc]


@functools.cache
def extract(path: Path) -> Extraction:
    return extract_citations(read_document(path).parts)


def written_pairs(extraction: Extraction) -> list[tuple[str, str]]:
    """Note–URL pairs written in the notes (not inherited through "see the previous note")."""
    return [(c.footnote, c.url) for c in extraction.citations if c.footnote and not c.refers_to]


def test_the_hand_made_list_is_what_the_issue_describes() -> None:
    pairs = expected_pairs()
    assert len({note for note, _ in pairs}) == 115  # every note but 83 writes a URL
    assert len(pairs) == 131  # 130 with a scheme, plus exclusive.kz/... in note 85
    assert len({url for _, url in pairs}) == 110


def test_every_note_and_url_of_the_text_version() -> None:
    extraction = extract(EXAMPLE)
    assert extraction.note_count == 116
    assert written_pairs(extraction) == expected_pairs()
    assert extraction.warnings == []


def test_note_83_points_back_to_note_82() -> None:
    extraction = extract(EXAMPLE)
    (pointer,) = [c for c in extraction.citations if c.refers_to]
    (source,) = [c for c in extraction.citations if c.footnote == "82"]
    assert (pointer.footnote, pointer.refers_to, pointer.url) == ("83", "82", source.url)
    assert pointer.context == (
        "However, concerns remain that no one has been held accountable for her alleged mistreatment."
    )


@pytest.mark.parametrize("name", ["briefing.md", "briefing.html", "briefing.docx", "briefing.pdf"])
def test_converted_versions_give_the_same_pairs_and_sentences(name: str) -> None:
    extraction = extract(VARIANTS / name)
    assert extraction.note_count == 116
    assert written_pairs(extraction) == expected_pairs()
    plain = str.maketrans("’‘“”", "''\"\"")  # the converters typeset quotes
    text_version = {
        (c.footnote, c.url): c.context.translate(plain) for c in extract(EXAMPLE).citations
    }
    for citation in extraction.citations:
        assert citation.context.translate(plain) == text_version[(citation.footnote, citation.url)]


def test_pdf_urls_broken_across_lines_come_out_whole() -> None:
    pdf_text = extract(VARIANTS / "briefing.pdf").parts.notes[1].text
    url = "https://iphronline.org/articles/kazakhstan-downgraded-by-civicus-monitor-as-civic-freedoms-deteriorate/"
    # The PDF shows this URL on two lines; its link annotation holds it whole.
    assert url in pdf_text


def test_docx_hyperlinks_live_in_the_relationships_part() -> None:
    with zipfile.ZipFile(VARIANTS / "briefing.docx") as package:
        notes_xml = package.read("word/footnotes.xml").decode()
        rels = package.read("word/_rels/footnotes.xml.rels").decode()
    assert "monitor.civicus.org/country/kazakhstan" not in re.sub(
        r"<w:t[^>]*>[^<]*</w:t>", "", notes_xml
    )
    assert "monitor.civicus.org/country/kazakhstan" in rels


def endnote_version(docx: bytes, number_format: str | None) -> bytes:
    """The DOCX with its footnotes turned into real Word endnotes."""
    source = zipfile.ZipFile(io.BytesIO(docx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = (
                source.read(item.filename).decode("utf-8")
                if item.filename.endswith((".xml", ".rels"))
                else None
            )
            name = item.filename.replace("footnotes.xml", "endnotes.xml")
            if data is None:
                target.writestr(name, source.read(item.filename))
                continue
            data = (
                data.replace("footnotes.xml", "endnotes.xml")
                .replace("relationships/footnotes", "relationships/endnotes")
                .replace("wordprocessingml.footnotes", "wordprocessingml.endnotes")
                .replace("w:footnoteReference", "w:endnoteReference")
                .replace("w:footnoteRef", "w:endnoteRef")
                .replace("w:footnotes", "w:endnotes")
                .replace("w:footnote ", "w:endnote ")
                .replace("w:footnote>", "w:endnote>")
                .replace("w:footnotePr", "w:endnotePr")
            )
            if name == "word/settings.xml" and number_format:
                data = re.sub(r"<w:endnotePr>.*?</w:endnotePr>", "", data, flags=re.S)
                data = data.replace(
                    "</w:settings>",
                    f'<w:endnotePr><w:numFmt w:val="{number_format}"/></w:endnotePr></w:settings>',
                )
            target.writestr(name, data)
    return out.getvalue()


def test_word_endnotes_give_the_same_pairs(tmp_path: Path) -> None:
    path = tmp_path / "briefing-endnotes.docx"
    path.write_bytes(endnote_version((VARIANTS / "briefing.docx").read_bytes(), "decimal"))
    with zipfile.ZipFile(path) as package:
        assert "word/endnotes.xml" in package.namelist()
        assert "word/footnotes.xml" not in package.namelist()
    assert written_pairs(extract(path)) == expected_pairs()


def test_word_endnotes_are_labelled_as_word_prints_them(tmp_path: Path) -> None:
    path = tmp_path / "briefing-endnotes.docx"
    path.write_bytes(endnote_version((VARIANTS / "briefing.docx").read_bytes(), None))
    labels = [note.label for note in read_document(path).parts.notes]
    assert labels[:5] == ["i", "ii", "iii", "iv", "v"]
    assert labels[-1] == "cxvi"
