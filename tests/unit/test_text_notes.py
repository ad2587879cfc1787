"""Notes in plain text and Markdown: every style, pointers to earlier notes, the citing sentence."""

from __future__ import annotations

from citations.extract import extract_citations
from citations.readers.text import parse_text


def pairs(text: str) -> list[tuple[str | None, str, str | None]]:
    result = extract_citations(parse_text(text))
    return [(c.footnote, c.url, c.refers_to) for c in result.citations]


def test_superscript_notes_with_list_prefixes() -> None:
    text = (
        "Police detained him.¹ The court agreed.² ³\n\n"
        "¹ <https://a.kz/1>\n"
        "- ² See https://b.kz/2.\n"
        "- ³ <https://c.kz/3>, <https://d.kz/4>\n"
    )
    assert pairs(text) == [
        ("1", "https://a.kz/1", None),
        ("2", "https://b.kz/2", None),
        ("3", "https://c.kz/3", None),
        ("3", "https://d.kz/4", None),
    ]


def test_markdown_footnotes_with_indented_continuation() -> None:
    text = (
        "The ban was lifted.[^ban] Later it returned.[^2]\n\n"
        "[^ban]: Statement of the union:\n\n"
        "    <https://a.kz/statement>\n\n"
        "[^2]: https://b.kz/2\n"
    )
    assert pairs(text) == [("ban", "https://a.kz/statement", None), ("2", "https://b.kz/2", None)]


def test_bracket_notes() -> None:
    text = "He was fined [1] and appealed [2].\n\n[1] https://a.kz/1\n[2] https://b.kz/2\n"
    assert pairs(text) == [("1", "https://a.kz/1", None), ("2", "https://b.kz/2", None)]


def test_pointers_to_earlier_notes() -> None:
    text = (
        "One.¹ Two.² Three.³ Four.⁴ Five.⁵\n\n"
        "¹ https://a.kz/1\n"
        "² See the previous endnote.\n"
        "³ Ibid., p. 4.\n"
        "⁴ https://d.kz/4\n"
        "⁵ See note 1 above.\n"
    )
    assert pairs(text) == [
        ("1", "https://a.kz/1", None),
        ("2", "https://a.kz/1", "1"),
        ("3", "https://a.kz/1", "2"),
        ("4", "https://d.kz/4", None),
        ("5", "https://a.kz/1", "1"),
    ]


def test_russian_ibid() -> None:
    assert pairs("Раз.¹ Два.²\n\n¹ https://a.kz/1\n² Там же.\n")[1] == ("2", "https://a.kz/1", "1")


def test_a_note_without_a_source_cites_nothing() -> None:
    assert pairs("One.¹ Two.²\n\n¹ https://a.kz/1\n² The author's own observation.\n") == [
        ("1", "https://a.kz/1", None)
    ]


def test_context_is_the_sentence_that_carries_the_marker() -> None:
    text = (
        "Dr. Smith spoke first. The **court** rejected the appeal⁷ on 5 June. "
        "Nobody was surprised.\n\n⁷ https://a.kz/7\n"
    )
    (citation,) = extract_citations(parse_text(text)).citations
    assert citation.context == "The court rejected the appeal on 5 June."


def test_context_spans_a_page_break_inside_a_sentence() -> None:
    text = "A report⁶ found that the authorities used\n\nexcessive force.\n\n⁶ https://a.kz/6\n"
    (citation,) = extract_citations(parse_text(text)).citations
    assert citation.context == "A report found that the authorities used excessive force."


def test_body_continues_after_page_footnotes() -> None:
    text = (
        "First page ends here.¹\n\n¹ https://a.kz/1\n\n"
        "Second page starts, citing https://inline.kz/x in the text.\n"
    )
    result = extract_citations(parse_text(text))
    assert [(c.footnote, c.url) for c in result.citations] == [
        (None, "https://inline.kz/x"),
        ("1", "https://a.kz/1"),
    ]
    assert (
        result.citations[0].context == "Second page starts, citing https://inline.kz/x in the text."
    )


def test_superscripts_without_a_note_are_left_alone() -> None:
    parts = parse_text("An area of 5 km² was flooded.¹\n\n¹ https://a.kz/1\n")
    assert "km²" in parts.body[0]


def test_malformed_url_is_a_warning_and_the_rest_is_kept() -> None:
    result = extract_citations(
        parse_text("One.¹ Two.²\n\n¹ http://a.kz:99999/x\n² https://b.kz/2\n")
    )
    assert [c.url for c in result.citations] == ["https://b.kz/2"]
    assert len(result.warnings) == 1 and "note 1" in result.warnings[0]


def test_title_is_the_first_line_without_markup() -> None:
    assert parse_text("\n\n# **Briefing paper**\n\ntext").title == "Briefing paper"
