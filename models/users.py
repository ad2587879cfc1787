"""Dashboard users: a name, a password hash (never the password) and a role."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class User(Base):
    """Someone who may sign in to the dashboard (`citewatch user add`)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id, with its parameters
    role: Mapped[str] = mapped_column(String(20))  # viewer, editor or admin (web.auth.ROLES)
    created_at: Mapped[datetime]
    password_changed_at: Mapped[datetime]
