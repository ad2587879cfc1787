"""Every kind of value the index stores as a word: outcomes, verdicts, states, run and event kinds.

Stored through `EnumText` (models.base): the column holds the value as text, the model hands
back the enum member, and a misspelt value fails loudly instead of being stored.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """What a fetch attempt ended in: a response, or one kind of failure."""

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


class Verdict(StrEnum):
    """What one check of a link found."""

    OK = "ok"
    REDIRECTED = "redirected"
    SOFT_404 = "soft_404"
    NOT_FOUND = "not_found"
    GONE = "gone"
    BLOCKED = "blocked"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    UNREACHABLE = "unreachable"
    DRIFTED = "drifted"


# The verdicts of a good copy: the page as it was cited, at its address or at a new one.
GOOD_VERDICTS = frozenset({Verdict.OK, Verdict.REDIRECTED})


class LinkState(StrEnum):
    """Where a link stands."""

    ALIVE = "alive"
    SUSPECT = "suspect"  # the last check failed, death not confirmed
    DEAD = "dead"
    DRIFTED = "drifted"
    BLOCKED = "blocked"
    UNKNOWN = "unknown"  # never checked


class RunKind(StrEnum):
    """What a crawl run fetched."""

    ARCHIVE = "archive"  # cited targets not yet archived
    CHECK = "check"  # cited targets due for a check
    WATCH = "watch"  # watched sources and their new articles
    REPORT = "report"  # one report page fetched for `citewatch add URL`


# Runs whose fetches are checks of cited links: verdicts and link states follow them.
JUDGED_RUNS = frozenset({RunKind.ARCHIVE, RunKind.CHECK})


class RunStatus(StrEnum):
    """Where a crawl run stands."""

    RUNNING = "running"  # started, or cut short: the next run with the same scope resumes it
    FINISHED = "finished"  # got through its plan
    FAILED = "failed"  # stopped by an error that running again will not cure by itself


class StepStatus(StrEnum):
    """How a step of the nightly cycle ended."""

    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"  # nothing to do (no sources watched)
    DEFERRED = "deferred"  # mail kept in the outbox: no server configured


class EventKind(StrEnum):
    """Something worth telling a researcher."""

    CASE_UPDATE = "case_update"
    LINK_DEAD = "link_dead"
    LINK_DRIFTED = "link_drifted"
    LINK_RECOVERED = "link_recovered"


class NightlyStep(StrEnum):
    """The steps of the nightly cycle, in the order they run."""

    ARCHIVE = "archive"
    CHECK = "check"
    WATCH = "watch"
    DIGEST = "digest"
