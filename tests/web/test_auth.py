"""Users, roles and sessions: signing in, local mode, who may see and do what."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from models import User as UserRow
from tests.web.conftest import BASE_URL, PASSWORD, Desk, add_user, csrf_from, login
from web import auth
from web.app import create_app

NOW = datetime(2025, 2, 20, 9, 0, tzinfo=UTC)


def test_local_mode_without_users_needs_no_login(desk: Desk) -> None:
    page = desk.client.get("/documents")
    assert page.status_code == 200
    assert "local admin" in page.text
    assert desk.client.get("/users").status_code == 200  # the local admin is an admin


def test_not_on_loopback_everyone_signs_in_even_without_users(desk: Desk) -> None:
    with TestClient(create_app(desk.config, desk.database, local=False), BASE_URL) as client:
        page = client.get("/documents", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/documents"


def test_with_users_every_page_asks_for_a_login(team: Desk) -> None:
    page = team.client.get("/documents?sort=title", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/documents%3Fsort%3Dtitle"
    assert team.client.get("/login").status_code == 200
    assert team.client.get("/static/app.css").status_code == 200


def test_a_wrong_password_is_refused(team: Desk) -> None:
    answer = login(team.client, "editor", "not the password")
    assert answer.status_code == 401
    assert "Wrong user name or password." in answer.text
    assert "not the password" not in answer.text  # never echoed
    assert team.client.get("/documents", follow_redirects=False).status_code == 303


def test_an_unknown_name_is_refused_the_same_way(team: Desk) -> None:
    answer = login(team.client, "nobody", PASSWORD)
    assert answer.status_code == 401
    assert "Wrong user name or password." in answer.text


def test_the_right_password_opens_a_session_and_returns_to_the_page(team: Desk) -> None:
    answer = login(team.client, "editor", PASSWORD, next_path="/documents?x=1")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/documents?x=1"
    page = team.client.get("/documents")
    assert page.status_code == 200
    assert "<strong>editor</strong>" in page.text
    assert 'href="/users"' not in page.text  # the Users link is for admins


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_next_never_leaves_the_site(team: Desk, target: str) -> None:
    answer = login(team.client, "viewer", PASSWORD, next_path=target)
    assert answer.headers["location"] == "/documents"


def test_sign_out_ends_the_session(team: Desk) -> None:
    login(team.client, "viewer", PASSWORD)
    token = csrf_from(team.client, "/documents")
    answer = team.client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303
    assert team.client.get("/documents", follow_redirects=False).status_code == 303


def test_a_viewer_may_not_open_or_change_the_users(team: Desk) -> None:
    login(team.client, "viewer", PASSWORD)
    page = team.client.get("/users")
    assert page.status_code == 403
    assert "This needs the admin role; you are signed in as viewer." in page.text
    token = csrf_from(team.client, "/documents")
    form = {"csrf_token": token, "action": "add", "name": "mallory", "role": "admin"}
    answer = team.client.post("/users", data={**form, "password": "12345678"})
    assert answer.status_code == 403
    with team.database.session() as session:
        assert session.scalar(select(UserRow).where(UserRow.name == "mallory")) is None


def test_an_editor_is_not_an_admin_either(team: Desk) -> None:
    login(team.client, "editor", PASSWORD)
    assert team.client.get("/users").status_code == 403


def test_an_admin_adds_and_removes_users_on_the_users_page(team: Desk) -> None:
    login(team.client, "admin", PASSWORD)
    page = team.client.get("/users")
    assert page.status_code == 200
    assert "viewer" in page.text and "editor" in page.text
    token = csrf_from(team.client, "/users")
    form = {"csrf_token": token, "action": "add", "name": "aigerim", "role": "editor"}
    answer = team.client.post("/users", data={**form, "password": "long enough"})
    assert answer.status_code == 200 and "aigerim" in answer.text
    short = team.client.post("/users", data={**form, "name": "bolat", "password": "short"})
    assert short.status_code == 400
    assert "too short" in short.text
    gone = team.client.post(
        "/users", data={"csrf_token": token, "action": "remove", "name": "aigerim"}
    )
    assert gone.status_code == 200
    with team.database.session() as session:
        assert [a.name for a in auth.list_users(session)] == ["admin", "editor", "viewer"]


def test_a_removed_user_is_signed_out_at_the_next_request(team: Desk) -> None:
    login(team.client, "viewer", PASSWORD)
    assert team.client.get("/documents", follow_redirects=False).status_code == 200
    with team.database.session() as session:
        auth.remove_user(session, "viewer")
    assert team.client.get("/documents", follow_redirects=False).status_code == 303


def test_a_new_password_ends_the_sessions_opened_with_the_old_one(team: Desk) -> None:
    login(team.client, "viewer", PASSWORD)
    with team.database.session() as session:
        auth.change_password(session, "viewer", "another password", datetime.now(UTC))
    assert team.client.get("/documents", follow_redirects=False).status_code == 303
    assert login(team.client, "viewer", PASSWORD).status_code == 401
    assert login(team.client, "viewer", "another password").status_code == 303


def test_adding_the_first_user_ends_local_mode_at_once(desk: Desk) -> None:
    assert desk.client.get("/documents", follow_redirects=False).status_code == 200
    add_user(desk, "admin", PASSWORD, "admin")
    assert desk.client.get("/documents", follow_redirects=False).status_code == 303


def test_passwords_are_stored_as_argon2id_hashes(desk: Desk) -> None:
    add_user(desk, "aigerim", PASSWORD, "editor")
    with desk.database.session() as session:
        row = session.scalars(select(UserRow)).one()
        assert row.password_hash.startswith("$argon2id$")
        assert PASSWORD not in row.password_hash
        assert auth.verify_login(session, "aigerim", PASSWORD) is not None
        assert auth.verify_login(session, "aigerim", PASSWORD + "x") is None


@pytest.mark.parametrize(
    ("name", "password", "role", "problem"),
    [
        ("viewer", PASSWORD, "viewer", "exists already"),
        ("new", "", "viewer", "empty"),
        ("new", "1234567", "viewer", "too short"),
        ("new", PASSWORD, "owner", "unknown role 'owner'"),
        ("two words", PASSWORD, "viewer", "no spaces"),
    ],
)
def test_users_that_cannot_be_added(
    team: Desk, name: str, password: str, role: str, problem: str
) -> None:
    with team.database.session() as session, pytest.raises(auth.UserError, match=problem):
        auth.add_user(session, name, password, role, NOW)


def test_unknown_users_cannot_be_changed(desk: Desk) -> None:
    with desk.database.session() as session:
        with pytest.raises(auth.UserError, match="no user named 'ghost'"):
            auth.remove_user(session, "ghost")
        with pytest.raises(auth.UserError, match="no user named 'ghost'"):
            auth.change_password(session, "ghost", PASSWORD, NOW)


@pytest.mark.parametrize(
    ("role", "may"),
    [("viewer", (True, False, False)), ("editor", (True, True, False)), ("admin", (True,) * 3)],
)
def test_roles_are_ordered(role: str, may: tuple[bool, ...]) -> None:
    assert tuple(auth.User("someone", role).may(r) for r in auth.ROLES) == may
