"""The dashboard under Starlette's test client, on a workspace's configuration and database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import argon2
import pytest
from httpx2 import Response
from starlette.testclient import TestClient

from config import Config, from_environment
from models import Database
from tests.support.workspace import Workspace
from web import auth
from web.app import create_app


@dataclass
class Desk:
    """A workspace (CLI, data directory) and the dashboard on the same data."""

    workspace: Workspace
    config: Config
    database: Database
    client: TestClient

    def reopen(self) -> TestClient:
        """A new client on a new application (after the CLI changed configuration)."""
        self.client = TestClient(create_app(self.config, self.database), base_url=BASE_URL)
        return self.client


BASE_URL = "http://127.0.0.1:8000"


def open_desk(workspace: Workspace) -> Desk:
    """The dashboard on the workspace's data, as `citewatch serve` would run it there. The
    database is named in the configuration file, which crawls started from the dashboard read."""
    path = workspace.config_path
    if "[database]" not in path.read_text(encoding="utf-8"):
        with path.open("a", encoding="utf-8") as config_file:
            config_file.write(f'\n[database]\nurl = "{workspace.database_url}"\n')
    config = from_environment(path, workspace.home)
    database = Database(workspace.database_url)
    database.ensure_schema()
    client = TestClient(create_app(config, database), base_url=BASE_URL)
    return Desk(workspace, config, database, client)


@pytest.fixture(autouse=True)
def quick_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at its lowest cost here: the tests hash and verify hundreds of passwords, each
    taking 64 MiB and a tenth of a second at the production cost (the CLI tests keep it)."""
    from web import auth

    cheap = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(auth, "_hasher", cheap)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    """An empty dashboard on SQLite."""
    workspace = Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}")
    opened = open_desk(workspace)
    yield opened
    opened.client.close()
    opened.database.dispose()


PASSWORD = "correct horse battery"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(client: TestClient, path: str = "/login") -> str:
    """The CSRF token the forms of `path` carry for this client's session."""
    page = client.get(path)
    found = CSRF_FIELD.search(page.text)
    assert found, f"no csrf_token field on {path} ({page.status_code})"
    return found.group(1)


def login(client: TestClient, name: str, password: str, next_path: str = "/documents") -> Response:
    """Sign in through the login form as a browser would; the response is not followed."""
    token = csrf_from(client, "/login")
    return client.post(
        "/login",
        data={"name": name, "password": password, "next": next_path, "csrf_token": token},
        follow_redirects=False,
    )


def add_user(desk: Desk, name: str, password: str = PASSWORD, role: str = "viewer") -> None:
    """Store a user directly (the CLI's way is tested in tests/integration/test_serve_cli.py)."""
    with desk.database.session() as session:
        auth.add_user(session, name, password, role, datetime.now(UTC))


@pytest.fixture
def team(desk: Desk) -> Desk:
    """A dashboard with three users, one per role, each with password PASSWORD."""
    for role in auth.ROLES:
        add_user(desk, role, PASSWORD, role)
    return desk
