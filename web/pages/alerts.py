"""Alerts: the recipients (e-mail addresses and channels, their language, time zone and
subscriptions), the configured channels (names and services, never their URLs), the outbox, the
messages sent, and a test message sent with the same code as `citewatch alerts test` (admins),
to `[alerts] recipients` or to one recipient by their own channel."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from alerts.delivery import recent_messages, send_test_message
from alerts.mailer import DeliveryError
from alerts.subscriptions import all_recipients, describe
from config.channels import Channel
from models import Recipient
from models.subscriptions import is_email
from web import auth
from web.context import render, web

MESSAGES = 50  # latest messages shown


async def alert_list(request: Request) -> Response:
    shared = web(request)
    with shared.session() as session:
        messages = recent_messages(session, MESSAGES)
        queued = [m for m in messages if m.sent_at is None]
        sent = [m for m in messages if m.sent_at is not None]
        people = [
            {
                "id": r.id,
                "address": r.address,
                "kind": _kind(shared.config.channels, r.address),
                "language": r.language,
                "timezone": r.timezone or shared.config.alerts_timezone,
                "unsubscribed": r.unsubscribed_at is not None,
                "subscriptions": [f"{describe(session, s)} ({s.cadence})" for s in r.subscriptions],
            }
            for r in all_recipients(session)
        ]
        return render(
            request,
            "alerts.html",
            people=people,
            channels=sorted(shared.config.channels.values(), key=lambda c: c.name),
            queued=queued,
            sent=sent,
            smtp=shared.config.smtp,
            recipients=shared.config.alerts.recipients,
            tested=request.query_params.get("tested", ""),
            error=request.query_params.get("error", ""),
        )


def _kind(channels: Mapping[str, Channel], address: str) -> str:
    if is_email(address):
        return "e-mail"
    channel = channels.get(address)
    return f"channel ({channel.service})" if channel else "channel (not configured)"


async def send_test(request: Request) -> Response:
    """Send a test message now, to `[alerts] recipients` or to the recipient of the form's
    `recipient` id; back to the page with the outcome (the one-line error)."""
    auth.require(request, "admin")
    shared = web(request)
    form = await request.form()
    chosen = str(form.get("recipient", ""))
    recipient: Recipient | None = None
    if chosen:
        with shared.session() as session:
            recipient = session.get(Recipient, int(chosen)) if chosen.isdigit() else None
            if recipient is None:
                return RedirectResponse("/alerts?" + urlencode({"error": "no such recipient"}), 303)
            session.expunge(recipient)
    try:
        where = send_test_message(shared.config, shared.now(), recipient)
    except DeliveryError as exc:
        query = urlencode({"error": str(exc)})
    else:
        query = urlencode({"tested": where})
    return RedirectResponse(f"/alerts?{query}", status_code=303)


routes: list[BaseRoute] = [
    Route("/alerts", alert_list, name="alerts"),
    Route("/alerts/test", send_test, methods=["POST"], name="alerts_test"),
]
