"""The fleet's crawl workers, as each reports itself: alive while its heartbeat is recent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class Worker(Base):
    """One `citewatch worker` process: where it runs, what it crawls now, how much it did."""

    __tablename__ = "workers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    machine: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    started_at: Mapped[datetime]
    seen_at: Mapped[datetime]  # the last heartbeat
    stopped_at: Mapped[datetime | None]  # a clean stop; a dead worker just stops beating
    run_id: Mapped[int | None]  # the crawl run of its current share
    host: Mapped[str | None] = mapped_column(String(255))  # the host it crawls now
    share_started_at: Mapped[datetime | None]
    fetched: Mapped[int] = mapped_column(default=0)  # targets fetched since it started
