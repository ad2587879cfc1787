"""Extraction is linear: work counted, not timed, plus the shapes that used to be quadratic
run at full size under a generous timeout (bench/extraction.py prints the rates)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from citations import context
from citations.context import MAX_CONTEXT, merge_broken_paragraphs
from citations.extract import extract_citations
from citations.readers.html import parse_html
from citations.readers.text import parse_text
from citations.urls import find_urls

SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def short_paragraphs(count: int, note_every: int = 0) -> str:
    """Lower-case lines, none ending its sentence (every one is merged into the one before),
    every `note_every`-th citing a note of its own."""
    body, notes = [], []
    for i in range(count):
        line = f"{'The' if i == 0 else 'and'} detention {i} went on"
        if note_every and i % note_every == note_every - 1:
            label = str(len(notes) + 1).translate(SUPERSCRIPT)
            line += label
            notes.append(f"{label} https://vlast.kz/novosti/{len(notes) + 1}.html")
        body.append(line)
    return "Briefing\n\n" + "\n\n".join(body) + "\n\n" + "\n".join(notes) + "\n"


class Counting:
    """Wraps a function of a text and adds up how many characters it was given."""

    def __init__(self, function: Callable[..., object]) -> None:
        self.function = function
        self.characters = 0

    def __call__(self, text: str, *args: object) -> object:
        self.characters += len(text)
        return self.function(text, *args)


def test_merging_looks_at_each_paragraph_once(monkeypatch: pytest.MonkeyPatch) -> None:
    paragraphs = [f"and line {i} goes on" for i in range(40_000)]
    search = Counting(context.ENDS_SENTENCE_RE.search)
    pattern = type("Pattern", (), {"search": staticmethod(search)})
    monkeypatch.setattr(context, "ENDS_SENTENCE_RE", pattern)

    merged = merge_broken_paragraphs(["The start", *paragraphs])

    assert merged == [" ".join(["The start", *paragraphs])]
    assert search.characters <= sum(len(p) for p in paragraphs)  # was 40,000 times that


def test_a_thousand_notes_in_one_endless_sentence_clean_a_window_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = short_paragraphs(20_000, note_every=20)
    clean = Counting(context.clean_text)
    monkeypatch.setattr(context, "clean_text", clean)

    result = extract_citations(parse_text(text))

    assert len(result.citations) == 1_000
    # Each reference gets MAX_CONTEXT characters either side, not the 600 KB sentence.
    assert clean.characters <= 1_000 * (2 * MAX_CONTEXT + 50)
    context_text = result.citations[500].context
    assert context_text.startswith("… ") and context_text.endswith(" …")
    assert "detention 10019 went on" in context_text
    assert len(context_text) <= 2 * MAX_CONTEXT + 50


def test_the_context_of_an_ordinary_sentence_is_whole() -> None:
    text = "One.¹ The court, after a long hearing, rejected the appeal.² Three.\n\n" + (
        "¹ https://a.kz/1\n² https://b.kz/2\n"
    )
    contexts = [c.context for c in extract_citations(parse_text(text)).citations]
    assert contexts == ["One.", "The court, after a long hearing, rejected the appeal."]


@pytest.mark.timeout(60)  # about 5 s on the project's 2-core machine; quadratic took hours
def test_forty_thousand_short_paragraphs() -> None:
    result = extract_citations(parse_text(short_paragraphs(40_000, note_every=40)))
    assert len(result.citations) == 1_000
    assert result.citations[-1].url == "https://vlast.kz/novosti/1000.html"
    assert "and detention 39999 went on" in result.citations[-1].context


HOSTILE_LINES = [
    ("a URL followed by a million closing brackets", "https://a.kz/x" + ")" * 10**6),
    ("a URL followed by a million full stops", "https://a.kz/x" + "." * 10**6),
    ("an unclosed Markdown link target", "https://a.kz/x [a](" + "b" * 10**6),
    ("a hundred thousand unclosed emphasis marks", "https://a.kz/x " + "*a " * 10**5),
    ("a hundred thousand unclosed footnote labels", "https://a.kz/x " + "[^" * 10**5),
    ("a million dots with no sentence after them", "https://a.kz/x" + " ." * 10**6),
    ("a million spaces after a full stop", "https://a.kz/x." + " " * 10**6 + "and more"),
    ("a hundred thousand stray note markers", "https://a.kz/x " + "\ue000a" * 10**5),
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("shape", "line"), HOSTILE_LINES, ids=[s for s, _ in HOSTILE_LINES])
def test_hostile_lines_are_read_in_one_pass(shape: str, line: str) -> None:
    result = extract_citations(parse_text(f"Title\n\n{line}\n"))
    assert [c.url for c in result.citations][:1] == ["https://a.kz/x"]


@pytest.mark.timeout(60)
def test_a_note_continued_by_thousands_of_lines_and_followed_by_paragraphs() -> None:
    note = "¹ Sources: https://a.kz/first\n" + "a line of the note\n" * 50_000
    text = "A claim.¹\n\n" + note + "\n\n" + "\n\n".join(["A paragraph."] * 20_000)
    parts = parse_text(text)
    assert len(parts.notes) == 1 and parts.notes[0].text.count("a line of the note") == 50_000
    assert len(parts.body) == 20_001


@pytest.mark.timeout(60)
def test_an_html_document_with_ten_thousand_linked_notes() -> None:
    count = 9_999  # labels of up to four digits
    refs = " ".join(f'claim {i}.<a href="#fn{i}">{i}</a>' for i in range(1, count + 1))
    notes = "".join(f'<li id="fn{i}">https://a.kz/{i}</li>' for i in range(1, count + 1))
    parts = parse_html(f"<html><body><p>{refs}</p><ol>{notes}</ol></body></html>")
    result = extract_citations(parts)
    assert len(result.citations) == count
    assert result.citations[-1].footnote == str(count)


def test_deep_html_is_read_past_the_parser_depth_limit() -> None:
    depth = 5_000  # libxml2 gives up at 2,048 levels; the rest used to be dropped silently
    html = (
        "<html><body><p>Before https://a.kz/before</p>"
        + "<div>" * depth
        + "inside https://a.kz/inside"
        + "</div>" * depth
        + "<p>After https://a.kz/after</p></body></html>"
    )
    urls = [c.url for c in extract_citations(parse_html(html)).citations]
    assert urls == ["https://a.kz/before", "https://a.kz/inside", "https://a.kz/after"]


def test_a_url_cut_by_line_breaks_many_times_is_joined_once() -> None:
    text = "https://a.kz/a-\n" + "b-\n" * 20_000 + "end"
    found = find_urls(text)
    assert found[0].url == "https://a.kz/a-" + "b-" * 20_000 + "end"
