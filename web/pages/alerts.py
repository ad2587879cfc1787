"""Alerts: the outbox (messages waiting for the mail server), the mail sent, and a test
message sent with the same SMTP code as `citewatch alerts test` (admins)."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from alerts.mailer import DeliveryError, recent_messages, send_test_message
from web import auth
from web.context import render, web

MESSAGES = 50  # latest messages shown


async def alert_list(request: Request) -> Response:
    shared = web(request)
    with shared.session() as session:
        messages = recent_messages(session, MESSAGES)
        queued = [m for m in messages if m.sent_at is None]
        sent = [m for m in messages if m.sent_at is not None]
        return render(
            request,
            "alerts.html",
            queued=queued,
            sent=sent,
            smtp=shared.config.smtp,
            recipients=shared.config.alerts.recipients,
            tested=request.query_params.get("tested", ""),
            error=request.query_params.get("error", ""),
        )


async def send_test(request: Request) -> Response:
    """Send a test message now; back to the page with the outcome (the one-line error)."""
    auth.require(request, "admin")
    shared = web(request)
    try:
        send_test_message(shared.config, shared.now())
    except DeliveryError as exc:
        query = urlencode({"error": str(exc)})
    else:
        query = urlencode({"tested": ", ".join(shared.config.alerts.recipients)})
    return RedirectResponse(f"/alerts?{query}", status_code=303)


routes: list[BaseRoute] = [
    Route("/alerts", alert_list, name="alerts"),
    Route("/alerts/test", send_test, methods=["POST"], name="alerts_test"),
]
