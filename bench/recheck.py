"""Re-check throughput and cost: 10,000 targets on the local test web, most of them unchanged.

Archives 10,000 small article pages once (the baseline), then runs `citewatch check --all`:
against servers that honour conditional requests (an unchanged page costs a 304), against
servers that ignore them (the whole page comes back; citewatch writes a revisit record), each
with 2% of the pages changed since the run before, then on three quiet nights (nothing
changed, validators honoured; by the third, space freed the night before is reused).
Prints checks per second, bytes transferred per unchanged page with and without conditional
requests, and what the archive grows by per unchanged check: WARC files, and the database
apart (snapshot rows added; bytes in use, and bytes of the files).

The database is SQLite in a scratch directory, or with `--url` a private schema of a PostgreSQL
database (dropped afterwards; measured as autovacuum leaves it, the space it made reusable read
with the pg_freespacemap extension).

Targets: 200 checks/s on this machine; unchanged pages add under 1 KB of WARC each and under
100 bytes of database each.

    .venv/bin/python bench/recheck.py [--targets 10000] [--url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, create_engine, func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models import Database, Snapshot  # noqa: E402
from tests.support.databases import private_schema  # noqa: E402
from tests.support.pages import ARTICLES, article_page  # noqa: E402
from tests.support.web import Reply, Seen, TestWeb  # noqa: E402
from tests.support.workspace import Workspace  # noqa: E402

CONFIG = """
[crawl]
delay = 0
autothrottle = false
concurrency = 32
concurrency_per_host = 32
retries = 0
probe_siblings = false
allow_networks = ["127.0.0.2/31", "127.0.0.4/31"]
extraction_workers = 2

[check]
memento = false
"""
CHANGED_EVERY = 50  # 2% of the pages change between runs
QUIET_NIGHTS = 3


class Site:
    """Pages that answer 304 to a matching If-None-Match, unless told to ignore validators."""

    def __init__(self, count: int) -> None:
        self.version = 1
        self.honour_validators = True
        self.pages = {
            i: article_page(ARTICLES[i % len(ARTICLES)]).replace("Qaznews24", f"Qaznews24 ({i})")
            for i in range(count)
        }

    def route(self, index: int) -> Reply | object:
        def serve(seen: Seen) -> Reply:
            version = self.version if index % CHANGED_EVERY == 0 else 1
            etag = f'"{index}-{version}"'
            if self.honour_validators and seen.headers.get("If-None-Match") == etag:
                return Reply(304, b"", [("ETag", etag)])
            body = self.pages[index] + ("" if version == 1 else f"<p>Update {version}</p>")
            return Reply.html(body, headers=[("ETag", etag)])

        return serve


@dataclass(frozen=True)
class Size:
    """The database's size: its files, what of them is in use, and its snapshot rows."""

    stored: int
    in_use: int
    rows: int


@dataclass(frozen=True)
class Measured:
    """One check run, per unchanged page."""

    elapsed: float
    sent: float
    warc: float
    in_use: float
    stored: float
    rows: int


def directory_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def database_size(url: str) -> Size:
    """SQLite: the file, and its pages not on the free list (space deleted rows left is reused
    first); PostgreSQL: the schema's tables with their indexes and TOAST after a VACUUM, as
    autovacuum leaves them, and that less the space VACUUM made reusable (dead row versions)."""
    database = Database(url)
    try:
        with database.session() as session:
            rows = session.scalar(select(func.count()).select_from(Snapshot)) or 0
    finally:
        database.dispose()
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        with closing(sqlite3.connect(path)) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            page_size, pages, free = (
                db.execute(f"PRAGMA {name}").fetchone()[0]
                for name in ("page_size", "page_count", "freelist_count")
            )
        size = path.stat().st_size
        return Size(size, (pages - free) * page_size, rows)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            tables = list(
                connection.scalars(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
                )
            )
            for table in tables:
                connection.execute(text(f'VACUUM "{table}"'))
            size = connection.scalar(text(f"SELECT sum(pg_total_relation_size(oid)) {TABLES}"))
            free = connection.scalar(text(FREE_SPACE.format(free_space_map(connection))))
    finally:
        engine.dispose()
    return Size(int(size or 0), int(size or 0) - int(free or 0), rows)


TABLES = "FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r'"
# The space VACUUM marked reusable: in the tables, their TOAST and their indexes (an index's
# free space map holds its empty pages only).
FREE_SPACE = f"""
WITH relations AS (
    SELECT oid {TABLES}
    UNION ALL SELECT reltoastrelid {TABLES} AND reltoastrelid <> 0
    UNION ALL SELECT indexrelid FROM pg_index WHERE indrelid IN (SELECT oid {TABLES})
)
SELECT sum(free.avail) FROM relations, LATERAL "{{}}".pg_freespace(relations.oid::regclass) free
"""


def free_space_map(connection: Connection) -> str:
    """The schema of PostgreSQL's pg_freespacemap extension, installed in this one if absent."""
    schema = connection.scalar(
        text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = :name"),
        {"name": "pg_freespacemap"},
    )
    if schema is None:
        schema = str(connection.scalar(text("SELECT current_schema()")))
        connection.execute(text(f'CREATE EXTENSION pg_freespacemap SCHEMA "{schema}"'))
    return str(schema).strip('"')


def measure(workspace: Workspace, web: TestWeb, unchanged: int) -> Measured:
    warc_before = directory_size(workspace.warc_directory)
    database_before = database_size(workspace.database_url)
    sent_before = sum(host.bytes_sent for host in web.hosts)
    started = time.perf_counter()
    run = workspace.cli("check", "--all", timeout=3600)
    elapsed = time.perf_counter() - started
    if run.code != 0:
        raise SystemExit(f"check failed:\n{run.err}")
    sent = sum(host.bytes_sent for host in web.hosts) - sent_before
    warc = directory_size(workspace.warc_directory) - warc_before
    database = database_size(workspace.database_url)
    return Measured(
        elapsed,
        sent / unchanged,
        warc / unchanged,
        (database.in_use - database_before.in_use) / unchanged,
        (database.stored - database_before.stored) / unchanged,
        database.rows - database_before.rows,
    )


def bench(targets: int, database_url: str | None, scratch: Path) -> None:
    site = Site(targets)
    url = database_url or f"sqlite:///{scratch / 'data' / 'citewatch.db'}"
    with TestWeb() as web:
        urls = [web[i % 4].route(f"/news/{i}.html", site.route(i)) for i in range(targets)]  # type: ignore[arg-type]
        workspace = Workspace(scratch, url, CONFIG)
        assert workspace.cli("add", str(workspace.document(urls))).code == 0
        started = time.perf_counter()
        baseline = workspace.cli("archive", timeout=3600)
        if baseline.code != 0:
            raise SystemExit(f"archive failed:\n{baseline.err}")
        print(
            f"baseline: {targets} pages archived in {time.perf_counter() - started:.0f} s "
            f"({len(site.pages[0]) / 1000:.0f} KB each), database: {url.split(':')[0]}"
        )
        changed = len(range(0, targets, CHANGED_EVERY))
        site.version = 2
        conditional = measure(workspace, web, targets - changed)
        site.version, site.honour_validators = 3, False
        plain = measure(workspace, web, targets - changed)
        site.honour_validators = True
        quiet = [measure(workspace, web, targets) for _ in range(QUIET_NIGHTS)]

    for label, measured in (
        ("with conditional requests, 2% changed", conditional),
        ("without (validators ignored), 2% changed", plain),
        *((f"quiet night {n} (nothing changed)", q) for n, q in enumerate(quiet, 1)),
    ):
        print(f"check --all {label}:")
        print(
            f"  {targets / measured.elapsed:8.1f} checks/s "
            f"({targets} targets in {measured.elapsed:.1f} s)"
        )
        print(f"  {measured.sent:8.0f} bytes transferred per unchanged page")
        print(f"  {measured.warc:8.0f} bytes added to WARC files per unchanged page")
        print(
            f"  {measured.in_use:8.0f} bytes of database per unchanged check "
            f"(files: {measured.stored:.0f}; {measured.rows} snapshot rows added)"
        )
    met = {True: "met", False: "NOT met"}
    print(
        f"targets: 200 checks/s: {met[targets / conditional.elapsed >= 200]}; "
        f"under 1 KB of WARC per unchanged page: {met[conditional.warc < 1000]}; "
        f"under 100 bytes of database per unchanged check: {met[quiet[-1].in_use < 100]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--targets", type=int, default=10_000)
    parser.add_argument(
        "--url", help="a PostgreSQL database to use (a private schema of it); default SQLite"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        if args.url:
            with private_schema(args.url) as url:
                bench(args.targets, url, Path(scratch))
        else:
            bench(args.targets, None, Path(scratch))


if __name__ == "__main__":
    main()
