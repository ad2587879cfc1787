"""Storage that fails under a crawl: a read-only WARC directory, a full disk, a database another
process holds locked, too little free space. Each stops the crawl cleanly: one line saying
why, a non-zero exit, the run (and the nightly step) marked failed, what was fully written
kept, and nothing lost on the next run.

A full disk is a real one: a small tmpfs mounted for the test (root, as in CI).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError
from warcio.archiveiterator import ArchiveIterator

from archive.warc import HttpExchange, WarcWriteError, WarcWriter, recover
from models import CrawlRun
from tests.hostile.conftest import table_rows
from tests.support.databases import postgres_schema_url
from tests.support.mounts import tmpfs
from tests.support.web import Reply, Seen, TestWeb
from tests.support.workspace import TEST_CONFIG, Workspace

WARCIO = str(Path(sys.executable).with_name("warcio"))


def remount(path: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(path)], check=True)


def one_error_line(err: str) -> str:
    """The CLI's whole standard error: exactly one `citewatch: error:` line."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("citewatch: error: "), err[-3000:]
    return lines[0]


def runs(workspace: Workspace) -> list[CrawlRun]:
    database = workspace.database()
    try:
        with database.session() as session:
            found = list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
            for run in found:
                session.expunge(run)
            return found
    finally:
        database.dispose()


def stored(workspace: Workspace) -> dict[str, list[Any]]:
    """Each cited URL's snapshots that hold the page (2xx, in a WARC file)."""
    return {
        url: [s for s in snapshots if s.status == 200 and s.warc_file]
        for url, snapshots in workspace.snapshots_by_url().items()
    }


def check_evidence(workspace: Workspace) -> None:
    """Every WARC file is whole and every row points at its own record."""
    directory = workspace.warc_directory
    assert not list(directory.glob("*.open"))
    for path in directory.glob("*.warc.gz"):
        check = subprocess.run([WARCIO, "check", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout
    for snapshots in workspace.snapshots_by_url().values():
        for snapshot in snapshots:
            if snapshot.warc_file:
                with (directory / snapshot.warc_file).open("rb") as handle:
                    handle.seek(snapshot.warc_offset or 0)
                    record = next(iter(ArchiveIterator(handle)))
                    assert record.rec_headers.get_header("WARC-Record-ID") == (
                        snapshot.warc_record_id
                    )


def pages(web: TestWeb, count: int, size: int = 0, delay: float = 0.0) -> list[str]:
    """Pages on one host; `size` bytes of incompressible payload each (gzip cannot shrink it)."""
    return [
        web[0].route(
            f"/page/{i}.html",
            Reply(
                200,
                os.urandom(size) if size else f"<p>page {i}</p>".encode(),
                [("Content-Type", "application/octet-stream")],
                delay=delay,
            ),
        )
        for i in range(count)
    ]


def config(**crawl: object) -> str:
    """The test configuration with these [crawl] settings (and no public-archive lookups)."""
    lines = [line for line in TEST_CONFIG.splitlines() if line.partition(" = ")[0] not in crawl]
    at = lines.index("[crawl]") + 1
    lines[at:at] = [f"{name} = {json.dumps(value)}" for name, value in crawl.items()]
    return "\n".join(lines) + "\n\n[check]\nmemento = false\n"


def requests_to(web: TestWeb, url: str) -> int:
    return len(web[0].requests_to(url.split(str(web[0].port), 1)[1]))


# -- the WARC writer itself ------------------------------------------------------------------


def exchange(body: bytes) -> HttpExchange:
    from datetime import UTC, datetime

    return HttpExchange(
        "https://vlast.kz/a", "GET", [], 200, "OK", [], body, datetime(2025, 2, 20, tzinfo=UTC)
    )


def test_a_failed_write_is_cut_back_and_the_writer_stops(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "small", "1m") as directory:
        warc = WarcWriter(directory)
        written = []
        with pytest.raises(WarcWriteError, match="No space left on device") as failure:
            for _ in range(20):
                written.append(warc.write_exchange(exchange(os.urandom(150_000))))
        assert str(directory) in str(failure.value)
        (path,) = directory.iterdir()
        end = written[-1][1].offset + written[-1][1].length  # the last whole request record
        assert path.stat().st_size == end  # the cut record is gone
        with pytest.raises(WarcWriteError):  # and nothing more is written
            warc.write_exchange(exchange(b"small"))
        warc.close()
        with path.with_name(path.name.removesuffix(".open")).open("rb") as handle:
            records = [r.rec_type for r in ArchiveIterator(handle)]
        assert records == ["warcinfo"] + ["response", "request"] * len(written)
        assert recover(directory) == []


def test_records_written_for_rows_not_committed_are_taken_back(tmp_path: Path) -> None:
    with WarcWriter(tmp_path) as warc:
        response, _ = warc.write_exchange(exchange(b"page"))
        mark = warc.mark()
        warc.write_metadata("https://vlast.kz/a", response, {"citewatch-snapshot-id": 1})
        warc.rollback(mark)
        assert warc.mark() == mark
    (path,) = tmp_path.iterdir()
    with path.open("rb") as handle:
        assert [r.rec_type for r in ArchiveIterator(handle)] == ["warcinfo", "response", "request"]


# -- crawls ----------------------------------------------------------------------------------


def test_a_read_only_warc_directory_fails_archive_and_nightly_before_any_fetch(
    web: TestWeb, tmp_path: Path
) -> None:
    toml = config(probe_siblings=False, min_free_mb=1)
    workspace = Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}", toml)
    with tmpfs(workspace.warc_directory, "8m", read_only=True) as warcs:
        urls = pages(web, 3)
        assert workspace.cli("add", str(workspace.document(urls))).code == 0
        before = table_rows(workspace.database_url)

        run = workspace.cli("archive")
        assert run.code == 1
        line = one_error_line(run.err)
        assert f"{warcs} is not writable: Read-only file system" in line
        assert "Nothing to archive" not in run.out
        assert table_rows(workspace.database_url) == before  # no run, no row
        assert web[0].seen == []

        nightly = workspace.cli("nightly")
        assert nightly.code == 1 and "archive: failed" in nightly.out
        steps = json.loads(workspace.cli("runs", "--format", "json").out)
        archive = next(step for step in steps if step["step"] == "archive")
        assert archive["status"] == "failed"
        assert "Read-only file system" in archive["error"] and "\n" not in archive["error"]
        assert web[0].seen == []

        remount(warcs, "rw")
        again = workspace.cli("archive")
        assert again.code == 0, again.err
        assert all(len(found) == 1 for found in stored(workspace).values())
        assert sorted(stored(workspace)) == sorted(urls)


def test_a_full_disk_stops_the_crawl_and_the_next_run_loses_nothing(
    web: TestWeb, tmp_path: Path
) -> None:
    toml = config(probe_siblings=False, min_free_mb=1, concurrency_per_host=1)
    workspace = Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}", toml)
    with tmpfs(workspace.warc_directory, "3m") as warcs:
        urls = pages(web, 12, size=400_000)
        assert workspace.cli("add", str(workspace.document(urls))).code == 0

        run = workspace.cli("archive")
        assert run.code == 1
        line = one_error_line(run.err)
        assert "No space left on device" in line and str(warcs) in line
        assert "Run the same command again once this is fixed" in line
        (failed,) = runs(workspace)
        assert failed.status == "failed" and "No space left on device" in (failed.error or "")
        kept = {url: found for url, found in stored(workspace).items() if found}
        assert 2 <= len(kept) < len(urls)  # what was fully written is kept
        check_evidence(workspace)

        remount(warcs, "size=64m")
        again = workspace.cli("archive")
        assert again.code == 0, again.err
        assert sorted(stored(workspace)) == sorted(urls)
        assert all(len(found) == 1 for found in stored(workspace).values())
        for url in kept:  # stored pages were not fetched again
            assert requests_to(web, url) == 1
        assert [r.status for r in runs(workspace)] == ["failed", "finished"]
        check_evidence(workspace)


def test_a_full_data_directory_fails_with_one_line_not_hundreds_of_tracebacks(
    web: TestWeb, tmp_path: Path
) -> None:
    """Database, logs and WARC files on one small disk: whichever write fails first."""
    toml = config(probe_siblings=False, min_free_mb=1, concurrency_per_host=1)
    workspace = Workspace(tmp_path, f"sqlite:///{tmp_path / 'data' / 'citewatch.db'}", toml)
    with tmpfs(workspace.home, "4m") as home:
        urls = pages(web, 12, size=400_000)
        assert workspace.cli("add", str(workspace.document(urls))).code == 0

        run = workspace.cli("archive")  # the crawl's log is on that disk too
        assert run.code == 1
        line = one_error_line(run.err)
        assert "No space left on device" in line or "database or disk is full" in line

        remount(home, "size=64m")
        again = workspace.cli("archive")
        assert again.code == 0, again.err
        assert sorted(stored(workspace)) == sorted(urls)
        assert all(len(found) == 1 for found in stored(workspace).values())


def wait_for_a_snapshot(workspace: Workspace, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        engine = create_engine(workspace.database_url)
        try:
            with engine.connect() as connection:
                if connection.execute(text("SELECT count(*) FROM snapshots")).scalar():
                    return
        except OperationalError:
            pass  # no table yet
        finally:
            engine.dispose()
        time.sleep(0.1)
    raise AssertionError("no snapshot stored")


@contextmanager
def locker(database_url: str, hold: float) -> Iterator[threading.Event]:
    """Another process's write lock on the database, taken when the event is set and held
    for `hold` seconds."""
    start, done = threading.Event(), threading.Event()

    def hold_lock() -> None:
        start.wait()
        if database_url.startswith("sqlite"):
            connection = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=30)
            connection.execute("BEGIN IMMEDIATE")  # the write lock of the whole database
        else:
            connection = psycopg.connect(database_url.replace("+psycopg", ""))  # type: ignore[assignment]
            connection.execute("LOCK TABLE snapshots IN EXCLUSIVE MODE")  # rows cannot go in
        done.wait(hold)
        connection.rollback()
        connection.close()

    thread = threading.Thread(target=hold_lock, daemon=True)
    thread.start()
    try:
        yield start
    finally:
        start.set()
        done.set()
        thread.join()


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_a_database_locked_by_another_process_stops_the_crawl(
    web: TestWeb, tmp_path: Path, backend: str
) -> None:
    urls_of = postgres_schema_url() if backend == "postgresql" else None
    database_url = next(urls_of) if urls_of else f"sqlite:///{tmp_path / 'citewatch.db'}"
    try:
        toml = config(
            probe_siblings=False, database_timeout=0.5, concurrency_per_host=1, timeout=30
        )
        workspace = Workspace(tmp_path, database_url, toml)
        with locker(database_url, hold=5) as lock:
            asked: list[str] = []

            def page(seen: Seen) -> Reply:
                asked.append(seen.path)
                if len(asked) == 2:  # answered once the first page's row is committed
                    wait_for_a_snapshot(workspace)
                    lock.set()
                return Reply.html(f"<p>{seen.path}</p>")

            urls = [web[0].route(f"/p/{i}.html", page) for i in range(4)]
            assert workspace.cli("add", str(workspace.document(urls))).code == 0
            run = workspace.cli("archive")
        assert run.code == 1
        line = one_error_line(run.err)
        assert "cannot write to the database" in line
        assert "database is locked" in line or "lock timeout" in line
        assert "Unhandled error" not in run.err
        (failed,) = runs(workspace)
        assert failed.status == "failed" and "cannot write to the database" in (failed.error or "")
        kept = [url for url, found in stored(workspace).items() if found]
        assert len(kept) == 1  # the page stored before the lock, and nothing half-written

        again = workspace.cli("archive")
        assert again.code == 0, again.err
        assert sorted(stored(workspace)) == sorted(urls)
        assert all(len(found) == 1 for found in stored(workspace).values())
        assert requests_to(web, kept[0]) == 1
    finally:
        if urls_of is not None:
            urls_of.close()


def test_too_little_free_space_refuses_to_start(web: TestWeb, tmp_path: Path) -> None:
    toml = config(min_free_mb=10**9)
    workspace = Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}", toml)
    assert workspace.cli("add", str(workspace.document(pages(web, 2)))).code == 0
    before = table_rows(workspace.database_url)
    run = workspace.cli("archive")
    assert run.code == 1
    line = one_error_line(run.err)
    assert f"MB free in {workspace.home}" in line and "crawl.min_free_mb" in line
    assert table_rows(workspace.database_url) == before and web[0].seen == []
