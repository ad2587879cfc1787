"""A citewatch data directory for integration tests: configuration, documents, CLI runs."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from models import Database, Snapshot, Target
from tests.support.zygote import Zygote

CITEWATCH = Path(sys.executable).with_name("citewatch")
ZYGOTE = Zygote(sys.executable, str(CITEWATCH))

# Politeness off and short timeouts so a test crawl takes seconds; the test web's addresses
# allowed, 127.0.0.1 (where tests run a "secret" internal service) still refused.
TEST_CONFIG = """
[crawl]
delay = 0
autothrottle = false
timeout = 1.5
retries = 1
retry_backoff = 0.05
max_retry_after = 5
max_body_mb = 5
concurrency_per_host = 4
allow_networks = ["127.0.0.2/31", "127.0.0.4/31"]
extraction_workers = 1
extraction_timeout = 30
render = "never"  # the rendering tests turn it on (tests/integration/test_render.py)
render_hosts = []

[warc]
max_file_mb = 50
"""


@dataclass(frozen=True)
class Run:
    """A finished CLI run."""

    code: int
    out: str
    err: str


@dataclass
class Workspace:
    """A data directory, its configuration file and database, and a way to run the CLI."""

    root: Path
    database_url: str
    config_text: str = TEST_CONFIG
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(self.config_text, encoding="utf-8")

    @property
    def home(self) -> Path:
        return self.root / "data"

    @property
    def config_path(self) -> Path:
        return self.root / "citewatch.toml"

    @property
    def warc_directory(self) -> Path:
        return self.home / "warcs"

    @property
    def env(self) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("CITEWATCH_")}
        return {
            **base,
            "CITEWATCH_HOME": str(self.home),
            "CITEWATCH_CONFIG": str(self.config_path),
            "CITEWATCH_DATABASE_URL": self.database_url,
            "COLUMNS": "200",
            **self.extra_env,
        }

    def cli(
        self,
        *args: str,
        timeout: float = 180,
        env: Mapping[str, str] | None = None,
        stdin: str = "",
    ) -> Run:
        """Run the installed `citewatch` command (in a fork of a process that has imported it:
        tests/support/zygote.py), with `stdin` as its standard input."""
        result = ZYGOTE.run(args, {**self.env, **(env or {})}, self.root, timeout, stdin)
        return Run(result.returncode, result.stdout, result.stderr)

    def document(self, urls: Iterable[str], name: str = "briefing.txt") -> Path:
        """A small briefing citing each URL in a note of its own."""
        urls = list(urls)
        superscript = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
        body = " ".join(
            f"Claim {i}.{str(i).translate(superscript)}" for i in range(1, len(urls) + 1)
        )
        notes = "\n".join(
            f"{str(i).translate(superscript)} See {url}" for i, url in enumerate(urls, 1)
        )
        path = self.root / name
        path.write_text(f"Test briefing\n\n{body}\n\n{notes}\n", encoding="utf-8")
        return path

    def database(self) -> Database:
        return Database(self.database_url)

    def snapshots_by_url(self) -> dict[str, list[Snapshot]]:
        """Every snapshot, grouped by its target's canonical URL, oldest first."""
        database = self.database()
        try:
            with database.session() as session:
                rows = session.execute(
                    select(Snapshot, Target.canonical_url).join(Target).order_by(Snapshot.id)
                ).all()
                grouped: dict[str, list[Snapshot]] = {}
                for snapshot, url in rows:
                    session.expunge(snapshot)
                    grouped.setdefault(url, []).append(snapshot)
                return grouped
        finally:
            database.dispose()
