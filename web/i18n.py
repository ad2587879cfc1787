"""The interface's languages (skeleton: replaced by the full implementation)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request

from config import Config

LANGUAGES = ("en", "ru", "kk")


def language(request: Request, config: Config) -> str:
    """The language of this request's pages: the user's choice, else the configured one."""
    chosen = request.cookies.get("lang", "")
    return chosen if chosen in LANGUAGES else config.web.language


def translator(language: str) -> Callable[[str], str]:
    """`t(text)`: the interface text in `language` (English text is the key)."""
    return lambda text: text
