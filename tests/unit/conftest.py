"""Unit tests are pure: no server, no database. Enforced, so that none can slip in here."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from pytest_socket import disable_socket

MOVE = "unit tests use no {}: move this test to tests/component or tests/integration"
DATABASE_FIXTURES = frozenset({"database", "database_url", "cli_env"})


@pytest.fixture(autouse=True)
def no_server_no_database(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """No socket but Unix ones (asyncio's self-pipe), no database fixture, no SQLite file."""
    if DATABASE_FIXTURES.intersection(request.fixturenames):
        pytest.fail(MOVE.format("database fixture"))

    def refuse(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        raise AssertionError(MOVE.format("database"))

    disable_socket(allow_unix_socket=True)  # pytest-socket lifts it after each test
    monkeypatch.setattr(sqlite3, "connect", refuse)
