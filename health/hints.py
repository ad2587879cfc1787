"""Typo hints: a host that does not resolve, next to a similar host serving the same paths.

Converted documents mangle links: "last.kz/novosti/63501-..." beside many "vlast.kz/novosti/..."
is almost certainly a lost letter, and the researcher wants to be told so.
"""

from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

from rapidfuzz.distance import Levenshtein

MAX_HOST_EDITS = 2


def path_shape(path: str) -> tuple[str, int, str, bool]:
    """A path's kind: first segment, depth, extension, and whether the last segment is an id."""
    segments = [s for s in path.split("/") if s]
    if not segments:
        return ("", 0, "", False)
    last = segments[-1]
    return (segments[0], len(segments), posixpath.splitext(last)[1], last[:1].isdigit())


def typo_hint(url: str, neighbours: Iterable[tuple[str, str]]) -> str | None:
    """A hint for an unresolvable URL, from (URL, state) of the other links in its documents."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    shape = path_shape(parts.path)
    if not host or shape[1] == 0:
        return None
    serving: Counter[str] = Counter()
    for other, state in neighbours:
        other_parts = urlsplit(other)
        other_host = other_parts.hostname or ""
        if (
            other_host
            and other_host != host
            and state != "dead"
            and path_shape(other_parts.path) == shape
        ):
            serving[other_host] += 1
    close = [
        (Levenshtein.distance(host, candidate), -count, candidate)
        for candidate, count in serving.items()
        if Levenshtein.distance(host, candidate) <= MAX_HOST_EDITS or host in candidate
    ]
    if not close:
        return None
    _, _, best = min(close)
    netloc = best if parts.port is None else f"{best}:{parts.port}"
    suggestion = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    return (
        f"did you mean {best}? {host} does not resolve, and {best}, cited in the same document, "
        f"serves the same kind of path: {suggestion}"
    )
