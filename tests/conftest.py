"""Shared fixtures: the bundled example, and a fresh database on SQLite or PostgreSQL.

Also the suite's rules: no connection outside loopback, from this process (pytest-socket, set
up in pyproject.toml, and the loopback guard) or from any Python process a test starts (the
guard again, inherited through PYTHONPATH); Hypothesis deterministic unless asked otherwise.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import pytest_socket
from hypothesis import settings

from models import Database
from tests.support import EXAMPLE
from tests.support.databases import postgres_schema_url
from tests.support.offline import loopback_guard, with_guard
from tests.support.web import TestWeb
from tests.support.workspace import Workspace

# Deterministic by default, so CI and every developer see the same examples; a developer
# hunting for new counterexamples runs with HYPOTHESIS_PROFILE=explore.
settings.register_profile("citewatch", derandomize=True, database=None, deadline=None)
settings.register_profile("explore", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "citewatch"))


def pytest_configure(config: pytest.Config) -> None:
    """Guard this process and, through the environment, every child it starts."""
    os.environ["PYTHONPATH"] = with_guard(os.environ)["PYTHONPATH"]
    loopback_guard.install()
    # pytest-socket puts back the connect it found at import after each test: make that the
    # guarded one, so fixture teardown and collection are refused outside loopback too.
    pytest_socket._true_connect = socket.socket.connect


@pytest.fixture
def example_path() -> Path:
    return EXAMPLE


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each supported kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'citewatch.db'}"
    else:
        yield from postgres_schema_url()


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """An empty database, upgraded to the newest schema."""
    db = Database(database_url)
    db.upgrade()
    yield db
    db.dispose()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    """Environment for in-process CLI runs: a private data directory and database."""
    for name in list(os.environ):
        if name.startswith("CITEWATCH_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    monkeypatch.setenv("CITEWATCH_HOME", str(home))
    monkeypatch.setenv("CITEWATCH_DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    return home


@pytest.fixture
def web() -> Iterator[TestWeb]:
    """The local test web (tests/support/web.py), for one test."""
    with TestWeb() as running:
        yield running


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """A data directory with the test configuration and a SQLite database, for one test."""
    return Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}")
