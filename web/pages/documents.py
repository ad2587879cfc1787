"""Documents: the list with a health bar per document."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from health.report import current_documents, report_rows
from web.context import render, web


async def document_list(request: Request) -> Response:
    with web(request).session() as session:
        documents = current_documents(session, None)
        health = {}
        for document in documents:
            counts: dict[str, int] = {}
            for row in report_rows(session, [document]):
                counts[row.state] = counts.get(row.state, 0) + 1
            health[document.id] = counts
    return render(request, "documents.html", documents=documents, health=health)


routes: list[BaseRoute] = [Route("/documents", document_list, name="documents")]
