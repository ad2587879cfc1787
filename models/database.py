"""Engines, sessions and schema upgrades for SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
SUPPORTED_BACKENDS = ("sqlite", "postgresql")
SQLITE_BUSY_TIMEOUT_MS = 30_000  # a crawl and a CLI may write at once; wait instead of failing


# Every engine of this process: a forked child (a crawl) leaves the parent's pooled connections
# alone and opens its own (SQLAlchemy's advice for os.fork).
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def _forget_connections_in_child() -> None:
    for engine in list(_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_connections_in_child)


class DatabaseError(Exception):
    """The database cannot be reached, or its schema does not fit this version."""


class PoolSettings(Protocol):
    """How many PostgreSQL connections a process keeps (config.DatabaseConfig is one)."""

    @property
    def pool_size(self) -> int: ...

    @property
    def max_overflow(self) -> int: ...

    @property
    def pool_recycle_seconds(self) -> int: ...  # 0: never


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for postgresql:// URLs that name no driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def alembic_config(connection: Any = None) -> AlembicConfig:
    """An Alembic configuration pointing at the bundled migrations."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


class Database:
    """One database: an engine, a session factory, and its Alembic schema version."""

    def __init__(self, url: str, echo: bool = False, pool: PoolSettings | None = None) -> None:
        try:
            parsed = make_url(normalise_url(url))
        except ArgumentError as exc:
            raise DatabaseError(f"invalid database URL {url!r}: {exc}") from exc
        self.display_url = parsed.render_as_string(hide_password=True)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if parsed.get_backend_name() not in SUPPORTED_BACKENDS:
            raise DatabaseError(f"{self.display_url}: citewatch runs on SQLite or PostgreSQL only")
        if self.is_sqlite and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        options: dict[str, Any] = {}
        if not self.is_sqlite:
            options["pool_pre_ping"] = True  # a connection the server closed is replaced
            if pool is not None:
                options["pool_size"] = pool.pool_size
                options["max_overflow"] = pool.max_overflow
                options["pool_recycle"] = pool.pool_recycle_seconds or -1
        try:
            self.engine: Engine = create_engine(parsed, echo=echo, **options)
        except (ArgumentError, ImportError) as exc:
            raise DatabaseError(f"cannot use database {self.display_url}: {exc}") from exc
        _ENGINES.add(self.engine)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        try:
            with self.sessions.begin() as session:
                yield session
        except SQLAlchemyError as exc:
            raise DatabaseError(f"database {self.display_url}: {exc}") from exc

    def head_revision(self) -> str | None:
        """The newest schema revision this version of citewatch knows."""
        return ScriptDirectory.from_config(alembic_config()).get_current_head()

    def current_revision(self) -> str | None:
        """The schema revision the database is at (None when empty)."""
        try:
            with self.engine.connect() as connection:
                return MigrationContext.configure(connection).get_current_revision()
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot open database {self.display_url}: {exc}") from exc

    def upgrade(self) -> tuple[str | None, str | None]:
        """Migrate the schema to the newest revision; returns (before, after)."""
        before = self.current_revision()
        known = {
            script.revision
            for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()
        }
        if before is not None and before not in known:
            raise DatabaseError(
                f"database {self.display_url} is at schema {before}, "
                "newer than this version of citewatch knows"
            )
        try:
            with self.engine.begin() as connection:
                command.upgrade(alembic_config(connection), "head")
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot upgrade database {self.display_url}: {exc}") from exc
        return before, self.current_revision()

    def ensure_schema(self) -> None:
        """Upgrade on first use, so users never run migrations by hand."""
        if self.current_revision() != self.head_revision():
            self.upgrade()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """WAL for concurrent readers, a busy timeout for concurrent writers, enforced foreign keys."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
