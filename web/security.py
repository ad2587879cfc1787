"""CSRF tokens, security headers, the session cookie and login rate limits.

Everything here is ASGI middleware or a function a page calls; `web.app.create_app` wires them:
headers outermost, then the session cookie, then who is signed in (web.auth), then CSRF.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config import Config

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_CSRF = "csrf"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SECRET_FILE = "web-secret"
SESSION_COOKIE = "citewatch_session"
SESSION_DAYS = 14
CSRF_MESSAGE = "This form has expired or did not come from this site; reload it and try again."
# RFC 8058's one-click unsubscribe (web.pages.unsubscribe): a bare POST from a mail provider,
# without session or CSRF token; the signed token in the path is what authorises it.
UNSUBSCRIBE_PATH = re.compile(r"/unsubscribe/[A-Za-z0-9_.\-]+")
# A private Atom feed (web.pages.feeds): feed readers cannot sign in, so the page decides who
# reads: a signed-in user, or a recipient's signed feed token in `?token=`; anything else gets a
# 404 (with no token at all, the login page). No exemption from CSRF: a POST there without the
# session's token is refused as anywhere else, so only GET and HEAD (all that is routed) pass.
FEED_PATH = re.compile(r"/feeds/(?:case|document)/[0-9]+\.atom")
# What web.auth lets through without a session: the pages that check a signed token themselves.
ONE_CLICK_PATH = re.compile(f"{UNSUBSCRIBE_PATH.pattern}|{FEED_PATH.pattern}")


# --- the replay origin and the headers -----------------------------------------------------


LOCAL_NAME = "citewatch.localhost"  # browsers resolve *.localhost to loopback themselves


def replay_origin(config: Config) -> str:
    """The origin our copies are replayed from, so an archived page's scripts never run with
    the dashboard's origin: `[web] replay_origin`, else http://replay.citewatch.localhost:PORT.

    A subdomain of the dashboard's name (the dashboard at http://citewatch.localhost:PORT, or
    https://citewatch.example.org beside https://replay.citewatch.example.org): browsers let a
    framed page of the same site run the service worker that replays it, and refuse it to a
    page of another site (127.0.0.1 beside localhost). The session cookie is host-only, so it
    never reaches the replay origin; same-site requests from there are refused by the CSRF
    token and the Origin check."""
    if config.web.replay_origin:
        return config.web.replay_origin.rstrip("/")
    return f"http://replay.{LOCAL_NAME}:{config.web.port}"


def dashboard_address(config: Config) -> str:
    """Where a user opens the dashboard: `[web] base_url`, else http://citewatch.localhost:PORT
    (the site of the default replay origin)."""
    if config.web.base_url:
        return config.web.base_url.rstrip("/")
    return f"http://{LOCAL_NAME}:{config.web.port}"


def content_security_policy(config: Config) -> str:
    """The dashboard's CSP: nothing inline, nothing from elsewhere, frames only from replay."""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"frame-src {replay_origin(config)}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


class SecurityHeadersMiddleware:
    """Adds the CSP, nosniff and referrer policy to every dashboard response."""

    def __init__(self, app: ASGIApp, config: Config) -> None:
        self.app = app
        self.headers = {
            "Content-Security-Policy": content_security_policy(config),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "X-Frame-Options": "DENY",  # for browsers without frame-ancestors
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


# --- the session cookie ----------------------------------------------------------------------


def session_secret(home: Path) -> str:
    """The key that signs session cookies: made once, kept in `<home>/web-secret` (0600)."""
    path = home / SECRET_FILE
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    home.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(secret + "\n")
    return secret


class SessionCookies:
    """Starlette's signed-cookie sessions (HttpOnly, SameSite=Lax), with the Secure flag when
    the request came over https or the dashboard's base_url is https."""

    def __init__(self, app: ASGIApp, secret: str, always_secure: bool) -> None:
        options = {"session_cookie": SESSION_COOKIE, "max_age": SESSION_DAYS * 86400}
        self.secure = SessionMiddleware(app, secret, https_only=True, **options)  # type: ignore[arg-type]
        self.plain = self.secure if always_secure else SessionMiddleware(app, secret, **options)  # type: ignore[arg-type]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        https = scope.get("scheme") in ("https", "wss")
        await (self.secure if https else self.plain)(scope, receive, send)


# --- CSRF ------------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The token every form of this session carries (made on first use, also before login)."""
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


class CSRFMiddleware:
    """Rejects POST/PUT/PATCH/DELETE without this session's token, in the `csrf_token` form
    field or the X-CSRF-Token header (htmx). The body is read once here and handed on intact;
    bodies over `max_bytes` are refused with 413."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in UNSAFE_METHODS
            or UNSUBSCRIBE_PATH.fullmatch(scope.get("path", ""))
        ):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        origin = request.headers.get("origin")
        if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
            # A form posted from another origin (the replay origin shares the dashboard's site,
            # so SameSite cookies would still come along): refused before the token is looked at.
            await error_page(request, 403, CSRF_MESSAGE)(scope, receive, send)
            return
        expected = request.session.get(SESSION_CSRF)
        supplied = request.headers.get(CSRF_HEADER)
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            await error_page(request, 413, "The upload is too large.")(scope, receive, send)
            return
        read: bytes | None = None  # the body, when it was read here to find the token
        if supplied is None:
            chunks: list[bytes] = []
            size = 0
            async for chunk in request.stream():
                size += len(chunk)
                if size > self.max_bytes:
                    await error_page(request, 413, "The upload is too large.")(scope, receive, send)
                    return
                chunks.append(chunk)
            read = b"".join(chunks)
            supplied = await _form_token(scope, read)
        if not (isinstance(expected, str) and supplied and hmac.compare_digest(expected, supplied)):
            await error_page(request, 403, CSRF_MESSAGE)(scope, receive, send)
            return
        await self.app(scope, receive if read is None else _replay(read, receive), send)


async def _form_token(scope: Scope, body: bytes) -> str | None:
    """The csrf_token field of a urlencoded or multipart body."""
    content_type = Request(scope).headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(CSRF_FIELD)
        return values[0] if values else None
    if content_type.startswith("multipart/form-data"):
        request = Request(scope, _replay(body, _never))
        async with request.form() as form:
            value = form.get(CSRF_FIELD)
            return value if isinstance(value, str) else None
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive channel that gives `body` once, then whatever `receive` says (disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _never() -> Message:
    return {"type": "http.disconnect"}


# --- login rate limits -----------------------------------------------------------------------


class LoginLimiter:
    """At most `per_minute` failed logins per client address and per user name in any minute.

    In memory, so per server process: a restart forgets, and several workers each count their
    own (`citewatch serve` runs one).
    """

    WINDOW = 60.0  # seconds

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.failures: dict[tuple[str, str], deque[float]] = {}

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        times = self.failures.get(key, deque())
        cutoff = self.clock() - self.WINDOW
        while times and times[0] <= cutoff:
            times.popleft()
        if not times:
            self.failures.pop(key, None)
        return times

    def blocked(self, address: str, name: str) -> bool:
        """Whether this address or this name has used up its failures for the minute."""
        keys = (("address", address), ("name", name.strip().casefold()))
        return any(len(self._recent(key)) >= self.per_minute for key in keys)

    def failed(self, address: str, name: str) -> None:
        """Count a failed login."""
        now = self.clock()
        for key in (("address", address), ("name", name.strip().casefold())):
            self.failures.setdefault(key, deque()).append(now)


# --- error pages -----------------------------------------------------------------------------

ERROR_TEMPLATE = """{% extends "base.html" %}
{% block title %}{{ t(heading) }}{% endblock %}
{% block content %}
<h1>{{ t(heading) }}</h1>
<p class="error" role="alert">{{ t(message) }}</p>
<p><a href="/documents">{{ t("Back to the documents") }}</a></p>
{% endblock %}"""
HEADINGS = {
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    413: "Too large",
    429: "Too many attempts",
}


def error_page(request: Request, status: int, message: str) -> Response:
    """A readable error page in the dashboard's layout (plain text if the page cannot render)."""
    from web import auth, i18n
    from web.context import web

    try:
        shared = web(request)
        language = i18n.language(request, shared.config)
        page = shared.templates.from_string(ERROR_TEMPLATE).render(
            request=request,
            user=auth.current_user(request),
            csrf_token=csrf_token(request) if "session" in request.scope else "",
            language=language,
            t=i18n.translator(language),
            heading=HEADINGS.get(status, "Error"),
            message=message,
        )
    except (AttributeError, KeyError):  # outside the dashboard application
        return PlainTextResponse(message, status_code=status)
    return HTMLResponse(page, status_code=status)


async def http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's HTTPException (e.g. web.auth.require's 403) as a readable page."""
    assert isinstance(exc, HTTPException)
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=exc.headers)
    response = error_page(request, exc.status_code, str(exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    return response
