"""CSRF tokens, security headers, login rate limits (skeleton: replaced by the full one)."""

from __future__ import annotations

from starlette.requests import Request


def csrf_token(request: Request) -> str:
    """The token every form of this session carries."""
    return ""
