"""Cases proposed from the names in bold of the bundled briefing: the page proposes what
`citewatch case suggest` proposes, the ticked names become cases linked to the notes about them,
and a tracked name is not proposed again."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from httpx2 import Response
from sqlalchemy import select

from models import Case, Document
from tests.web.conftest import PASSWORD, Desk, add_user, csrf_from, login

BRIEFING = (
    Path(__file__).resolve().parents[2]
    / "examples"
    / ("eu-kazakhstan-hr-dialogue-briefing-2025.txt")
)
CHECKBOX = re.compile(r'name="name" value="([^"]+)">\s*<input type="hidden" name="notes"')


@pytest.fixture
def briefing(team: Desk) -> int:
    """The briefing stored by `citewatch add`, an editor signed in; its document id."""
    added = team.workspace.cli("add", str(BRIEFING))
    assert added.code == 0, added.err
    with team.database.session() as session:
        document_id = session.scalars(select(Document.id)).one()
    assert login(team.client, "editor", PASSWORD).status_code == 303
    return document_id


def read(desk: Desk, document_id: int, data: bytes, name: str = BRIEFING.name) -> Response:
    """Choose the document's file on its suggestions page, as a browser would."""
    token = csrf_from(desk.client, f"/cases/suggestions?document={document_id}")
    return desk.client.post(
        "/cases/suggestions/read",
        data={"document": str(document_id), "csrf_token": token},
        files={"file": (name, data, "text/plain")},
    )


def test_the_cases_list_offers_the_stored_documents(team: Desk, briefing: int) -> None:
    page = team.client.get("/cases")
    assert 'action="/cases/suggestions"' in page.text
    assert f'<option value="{briefing}">BRIEFING PAPER FOR EU-KAZAKHSTAN' in page.text


def test_the_page_proposes_what_case_suggest_proposes(team: Desk, briefing: int) -> None:
    printed = team.workspace.cli("case", "suggest", str(BRIEFING), "--format", "json")
    assert printed.code == 0, printed.err
    expected = [row["name"] for row in json.loads(printed.out)]
    assert len(expected) == 21 and "Temirlan Yensebek" in expected
    page = read(team, briefing, BRIEFING.read_bytes())
    assert page.status_code == 200
    assert CHECKBOX.findall(page.text) == expected
    assert 'value="44,45,46"' in page.text  # Feminita's notes
    assert "Темирлан Енсебек" in page.text  # the spellings it would match
    assert "Russia’s war on Ukraine" not in page.text  # bold, but not a name


def test_ticked_names_become_cases_and_are_not_proposed_again(team: Desk, briefing: int) -> None:
    page = read(team, briefing, BRIEFING.read_bytes())
    names = CHECKBOX.findall(page.text)
    ticked = [str(names.index("Aidos Sadykov")), str(names.index("Feminita"))]
    form = {
        "csrf_token": csrf_from(team.client, "/cases"),
        "document": str(briefing),
        "name": names,
        "notes": re.findall(r'name="notes" value="([^"]*)"', page.text),
        "accept": ticked,
    }
    answer = team.client.post("/cases/suggestions", data=form, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/cases?added=2"
    listing = team.client.get("/cases").text
    assert ">Aidos Sadykov</a>" in listing and ">Feminita</a>" in listing
    assert "Temirlan Yensebek" not in listing  # not ticked, not stored
    with team.database.session() as session:
        cases = {c.name: c for c in session.scalars(select(Case))}
        assert set(cases) == {"Aidos Sadykov", "Feminita"}
        notes = {c.footnote for c in cases["Aidos Sadykov"].citations}
        assert notes == {"29", "113", "114", "115", "116"}
    again = read(team, briefing, BRIEFING.read_bytes())
    assert "Aidos Sadykov" not in CHECKBOX.findall(again.text)
    assert len(CHECKBOX.findall(again.text)) == len(names) - 2
    assert re.search(r"Tracked already: [^<]*Aidos Sadykov", again.text)


def test_another_file_is_not_the_stored_document(team: Desk, briefing: int) -> None:
    other = BRIEFING.read_bytes() + b"\nOne more line.\n"
    page = read(team, briefing, other)
    assert page.status_code == 400
    assert "This file is not the stored document" in page.text
    assert CHECKBOX.findall(page.text) == []


def test_an_unknown_document_is_a_404(team: Desk, briefing: int) -> None:
    assert team.client.get(f"/cases/suggestions?document={briefing + 1}").status_code == 404
    assert team.client.get("/cases/suggestions").status_code == 404


def test_a_viewer_sees_the_page_but_no_form(desk: Desk) -> None:
    assert desk.workspace.cli("add", str(BRIEFING)).code == 0
    add_user(desk, "reader")
    login(desk.client, "reader", PASSWORD)
    page = desk.client.get("/cases/suggestions?document=1")
    assert page.status_code == 200
    assert "Only editors can add cases." in page.text
    assert 'action="/cases/suggestions/read"' not in page.text
