"""Who may do what, over real HTTP: a viewer reads every page and changes nothing, an editor
changes documents, links and cases but not the alerts or the users, an admin does both.

Each POST carries a valid CSRF token and refers to objects that exist, so a 403 is the role
check and nothing else; the database is compared before and after what was refused."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from models import Case, Document, Target, User
from models.kinds import LinkState
from tests.support.pages import ZHYLANBAEV_RU, article_page
from tests.support.web import Reply, TestWeb
from tests.web.conftest import PASSWORD, Desk, csrf_from, login

READABLE = ("/documents", "/cases", "/runs", "/sources", "/alerts")


@dataclass
class Stock:
    """A stored document citing one page of the local test web, its link, a tracked case."""

    desk: Desk
    document_id: int
    target_id: int
    case_id: int
    file_name: str
    file_bytes: bytes


@pytest.fixture
def stock(team: Desk) -> Iterator[Stock]:
    with TestWeb() as web:
        url = web[0].route("/news/1.html", Reply.html(article_page(ZHYLANBAEV_RU)))
        path = team.workspace.document([url])
        assert team.workspace.cli("add", str(path)).code == 0
        assert team.workspace.cli("case", "add", "Marat Zhylyanbaev").code == 0
        with team.database.session() as session:
            document_id = session.scalars(select(Document.id)).one()
            target_id = session.scalars(select(Target.id)).one()
            case_id = session.scalars(select(Case.id)).one()
        yield Stock(team, document_id, target_id, case_id, path.name, path.read_bytes())


@dataclass(frozen=True)
class Action:
    """A POST that changes something, and the weakest role allowed to make it."""

    label: str
    role: str
    path: str
    data: dict[str, Any]
    upload: str | None = None  # the form field that carries the stock document's file


def actions(stock: Stock) -> list[Action]:
    """Every POST of the dashboard that needs more than a viewer (`require(` in web/)."""
    document = str(stock.document_id)
    return [
        Action("case add", "editor", "/cases/new", {"name": "Aidos Sadykov"}),
        Action("spellings accept", "editor", f"/cases/{stock.case_id}/spellings", {"alias": []}),
        Action(
            "suggestions read", "editor", "/cases/suggestions/read", {"document": document}, "file"
        ),
        Action(
            "suggestions accept",
            "editor",
            "/cases/suggestions",
            {"document": document, "name": ["Dinara Smailova"], "notes": ["1"], "accept": ["0"]},
        ),
        Action("link override", "editor", f"/links/{stock.target_id}/override", {"state": "dead"}),
        Action("document upload", "editor", "/documents", {}, "document"),
        Action("archive now", "editor", f"/documents/{document}/archive", {}),
        Action("check now", "editor", f"/documents/{document}/check", {}),
        Action("alerts test message", "admin", "/alerts/test", {}),
        Action(
            "users",
            "admin",
            "/users",
            {"action": "add", "name": "bolat", "password": PASSWORD, "role": "viewer"},
        ),
    ]


def post(stock: Stock, action: Action) -> int:
    """The status of the action's POST (a run it started is waited for)."""
    client = stock.desk.client
    data = {**action.data, "csrf_token": csrf_from(client, "/cases")}
    files = None
    if action.upload == "file":  # the stored document's own file, to read its names in bold
        files = {"file": (stock.file_name, stock.file_bytes, "text/plain")}
    elif action.upload:  # a new document
        new = stock.file_bytes + b"\nOne more line.\n"
        files = {action.upload: ("other-" + stock.file_name, new, "text/plain")}
    answer = client.post(action.path, data=data, files=files, follow_redirects=False)
    if answer.status_code == 303 and action.label in ("archive now", "check now"):
        wait_for_job(client)
    return answer.status_code


def wait_for_job(client: TestClient) -> None:
    deadline = time.monotonic() + 60
    job = client.get("/jobs/current").json()
    while job["status"] == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
        job = client.get("/jobs/current").json()
    assert job["status"] == "done", job


def state(desk: Desk) -> tuple[Any, ...]:
    """What the refused actions would have changed."""
    with desk.database.session() as session:
        return (
            sorted(session.scalars(select(Case.name))),
            [(c.id, len(c.terms), len(c.citations)) for c in session.scalars(select(Case))],
            session.scalars(select(Target.override)).all(),
            session.scalar(select(func.count()).select_from(Document)),
            session.scalar(select(func.max(Target.last_checked_at))),
            sorted(session.scalars(select(User.name))),
        )


def test_a_viewer_reads_every_page(stock: Stock) -> None:
    client = stock.desk.client
    assert login(client, "viewer", PASSWORD).status_code == 303
    pages = (
        *READABLE,
        f"/documents/{stock.document_id}",
        f"/links/{stock.target_id}",
        f"/cases/{stock.case_id}",
        f"/cases/suggestions?document={stock.document_id}",
    )
    assert {path: client.get(path).status_code for path in pages} == dict.fromkeys(pages, 200)
    assert client.get("/users").status_code == 403


def test_a_viewer_changes_nothing(stock: Stock) -> None:
    assert login(stock.desk.client, "viewer", PASSWORD).status_code == 303
    before = state(stock.desk)
    found = {a.label: post(stock, a) for a in actions(stock)}
    assert found == {a.label: 403 for a in actions(stock)}
    assert state(stock.desk) == before


def test_an_editor_changes_documents_links_and_cases_not_alerts_or_users(stock: Stock) -> None:
    client = stock.desk.client
    assert login(client, "editor", PASSWORD).status_code == 303
    assert {path: client.get(path).status_code for path in READABLE} == dict.fromkeys(READABLE, 200)
    found = {a.label: post(stock, a) for a in actions(stock)}
    assert found == {
        "case add": 303,
        "spellings accept": 303,
        "suggestions read": 200,
        "suggestions accept": 303,
        "link override": 303,
        "document upload": 303,
        "archive now": 303,
        "check now": 303,
        "alerts test message": 403,
        "users": 403,
    }
    assert client.get("/users").status_code == 403
    names, _, overrides, documents, checked, users = state(stock.desk)
    assert names == ["Aidos Sadykov", "Dinara Smailova", "Marat Zhylyanbaev"]
    assert overrides == [LinkState.DEAD] and documents == 2 and checked is not None
    assert users == ["admin", "editor", "viewer"]


def test_an_admin_sends_the_test_message_and_manages_users(stock: Stock) -> None:
    client = stock.desk.client
    assert login(client, "admin", PASSWORD).status_code == 303
    admin_only = [a for a in actions(stock) if a.role == "admin"]
    assert {a.label: post(stock, a) for a in admin_only} == {a.label: 303 for a in admin_only}
    assert client.get("/users").status_code == 200
    assert "bolat" in state(stock.desk)[-1]
