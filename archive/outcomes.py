"""What a fetch attempt can end in: a response, or one kind of failure."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """The outcome class stored with every snapshot."""

    FETCHED = "fetched"  # an HTTP response was received and archived (see its status)
    DNS_FAILURE = "dns_failure"
    REFUSED = "refused"
    RESET = "reset"
    TLS_ERROR = "tls_error"
    TIMEOUT = "timeout"
    TOO_LARGE = "too_large"
    POLICY = "policy"  # refused by citewatch itself: scheme, private address, robots.txt
    REDIRECT_LOOP = "redirect_loop"
    ERROR = "error"  # anything else, with the error text


class Extraction(StrEnum):
    """How getting the text out of an archived payload went."""

    OK = "ok"
    EMPTY = "empty"  # a page without main text (a login wall, an image)
    UNSUPPORTED = "unsupported"  # a content type we do not read
    FAILED = "failed"
    TIMEOUT = "timeout"
    SKIPPED = "skipped"  # nothing to extract: an error status or no payload
