"""One crawl per data directory at a time, a crawl child that dies with its parent, and runs
that are never shared: a second `archive` fails fast instead of joining a running crawl (the
user's or the nightly cycle's), and `kill -9` of the CLI takes its crawl with it, so the next
`archive --refresh` resumes a dead crawl's run instead of racing a live one."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select

from models import CrawlRun, Snapshot
from tests.hostile.conftest import alive
from tests.support import ROOT
from tests.support.processes import crawl_processes
from tests.support.web import Reply, TestWeb
from tests.support.workspace import CITEWATCH, TEST_CONFIG, Workspace

SLOW = TEST_CONFIG.replace("concurrency_per_host = 4", "concurrency_per_host = 1")


def slow_pages(web: TestWeb, count: int, delay: float) -> list[str]:
    return [
        web[0].route(f"/news/{i}.html", Reply.html(f"<h1>News {i}</h1>", delay=delay))
        for i in range(count)
    ]


@contextmanager
def started(workspace: Workspace, *args: str) -> Iterator[subprocess.Popen[str]]:
    """`citewatch ARGS` running in the background."""
    process = subprocess.Popen(
        [str(CITEWATCH), *args],
        env=workspace.env,
        cwd=workspace.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()


def wait_for(condition: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def snapshot_count(workspace: Workspace) -> int:
    database = workspace.database()
    try:
        with database.session() as session:
            return int(session.scalar(select(func.count(Snapshot.id))) or 0)
    finally:
        database.dispose()


def run_statuses(workspace: Workspace) -> list[tuple[int, str, bool]]:
    database = workspace.database()
    try:
        with database.session() as session:
            rows = session.execute(select(CrawlRun.id, CrawlRun.status, CrawlRun.refresh))
            return [(run_id, str(status), refresh) for run_id, status, refresh in rows]
    finally:
        database.dispose()


def test_a_second_archive_fails_fast_while_one_runs(tmp_path: Path) -> None:
    with TestWeb() as web:
        workspace = Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}", SLOW)
        urls = slow_pages(web, 12, delay=0.4)
        assert workspace.cli("add", str(workspace.document(urls))).code == 0
        with started(workspace, "archive") as first:
            wait_for(lambda: web[0].seen)
            second = workspace.cli("archive")
            assert first.poll() is None  # refused while the first still ran
            _, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
        assert second.code == 1
        assert f"another crawl is running on {workspace.home} (citewatch archive, pid" in second.err
        assert second.err.count("\n") == 1
        assert [status for _, status, _ in run_statuses(workspace)] == ["finished"]
        assert snapshot_count(workspace) == len(urls)
        assert all(len(web[0].requests_to(f"/news/{i}.html")) == 1 for i in range(len(urls)))


def test_archive_does_not_join_the_nightly_crawl(tmp_path: Path) -> None:
    with TestWeb() as web:
        config = SLOW + "\n[check]\nmemento = false\n"
        workspace = Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}", config)
        urls = slow_pages(web, 10, delay=0.4)
        assert workspace.cli("add", str(workspace.document(urls))).code == 0
        with started(workspace, "nightly") as nightly:
            wait_for(lambda: web[0].seen)
            joining = workspace.cli("archive")
            out, err = nightly.communicate(timeout=180)
        assert joining.code == 1
        assert "another crawl is running" in joining.err and "citewatch nightly" in joining.err
        assert nightly.returncode == 0, err
        assert "archive: ok" in out
        assert snapshot_count(workspace) == len(urls)  # fetched once, by the nightly's run
        assert all(len(web[0].requests_to(f"/news/{i}.html")) == 1 for i in range(len(urls)))


def test_kill_9_of_the_cli_takes_its_crawl_along_and_refresh_runs_are_never_shared(
    tmp_path: Path,
) -> None:
    """The bug as reported: 294 snapshots for 200 targets, here at a smaller scale."""
    with TestWeb() as web:
        workspace = Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}", SLOW)
        urls = slow_pages(web, 40, delay=0.0)
        assert workspace.cli("add", str(workspace.document(urls))).code == 0
        assert workspace.cli("archive").code == 0
        # The same pages, slower: the refresh takes a while (12 s, one at a time), so it is
        # surely mid-way when it is killed, however loaded the machine.
        slow_pages(web, 40, delay=0.3)
        with started(workspace, "archive", "--refresh") as refresh:
            wait_for(lambda: snapshot_count(workspace) >= len(urls) + 4)
            children = crawl_processes(refresh.pid)
            assert len(children) == 1
            os.kill(refresh.pid, signal.SIGKILL)  # the CLI only: its crawl child is not signalled
            refresh.wait()
            started_at = time.monotonic()
            wait_for(lambda: not alive(children[0]), timeout=20)
            assert time.monotonic() - started_at < 15
        interrupted = snapshot_count(workspace) - len(urls)
        assert 4 <= interrupted < len(urls)
        slow_pages(web, 40, delay=0.0)
        again = workspace.cli("archive", "--refresh")
        assert again.code == 0, again.err
        assert snapshot_count(workspace) == 2 * len(urls)  # one archive, one refresh: no more
        by_url = workspace.snapshots_by_url()
        assert all(len(snapshots) == 2 for snapshots in by_url.values())
        # the refresh resumed the killed crawl's run (its process was dead) and finished it
        assert run_statuses(workspace) == [(1, "finished", False), (2, "finished", True)]


def test_a_crawl_started_alone_takes_the_lock_too(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}", SLOW)
    workspace.home.mkdir(parents=True)
    # A cited page with no copy yet: every crawl step of the nightly has work to do.
    assert workspace.cli("add", str(workspace.document(["http://127.0.0.2:9/a"]))).code == 0
    with (workspace.home / "crawl.lock").open("a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        alone = subprocess.run(
            [sys.executable, "-m", "crawler", "archive"],
            env=workspace.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        archive = workspace.cli("archive")
        nightly = workspace.cli("nightly")
        steps = json.loads(workspace.cli("runs", "--format", "json").out)
    assert alone.returncode == 4
    assert alone.stderr.startswith(
        f"citewatch: error: another crawl is running on {workspace.home}"
    )
    assert '"event": "failed"' in alone.stdout
    assert archive.code == 1 and "another crawl is running" in archive.err
    assert nightly.code == 1
    failed = {step["step"]: step["error"] for step in steps if step["status"] == "failed"}
    assert set(failed) == {"archive", "check"}
    assert all("another crawl is running" in error for error in failed.values())
    assert run_statuses(workspace) == []
