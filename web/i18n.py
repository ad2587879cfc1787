"""The interface's languages: English, Russian and (partly) Kazakh.

Catalogs are `web/locales/<language>.json`, keyed by the English text; a text missing from a
catalog is shown in English. The language is the `lang` cookie, set by the switcher in every
page's header (POST /language), else `[web] language`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib.resources import files
from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from config import Config

LANGUAGES = ("en", "ru", "kk")
NAMES = {"en": "English", "ru": "Русский", "kk": "Қазақша"}  # each in its own language
COOKIE = "lang"
COOKIE_SECONDS = 365 * 86400


def language(request: HTTPConnection, config: Config) -> str:
    """The language of this request's pages: the user's choice, else the configured one."""
    chosen = request.cookies.get(COOKIE, "")
    return chosen if chosen in LANGUAGES else config.web.language


@cache
def catalog(language: str) -> dict[str, str]:
    """The translations of one language (empty for English), read once per process."""
    if language not in LANGUAGES or language == "en":
        return {}
    text = files("web").joinpath("locales", f"{language}.json").read_text(encoding="utf-8")
    entries: dict[str, str] = json.loads(text)
    return {key: value for key, value in entries.items() if value}


def translator(language: str) -> Callable[..., str]:
    """`t(text, **values)`: the interface text in `language` (English text is the key), with
    `{name}` placeholders filled from `values` after translation."""
    entries = catalog(language)

    def t(text: str, **values: Any) -> str:
        translated = entries.get(text, text)
        return translated.format(**values) if values else translated

    return t


async def choose_language(request: Request) -> Response:
    """POST /language: remember the chosen language in a cookie and go back to the page."""
    from web.auth import safe_next

    form = await request.form()
    chosen = str(form.get("lang", ""))
    response = RedirectResponse(safe_next(str(form.get("next", ""))), status_code=303)
    if chosen in LANGUAGES:
        response.set_cookie(
            COOKIE,
            chosen,
            max_age=COOKIE_SECONDS,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
    return response


routes: list[BaseRoute] = [
    Route("/language", choose_language, methods=["POST"], name="language"),
]
