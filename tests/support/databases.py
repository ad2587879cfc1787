"""Databases for tests: a private PostgreSQL schema per test (or per module)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

# Set REQUIRE_POSTGRES=1 (CI does) to fail instead of skip when the server is not there.
POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextmanager
def private_schema(url: str, prefix: str = "citewatch_test") -> Iterator[str]:
    """A URL whose connections use a fresh schema of the database at `url`, dropped afterwards
    (the tests' and the benchmarks' own database on a shared server)."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError:
        admin.dispose()
        raise
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def postgres_schema_url() -> Iterator[str]:
    """A URL whose connections use a fresh, private schema, dropped afterwards."""
    schema = private_schema(POSTGRES_URL)
    try:
        url = schema.__enter__()
    except OperationalError as exc:
        message = f"PostgreSQL not reachable at {POSTGRES_URL}: {exc.orig}"
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield url
    finally:
        schema.__exit__(None, None, None)
