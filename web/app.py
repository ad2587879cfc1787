"""The dashboard application: routes from `web.pages`, the static files, the middleware."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from config import Config
from config.clock import Clock, utc_now
from models import Database
from web import pages, replay
from web.context import Web, templates


def create_app(config: Config, database: Database, clock: Clock = utc_now) -> ASGIApp:
    """The dashboard for one configuration and database, and the replay of our copies on the
    replay origin (web.replay)."""
    routes: list[BaseRoute] = [
        Route("/", lambda request: RedirectResponse("/documents", status_code=303)),
        *pages.routes(),
        Mount("/static", StaticFiles(packages=[("web", "static")]), name="static"),
    ]
    app = Starlette(routes=routes)
    state = Web(config=config, database=database, clock=clock, templates=templates())
    app.state.web = state
    return replay.by_origin(app, state)
