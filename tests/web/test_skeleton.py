"""The dashboard answers: the documents page, with nothing stored yet."""

from __future__ import annotations

from tests.web.conftest import Desk


def test_an_empty_desk_says_there_is_no_document(desk: Desk) -> None:
    page = desk.client.get("/documents")
    assert page.status_code == 200
    assert "No document yet." in page.text
