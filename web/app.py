"""The dashboard application: routes from `web.pages`, the static files, the middleware."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from config import Config
from config.clock import Clock, utc_now
from models import Database
from web import auth, i18n, pages, replay, security
from web.context import Web, templates
from web.pages import feeds


def create_app(
    config: Config, database: Database, clock: Clock = utc_now, *, local: bool = True
) -> ASGIApp:
    """The dashboard for one configuration and database, and the replay of our copies on the
    replay origin (web.replay).

    `local`: the server is bound to a loopback address, so while there is no user at all
    everyone is the local admin (web.auth); otherwise everyone signs in.
    """
    routes: list[BaseRoute] = [
        Route("/", lambda request: RedirectResponse("/documents", status_code=303)),
        *pages.routes(),
        *feeds.routes,
        *auth.routes,
        *i18n.routes,
        Mount("/static", StaticFiles(packages=[("web", "static")]), name="static"),
    ]
    state = Web(config=config, database=database, clock=clock, templates=templates())
    middleware = [  # outermost first
        Middleware(security.SecurityHeadersMiddleware, config=config),
        Middleware(
            security.SessionCookies,
            secret=security.session_secret(config.home),
            always_secure=config.web.base_url.startswith("https://"),
        ),
        Middleware(auth.AuthMiddleware, sessions=state.session, local=local),
        Middleware(security.CSRFMiddleware, max_bytes=config.web.max_upload_mb * 2**20),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: security.http_exception},
    )
    app.state.web = state
    app.state.login_limiter = security.LoginLimiter(config.web.login_attempts_per_minute)
    return replay.by_origin(app, state)
