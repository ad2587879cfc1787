"""HTML notes: a note's own number taken out with what follows it, and each note its own, however
the notes are laid out."""

from __future__ import annotations

import pytest

from citations.extract import extract_citations
from citations.parts import Note
from citations.readers.html import parse_html

SOURCE = "https://a.example/x"
BODY = (
    '<p>Detained.<a href="#fn1" id="r1">1</a> Charged.<a href="#fn2" id="r2">2</a> '
    'Sentenced.<a href="#fn3" id="r3">3</a></p>'
)


def page(notes: str) -> str:
    return f"<html><body>{BODY}{notes}</body></html>"


def pointers(html: str) -> list[tuple[str | None, str, str | None]]:
    """(note, URL, the note it points back to) of each citation."""
    found = extract_citations(parse_html(html)).citations
    return [(c.footnote, c.url, c.refers_to) for c in found]


CITED_BY_ALL = [("1", SOURCE, None), ("2", SOURCE, "1"), ("3", SOURCE, "2")]


def list_of(second: str, third: str) -> str:
    """An endnote list: note 1 cites the source, notes 2 and 3 as given."""
    return (
        f'<ol><li id="fn1"><a href="#r1">1</a>. See <a href="{SOURCE}">the ruling</a>.</li>'
        f'<li id="fn2">{second}</li><li id="fn3">{third}</li></ol>'
    )


@pytest.mark.parametrize(
    ("second", "third"),
    [
        ('<a href="#r2">2</a>. See the previous endnote.', '<a href="#r3">3</a>. Ibid.'),
        ('<a href="#r2">2.</a> See the previous endnote.', '<a href="#r3">3.</a> Ibid., p. 4.'),
        (
            '<sup><a href="#r2">2</a></sup>: See the previous note.',
            "<sup><a href='#r3'>3</a></sup>) Ibid.",
        ),
        ('<a href="#r2">[2]</a>&nbsp;– Ibid.', '<a href="#r3">[3]</a> — Id., para. 3.'),
        (
            '<p><a href="#r2">2</a>.</p><p>See the previous endnote.</p>',
            "<p><a href='#r3'>3</a></p><p>Ibid.</p>",
        ),
        (" <span> <a href='#r2'>2</a></span>. Ibid.", '\n<a href="#r3">3</a>.\n Ibid.'),
    ],
    ids=["dot", "dot-in-link", "superscript", "bracket-and-dash", "own-paragraph", "nested"],
)
def test_a_pointer_after_a_linked_note_number_is_read(second: str, third: str) -> None:
    assert pointers(page(list_of(second, third))) == CITED_BY_ALL


@pytest.mark.parametrize(
    ("note", "text"),
    [
        ('<a href="#r2">2</a>. See the previous endnote.', "See the previous endnote."),
        ("2. See the previous endnote.", "See the previous endnote."),
        ("2) Ibid.", "Ibid."),
        ("[2] Ibid.", "Ibid."),
        ("(2): Ibid.", "Ibid."),
        # Not the note's number: kept.
        ("2 December 2019: the appeal was heard.", "2 December 2019: the appeal was heard."),
        ("12. Ibid.", "12. Ibid."),
        ("... and the appeal.", "... and the appeal."),
        ('Ibid. <a href="#r2">↩</a>', "Ibid."),
    ],
)
def test_a_note_loses_its_own_number_and_nothing_else(note: str, text: str) -> None:
    notes = parse_html(page(list_of(note, '<a href="#r3">3</a>. Ibid.'))).notes
    assert notes[1] == Note("2", text)


def test_each_paragraph_a_reference_points_to_in_a_notes_div_is_a_note() -> None:
    html = page(
        '<div class="footnotes"><h2>Notes</h2>'
        f'<p id="fn1">1. The ruling: <a href="{SOURCE}">…</a></p>'
        '<p id="fn2">2. See the previous endnote.</p>'
        '<p id="fn3"><a href="#r3">3</a>. Ibid.</p></div>'
    )
    parts = parse_html(html)
    assert parts.notes == [
        Note("1", f"The ruling: […](<{SOURCE}>)"),
        Note("2", "See the previous endnote."),
        Note("3", "Ibid."),
    ]
    assert pointers(html) == CITED_BY_ALL
    assert all("ruling" not in paragraph for paragraph in parts.body)


def test_notes_as_divs_in_a_notes_div_keep_all_their_paragraphs() -> None:
    html = page(
        '<div class="footnotes">'
        + "".join(
            f'<div class="footnote" id="fn{n}"><p>{n}. First part.</p><p>Second part.</p></div>'
            for n in (1, 2, 3)
        )
        + "</div>"
    )
    assert parse_html(html).notes == [
        Note(str(n), "First part.\n\nSecond part.") for n in (1, 2, 3)
    ]


def test_a_note_div_around_one_note_is_the_whole_note() -> None:
    """Word's "Save as HTML": the reference points to an anchor in the note's first paragraph,
    and the div around it (id="ftn1") holds the note's other paragraphs too."""
    html = (
        '<html><body><p>Detained.<a href="#_ftn1" name="_ftnref1">[1]</a> '
        'Charged.<a href="#_ftn2" name="_ftnref2">[2]</a></p>'
        '<div style="mso-element:footnote-list">'
        '<div id="ftn1"><p><a href="#_ftnref1" name="_ftn1">[1]</a> The ruling.</p>'
        f"<p>{SOURCE}</p></div>"
        '<div id="ftn2"><p><a href="#_ftnref2" name="_ftn2">[2]</a> Ibid.</p></div>'
        "</div></body></html>"
    )
    assert parse_html(html).notes == [Note("1", f"The ruling.\n\n{SOURCE}"), Note("2", "Ibid.")]
    assert pointers(html) == [("1", SOURCE, None), ("2", SOURCE, "1")]


def test_one_note_in_a_notes_div_is_the_whole_div() -> None:
    """With a single note, nothing says where it ends: the div is the note, as before."""
    html = (
        '<html><body><p>Detained.<a href="#fn1">1</a></p><div class="footnotes">'
        f'<p id="fn1">1. The ruling.</p><p>{SOURCE}</p></div></body></html>'
    )
    assert parse_html(html).notes == [Note("1", f"The ruling.\n\n{SOURCE}")]


def test_notes_deep_in_a_page_are_split_too() -> None:
    """Finding which divs hold several notes walks each note's ancestors once, however deep."""
    depth = 3000
    notes = "".join(f'<p id="fn{n}">{n}. Note {n}: https://a.example/{n}</p>' for n in range(1, 4))
    html = page("<div>" * depth + f'<div class="footnotes">{notes}</div>' + "</div>" * depth)
    assert [note.label for note in parse_html(html).notes] == ["1", "2", "3"]
