"""Canonical URLs: one spelling per cited resource, for de-duplication and fetching."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

from w3lib.url import safe_url_string

from config.schema import DEFAULT_TRACKING_PARAMS

DEFAULT_PORTS = {"http": 80, "https": 443}
# A scheme is a name and a colon not followed by a port number ("example.org:8080/a" has none).
SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:(?!\d)")
PERCENT_RE = re.compile(r"%([0-9a-fA-F]{2})")
UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
HOST_RE = re.compile(
    r"^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.?$"
)
# Fragments that route a single-page application select content; all others only scroll.
ROUTING_FRAGMENT_PREFIXES = ("!", "/")
TEXT_DIRECTIVE = ":~:"


class UrlError(ValueError):
    """A cited URL that cannot be parsed into an http(s) address."""


@dataclass(frozen=True)
class TrackingRules:
    """Which query parameters to drop: exact names, name prefixes, and name=value pairs."""

    names: frozenset[str]
    prefixes: tuple[str, ...]
    pairs: frozenset[tuple[str, str]]

    @classmethod
    def from_patterns(cls, patterns: Iterable[str]) -> TrackingRules:
        """Build rules from config entries such as "utm_*", "fbclid", "ref=embed_post"."""
        names: set[str] = set()
        prefixes: list[str] = []
        pairs: set[tuple[str, str]] = set()
        for pattern in patterns:
            pattern = pattern.strip().lower()
            if not pattern:
                continue
            if "=" in pattern:
                name, _, value = pattern.partition("=")
                pairs.add((name, value))
            elif pattern.endswith("*"):
                prefixes.append(pattern[:-1])
            else:
                names.add(pattern)
        return cls(frozenset(names), tuple(prefixes), frozenset(pairs))

    def drops(self, name: str, value: str) -> bool:
        """Whether a query parameter only tracks the reader."""
        name = name.lower()
        return (
            name in self.names
            or any(name.startswith(prefix) for prefix in self.prefixes)
            or (name, value.lower()) in self.pairs
        )


DEFAULT_RULES = TrackingRules.from_patterns(DEFAULT_TRACKING_PARAMS)


def canonical_url(
    url: str, rules: TrackingRules = DEFAULT_RULES, default_scheme: str = "https"
) -> str:
    """Lowercase scheme and host, IDNA, no default port, no fragment or tracking parameters."""
    text = url.strip()
    if not text:
        raise UrlError("empty URL")
    if text.startswith("//"):
        text = f"{default_scheme}:{text}"
    elif not SCHEME_RE.match(text):
        text = f"{default_scheme}://{text}"
    if any(ch.isspace() for ch in text):
        raise UrlError(f"{url!r}: URL contains white space")
    try:
        parts = urlsplit(safe_url_string(text))
        port = parts.port
    except ValueError as exc:
        raise UrlError(f"{url!r}: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise UrlError(f"{url!r}: only http and https URLs can be archived")
    host = _host(parts.hostname or "", url)
    netloc = host if port is None or port == DEFAULT_PORTS[scheme] else f"{host}:{port}"
    if parts.username is not None:
        credentials = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{credentials}@{netloc}"
    path = _path(parts.path)
    query = _query(parts.query, rules)
    return urlunsplit((scheme, netloc, path, query, _fragment(parts.fragment)))


def url_host(url: str) -> str:
    """The lowercase host of an already canonical URL."""
    return (urlsplit(url).hostname or "").lower()


def _host(host: str, original: str) -> str:
    """A lowercase, IDNA-encoded host name or a bracketed IPv6 literal."""
    host = host.lower().rstrip(".")
    if not host:
        raise UrlError(f"{original!r}: no host name")
    if ":" in host:  # IPv6 literal, already validated by urlsplit
        return f"[{host}]"
    if not HOST_RE.match(host):
        raise UrlError(f"{original!r}: {host!r} is not a valid host name")
    return host


def _normalise_escapes(text: str) -> str:
    """Uppercase percent-escapes and decode the ones that stand for unreserved characters."""

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in UNRESERVED else f"%{match.group(1).upper()}"

    return PERCENT_RE.sub(fix, text)


def _path(path: str) -> str:
    """Normalised escapes, dot segments removed, an empty path written as "/"."""
    path = _normalise_escapes(path) or "/"
    if "/." in path:
        trailing = path.endswith(("/", "/.", "/.."))
        path = posixpath.normpath(path)
        path = "/" + path.lstrip("/")
        if trailing and not path.endswith("/"):
            path += "/"
    return path


def _query(query: str, rules: TrackingRules) -> str:
    """The query with tracking parameters dropped, the others kept in their order."""
    if not query:
        return ""
    kept = []
    for piece in query.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        if rules.drops(unquote(name.replace("+", " ")), unquote(value.replace("+", " "))):
            continue
        kept.append(_normalise_escapes(piece))
    return "&".join(kept)


def _fragment(fragment: str) -> str:
    """Keep only routing fragments (#!/..., #/...), without any text directive."""
    if not fragment.startswith(ROUTING_FRAGMENT_PREFIXES):
        return ""
    return fragment.split(TEXT_DIRECTIVE, 1)[0]
