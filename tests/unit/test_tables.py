"""Tables at 80 columns: key columns (ids, formats, counts, states, dates) keep their values
whole on one line; text columns (titles, URLs, sentences) wrap or are cut short instead."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console

from cli.archive import SNAPSHOT_COLUMNS
from cli.documents import CITATION_COLUMNS, DOCUMENT_COLUMNS
from cli.health import REPORT_COLUMNS
from cli.output import Column, write_rows

URL = "https://vlast.kz/novosti/63501-sud-otklonil-zhalobu-aktivista-na-prigovor.html?page=2"
SENTENCE = "The court rejected the appeal of the activist on 5 June, citing the prosecutor's view."

TABLES: list[tuple[str, tuple[Column, ...], dict[str, Any], dict[str, str]]] = [
    (
        "documents",
        DOCUMENT_COLUMNS,
        {
            "id": 12,
            "title": "BRIEFING PAPER FOR EU-KAZAKHSTAN HUMAN RIGHTS DIALOGUE: the situation in 2025",
            "source_name": "eu-kazakhstan-hr-dialogue-briefing-2025.docx",
            "format": "docx",
            "revision": 3,
            "notes": 116,
            "citations": 134,
            "added_at": "2025-02-20T09:00:00+00:00",
        },
        {"ID": "12", "Format": "docx", "Rev.": "3", "Notes": "116", "Citations": "134"},
    ),
    (
        "citations",
        CITATION_COLUMNS,
        {"footnote": "105", "url": URL, "context": SENTENCE},
        {"Note": "105"},
    ),
    (
        "report",
        REPORT_COLUMNS,
        {
            "footnote": "105",
            "url": URL,
            "state": "drifted",
            "verdict": "server_error",
            "copy": "#1234 + public",
            "hint": "did you mean vlast.kz? last.kz does not resolve",
        },
        {"Note": "105", "State": "drifted", "Verdict": "server_error", "Copy": "#1234 + public"},
    ),
    (
        "show",
        SNAPSHOT_COLUMNS,
        {
            "id": 4321,
            "fetched": "2025-02-20 09:00",
            "result": "fetched 200",
            "final_url": URL,
            "text": "Суд отклонил жалобу активиста на приговор, вынесенный в мае",
        },
        {"ID": "4321", "Fetched (UTC)": "2025-02-20 09:00", "Result": "fetched 200"},
    ),
]


def render(columns: tuple[Column, ...], row: dict[str, Any], width: int) -> list[str]:
    console = Console(file=io.StringIO(), width=width, no_color=True, color_system=None)
    write_rows(console, [row], "table", columns)
    output = console.file.getvalue()  # type: ignore[attr-defined]
    return str(output).splitlines()


def cells(lines: list[str]) -> dict[str, str]:
    """Heading -> the row's text in that column, its wrapped lines joined."""
    rows = [line.strip("│┃").split("│") for line in lines if line.startswith("│")]
    headings = next(line for line in lines if line.startswith("┃")).strip("┃").split("┃")
    return {
        heading.strip(): "".join(row[i].strip() for row in rows)
        for i, heading in enumerate(headings)
    }


@pytest.mark.parametrize(
    ("name", "columns", "row", "keys"), TABLES, ids=[table[0] for table in TABLES]
)
def test_key_columns_stay_whole_at_80_columns(
    name: str, columns: tuple[Column, ...], row: dict[str, Any], keys: dict[str, str]
) -> None:
    lines = render(columns, row, 80)
    assert max(len(line) for line in lines) <= 80
    shown = cells(lines)
    first_row = next(line for line in lines if line.startswith("│"))
    for heading, value in keys.items():
        assert shown[heading] == value  # whole ...
        assert f"│ {value} " in first_row  # ... and on the row's first line
    for heading in shown:
        assert shown[heading], f"{heading} squeezed to nothing"


@pytest.mark.parametrize(("heading", "table"), [("URL as cited", 1), ("Final URL", 3)])
def test_a_long_url_wraps_and_stays_whole(heading: str, table: int) -> None:
    _, columns, row, _ = TABLES[table]
    assert cells(render(columns, row, 80))[heading] == URL


def test_a_long_sentence_is_cut_to_one_line() -> None:
    _, columns, row, _ = TABLES[1]
    lines = render(columns, row, 80)
    cited_in = cells(lines)["Cited in"]
    assert cited_in.endswith("…") and SENTENCE.startswith(cited_in[:-1])


def test_a_wide_console_shows_everything_on_one_line() -> None:
    _, columns, row, _ = TABLES[2]
    lines = render(columns, row, 200)
    assert len([line for line in lines if line.startswith("│")]) == 1
    assert cells(lines)["URL as cited"] == URL
