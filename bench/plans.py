"""Query plans of the hot queries on PostgreSQL, without and with the indexes of migration 0014.

Creates a database on the server (citewatch_bench_<random>, dropped afterwards) at the newest
schema and fills it through COPY: 100,000 targets cited by 200 documents (120,000 citations),
about 3 snapshots per target, 10,000 alert events of the past year with their digests in the
outbox and their recipients' ledger. After VACUUM ANALYZE it runs the code's own queries once to
capture the SQL they send (SQLAlchemy's before_cursor_execute), then prints for each hot query
the `EXPLAIN (ANALYZE, BUFFERS)` plan of every statement, its time (planning and execution,
median of 5), the pages it touched (buffers: the same however busy the machine is) and the big
tables it reads by a Seq Scan: once with 0014's indexes dropped (its downgrade), once with them
(its upgrade). Ends with a table of both.

Targets: with the indexes, a query about one document, one recipient or the nightly "is there
work?" under 20 ms; no Seq Scan on a big table except where a nightly run looks at all of it.

    .venv/bin/python bench/plans.py [--url postgresql://postgres@127.0.0.1:5432/test]
        [--targets 100000] [--events 10000] [--summary-only]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from alembic.operations import Operations  # noqa: E402
from alembic.runtime.migration import MigrationContext  # noqa: E402
from alembic.script import ScriptDirectory  # noqa: E402
from sqlalchemy import Engine, create_engine, event, select, text  # noqa: E402
from sqlalchemy.engine import URL, make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from alerts.delivery import deliver  # noqa: E402
from alerts.digest import unqueued_events  # noqa: E402
from alerts.routing import _due_events  # noqa: E402  (the recipient's query, as it runs)
from config import Config  # noqa: E402
from config.loader import load_config  # noqa: E402
from health.report import report_rows  # noqa: E402
from models import CrawlRun, Database, Document, Recipient, Target  # noqa: E402
from models.copies import our_copies  # noqa: E402
from models.crawls import (  # noqa: E402
    archive_pending,
    archived_copies,
    check_pending,
    targets_to_archive,
    targets_to_check,
)
from models.database import alembic_config, normalise_url  # noqa: E402

SERVER_URL = "postgresql://postgres@127.0.0.1:5432/test"
REVISION = "0014"  # the migration whose indexes are measured
NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # the night of the queries
MIN_INTERVAL = timedelta(hours=1)
CITATIONS_PER_DOCUMENT = 500  # and a fifth more of sources other documents cite too
SNAPSHOTS_PER_TARGET = 3
RUNS = 60  # check runs, one a night
DAYS = 365  # of alert events
RECIPIENTS = 20  # 5 subscribed to everything, 15 to one document each
REPEAT = 5
BIG_TABLES = ("targets", "citations", "snapshots", "alert_events", "recipient_events", "outbox")
TABLES = ("documents", "crawl_runs", "recipients", "subscriptions", *BIG_TABLES)
SEQ_SCAN = re.compile(r"Seq Scan on (\w+) .*actual time=\S+ rows=(\d+) loops=(\d+)")
REMOVED = re.compile(r"Rows Removed by Filter: (\d+)")
TIMES = re.compile(r"(Planning|Execution) Time: ([\d.]+) ms")
BUFFERS = re.compile(r"Buffers: shared(?: hit=(\d+))?(?: read=(\d+))?")
LONG_ARRAY = re.compile(r"'\{((?:[^,}]+,){3})[^}]{40,}\}'")
COLUMN_LIST = re.compile(r"\b(\w+)\.\w+(?: AS \w+)?(?:, \1\.\w+(?: AS \w+)?)+")
PARAMETER_LIST = re.compile(r"(%\(\w+\)s(?:::\w+)?)(?:, %\(\w+\)s(?:::\w+)?)+")


@dataclass(frozen=True)
class Statement:
    """One SQL statement as the code sent it, with its parameters."""

    sql: str
    parameters: Any


@dataclass(frozen=True)
class Plan:
    """What EXPLAIN ANALYZE said about a statement."""

    text: str
    ms: float

    @property
    def buffers(self) -> int:
        """The 8 kB pages the statement touched (in memory or read), planning aside: the same
        however busy the machine is."""
        found = BUFFERS.search(self.text.split("\nPlanning")[0])
        return sum(int(n or 0) for n in found.groups()) if found else 0

    @property
    def seq_scans(self) -> dict[str, int]:
        """The big tables read by a Seq Scan, and how many rows the scans read (a scan under
        EXISTS or LIMIT stops at the first row it needs)."""
        found: dict[str, int] = {}
        lines = self.text.splitlines()
        for number, line in enumerate(lines):
            match = SEQ_SCAN.search(line)
            if match is None or match[1] not in BIG_TABLES:
                continue
            removed = 0
            for detail in lines[number + 1 :]:
                if "->" in detail:
                    break
                if filtered := REMOVED.search(detail):
                    removed = int(filtered[1])
                    break
            rows = (int(match[2]) + removed) * int(match[3])
            found[match[1]] = found.get(match[1], 0) + rows
        return found


@dataclass(frozen=True)
class HotQuery:
    """A query the code runs often or on big data: its name and how to run it."""

    name: str
    run: Callable[[Session, Scene], object]
    statements: int | None = None  # explain the first N (None: all); the call stops there


class Captured(Exception):
    """The statements to explain were seen: the rest of the call is not needed."""


# -- data -----------------------------------------------------------------------------------


def copy_rows(cursor: psycopg.Cursor[Any], table: str, rows: Iterable[dict[str, Any]]) -> None:
    """COPY rows into a table; the columns are the first row's keys."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    with cursor.copy(f"COPY {table} ({', '.join(first)}) FROM STDIN") as copy:
        for row in itertools.chain([first], rows):
            copy.write_row(tuple(row.values()))


def fill(conninfo: str, targets: int, events: int, rng: random.Random) -> None:
    """The bench data, through COPY on one psycopg connection."""
    documents = max(1, targets // CITATIONS_PER_DOCUMENT)
    with psycopg.connect(conninfo) as connection, connection.cursor() as cursor:
        copy_rows(cursor, "documents", document_rows(documents))
        copy_rows(cursor, "targets", target_rows(targets, rng))
        copy_rows(cursor, "citations", citation_rows(targets, documents, rng))
        copy_rows(cursor, "crawl_runs", run_rows())
        copy_rows(cursor, "snapshots", snapshot_rows(targets, rng))
        fill_alerts(cursor, targets, documents, events, rng)
        for table in TABLES:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            )


def night(days_ago: int) -> datetime:
    """The time of a nightly run `days_ago` nights before NOW."""
    return NOW - timedelta(days=days_ago)


def document_rows(count: int) -> Iterator[dict[str, Any]]:
    for d in range(1, count + 1):
        yield {
            "id": d,
            "title": f"Report {d}",
            "source_name": f"report-{d}.pdf",
            "content_hash": f"{d:064x}",
            "format": "pdf",
            "size_bytes": 10**6,
            "note_count": CITATIONS_PER_DOCUMENT,
            "revision": 1,
            "added_at": NOW - timedelta(days=400),
        }


def target_rows(count: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    """Targets: 1% new (never fetched), the others checked in the last week and due within the
    next (alive links wait up to 7 days), so about a sixth are due tonight."""
    for t in range(1, count + 1):
        host = f"site{rng.randrange(count // 50 + 1)}.example"
        url = f"https://{host}/news/{t}"
        row = {"id": t, "canonical_url": url, "url_hash": _hash(url), "host": host}
        row["first_cited_at"] = NOW - timedelta(days=400 - t * 300 / count)
        if t % 100 == 0:
            yield row | {"state": "unknown", "last_checked_at": None, "next_check_at": None}
            continue
        due = NOW + timedelta(hours=rng.uniform(-24, 6 * 24))
        state = rng.choices(("alive", "suspect", "dead", "drifted"), (90, 4, 4, 2))[0]
        yield row | {
            "state": state,
            "last_checked_at": due - timedelta(days=7),
            "next_check_at": due,
        }


def citation_rows(targets: int, documents: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    """Each document cites its own sources, then a fifth as many that others cite too."""
    cid = 0
    per = targets // documents
    for d in range(1, documents + 1):
        own = range((d - 1) * per + 1, d * per + 1)
        shared = rng.sample(range(1, targets + 1), per // 5)
        for position, t in enumerate([*own, *shared]):
            cid += 1
            url = f"https://site.example/news/{t}"
            yield {
                "id": cid,
                "document_id": d,
                "position": position,
                "footnote": str(position + 1),
                "url": url,
                "canonical_url": url,
                "target_id": t,
                "context": f"Claim {position}, as the source reported it.",
            }


def run_rows() -> Iterator[dict[str, Any]]:
    """A check run a night; the last (id RUNS) is the one resumed."""
    for r in range(1, RUNS + 1):
        at = night(RUNS - r)
        yield {
            "id": r,
            "kind": "check",
            "scope": "all",
            "refresh": False,
            "status": "finished",
            "planned": 0,
            "started_at": at,
            "finished_at": at,
            "evaluated_at": at,
        }


def snapshot_rows(targets: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    """Three fetches a week apart per target (none for new ones): mostly good copies, some
    304 revisits of the previous one, some not-found pages and timeouts; 1% never preserved."""
    sid = 0
    for t in range(1, targets + 1):
        if t % 100 == 0:
            continue
        previous: int | None = None
        for k in range(SNAPSHOTS_PER_TARGET):
            sid += 1
            days = 7 * (SNAPSHOTS_PER_TARGET - 1 - k) + rng.randrange(7)
            url = f"https://site.example/news/{t}"
            roll = 99 if t % 100 == 1 else rng.randrange(100)
            row = {
                "id": sid,
                "target_id": t,
                "crawl_run_id": RUNS - days,
                "fetched_at": night(days) + timedelta(seconds=t % 3600),
                "redirect_chain": "[]",
            }
            revisit = previous if roll < 5 else None
            status, verdict = (404, "not_found") if roll >= 92 else (200, "ok")
            fetched = {
                "outcome": "fetched",
                "status": 304 if revisit else status,
                "verdict": verdict,
                "final_url": url,
                "content_type": "text/html",
                "payload_sha256": _hash(f"{t}-{k}"),
                "warc_file": "citewatch-00001.warc.gz",
                "warc_offset": sid * 1000,
                "warc_length": 900,
                "warc_record_id": f"<urn:uuid:{uuid.UUID(int=rng.getrandbits(128))}>",
                "revisit_of_id": revisit,
                "extraction": "ok",
                "title": f"Article {t}",
                "text": f"Article {t}, as archived. " * 20,
            }
            if roll >= 97:  # every row has the same columns, for COPY
                fetched = dict.fromkeys(fetched) | {"outcome": "timeout", "verdict": "unreachable"}
            yield row | fetched
            if status == 200 and revisit is None and roll < 97:
                previous = sid


def fill_alerts(
    cursor: psycopg.Cursor[Any], targets: int, documents: int, events: int, rng: random.Random
) -> None:
    """A year of link events, each night's in the digest for the configured addresses and in
    the subscribers' messages (their ledger); last night's not yet queued, its messages unsent."""
    start = NOW - timedelta(days=DAYS)

    def message(day: int, recipient: int) -> int:  # 0: the configured addresses' digest
        return day * (RECIPIENTS + 1) + recipient + 1

    copy_rows(
        cursor,
        "recipients",
        (
            {"id": r, "address": f"reader{r}@example.org", "language": "en", "created_at": start}
            for r in range(1, RECIPIENTS + 1)
        ),
    )
    copy_rows(
        cursor,
        "subscriptions",
        (
            {
                "id": r,
                "recipient_id": r,
                "kind": "all" if r <= 5 else "document",
                "document_id": None if r <= 5 else r % documents + 1,
                "cadence": "immediate",
                "created_at": start,
            }
            for r in range(1, RECIPIENTS + 1)
        ),
    )
    copy_rows(
        cursor,
        "outbox",
        (
            {
                "id": message(day, r),
                "created_at": start + timedelta(days=day),
                "subject": "citewatch digest",
                "recipients": f"reader{r}@example.org" if r else "team@example.org",
                "recipient_id": r or None,
                "file": f"{message(day, r):08d}.eml",
                "sent_at": None if day == DAYS else start + timedelta(days=day, minutes=5),
                "attempts": 1,
            }
            for day in range(DAYS + 1)
            for r in range(RECIPIENTS + 1)
        ),
    )
    queued = events - events // 100  # the last 1% were detected last night
    alert_rows: list[dict[str, Any]] = []
    ledger_rows: list[dict[str, Any]] = []
    for e in range(1, events + 1):
        day = DAYS if e > queued else e * DAYS // queued
        detected = start + timedelta(days=day) - timedelta(hours=2)
        sent = None if day == DAYS else detected + timedelta(hours=2, minutes=5)
        alert_rows.append(
            {
                "id": e,
                "kind": rng.choice(("link_dead", "link_drifted", "link_recovered")),
                "detected_at": detected,
                "target_id": rng.randrange(1, targets + 1),
                "since": detected,
                "outbox_id": None if day == DAYS else message(day, 0),
                "sent_at": sent,
            }
        )
        if day == DAYS:
            continue
        for r in (*range(1, 6), rng.randrange(6, RECIPIENTS + 1)):
            ledger_rows.append(
                {
                    "id": len(ledger_rows) + 1,
                    "recipient_id": r,
                    "event_id": e,
                    "outbox_id": message(day, r),
                    "sent_at": sent,
                }
            )
    copy_rows(cursor, "alert_events", alert_rows)
    copy_rows(cursor, "recipient_events", ledger_rows)


def _hash(text_: str) -> str:
    return hashlib.sha256(text_.encode()).hexdigest()


# -- queries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scene:
    """What the hot queries are asked about, loaded before their statements are captured."""

    run: CrawlRun  # last night's check run, as if resumed: some of its targets are done
    document: Document
    targets: list[Target]  # the document's sources
    due: list[int]  # the targets due tonight
    recipient: Recipient  # subscribed to everything, immediately


def scene(session: Session) -> Scene:
    """The run, document, targets and recipient of the bench, with what they load lazily."""
    run = session.scalar(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1))
    document = session.get(Document, 1)
    recipient = session.get(Recipient, 1)
    assert run is not None and document is not None and recipient is not None
    targets = [citation.target for citation in document.citations]
    due = [t.id for t in targets_to_check(session, run, NOW, False, None, MIN_INTERVAL)]
    assert recipient.subscriptions
    return Scene(run, document, targets, due, recipient)


def hot_queries(database: Database, config: Config) -> list[HotQuery]:
    """The queries the nightly cycle, the crawls, the reports and the digests run."""
    return [
        HotQuery("check pending (nightly)", lambda s, _: check_pending(s, NOW, MIN_INTERVAL)),
        HotQuery(
            "due targets (check run)",
            lambda s, c: targets_to_check(s, c.run, NOW, False, None, MIN_INTERVAL),
        ),
        HotQuery("archive pending (nightly)", lambda s, _: archive_pending(s)),
        HotQuery(
            "targets to archive (archive run)",
            lambda s, c: targets_to_archive(s, c.run, False, None),
        ),
        HotQuery("archived copies (check run)", lambda s, c: archived_copies(s, c.due)),
        HotQuery("our copies (a document)", lambda s, c: our_copies(s, c.targets)),
        HotQuery("report rows (document page)", lambda s, c: report_rows(s, [c.document])),
        HotQuery("unqueued events (digest)", lambda s, _: unqueued_events(s)),
        HotQuery("due events (a recipient)", lambda s, c: _due_events(s, c.recipient, NOW)),
        HotQuery("unsent outbox (delivery)", lambda _s, _c: deliver(database, config, NOW), 1),
    ]


@contextmanager
def capturing(engine: Engine, limit: int | None) -> Iterator[list[Statement]]:
    """The SELECT statements sent while inside; stops the call after `limit` of them."""
    seen: list[Statement] = []

    def record(_c: Any, _cur: Any, sql: str, parameters: Any, _ctx: Any, _many: bool) -> None:
        if sql.lstrip().upper().startswith("SELECT"):
            seen.append(Statement(sql, parameters))
            if limit is not None and len(seen) >= limit:
                raise Captured

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    except Captured:
        pass
    finally:
        event.remove(engine, "before_cursor_execute", record)


def capture(database: Database, query: HotQuery) -> list[Statement]:
    """The statements a hot query sends (in a transaction rolled back afterwards)."""
    with database.sessions() as session:
        setting = scene(session)
        with capturing(database.engine, query.statements) as seen:
            query.run(session, setting)
        session.rollback()
    return seen


def explain(engine: Engine, statement: Statement) -> Plan:
    """EXPLAIN (ANALYZE, BUFFERS): the plan of the last of REPEAT runs, the median time."""
    plans = []
    with engine.connect() as connection:
        cursor = connection.connection.cursor()
        for _ in range(REPEAT):
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement.sql}", statement.parameters)
            lines = "\n".join(row[0] for row in cursor.fetchall())
            plans.append(Plan(lines, sum(float(ms) for _, ms in TIMES.findall(lines))))
        cursor.close()
        connection.rollback()
    return Plan(plans[-1].text, statistics.median(p.ms for p in plans))


@dataclass(frozen=True)
class Figure:
    """A hot query measured: its statements' time and pages summed, and its Seq Scans."""

    ms: float
    buffers: int
    scans: dict[str, int]  # big table: rows read


def measure(
    engine: Engine, captured: dict[str, list[Statement]], label: str, quiet: bool
) -> dict[str, Figure]:
    """Each hot query's figure, its plans printed unless `quiet`."""
    figures = {}
    for name, statements in captured.items():
        plans = [explain(engine, statement) for statement in statements]
        scans: dict[str, int] = {}
        for plan in plans:
            for table, rows in plan.seq_scans.items():
                scans[table] = scans.get(table, 0) + rows
        figure = Figure(sum(p.ms for p in plans), sum(p.buffers for p in plans), scans)
        figures[name] = figure
        if quiet:
            continue
        print(f"\n=== {name} [{label}]: {figure.ms:.1f} ms, {figure.buffers:,} buffers")
        for number, (statement, plan) in enumerate(zip(statements, plans, strict=True), 1):
            print(f"--- {number}: {shorter(statement.sql)}")
            print(LONG_ARRAY.sub(r"'{\1...}'", plan.text))
        print(f"Seq Scan on a big table: {scanned(scans)}")
    return figures


def shorter(sql: str) -> str:
    """A statement in one line, its column and parameter lists cut short."""
    sql = PARAMETER_LIST.sub(r"\1, ...", COLUMN_LIST.sub(r"\1.*", " ".join(sql.split())))
    return sql if len(sql) <= 400 else sql[:400] + "..."


def scanned(scans: dict[str, int]) -> str:
    return ", ".join(f"{table} ({rows:,} rows)" for table, rows in sorted(scans.items())) or "none"


def migrate(engine: Engine, direction: str) -> None:
    """Run the measured migration's upgrade or downgrade (its indexes built or dropped)."""
    script = ScriptDirectory.from_config(alembic_config()).get_revision(REVISION)
    assert script is not None
    with engine.begin() as connection, Operations.context(MigrationContext.configure(connection)):
        getattr(script.module, direction)()
    analyze(engine)


def analyze(engine: Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


@contextmanager
def bench_database(server: str) -> Iterator[URL]:
    """A new database on the server, dropped afterwards."""
    admin = create_engine(make_url(normalise_url(server)), isolation_level="AUTOCOMMIT")
    name = f"citewatch_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def report(before: dict[str, Figure], after: dict[str, Figure]) -> None:
    """The summary table: time and pages (buffers) without and with the indexes."""
    print(f"\nms and buffers without {REVISION}'s indexes (before) and with them (after)")
    print(
        f"{'query':<34}{'ms before':>10}{'ms after':>9}{'buffers before':>15}{'after':>8}", end=""
    )
    print("  Seq Scan on a big table (before -> after)")
    for name, old in before.items():
        new = after[name]
        print(
            f"{name:<34}{old.ms:>10.1f}{new.ms:>9.1f}{old.buffers:>15,}{new.buffers:>8,}"
            f"  {scanned(old.scans)} -> {scanned(new.scans)}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", default=SERVER_URL, help="the server (a database on it)")
    parser.add_argument("--targets", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--summary-only", action="store_true", help="no plans, the table only")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with bench_database(args.url) as url:
        database = Database(url.render_as_string(hide_password=False))
        try:
            database.upgrade()
            began = time.perf_counter()
            conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
            fill(conninfo, args.targets, args.events, random.Random(args.seed))
            analyze(database.engine)
            print(f"built in {time.perf_counter() - began:.0f} s: {counts(database.engine)}")
            config = load_config(None, Path(tempfile.gettempdir()), {})
            captured = {q.name: capture(database, q) for q in hot_queries(database, config)}
            migrate(database.engine, "downgrade")
            before = measure(database.engine, captured, f"without {REVISION}", args.summary_only)
            migrate(database.engine, "upgrade")
            after = measure(database.engine, captured, f"with {REVISION}", args.summary_only)
        finally:
            database.dispose()
    report(before, after)
    return 0


def counts(engine: Engine) -> str:
    """Rows in the big tables."""
    with engine.connect() as connection:
        return ", ".join(
            f"{connection.execute(text(f'SELECT count(*) FROM {t}')).scalar_one():,} {t}"
            for t in BIG_TABLES
        )


if __name__ == "__main__":
    sys.exit(main())
