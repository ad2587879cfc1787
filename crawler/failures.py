"""One table from what went wrong in a fetch to its outcome class (no ladder of excepts)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from OpenSSL.SSL import Error as OpenSSLError
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
    StopDownload,
    UnsupportedURLSchemeError,
)
from twisted.internet.defer import CancelledError
from twisted.internet.error import (
    ConnectError,
    ConnectionAborted,
    ConnectionDone,
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    SSLError,
    TCPTimedOutError,
)
from twisted.internet.error import TimeoutError as TwistedTimeoutError
from twisted.python.failure import Failure
from twisted.web._newclient import ParseError, ResponseFailed, ResponseNeverReceived

from crawler.policy import BlockedAddressError, BlockedByPolicyError
from models.kinds import Outcome


class BodyTooLargeError(StopDownload):
    """A body went over the size cap while it streamed in (an endless or oversized body without
    a Content-Length): the download stops there, the response's status and headers known."""

    def __init__(self, received: int, limit: int) -> None:
        super().__init__(fail=True)
        self.received, self.limit = received, limit

    def __str__(self) -> str:
        return f"body over the download max size ({self.limit} bytes): {self.received} received"


class HeadersTooLargeError(Exception):
    """A response's status line and headers went over the cap (an endless header section)."""

    def __init__(self, limit: int, line: bool = False) -> None:
        super().__init__(
            f"a response header line over {limit} bytes"
            if line
            else f"response headers over {limit} bytes"
        )


@dataclass(frozen=True)
class Rule:
    """Exceptions of these types (whose message holds `says`, if given) mean this outcome."""

    outcome: Outcome
    types: tuple[type[BaseException], ...]
    says: str | None = None


# First match wins, looking at the exception and everything it wraps.
RULES: tuple[Rule, ...] = (
    Rule(Outcome.POLICY, (BlockedByPolicyError, BlockedAddressError, UnsupportedURLSchemeError)),
    Rule(Outcome.POLICY, (IgnoreRequest,), "robots.txt"),
    Rule(Outcome.TOO_LARGE, (BodyTooLargeError, HeadersTooLargeError)),
    Rule(Outcome.TOO_LARGE, (DownloadCancelledError, CancelledError, IgnoreRequest), "max size"),
    Rule(Outcome.TOO_LARGE, (IgnoreRequest,), "maxsize"),
    Rule(Outcome.REDIRECT_LOOP, (IgnoreRequest,), "max redirections"),
    Rule(Outcome.TLS_ERROR, (OpenSSLError, SSLError)),
    Rule(Outcome.DNS_FAILURE, (CannotResolveHostError, DNSLookupError)),
    Rule(Outcome.REFUSED, (DownloadConnectionRefusedError, ConnectionRefusedError)),
    Rule(Outcome.TIMEOUT, (DownloadTimeoutError, TwistedTimeoutError, TCPTimedOutError)),
    # An answer that is not HTTP (a garbage status line, a Content-Length that is no number) is
    # the server's error, not a reset connection: not retried, shown with the parser's words.
    Rule(Outcome.ERROR, (ParseError, ValueError)),
    Rule(
        Outcome.RESET,
        (
            ResponseDataLossError,
            ConnectionLost,
            ConnectionDone,
            ConnectionAborted,
            ResponseNeverReceived,
            DownloadFailedError,
            ConnectError,
        ),
    ),
)


def classify_failure(error: BaseException) -> Outcome:
    """The outcome class of a failed fetch."""
    chain = list(_chain(error))
    for rule in RULES:
        for link in chain:
            if isinstance(link, rule.types) and (
                rule.says is None or rule.says in str(link).lower()
            ):
                return rule.outcome
    return Outcome.ERROR


def describe_failure(error: BaseException) -> str:
    """A one-line account of the failure, innermost cause included (Twisted's wrappers, whose
    text is a list of Failure reprs, are left out: their reasons are in the chain)."""
    chain = [link for link in _chain(error) if str(link) and not _wrapper(link)]
    parts = [f"{type(link).__name__}: {link}" for link in chain[:3]]
    return " ".join(" <- ".join(parts).split()) or type(error).__name__


def _wrapper(link: BaseException) -> bool:
    return isinstance(link, ResponseFailed | ResponseNeverReceived) or str(link).startswith(
        "[<twisted.python.failure.Failure"
    )


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, its causes and contexts, and the reasons Twisted's ResponseFailed carries."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        link = pending.pop(0)
        if id(link) in seen:
            continue
        seen.add(id(link))
        yield link
        if isinstance(link, ResponseFailed | ResponseNeverReceived):
            pending.extend(
                r.value
                for r in link.reasons
                if isinstance(r, Failure) and isinstance(r.value, BaseException)
            )
        for inner in (link.__cause__, link.__context__):
            if isinstance(inner, BaseException):
                pending.append(inner)
