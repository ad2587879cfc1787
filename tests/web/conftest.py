"""The dashboard under Starlette's test client, on a workspace's configuration and database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from config import Config, from_environment
from models import Database
from tests.support.workspace import Workspace
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
    config = from_environment(workspace.config_path, workspace.home)
    database = Database(workspace.database_url)
    database.ensure_schema()
    client = TestClient(create_app(config, database), base_url=BASE_URL)
    return Desk(workspace, config, database, client)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    """An empty dashboard on SQLite."""
    workspace = Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}")
    opened = open_desk(workspace)
    yield opened
    opened.client.close()
    opened.database.dispose()
