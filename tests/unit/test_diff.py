"""The text diff of a link's page: paragraphs compared, changed words marked, noise muted."""

from __future__ import annotations

import pytest

from health.diff import Row, changed, paragraphs, text_diff

CITED = (
    "Court jails activist\n"
    "Published 01.03.2025 12:30 · 1,234 views\n"
    "The court sentenced him to five years in prison.\n"
    "Human rights defenders called the case political.\n"
    "Share this article"
)


def marked(row: Row, side: str) -> list[str]:
    return [span.text for span in getattr(row, side) if span.changed]


@pytest.mark.parametrize(
    "later",
    [
        CITED.replace("in prison.", "in   prison. "),  # whitespace only
        CITED.replace("01.03.2025 12:30", "02.03.2025 09:05"),  # a time stamp
        CITED.replace("1,234 views", "2,001 views"),  # a view counter
        CITED.replace("1,234 views", "Просмотров: 57"),  # counters in another language
        CITED.replace("01.03.2025", "2025-03-02T10:00:00Z"),  # ISO dates
        "\n\n" + CITED.replace("\n", "\n\n"),  # blank lines between paragraphs
    ],
)
def test_noise_is_not_a_change(later: str) -> None:
    rows = text_diff(CITED, later)
    assert not changed(rows)
    assert [r.kind for r in rows] == ["same"] * len(paragraphs(CITED))


def test_a_changed_word_is_marked_on_both_sides() -> None:
    rows = text_diff(CITED, CITED.replace("five years", "seven years"))
    [row] = [r for r in rows if r.kind != "same"]
    assert row.kind == "changed"
    assert marked(row, "left") == ["five"] and marked(row, "right") == ["seven"]
    assert "".join(s.text for s in row.left).startswith("The court sentenced him to")


def test_a_removed_paragraph_is_shown_on_the_left_only() -> None:
    later = CITED.replace("Human rights defenders called the case political.\n", "")
    [row] = [r for r in text_diff(CITED, later) if r.kind != "same"]
    assert row.kind == "removed" and row.right == ()
    assert marked(row, "left") == ["Human rights defenders called the case political."]


def test_an_added_paragraph_is_shown_on_the_right_only() -> None:
    later = CITED + "\nUpdate: the appeal was rejected."
    [row] = [r for r in text_diff(CITED, later) if r.kind != "same"]
    assert (row.kind, row.left, marked(row, "right")) == (
        "added",
        (),
        ["Update: the appeal was rejected."],
    )


def test_a_number_that_is_not_a_counter_or_date_is_a_change() -> None:
    rows = text_diff("He was fined 150 MCI.", "He was fined 500 MCI.")
    assert changed(rows) and marked(rows[0], "right") == ["500"]


def test_a_rewritten_page_pairs_nothing_it_should_not() -> None:
    rows = text_diff("One short line.", "Something else entirely different here.")
    assert [r.kind for r in rows] == ["removed", "added"]


def test_empty_texts() -> None:
    assert text_diff("", "") == []
    assert [r.kind for r in text_diff("", "New.")] == ["added"]
