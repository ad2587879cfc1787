"""The Atom feeds of a case and of a document (alerts.feeds), for signed-in users and for
recipients' feed readers.

A feed reader cannot sign in: it shows the recipient's private URL, whose `?token=` is their
signed FEED token (alerts.subscriptions.recipient_token; `citewatch feed --link-for`).
web.auth lets these paths through without a session (web.security.FEED_PATH) and this page
decides: a signed-in user reads every feed; a token reads the feeds its recipient follows
(alerts.feeds.follows). A forged or other-purpose token, an unsubscribed recipient, a feed
they do not follow and an unknown id all get the same 404, so a token reveals nothing.
The token is never logged: `citewatch serve` runs uvicorn without its access log.
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from alerts.feeds import case_feed, document_feed, follows
from alerts.subscriptions import FEED, recipient_for_token
from models import Case, Document
from models.subscriptions import SubscriptionKind
from web import auth
from web.context import Web, web

ATOM = "application/atom+xml; charset=utf-8"
NOT_FOUND = "No such feed."


async def case_atom(request: Request) -> Response:
    """GET /feeds/case/{id}.atom"""
    return _serve(request, SubscriptionKind.CASE, int(request.path_params["case_id"]))


async def document_atom(request: Request) -> Response:
    """GET /feeds/document/{id}.atom"""
    return _serve(request, SubscriptionKind.DOCUMENT, int(request.path_params["document_id"]))


def _serve(request: Request, kind: SubscriptionKind, item_id: int) -> Response:
    """The feed for a reader allowed to read it, else 404 (or the login page, no token given)."""
    signed_in = auth.current_user(request) is not None  # any role reads the dashboard's pages
    token = request.query_params.get("token")
    if not signed_in and token is None:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    shared = web(request)
    with shared.session() as session:
        if not signed_in and token is not None:
            _check_token(session, shared, token, kind, item_id)
        if kind == SubscriptionKind.CASE:
            case = session.get(Case, item_id)
            if case is None:
                raise HTTPException(404, NOT_FOUND)
            body = case_feed(session, shared.config, case)
        else:
            document = session.get(Document, item_id)
            if document is None:
                raise HTTPException(404, NOT_FOUND)
            body = document_feed(session, shared.config, document)
    return _atom(request, body)


def _check_token(
    session: Session, shared: Web, token: str, kind: SubscriptionKind, item_id: int
) -> None:
    """404 unless the token is a FEED token of a recipient who follows this feed."""
    recipient = recipient_for_token(session, shared.config.home, token, FEED)
    if recipient is None or not follows(recipient, kind, item_id):
        raise HTTPException(404, NOT_FOUND)


def _atom(request: Request, body: bytes) -> Response:
    """The feed with its ETag (the body's hash); 304 when the reader holds this version."""
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": "private"}
    held = {
        tag.strip().removeprefix("W/")
        for tag in request.headers.get("if-none-match", "").split(",")
    }
    if etag in held or "*" in held:
        return Response(status_code=304, headers=headers)
    return Response(body, headers=headers, media_type=ATOM)


routes: list[BaseRoute] = [
    Route("/feeds/case/{case_id:int}.atom", case_atom, methods=["GET"], name="case_feed"),
    Route(
        "/feeds/document/{document_id:int}.atom",
        document_atom,
        methods=["GET"],
        name="document_feed",
    ),
]
