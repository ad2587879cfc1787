"""The dashboard's pages, one module per part: each exposes `routes`."""

from __future__ import annotations

from starlette.routing import BaseRoute


def routes() -> list[BaseRoute]:
    """Every page's routes."""
    from web.pages import alerts, cases, documents, links, runs, sources, unsubscribe

    return [
        *documents.routes,
        *links.routes,
        *cases.routes,
        *sources.routes,
        *runs.routes,
        *alerts.routes,
        *unsubscribe.routes,
    ]
