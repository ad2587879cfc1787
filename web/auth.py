"""Users, roles and who is signed in (skeleton: replaced by the full implementation)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

ROLES = ("viewer", "editor", "admin")  # each may do what the ones before it may


@dataclass(frozen=True)
class User:
    """A signed-in user."""

    name: str
    role: str

    def may(self, role: str) -> bool:
        """Whether this user has `role` or a stronger one."""
        return ROLES.index(self.role) >= ROLES.index(role)


LOCAL_ADMIN = User("local admin", "admin")


def current_user(request: Request) -> User | None:
    """The signed-in user, if any."""
    user: User | None = request.scope.get("citewatch.user", LOCAL_ADMIN)
    return user
