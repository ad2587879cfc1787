"""The after-crawl step as runs grow: its time and peak memory for N targets, N = 10,000 and 40,000.

For each count a fresh database (SQLite in a scratch directory, or with `--url` a private schema
of a PostgreSQL database, dropped afterwards) gets, written in bulk with the models: N targets
on 50 hosts cited by one document, one tracked case, an archive run that fetched each of them
(a 3 KB article text apiece), then a check run that found each unchanged (a 304 answering the
archived copy). A child process then runs the after-crawl step (`nightly.after_run`) on both
runs — verdicts, link states, folding the unchanged checks, events — and reports its wall
time and its peak resident memory (VmHWM), apart from the process that wrote the rows.

Target: memory flat — the peak does not grow with the number of targets (the step reads a run
in batches, never all of it at once); under 500 MB at any size.

    .venv/bin/python bench/after_crawl.py [--targets 10000,40000] [--url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cases.tracked import add_terms, ensure_case  # noqa: E402
from config import load_config  # noqa: E402
from models import CrawlRun, Database, Snapshot  # noqa: E402
from models.base import batches  # noqa: E402
from models.document import Citation, Document  # noqa: E402
from models.kinds import Outcome, RunKind, RunStatus  # noqa: E402
from models.targets import ensure_targets  # noqa: E402
from tests.support.databases import private_schema  # noqa: E402

HOSTS = 50
WORDS = "The court of Almaty sentenced the activist to five years for a post on social media. "
TEXT = WORDS * 36  # about 3 KB
NIGHT = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


def build(url: str, count: int) -> None:
    """N targets, an archive run that fetched them all, a check run that found them unchanged."""
    database = Database(url)
    database.ensure_schema()
    urls = [f"https://news{n % HOSTS}.example.kz/article/{n}" for n in range(count)]
    with database.session() as session:
        document = Document(
            title="After-crawl benchmark",
            source_name="after-crawl.txt",
            content_hash=hashlib.sha256(str(count).encode()).hexdigest(),
            format="txt",
            size_bytes=count * 40,
            note_count=count,
            added_at=NIGHT,
        )
        session.add(document)
        case, _ = ensure_case(session, "Marat Zhylanbayev", NIGHT)
        add_terms(case, "alias", ["Жыланбаев"])
        session.flush()
        targets = {url: target.id for url, target in ensure_targets(session, urls, NIGHT).items()}
        citations = [
            {
                "document_id": document.id,
                "position": position,
                "footnote": str(position),
                "url": url,
                "canonical_url": url,
                "target_id": targets[url],
                "context": f"Claim {position}.",
            }
            for position, url in enumerate(urls, 1)
        ]
        for chunk in batches(citations, 5000):
            session.execute(insert(Citation), list(chunk))
        archive = _run(session, RunKind.ARCHIVE, NIGHT, count)
        check = _run(session, RunKind.CHECK, NIGHT + timedelta(days=1), count)
        rows = [_fetched(archive, targets[url], n, NIGHT) for n, url in enumerate(urls)]
        for chunk in batches(rows, 5000):
            session.execute(insert(Snapshot), list(chunk))
    with database.session() as session:
        first = session.query(Snapshot.id, Snapshot.target_id).filter_by(crawl_run_id=archive)
        originals = {target: snapshot for snapshot, target in first}
        later = NIGHT + timedelta(days=1)
        revisits = [
            _revisit(check, target, originals[target], later) for target in targets.values()
        ]
        for chunk in batches(revisits, 5000):
            session.execute(insert(Snapshot), list(chunk))
    database.dispose()


def _run(session: Session, kind: RunKind, at: datetime, count: int) -> int:
    run = CrawlRun(
        kind=kind,
        scope="all",
        status=RunStatus.FINISHED,
        planned=count,
        started_at=at,
        finished_at=at + timedelta(hours=1),
    )
    session.add(run)
    session.flush()
    return run.id


def _fetched(run: int, target: int, n: int, at: datetime) -> dict[str, object]:
    return {
        "target_id": target,
        "crawl_run_id": run,
        "fetched_at": at + timedelta(milliseconds=n),
        "outcome": Outcome.FETCHED,
        "status": 200,
        "content_type": "text/html",
        "content_length": 9000,
        "payload_sha256": hashlib.sha256(str(n).encode()).hexdigest(),
        "warc_file": "citewatch-00000.warc.gz",
        "warc_offset": n * 4000,
        "warc_length": 4000,
        "text": f"{TEXT} Article {n}.",
        "title": f"Article {n}",
        "etag": f'"{n}"',
        "redirect_chain": [],
    }


def _revisit(run: int, target: int, original: int, at: datetime) -> dict[str, object]:
    return {
        "target_id": target,
        "crawl_run_id": run,
        "fetched_at": at + timedelta(milliseconds=target),
        "outcome": Outcome.FETCHED,
        "status": 304,
        "revisit_of_id": original,
        "redirect_chain": [],
    }


def evaluate(url: str) -> dict[str, float]:
    """In this (fresh) process: the after-crawl step on both runs; its seconds and peak MB."""
    from nightly.after_run import after_run

    scratch = Path(tempfile.mkdtemp())
    config = load_config(None, scratch, {"CITEWATCH_CHECK_MEMENTO": "false"}, scratch)
    database = Database(url)
    before = _high_water_kb()
    started = time.perf_counter()
    done = after_run(database, config, NIGHT + timedelta(days=1, hours=2))
    seconds = time.perf_counter() - started
    peak = _high_water_kb()
    database.dispose()
    return {
        "runs": len(done.runs),
        "seconds": seconds,
        "peak_mb": peak / 1024,
        "start_mb": before / 1024,
    }


def _high_water_kb() -> int:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from the
    parent that started it)."""
    status = Path("/proc/self/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))


def measure(url: str | None, count: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as scratch:
        schema = private_schema(url, "citewatch_bench") if url else nullcontext(None)
        with schema as private:
            database_url = private or f"sqlite:///{scratch}/citewatch.db"
            started = time.perf_counter()
            build(database_url, count)
            built = time.perf_counter() - started
            child = subprocess.run(
                [sys.executable, __file__, "--evaluate", database_url],
                check=True,
                capture_output=True,
                text=True,
            )
            figures: dict[str, float] = json.loads(child.stdout.strip().splitlines()[-1])
            figures["build_seconds"] = built
            return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default="10000,40000")
    parser.add_argument("--url", help="a PostgreSQL database (default: SQLite)")
    parser.add_argument("--evaluate", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.evaluate:
        print(json.dumps(evaluate(options.evaluate)))
        return
    print(f"database: {'PostgreSQL' if options.url else 'SQLite'}; {HOSTS} hosts")
    print(f"{'targets':>8} {'after-crawl s':>14} {'per 1k s':>9} {'start MB':>9} {'peak MB':>8}")
    for count in (int(n) for n in options.targets.split(",")):
        figures = measure(options.url, count)
        print(
            f"{count:>8} {figures['seconds']:>14.1f} {figures['seconds'] / count * 1000:>9.2f} "
            f"{figures['start_mb']:>9.0f} {figures['peak_mb']:>8.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
