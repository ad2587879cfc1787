"""The one-click unsubscribe link of every subscriber's message (RFC 8058).

GET shows a page whose button POSTs; POST (from that button, or from the mail provider's own
one-click button) ends every subscription of the recipient the signed token names. No sign-in
and no CSRF token (RFC 8058 requires a bare POST): the token itself is the secret, and
web.auth and web.security let exactly this path through.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from alerts.subscriptions import recipient_for_token, unsubscribe_everything
from web.context import render, web
from web.security import error_page

UNKNOWN = "This unsubscribe link is not valid (or its recipient was removed)."


async def unsubscribe_page(request: Request) -> Response:
    """GET: confirm; POST: unsubscribe. An unknown or forged token: 404, nothing changed."""
    shared = web(request)
    token = str(request.path_params["token"])
    with shared.session() as session:
        recipient = recipient_for_token(session, shared.config.home, token)
        if recipient is None:
            return error_page(request, 404, UNKNOWN)
        address = recipient.address
        done = request.method == "POST"
        if done:
            unsubscribe_everything(session, recipient, shared.now())
    return render(request, "unsubscribe.html", address=address, done=done)


routes: list[BaseRoute] = [
    Route("/unsubscribe/{token}", unsubscribe_page, methods=["GET", "POST"], name="unsubscribe"),
]
