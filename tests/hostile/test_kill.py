"""Fault test: the crawl SIGKILLed at random points, ten seeds.

Each seed starts a crawl of a document citing 30 pages of the local test web (some slow) —
`citewatch archive` for even seeds, the crawl process alone (`python -m crawler archive`, so
no parent is left to close the run) for odd ones — and kills the crawl process and its
extraction workers with SIGKILL once a seeded number of requests has reached the web, plus a
seeded pause (0 requests: during start-up). Then `citewatch archive` runs again. Then the WARC files the next run recovered must read cleanly to
their last byte with every digest right, SQLite's integrity check must pass, and every target
must hold exactly one snapshot, fetched, pointing at its own response record.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.support.pages import ARTICLES, article_page
from tests.support.web import Reply, TestWeb
from tests.support.workspace import CITEWATCH, TEST_CONFIG, Workspace

PAGES = 30
SEEDS = range(10)
# Extraction in a worker of its own and concurrency kept low, so a kill finds work in every
# stage: requests in flight, records half-written, rows not yet committed.
CONFIG = TEST_CONFIG.replace("concurrency_per_host = 4", "concurrency_per_host = 2")


@pytest.fixture(scope="module")
def web() -> Iterator[TestWeb]:
    with TestWeb() as web:
        yield web


@pytest.fixture(scope="module")
def pages(web: TestWeb) -> list[str]:
    """30 article pages on four hosts; every fifth one takes 0.4 s to answer."""
    urls = []
    for number in range(PAGES):
        page = article_page(ARTICLES[number % len(ARTICLES)]).replace("</h1>", f" №{number}</h1>")
        delay = 0.4 if number % 5 == 0 else 0.0
        urls.append(web[number % 4].route(f"/news/{number}.html", Reply.html(page, delay=delay)))
    return urls


@pytest.fixture(scope="module")
def stored_document(tmp_path_factory: pytest.TempPathFactory, pages: list[str]) -> Path:
    """A database holding the document, copied for each seed (adding it takes a CLI run)."""
    root = tmp_path_factory.mktemp("template")
    workspace = Workspace(root, f"sqlite:///{root / 'citewatch.db'}", CONFIG)
    added = workspace.cli("add", str(workspace.document(pages)))
    assert added.code == 0, added.err
    return root / "citewatch.db"


def children(pid: int) -> list[int]:
    """The processes `pid` started that are still there (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue  # the task ended meanwhile
    return found


def descendants(pid: int) -> list[int]:
    every = []
    for child in children(pid):
        every += [child, *descendants(child)]
    return every


def requests_seen(web: TestWeb) -> int:
    return sum(len(host.seen) for host in web.hosts)


def crash_the_crawl(
    web: TestWeb, workspace: Workspace, rng: random.Random, under_cli: bool
) -> bool:
    """Start a crawl, SIGKILL the crawl process and its workers at the seeded moment; whether
    the kill found the crawl still running."""
    after_requests = rng.randrange(0, PAGES - 5)
    pause = rng.uniform(0.0, 0.3)
    before = requests_seen(web)
    command = [str(CITEWATCH)] if under_cli else [sys.executable, "-m", "crawler"]
    started = subprocess.Popen(
        [*command, "archive"],
        env=workspace.env,
        cwd=workspace.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        crawl = None if under_cli else started.pid
        while time.monotonic() < deadline and started.poll() is None:
            crawl = crawl or next(iter(children(started.pid)), None)
            if crawl is not None and requests_seen(web) - before >= after_requests:
                break
            time.sleep(0.005)
        assert crawl is not None, "the crawl process never started"
        time.sleep(pause)
        killed = False
        for pid in [*descendants(crawl), crawl]:  # the workers and the crawl, all at once
            try:
                os.kill(pid, signal.SIGKILL)
                killed = True
            except ProcessLookupError:
                pass
        started.wait(timeout=120)
        return killed
    finally:
        if started.poll() is None:
            started.kill()
            started.wait()


def read_cleanly(path: Path) -> list[tuple[str, str | None, int]]:
    """Every record of a WARC file, read to the end with digests checked: (type, record id,
    offset). The records must cover the file to its last byte."""
    records = []
    end = 0
    with path.open("rb") as handle:
        iterator = ArchiveIterator(handle, check_digests="raise")
        for record in iterator:
            record.raw_stream.read()
            offset = iterator.get_record_offset()
            records.append(
                (record.rec_type, record.rec_headers.get_header("WARC-Record-ID"), offset)
            )
            end = offset + iterator.get_record_length()
    assert end == path.stat().st_size, f"{path.name}: bytes after the last whole record"
    return records


@pytest.mark.parametrize("seed", SEEDS)
def test_a_crawl_killed_at_random_is_finished_by_the_next_run(
    seed: int, web: TestWeb, pages: list[str], stored_document: Path, tmp_path: Path
) -> None:
    database = tmp_path / "citewatch.db"
    shutil.copyfile(stored_document, database)
    workspace = Workspace(tmp_path, f"sqlite:///{database}", CONFIG)

    killed = crash_the_crawl(web, workspace, random.Random(seed), under_cli=seed % 2 == 0)
    assert killed, "the kill came after the crawl ended: choose earlier kill points"
    before = workspace.snapshots_by_url()

    rerun = workspace.cli("archive")
    assert rerun.code == 0, rerun.err

    assert not list(workspace.warc_directory.glob("*.open")), "a WARC file left open"
    records = {
        path.name: read_cleanly(path) for path in sorted(workspace.warc_directory.glob("*.warc.gz"))
    }
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        statuses = connection.execute("SELECT status FROM crawl_runs ORDER BY id").fetchall()
    assert statuses[-1] == ("finished",), statuses

    snapshots = workspace.snapshots_by_url()
    assert sorted(snapshots) == sorted(pages)
    for url, [snapshot] in snapshots.items():  # exactly one each: nothing fetched twice
        assert (snapshot.outcome, snapshot.status) == ("fetched", 200), url
        assert snapshot.warc_file is not None, url
        [(kind, record_id, _)] = [
            entry for entry in records[snapshot.warc_file] if entry[2] == snapshot.warc_offset
        ]
        assert (kind, record_id) == ("response", snapshot.warc_record_id), url
    for url, stored in before.items():  # rows stored before the kill are the ones kept
        assert [s.id for s in snapshots[url]] == [s.id for s in stored], url
