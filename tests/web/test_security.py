"""CSRF tokens, security headers, the session cookie and login rate limits."""

from __future__ import annotations

import dataclasses
import stat
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from config import Config
from tests.web.conftest import BASE_URL, PASSWORD, Desk, csrf_from, login
from web.app import create_app
from web.security import SECRET_FILE, LoginLimiter, replay_origin, session_secret

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src http://replay.citewatch.localhost:8000; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
OUR_TEMPLATES = ("base.html", "login.html", "users.html")


def with_web(config: Config, **changes: Any) -> Config:
    return dataclasses.replace(config, web=dataclasses.replace(config.web, **changes))


@pytest.mark.parametrize("path", ["/documents", "/login", "/static/app.css", "/users"])
def test_every_response_carries_the_security_headers(desk: Desk, path: str) -> None:
    answer = desk.client.get(path)
    assert answer.headers["content-security-policy"] == CSP
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "same-origin"


def test_error_pages_carry_them_too(team: Desk) -> None:
    login(team.client, "viewer", PASSWORD)
    answer = team.client.get("/users")
    assert answer.status_code == 403
    assert answer.headers["content-security-policy"] == CSP


@pytest.mark.parametrize("name", OUR_TEMPLATES)
def test_templates_hold_no_inline_script_or_style(name: str) -> None:
    text = (Path(__file__).parents[2] / "web" / "templates" / name).read_text(encoding="utf-8")
    for forbidden in ("<script", "<style", "style=", "onclick", "onsubmit", "javascript:"):
        assert forbidden not in text.lower()


def test_the_session_cookie_is_httponly_and_samesite(team: Desk) -> None:
    answer = login(team.client, "viewer", PASSWORD)
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("citewatch_session=")
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain http on loopback: a Secure cookie would vanish


def test_the_cookie_is_secure_over_https(desk: Desk) -> None:
    with TestClient(create_app(desk.config, desk.database), "https://127.0.0.1:8443") as client:
        cookie = client.get("/login").headers["set-cookie"]
    assert "; secure" in cookie.lower()


def test_the_cookie_is_secure_when_the_base_url_is_https(desk: Desk) -> None:
    config = with_web(desk.config, base_url="https://citewatch.example.org")
    with TestClient(create_app(config, desk.database), BASE_URL) as client:
        cookie = client.get("/login").headers["set-cookie"]
    assert "; secure" in cookie.lower()


def test_a_post_without_the_csrf_token_is_refused(team: Desk) -> None:
    answer = team.client.post("/login", data={"name": "admin", "password": PASSWORD})
    assert answer.status_code == 403
    assert "did not come from this site" in answer.text
    assert team.client.get("/documents", follow_redirects=False).status_code == 303


def test_a_post_with_another_sessions_token_is_refused(team: Desk) -> None:
    stolen = csrf_from(TestClient(team.client.app, BASE_URL), "/login")
    csrf_from(team.client, "/login")  # this client has a session (and a token) of its own
    form = {"name": "admin", "password": PASSWORD, "csrf_token": stolen}
    assert team.client.post("/login", data=form).status_code == 403


def test_a_signed_in_post_needs_the_token_too(team: Desk) -> None:
    login(team.client, "admin", PASSWORD)
    form = {"action": "add", "name": "aigerim", "role": "viewer", "password": PASSWORD}
    assert team.client.post("/users", data=form).status_code == 403
    assert team.client.post("/users", data={**form, "csrf_token": "forged"}).status_code == 403
    token = csrf_from(team.client, "/users")
    assert team.client.post("/users", data={**form, "csrf_token": token}).status_code == 200


def test_a_post_from_the_replay_origin_is_refused_even_with_the_token(team: Desk) -> None:
    # The replay origin shares the dashboard's site, so its requests carry SameSite cookies: an
    # archived page that somehow held a token is still refused for where it posts from.
    login(team.client, "admin", PASSWORD)
    form = {"action": "add", "name": "aigerim", "role": "viewer", "password": PASSWORD}
    token = csrf_from(team.client, "/users")
    replayed = {"Origin": replay_origin(team.config)}
    refused = team.client.post("/users", data={**form, "csrf_token": token}, headers=replayed)
    assert refused.status_code == 403
    assert "did not come from this site" in refused.text
    own = {"Origin": BASE_URL}
    assert (
        team.client.post("/users", data={**form, "csrf_token": token}, headers=own).status_code
        == 200
    )


def test_the_token_may_come_in_a_header(team: Desk) -> None:
    login(team.client, "viewer", PASSWORD)
    token = csrf_from(team.client, "/documents")
    refused = team.client.post("/logout", headers={"X-CSRF-Token": "nope"})
    assert refused.status_code == 403
    answer = team.client.post("/logout", headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert answer.status_code == 303


def test_a_multipart_form_carries_its_token_through_to_the_page(team: Desk) -> None:
    token = csrf_from(team.client, "/login")
    form = {"name": "admin", "password": PASSWORD, "csrf_token": token, "next": "/users"}
    answer = team.client.post("/login", files={"x": ("x.txt", b"x")}, data=form)
    assert answer.status_code == 200
    assert answer.url.path == "/users"  # the handler read the same body after the check


def test_failed_logins_are_limited_per_minute(team: Desk) -> None:
    limit = team.config.web.login_attempts_per_minute
    for _ in range(limit):
        assert login(team.client, "admin", "wrong password").status_code == 401
    answer = login(team.client, "admin", PASSWORD)
    assert answer.status_code == 429
    assert "Too many failed attempts" in answer.text
    assert team.client.get("/documents", follow_redirects=False).status_code == 303


def test_the_limit_counts_addresses_and_names_and_forgets_after_a_minute() -> None:
    now = [1000.0]
    limiter = LoginLimiter(2, clock=lambda: now[0])
    limiter.failed("10.0.0.1", "aigerim")
    limiter.failed("10.0.0.2", "Aigerim")
    assert limiter.blocked("10.0.0.3", "aigerim")  # the name, from anywhere
    assert not limiter.blocked("10.0.0.1", "bolat")
    limiter.failed("10.0.0.1", "bolat")
    assert limiter.blocked("10.0.0.1", "someone")  # the address, for any name
    now[0] += 61
    assert not limiter.blocked("10.0.0.1", "aigerim")


def test_the_session_secret_is_made_once_and_kept_private(tmp_path: Path) -> None:
    secret = session_secret(tmp_path / "home")
    path = tmp_path / "home" / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(secret) >= 40
    assert session_secret(tmp_path / "home") == secret


def test_sessions_survive_a_restart_with_the_same_secret(team: Desk) -> None:
    login(team.client, "viewer", PASSWORD)
    cookies = dict(team.client.cookies)
    client = team.reopen()
    client.cookies.update(cookies)
    assert client.get("/documents", follow_redirects=False).status_code == 200


@pytest.mark.parametrize(
    ("host", "configured", "origin"),
    [
        ("127.0.0.1", "", "http://replay.citewatch.localhost:8000"),
        ("0.0.0.0", "", "http://replay.citewatch.localhost:8000"),
        ("127.0.0.1", "https://replay.example.org/", "https://replay.example.org"),
    ],
)
def test_the_replay_origin(desk: Desk, host: str, configured: str, origin: str) -> None:
    assert replay_origin(with_web(desk.config, host=host, replay_origin=configured)) == origin
