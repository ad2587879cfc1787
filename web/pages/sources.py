"""Sources: the feeds, sitemaps and listing pages watched for news, with their last poll."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from watch.sources import all_sources, cited_hosts, source_state
from web.context import render, web

MAX_OFFERED = 15  # cited hosts not watched yet, as `citewatch source list` shows


async def source_list(request: Request) -> Response:
    with web(request).session() as session:
        sources = [
            {
                "id": s.id,
                "kind": s.kind,
                "url": s.url,
                "active": s.active,
                "polled": s.last_polled_at,
                "state": source_state(s),
                "failing": bool(s.last_error),
                "new": s.last_new,
            }
            for s in all_sources(session)
        ]
        offered = cited_hosts(session)
    return render(
        request, "sources.html", sources=sources, offered=offered[:MAX_OFFERED], more=len(offered)
    )


routes: list[BaseRoute] = [Route("/sources", source_list, name="sources")]
