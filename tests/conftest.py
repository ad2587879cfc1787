"""Shared fixtures: the bundled example, and a fresh database on SQLite or PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from models import Database
from tests.support import EXAMPLE
from tests.support.databases import postgres_schema_url


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
