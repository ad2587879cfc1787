"""The schema: Alembic builds it on empty SQLite and PostgreSQL, and it matches the models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from cli import main
from models import Base, Database, Document
from models.database import normalise_url


def test_upgrade_head_builds_every_table(database_url: str) -> None:
    database = Database(database_url)
    assert database.current_revision() is None
    before, after = database.upgrade()
    assert (before, after) == (None, database.head_revision())
    tables = set(inspect(database.engine).get_table_names())
    assert {"documents", "citations", "targets", "alembic_version"} <= tables
    assert database.upgrade() == (after, after)  # a second upgrade is a no-op
    database.dispose()


def test_models_and_migrations_agree(database: Database) -> None:
    with database.engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
        )
    assert differences == []


def test_times_come_back_as_aware_utc(database: Database) -> None:
    almaty = timezone(timedelta(hours=5))
    with database.session() as session:
        session.add(
            Document(
                title="t",
                source_name="t.txt",
                content_hash="0" * 64,
                format="txt",
                size_bytes=1,
                note_count=0,
                added_at=datetime(2025, 2, 20, 14, 0, tzinfo=almaty),
            )
        )
    with database.session() as session:
        stored = session.get(Document, 1)
        assert stored is not None
        assert stored.added_at == datetime(2025, 2, 20, 9, 0, tzinfo=UTC)
        assert stored.added_at.tzinfo is not None


def test_naive_times_are_refused(database: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"), database.session() as session:
        session.add(
            Document(
                title="t",
                source_name="t.txt",
                content_hash="1" * 64,
                format="txt",
                size_bytes=1,
                note_count=0,
                added_at=datetime(2025, 2, 20, 14, 0),
            )
        )
        session.flush()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'db' / 'citewatch.db'}")
    with database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    database.dispose()


def test_db_commands(cli_env: Path, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    head = Database(database_url).head_revision()
    assert main(["db", "current"]) == 0
    assert "schema (empty), behind" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert f"upgraded schema (empty) -> {head}" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert f"already at schema {head}" in capsys.readouterr().out
    assert main(["db", "current"]) == 0
    assert f"schema {head}, up to date" in capsys.readouterr().out


def test_the_cli_upgrades_an_empty_database_on_first_use(cli_env: Path, database_url: str) -> None:
    database = Database(database_url)
    assert database.current_revision() is None
    assert main(["documents"]) == 0
    assert database.current_revision() == database.head_revision()
    database.dispose()


def test_database_errors_are_reported(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CITEWATCH_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    assert main(["documents"]) == 5
    err = capsys.readouterr().err
    assert err.startswith(
        "citewatch: error: cannot open database postgresql+psycopg://nobody@127.0.0.1:1/none"
    )
    monkeypatch.setenv("CITEWATCH_DATABASE_URL", "mysql://root@localhost/test")
    assert main(["documents"]) == 5
    assert "citewatch runs on SQLite or PostgreSQL only" in capsys.readouterr().err


def test_postgres_urls_use_psycopg_3() -> None:
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"
