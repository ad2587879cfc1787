"""Users, roles and who is signed in.

Users live in the `users` table (models.users.User); the queries on it are all here, used by
`citewatch user ...` and by the dashboard. Passwords are hashed with argon2id and never logged,
printed or stored. Who is signed in comes from the signed session cookie (web.security); the
middleware below puts the user in `request.scope["citewatch.user"]` for `current_user`.

Local mode: a dashboard bound to a loopback address with no user at all is a researcher's own
laptop; everyone who can reach it is the single local admin and nobody signs in.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

import argon2
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from models import User as UserRow
from web.security import ONE_CLICK_PATH, LoginLimiter

log = logging.getLogger(__name__)

ROLES = ("viewer", "editor", "admin")  # each may do what the ones before it may
MIN_PASSWORD = 8  # characters: short enough to type, long enough to resist an online guess
SCOPE_KEY = "citewatch.user"
SESSION_USER = "user"
SESSION_STAMP = "stamp"  # when the password was last changed: a new password ends old sessions

# argon2id with the library's defaults (RFC 9106 "second recommended" profile, 64 MiB).
_hasher = argon2.PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify unknown names against, so they take as long as known ones (made once,
    on the first login: hashing is slow by design, and every CLI command imports this module)."""
    return _hasher.hash("not anybody's password")


class UserError(Exception):
    """A user that cannot be added, changed or found (the message says why)."""


@dataclass(frozen=True)
class User:
    """A signed-in user."""

    name: str
    role: str

    def may(self, role: str) -> bool:
        """Whether this user has `role` or a stronger one."""
        return ROLES.index(self.role) >= ROLES.index(role)


@dataclass(frozen=True)
class Account:
    """A stored user as listed: no password hash."""

    name: str
    role: str
    created_at: datetime
    password_changed_at: datetime


LOCAL_ADMIN = User("local admin", "admin")


# --- the users table ---------------------------------------------------------------------------


def check_role(role: str) -> str:
    """`role`, or UserError naming the roles there are."""
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    """`password`, or UserError when it is empty or too short."""
    if not password:
        raise UserError("the password is empty")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password is too short: at least {MIN_PASSWORD} characters")
    return password


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or any(c.isspace() or not c.isprintable() for c in name):
        raise UserError("a user name needs at least one character and no spaces")
    if len(name) > 100:
        raise UserError("a user name has at most 100 characters")
    return name


def _row(session: Session, name: str) -> UserRow:
    row = session.scalar(select(UserRow).where(UserRow.name == name))
    if row is None:
        raise UserError(f"no user named {name!r} (see `citewatch user list`)")
    return row


def add_user(session: Session, name: str, password: str, role: str, now: datetime) -> Account:
    """Store a new user with the password's argon2id hash."""
    name = _check_name(name)
    check_role(role)
    check_password(password)
    if session.scalar(select(UserRow.id).where(UserRow.name == name)) is not None:
        raise UserError(f"a user named {name!r} exists already")
    row = UserRow(
        name=name,
        password_hash=_hasher.hash(password),
        role=role,
        created_at=now,
        password_changed_at=now,
    )
    session.add(row)
    session.flush()
    log.info("added user %s (%s)", name, role)
    return _account(row)


def list_users(session: Session) -> list[Account]:
    """Every user, by name."""
    return [_account(row) for row in session.scalars(select(UserRow).order_by(UserRow.name))]


def count_users(session: Session) -> int:
    """How many users there are (none: local mode on loopback)."""
    return int(session.scalar(select(func.count()).select_from(UserRow)) or 0)


def remove_user(session: Session, name: str) -> None:
    """Delete a user; their sessions end with their next request."""
    _row(session, name)
    session.execute(delete(UserRow).where(UserRow.name == name))
    log.info("removed user %s", name)


def change_password(session: Session, name: str, password: str, now: datetime) -> None:
    """Set a new password; the user's other sessions end."""
    check_password(password)
    row = _row(session, name)
    row.password_hash = _hasher.hash(password)
    row.password_changed_at = now
    log.info("changed the password of user %s", name)


def change_role(session: Session, name: str, role: str) -> None:
    """Give a user another role."""
    _row(session, name).role = check_role(role)


def verify_login(session: Session, name: str, password: str) -> Account | None:
    """The user when `password` is theirs, else None (same time for an unknown name)."""
    row = session.scalar(select(UserRow).where(UserRow.name == name.strip()))
    try:
        _hasher.verify(_dummy_hash() if row is None else row.password_hash, password)
    except argon2.exceptions.VerificationError:
        return None
    except argon2.exceptions.InvalidHashError:
        log.warning("user %s has a password hash argon2 cannot read", name)
        return None
    if row is None:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        row.password_hash = _hasher.hash(password)
    return _account(row)


def _account(row: UserRow) -> Account:
    return Account(row.name, row.role, row.created_at, row.password_changed_at)


def stamp(account: Account) -> str:
    """What a session remembers of the password it was opened with (its change time)."""
    return account.password_changed_at.isoformat()


# --- who is signed in --------------------------------------------------------------------------


def current_user(request: HTTPConnection) -> User | None:
    """The signed-in user (the local admin in local mode), None when nobody is signed in."""
    user: User | None = request.scope.get(SCOPE_KEY)
    return user


def require(request: Request, role: str) -> User:
    """The signed-in user when they have `role` or a stronger one; else HTTPException 403
    (rendered as a readable page by web.security.error_page)."""
    check_role(role)
    user = current_user(request)
    if user is None:
        raise HTTPException(403, "Please sign in first.")
    if not user.may(role):
        raise HTTPException(403, f"This needs the {role} role; you are signed in as {user.role}.")
    return user


def safe_next(target: str | None) -> str:
    """A path on this site to go back to after signing in ("/documents" for anything else,
    so that ?next= cannot send anyone to another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/documents"
    return target


# What anybody may load without signing in: the login page, the language switch, the styles.
PUBLIC_PATHS = frozenset({"/login", "/language"})
PUBLIC_PREFIX = "/static/"


class AuthMiddleware:
    """Puts the signed-in user in the scope; sends everyone else to /login.

    `sessions` opens a database session (web.context.Web.session); `local` says whether the
    server is bound to loopback (local mode while the users table is empty).
    """

    def __init__(
        self,
        app: ASGIApp,
        sessions: Callable[[], AbstractContextManager[Session]],
        local: bool,
    ) -> None:
        self.app = app
        self.sessions = sessions
        self.local = local

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(PUBLIC_PREFIX):  # no query per stylesheet
            await self.app(scope, receive, send)
            return
        scope[SCOPE_KEY] = self._user(HTTPConnection(scope))
        if (
            scope[SCOPE_KEY] is None
            and path not in PUBLIC_PATHS
            and not ONE_CLICK_PATH.fullmatch(path)  # unsubscribing, a private feed: signed tokens
        ):
            query = scope.get("query_string", b"").decode("latin-1")
            back = path + (f"?{query}" if query else "")
            response = RedirectResponse(f"/login?next={quote(back, safe='/')}", status_code=303)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _user(self, connection: HTTPConnection) -> User | None:
        session = connection.session
        name = session.get(SESSION_USER)
        with self.sessions() as db:
            if name is None:
                return LOCAL_ADMIN if self.local and count_users(db) == 0 else None
            row = db.scalar(select(UserRow).where(UserRow.name == name))
            if row is None or row.password_changed_at.isoformat() != session.get(SESSION_STAMP):
                session.pop(SESSION_USER, None)  # removed, or a new password since
                session.pop(SESSION_STAMP, None)
                return LOCAL_ADMIN if self.local and count_users(db) == 0 else None
            return User(row.name, row.role)


def sign_in(request: Request, account: Account) -> None:
    """Start a signed-in session: a fresh session (and CSRF token) for the user."""
    request.session.clear()
    request.session[SESSION_USER] = account.name
    request.session[SESSION_STAMP] = stamp(account)


def sign_out(request: Request) -> None:
    """End the session."""
    request.session.clear()


# --- pages: sign in, sign out, the users (admin) ---------------------------------------------


def _limiter(request: Request) -> LoginLimiter:
    limiter: LoginLimiter = request.app.state.login_limiter
    return limiter


async def login_page(request: Request) -> Response:
    """GET /login: the sign-in form; POST /login: check the password, open the session."""
    from web.context import render, web

    next_path = safe_next(request.query_params.get("next"))
    if request.method == "GET":
        return render(request, "login.html", next_path=next_path, name="", failed=False)
    form = await request.form()
    name = str(form.get("name", "")).strip()
    password = str(form.get("password", ""))
    next_path = safe_next(str(form.get("next", "")))
    address = request.client.host if request.client else "unknown"
    limiter = _limiter(request)
    if limiter.blocked(address, name):
        response = render(
            request,
            "login.html",
            status_code=429,
            next_path=next_path,
            name=name,
            failed=False,
            limited=True,
        )
        response.headers["Retry-After"] = str(int(LoginLimiter.WINDOW))
        return response
    account = None
    if name and password:
        with web(request).session() as session:
            account = verify_login(session, name, password)
    if account is None:
        limiter.failed(address, name)
        log.info("failed login for %r from %s", name, address)
        return render(
            request, "login.html", status_code=401, next_path=next_path, name=name, failed=True
        )
    sign_in(request, account)
    log.info("user %s signed in from %s", account.name, address)
    return RedirectResponse(next_path, status_code=303)


async def logout(request: Request) -> Response:
    """POST /logout: end the session."""
    sign_out(request)
    return RedirectResponse("/login", status_code=303)


async def users_page(request: Request) -> Response:
    """GET /users (admins): the users and forms to add, remove or reset them."""
    from web.context import render, web

    require(request, "admin")
    with web(request).session() as session:
        accounts = list_users(session)
    notice = request.query_params.get("done", "")
    return render(request, "users.html", accounts=accounts, roles=ROLES, problem="", notice=notice)


async def users_action(request: Request) -> Response:
    """POST /users (admins): add, remove, change the role or the password of a user."""
    from web.context import render, web

    me = require(request, "admin")
    form = await request.form()
    action = str(form.get("action", ""))
    name = str(form.get("name", "")).strip()
    password = str(form.get("password", ""))
    role = str(form.get("role", ""))
    shared = web(request)
    try:
        with shared.session() as session:
            if action == "add":
                add_user(session, name, password, role, shared.now())
            elif action == "remove":
                if name == me.name:
                    raise UserError("you cannot remove yourself")
                remove_user(session, name)
            elif action == "role":
                if name == me.name:
                    raise UserError("you cannot change your own role")
                change_role(session, name, role)
            elif action == "password":
                change_password(session, name, password, shared.now())
            else:
                raise UserError(f"unknown action {action!r}")
    except UserError as exc:
        with shared.session() as session:
            accounts = list_users(session)
        return render(
            request,
            "users.html",
            status_code=400,
            accounts=accounts,
            roles=ROLES,
            problem=str(exc),
            notice="",
        )
    return RedirectResponse(f"/users?done={action}", status_code=303)


routes: list[BaseRoute] = [
    Route("/login", login_page, methods=["GET", "POST"], name="login"),
    Route("/logout", logout, methods=["POST"], name="logout"),
    Route("/users", users_page, methods=["GET"], name="users"),
    Route("/users", users_action, methods=["POST"], name="users_action"),
]
