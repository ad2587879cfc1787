"""Rules per host: a rule for a domain covers its subdomains, the nearest rule wins."""

from __future__ import annotations

from collections.abc import Container


def within(host: str, domain: str) -> bool:
    """The host is the domain or one of its subdomains."""
    host, domain = _name(host), _name(domain)
    return host == domain or host.endswith("." + domain)


def covering(host: str, names: Container[str]) -> str | None:
    """The name among `names` whose rule covers `host`: the host itself, else its nearest
    parent domain; None when no rule does."""
    parts = _name(host).split(".")
    for i in range(len(parts)):
        name = ".".join(parts[i:])
        if name in names:
            return name
    return None


def _name(host: str) -> str:
    return host.lower().rstrip(".")
