"""Errors raised by commands themselves, and the exit code of every error the CLI reports."""

from __future__ import annotations

from citations.errors import DocumentError
from config import ConfigError
from models import DatabaseError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class CommandError(Exception):
    """A command that cannot do what was asked (e.g. an unknown document id)."""


# One table from error type to exit code, instead of a ladder of except clauses.
EXIT_CODES: dict[type[Exception], int] = {
    CommandError: EXIT_FAILED,
    ConfigError: 3,
    DocumentError: 4,
    DatabaseError: 5,
}
