"""Our copies replayed from their WARC records, on an origin of their own (skeleton)."""

from __future__ import annotations

from starlette.types import ASGIApp

from web.context import Web


def by_origin(dashboard: ASGIApp, web: Web) -> ASGIApp:
    """The dashboard, with requests for the replay origin answered by the replay app."""
    return dashboard
