"""The one error a document can raise: it names the file and says what is wrong."""

from __future__ import annotations


class DocumentError(Exception):
    """A document that cannot be read: missing, unsupported, damaged, too large or empty."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name}: {problem}")
        self.name = name
        self.problem = problem
