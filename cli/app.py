"""What every command gets: configuration, database (opened on first use), consoles, clock."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from rich.console import Console

from citations.canonical import TrackingRules
from citations.document import Limits
from config import Config, ConfigError
from config.clock import Clock, utc_now
from models import Database


@dataclass
class App:
    """Shared state of one CLI invocation."""

    config: Config
    out: Console = field(default_factory=Console)
    err: Console = field(default_factory=lambda: Console(stderr=True))
    clock: Clock = utc_now
    now: str | None = None  # a fixed start time for crawl children too (tests)
    _database: Database | None = None

    @property
    def database(self) -> Database:
        """The configured database, created and upgraded to the current schema on first use."""
        if self._database is None:
            self._ensure_home()
            database = Database(
                self.config.database_url,
                echo=self.config.database.echo,
                pool=self.config.database,
            )
            database.ensure_schema()
            self._database = database
        return self._database

    def _ensure_home(self) -> None:
        """Create the data directory, or say in one line why it cannot be used."""
        home = self.config.home
        try:
            home.mkdir(parents=True, exist_ok=True)
            problem = None if os.access(home, os.W_OK) else "not writable"
        except OSError as exc:
            problem = exc.strerror or str(exc)
        if problem is not None:
            raise ConfigError(
                f"cannot use {home} as the data directory ({problem}); "
                "choose another with --home or CITEWATCH_HOME"
            )

    @property
    def tracking_rules(self) -> TrackingRules:
        """The configured tracking-parameter rules for canonical URLs."""
        return TrackingRules.from_patterns(self.config.urls.tracking_params)

    @property
    def limits(self) -> Limits:
        """The configured document size limits."""
        documents = self.config.documents
        return Limits(documents.max_size_mb * 2**20, documents.max_unpacked_mb * 2**20)

    def close(self) -> None:
        """Release database connections."""
        if self._database is not None:
            self._database.dispose()
