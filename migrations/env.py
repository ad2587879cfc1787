"""Alembic environment: migrate the connection citewatch hands over, or the configured database."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection

import models  # noqa: F401  (registers every table on the metadata)
from models.base import Base, UTCDateTime

config = context.config


def _render_item(kind: str, item: Any, autogen_context: Any) -> str | bool:
    """Write the UTC timestamp type as a plain DateTime, so migrations never import models."""
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    """Use the caller's connection, else the database named by citewatch's configuration."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    from config import from_environment
    from models.database import Database

    settings = from_environment()
    if context.is_offline_mode():
        context.configure(
            url=Database(settings.database_url).engine.url,
            target_metadata=Base.metadata,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    database = Database(settings.database_url)
    with database.engine.begin() as own_connection:
        _configure(own_connection)


run()
