"""The declarative base, naming conventions and the UTC timestamp type shared by all tables."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from sqlalchemy import ColumnElement, DateTime, MetaData, Select, String
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Session
from sqlalchemy.types import TypeDecorator

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)
# Well under the limits on bound parameters (SQLite 3.32+: 32,766; PostgreSQL: 65,535).
IN_LIST_BATCH = 5000

# Stable constraint names, so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on the way in and out, also on SQLite which stores no zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; citewatch stores timezone-aware UTC only")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stored: datetime = value
        return stored.replace(tzinfo=UTC) if stored.tzinfo is None else stored.astimezone(UTC)


class EnumText(TypeDecorator[E]):
    """An enum stored as its value in a VARCHAR: readable in SQL, checked on the way in."""

    impl = String(20)
    cache_ok = True

    def __init__(self, kind: type[E], length: int = 20) -> None:
        super().__init__(length)
        self.kind = kind

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return str(self.kind(value))  # raises ValueError on a value the enum does not know

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        return None if value is None else self.kind(value)


class Base(DeclarativeBase):
    """Base class of every citewatch table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime}


def batches(items: Sequence[T], size: int = IN_LIST_BATCH) -> Iterator[Sequence[T]]:
    """Slices of at most `size` items, for IN (...) lists every database accepts."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def pages(
    session: Session,
    query: Select[Any],
    key: ColumnElement[int] | InstrumentedAttribute[int],
    of: Callable[[T], int],
    size: int = 500,
) -> Iterator[list[T]]:
    """A query's rows `size` at a time, in order of the integer `key` (`of(row)` reads it off a
    row): each page is read after the one before has been used, so a long result never sits in
    memory whole, and rows the caller changes or deletes between pages are not skipped."""
    last = 0
    while rows := list(session.scalars(query.where(key > last).order_by(key).limit(size))):
        yield rows
        last = of(rows[-1])
