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
    OSError: EXIT_FAILED,  # a file or directory the command must write: one line, no traceback
}


def error_line(exc: Exception) -> str:
    """The one line an error is reported as: the file and what the system said about it."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror if exc.filename is None else f"{exc.filename}: {exc.strerror}"
    return " ".join(str(exc).split())
