"""Random sibling URLs: what a host answers for a page that cannot exist (Bar-Yossef et al.).

If a host answers 200 for /novosti/<random>.html with the same page it gives for a cited
article, that article is gone and the host hides it behind a soft-404.
"""

from __future__ import annotations

import posixpath
import secrets
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit


def sibling_url(url: str, token: str | None = None) -> str:
    """The URL with its last path segment replaced by a random one (extension kept)."""
    parts = urlsplit(url)
    token = token or f"citewatch-{secrets.token_hex(8)}"
    directory, name = posixpath.split(parts.path.rstrip("/") or "/")
    extension = posixpath.splitext(name)[1] if name else ""
    path = posixpath.join(directory or "/", token + extension)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def one_per_host(urls: Iterable[str]) -> dict[str, str]:
    """The deepest cited URL of each host (netloc), to build that host's probe from."""
    chosen: dict[str, str] = {}
    for url in urls:
        host = urlsplit(url).netloc.lower()
        if host not in chosen or urlsplit(url).path.count("/") > urlsplit(chosen[host]).path.count(
            "/"
        ):
            chosen[host] = url
    return chosen
