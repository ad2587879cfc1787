"""Dashboard page speed: a document's page and a link's page on a large document.

Builds a document with 1,000 citations of 1,000 targets holding 10 snapshots each (10,000
snapshots), and the same with 100 citations, on SQLite and, when it answers, PostgreSQL
(CITEWATCH_BENCH_POSTGRES_URL, else postgresql+psycopg://postgres@127.0.0.1:5432/test, in a
private schema dropped afterwards). Then asks the dashboard (Starlette's TestClient, in process)
for /documents/{id} and /links/{target_id} about 20 times each and prints the median time per
request and the SQL statements per request (counted with SQLAlchemy's before_cursor_execute).

Targets: under 150 ms per page, and the same number of statements for 100 and 1,000 citations
(a count that grows with the rows is an N+1 query).

    .venv/bin/python bench/dashboard.py [--requests 20] [--sqlite-only]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, insert, select, text  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from config.loader import load_config  # noqa: E402
from models import Citation, Database, Document, Snapshot, Target  # noqa: E402
from web.app import create_app  # noqa: E402

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SNAPSHOTS_PER_TARGET = 10
STATES = ("alive",) * 7 + ("dead", "drifted", "suspect")  # a tenth of the links in trouble
START = datetime(2024, 1, 1, tzinfo=UTC)
TARGET_MS = 150


@dataclass(frozen=True)
class Figure:
    """One page measured on one database and document size."""

    database: str
    citations: int
    page: str
    status: int
    median_ms: float
    queries: int


def build(database: Database, citations: int) -> tuple[int, int]:
    """A document citing `citations` targets with SNAPSHOTS_PER_TARGET snapshots each; its id
    and a drifted target's id (the link page with the most to show)."""
    database.ensure_schema()
    with database.session() as session:
        document = Document(
            title=f"Briefing with {citations} citations",
            source_name=f"bench-{citations}.txt",
            content_hash=hashlib.sha256(f"bench-{citations}".encode()).hexdigest(),
            format="txt",
            size_bytes=citations * 200,
            note_count=citations,
            added_at=START,
        )
        session.add(document)
        session.flush()
        urls = [f"https://site{i % 40}.example/{citations}/article-{i}" for i in range(citations)]
        session.execute(
            insert(Target),
            [
                {
                    "canonical_url": url,
                    "url_hash": hashlib.sha256(url.encode()).hexdigest(),
                    "host": url.split("/")[2],
                    "first_cited_at": START,
                    "state": STATES[i % len(STATES)],
                    "state_since": START,
                    "last_verdict": "ok",
                    "last_checked_at": START + timedelta(days=SNAPSHOTS_PER_TARGET),
                }
                for i, url in enumerate(urls)
            ],
        )
        query = select(Target.canonical_url, Target.id).where(Target.canonical_url.in_(urls))
        ids: dict[str, int] = dict(session.execute(query).all())
        session.execute(
            insert(Citation),
            [
                {
                    "document_id": document.id,
                    "position": i,
                    "footnote": str(i + 1),
                    "url": url,
                    "canonical_url": url,
                    "target_id": ids[url],
                    "context": f"Claim {i + 1}, as the source reported it at the time.",
                }
                for i, url in enumerate(urls)
            ],
        )
        session.execute(
            insert(Snapshot),
            [
                {
                    "target_id": ids[url],
                    "fetched_at": START + timedelta(days=night),
                    "outcome": "fetched",
                    "status": 200,
                    "final_url": url,
                    "content_type": "text/html",
                    "payload_sha256": hashlib.sha256(f"{url}{night}".encode()).hexdigest(),
                    "warc_file": "citewatch-00001.warc.gz",
                    "warc_offset": night * 1000,
                    "warc_length": 1000,
                    "warc_record_id": f"<urn:uuid:{uuid.uuid4()}>",
                    "title": f"Article {i}",
                    "text": f"Article {i}, night {night}. " * 40,
                    "verdict": "ok",
                }
                for i, url in enumerate(urls)
                for night in range(SNAPSHOTS_PER_TARGET)
            ],
        )
        drifted = ids[urls[STATES.index("drifted")]]
        return document.id, drifted


def measure(
    label: str, database: Database, citations: int, requests: int, home: Path
) -> list[Figure]:
    """The median time and statements per request of the document page and a link page."""
    document_id, target_id = build(database, citations)
    config = load_config(None, home, {})
    statements = [0]

    def count(*args: Any) -> None:
        statements[0] += 1

    event.listen(database.engine, "before_cursor_execute", count)
    figures = []
    with TestClient(create_app(config, database), base_url="http://127.0.0.1:8000") as client:
        for page in (f"/documents/{document_id}", f"/links/{target_id}"):
            client.get(page)  # warm: templates compiled, connections open
            times, counts, status = [], [], 0
            for _ in range(requests):
                statements[0] = 0
                began = time.perf_counter()
                answer = client.get(page)
                times.append((time.perf_counter() - began) * 1000)
                counts.append(statements[0])
                status = answer.status_code
            kind = page.split("/")[1]
            figures.append(
                Figure(label, citations, kind, status, statistics.median(times), max(counts))
            )
    event.remove(database.engine, "before_cursor_execute", count)
    return figures


@contextmanager
def postgres_url() -> Iterator[str | None]:
    """A PostgreSQL URL on a private schema (dropped afterwards), or None if none answers."""
    base = os.environ.get("CITEWATCH_BENCH_POSTGRES_URL", POSTGRES_URL)
    schema = f"citewatch_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError:
        admin.dispose()
        yield None
        return
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def run(label: str, url: str, requests: int, home: Path) -> list[Figure]:
    """Both document sizes on one database (one document each, side by side)."""
    database = Database(url)
    try:
        return [
            figure
            for citations in (100, 1000)
            for figure in measure(label, database, citations, requests, home)
        ]
    finally:
        database.dispose()


def report(figures: list[Figure]) -> int:
    """Print the table; 1 if a page misses a target (slow, or statements growing with rows)."""
    print(
        f"{'database':<11}{'citations':>10}  {'page':<10}{'status':>7}{'median ms':>11}{'SQL':>6}"
    )
    missed = False
    for f in figures:
        print(
            f"{f.database:<11}{f.citations:>10}  {f.page:<10}{f.status:>7}"
            f"{f.median_ms:>11.1f}{f.queries:>6}"
        )
        missed |= f.status == 200 and f.median_ms > TARGET_MS
    by_page: dict[tuple[str, str], set[int]] = {}
    for f in figures:
        if f.status == 200:
            by_page.setdefault((f.database, f.page), set()).add(f.queries)
    for (database, page), counts in sorted(by_page.items()):
        if len(counts) > 1:
            print(f"{database} {page}: statements grow with the rows: {sorted(counts)}")
            missed = True
    for f in figures:
        if f.status == 404:
            print(f"{f.database} /{f.page}/...: 404, the page does not exist yet")
    return 1 if missed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="citewatch-bench-") as directory:
        home = Path(directory)
        figures = run("sqlite", f"sqlite:///{home / 'bench.db'}", args.requests, home)
        if not args.sqlite_only:
            with postgres_url() as url:
                if url is None:
                    print("PostgreSQL does not answer: SQLite only")
                else:
                    figures += run("postgresql", url, args.requests, home)
    return report(figures)


if __name__ == "__main__":
    sys.exit(main())
