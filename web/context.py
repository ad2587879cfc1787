"""What every page gets: the configuration, the database, the clock and the templates."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse

from config import Config
from config.clock import Clock
from models import Database


@dataclass
class Web:
    """The dashboard's shared state, one per application (`request.app.state.web`)."""

    config: Config
    database: Database
    clock: Clock
    templates: Environment

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A database session in one transaction (models.Database.session)."""
        with self.database.session() as session:
            yield session

    def now(self) -> datetime:
        return self.clock()


def templates() -> Environment:
    """The dashboard's Jinja2 templates: autoescaped, from the package."""
    return Environment(
        loader=PackageLoader("web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def web(request: Request) -> Web:
    """The application's shared state."""
    state: Web = request.app.state.web
    return state


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page: the template with the request, the signed-in user, the CSRF token and the
    interface language's `t()` in its context."""
    from web import auth, i18n, security

    shared = web(request)
    language = i18n.language(request, shared.config)
    page = shared.templates.get_template(template).render(
        request=request,
        user=auth.current_user(request),
        csrf_token=security.csrf_token(request),
        language=language,
        t=i18n.translator(language),
        now=shared.now(),
        **context,
    )
    return HTMLResponse(page, status_code=status_code)
