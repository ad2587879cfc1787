"""Archive runs over time: reruns, --refresh with revisit records, --document, resuming a
crawl killed half-way, proxies, and `python -m crawler archive` for developers."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import brotlicffi
import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.launch import run_crawl
from models import Snapshot
from tests.support import ROOT
from tests.support.pages import MUBARAKOV_EN, YENSEBEK_KK, YENSEBEK_RU, ZHYLANBAEV_RU, article_page
from tests.support.processes import crawl_processes
from tests.support.proxy import ForwardProxy
from tests.support.web import Reply, TestWeb
from tests.support.workspace import TEST_CONFIG, Workspace


def records_in(path: Path) -> list[tuple[str, str | None]]:
    """(type, WARC-Refers-To) of every record, reading every payload to the end."""
    found = []
    with path.open("rb") as handle:
        for record in ArchiveIterator(handle):
            record.content_stream().read()
            found.append((record.rec_type, record.rec_headers.get_header("WARC-Refers-To")))
    return found


def test_reruns_fetch_only_what_is_missing_and_refresh_writes_revisits(
    web: TestWeb, workspace: Workspace
) -> None:
    host = web[0]
    state = {"fixed": False}
    stable = host.route("/stable.html", Reply.html(article_page(YENSEBEK_RU)))
    edited = host.route("/edited.html", Reply.html(article_page(YENSEBEK_KK)))
    flaky = host.route(
        "/flaky.html",
        lambda seen: (
            Reply.html(article_page(MUBARAKOV_EN))
            if state["fixed"]
            else Reply.html("nope", status=404)
        ),
    )
    workspace.cli("add", str(workspace.document([stable, edited, flaky])))

    assert workspace.cli("archive").code == 0
    state["fixed"] = True
    second = workspace.cli("archive")
    assert second.code == 0 and "archived 200" in second.out
    assert [len(host.requests_to(p)) for p in ("/stable.html", "/edited.html", "/flaky.html")] == [
        1,
        1,
        2,
    ]

    nothing = workspace.cli("archive")
    assert nothing.code == 0 and "Nothing to archive" in nothing.out

    host.route("/edited.html", Reply.html(article_page(ZHYLANBAEV_RU)))
    refreshed = workspace.cli("archive", "--refresh")
    assert refreshed.code == 0 and "archived 200 (unchanged)" in refreshed.out
    snapshots = workspace.snapshots_by_url()
    first, again = snapshots[stable]
    assert again.revisit_of_id == first.id and again.payload_sha256 == first.payload_sha256
    assert (
        again.text is None and again.title == YENSEBEK_RU.title
    )  # the text stays with the original
    assert workspace.cli("text", str(again.id)).out == workspace.cli("text", str(first.id)).out
    changed_before, changed_after = snapshots[edited]
    assert (
        changed_after.revisit_of_id is None
        and changed_after.payload_sha256 != changed_before.payload_sha256
    )
    assert changed_after.title == ZHYLANBAEV_RU.title

    with (workspace.warc_directory / (again.warc_file or "")).open("rb") as handle:
        handle.seek(again.warc_offset or 0)
        revisit = next(iter(ArchiveIterator(handle)))
        assert revisit.rec_type == "revisit"
        assert revisit.rec_headers.get_header("WARC-Refers-To") == first.warc_record_id
        assert revisit.rec_headers.get_header("WARC-Refers-To-Target-URI") == stable
        assert revisit.rec_headers.get_header("WARC-Profile").endswith(
            "/revisit/identical-payload-digest"
        )
        assert revisit.raw_stream.read() == b""  # headers only: no second copy of the page
    body = workspace.cli("warc", str(again.id))
    assert body.code == 0 and body.out == article_page(
        YENSEBEK_RU
    )  # served from the original record


def test_document_scope(web: TestWeb, workspace: Workspace) -> None:
    one = web[0].route("/one.html", Reply.html(article_page(YENSEBEK_RU)))
    two = web[1].route("/two.html", Reply.html(article_page(MUBARAKOV_EN)))
    workspace.cli("add", str(workspace.document([one], "first.txt")))
    workspace.cli("add", str(workspace.document([two], "second.txt")))
    assert workspace.cli("archive", "--document", "2").code == 0
    assert sorted(workspace.snapshots_by_url()) == [two]
    missing = workspace.cli("archive", "--document", "9")
    assert missing.code == 1 and "no stored document with id 9" in missing.err


def test_a_killed_crawl_leaves_readable_evidence_and_a_rerun_finishes_it(
    web: TestWeb, tmp_path: Path
) -> None:
    workspace = Workspace(
        tmp_path,
        f"sqlite:///{tmp_path / 'citewatch.db'}",
        TEST_CONFIG.replace("concurrency_per_host = 4", "concurrency_per_host = 1"),
    )
    urls = [
        web[0].route(
            f"/news/{i}.html",
            Reply.html(
                article_page(YENSEBEK_RU).replace("Qaznews24", f"Qaznews24 #{i}"), delay=0.15
            ),
        )
        for i in range(40)
    ]
    workspace.cli("add", str(workspace.document(urls)))
    crawl = subprocess.Popen(
        [str(Path(sys.executable).with_name("citewatch")), "archive"],
        env=workspace.env,
        cwd=workspace.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and sum(map(len, workspace.snapshots_by_url().values())) < 8:
        time.sleep(0.1)
    os.killpg(crawl.pid, signal.SIGKILL)
    crawl.wait()

    stored = {url: snaps[0] for url, snaps in workspace.snapshots_by_url().items()}
    assert 8 <= len(stored) < 40
    for path in workspace.warc_directory.iterdir():
        assert path.name.endswith((".warc.gz", ".warc.gz.open"))
        records_in(path)  # every record written so far reads back
    for snapshot in stored.values():  # every stored row points at whole, matching evidence
        with (workspace.warc_directory / f"{snapshot.warc_file}.open").open("rb") as handle:
            handle.seek(snapshot.warc_offset or 0)
            record = next(iter(ArchiveIterator(handle)))
            assert record.rec_headers.get_header("WARC-Record-ID") == snapshot.warc_record_id

    rerun = workspace.cli("archive")
    assert rerun.code == 0, rerun.err
    snapshots = workspace.snapshots_by_url()
    assert sorted(snapshots) == sorted(urls)
    assert all(
        len(s) == 1 and s[0].outcome == "fetched" and s[0].status == 200 for s in snapshots.values()
    )
    for url in stored:  # what was stored before the kill was not fetched again
        assert len(web[0].requests_to(url.split(str(web[0].port))[1])) == 1
    assert not list(workspace.warc_directory.glob("*.open"))
    for path in workspace.warc_directory.glob("*.warc.gz"):
        check = subprocess.run(
            [str(Path(sys.executable).with_name("warcio")), "check", str(path)], capture_output=True
        )
        assert check.returncode == 0, check.stdout


@pytest.mark.parametrize("how", ["config", "environment"])
def test_requests_go_through_a_proxy(web: TestWeb, tmp_path: Path, how: str) -> None:
    with ForwardProxy("127.0.0.4") as proxy:
        config = TEST_CONFIG
        if how == "config":
            config = TEST_CONFIG.replace("[crawl]\n", f'[crawl]\nproxy = "{proxy.url}"\n')
        workspace = Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}", config)
        if how == "environment":
            workspace.extra_env.update({"http_proxy": proxy.url, "no_proxy": ""})
        page = web[0].route("/via-proxy.html", Reply.html(article_page(YENSEBEK_RU)))
        workspace.cli("add", str(workspace.document([page])))
        assert workspace.cli("archive").code == 0
    assert page in proxy.seen  # and the host's soft-404 probe went the same way:
    assert len(proxy.seen) == 2 and all(url.startswith(web[0].origin) for url in proxy.seen)
    assert [s.path for s in web[0].seen if not s.path.startswith("/citewatch-")] == [
        "/via-proxy.html"
    ]
    (snapshot,) = workspace.snapshots_by_url()[page]
    assert snapshot.status == 200 and snapshot.title == YENSEBEK_RU.title


def test_developers_can_run_the_crawl_process_alone(web: TestWeb, workspace: Workspace) -> None:
    page = web[0].route("/dev.html", Reply.html(article_page(YENSEBEK_RU)))
    workspace.cli("add", str(workspace.document([page])))
    result = subprocess.run(
        [sys.executable, "-m", "crawler", "archive"],
        env=workspace.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert '"event": "planned"' in result.stdout  # progress events for a parent process
    (snapshot,) = workspace.snapshots_by_url()[page]
    assert isinstance(snapshot, Snapshot) and snapshot.title == YENSEBEK_RU.title
    assert snapshot.verdict is None  # the crawl only fetches and records ...
    report = workspace.cli("check")  # ... the next command judges the runs left unjudged
    assert report.code == 0, report.err
    archived = workspace.snapshots_by_url()[page][0]
    assert archived.id == snapshot.id and archived.verdict == "ok"


def test_a_crawl_that_crashes_outside_its_spider_fails_in_one_line(
    web: TestWeb, workspace: Workspace
) -> None:
    page = web[0].route("/crash.html", Reply.html(article_page(YENSEBEK_RU)))
    workspace.cli("add", str(workspace.document([page])))
    result = subprocess.run(
        [sys.executable, "-m", "crawler", "archive", "document=first"],
        env=workspace.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2  # failed, not "stopped" to be resumed
    error = "the crawl crashed: ValueError: invalid literal for int() with base 10: 'first'"
    assert result.stderr == f"citewatch: error: {error}\n"
    assert f'"error": "{error}"' in result.stdout  # the event a parent reads
    (log,) = (workspace.home / "logs").glob("archive-*.log")
    assert "Traceback" in log.read_text()
    assert workspace.snapshots_by_url() == {}


def test_a_caller_with_threads_starts_its_crawl_in_a_new_interpreter(
    web: TestWeb, workspace: Workspace
) -> None:
    page = web[0].route("/threads.html", Reply.html(article_page(YENSEBEK_RU)))
    workspace.cli("add", str(workspace.document([page])))
    names: list[str] = []

    def on_event(event: dict[str, object]) -> None:
        if event.get("event") == "planned":  # the child is running: what is it?
            (child,) = (Path(f"/proc/{pid}") for pid in crawl_processes(os.getpid()))
            names.append((child / "cmdline").read_bytes().decode())

    stop = threading.Event()
    waiting = threading.Thread(target=stop.wait)  # a scheduler's thread, say
    waiting.start()
    try:
        result = run_crawl("archive", {}, workspace.env, on_event, cwd=ROOT)
    finally:
        stop.set()
        waiting.join()
    assert result.code == 0 and result.closed is not None
    assert names == [f"{sys.executable}\0-m\0crawler\0archive\0--parent\0{os.getpid()}\0"]
    (snapshot,) = workspace.snapshots_by_url()[page]
    assert snapshot.title == YENSEBEK_RU.title


def test_scrapy_crawl_without_the_configuration_says_how_to_start_a_crawl(
    workspace: Workspace,
) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).with_name("scrapy")), "crawl", "archive"],
        env=workspace.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "python -m crawler" in result.stderr


@pytest.mark.parametrize("obey", [False, True])
def test_robots_txt_is_a_documented_choice(web: TestWeb, tmp_path: Path, obey: bool) -> None:
    config = TEST_CONFIG.replace("[crawl]\n", f"[crawl]\nobey_robots_txt = {str(obey).lower()}\n")
    workspace = Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}", config)
    web[0].route(
        "/robots.txt",
        Reply(200, b"User-agent: *\nDisallow: /private/\n", [("Content-Type", "text/plain")]),
    )
    page = web[0].route("/private/statement.html", Reply.html(article_page(YENSEBEK_RU)))
    workspace.cli("add", str(workspace.document([page])))
    assert workspace.cli("archive").code == 0
    (snapshot,) = workspace.snapshots_by_url()[page]
    if obey:
        assert snapshot.outcome == "policy" and "robots.txt" in (snapshot.error or "")
        assert web[0].requests_to("/private/statement.html") == []
    else:
        assert snapshot.status == 200
        assert web[0].requests_to("/robots.txt") == []  # a cited page is a reader's visit


@pytest.mark.parametrize(("delay", "answer"), [(0.0, 0.3), (0.4, 0.0)])
def test_one_request_at_a_time_per_host_with_a_delay(
    web: TestWeb, tmp_path: Path, delay: float, answer: float
) -> None:
    polite = TEST_CONFIG.replace("delay = 0\n", f"delay = {delay}\n").replace(
        "concurrency_per_host = 4", "concurrency_per_host = 1"
    )
    workspace = Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}", polite)
    pages = [
        web[0].route(f"/p/{i}.html", Reply.html(article_page(YENSEBEK_RU), delay=answer))
        for i in range(4)
    ]
    web[0].fallback = Reply.html(
        "not found", status=404, delay=answer
    )  # the soft-404 probe's answer
    workspace.cli("add", str(workspace.document(pages)))
    assert workspace.cli("archive").code == 0
    arrivals = sorted(seen.at for seen in web[0].seen)  # the four pages and the host's probe
    assert len(arrivals) == 5
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    # one request at a time: the next waits for the answer; and at least half the delay apart
    assert min(gaps) >= max(answer, delay / 2) - 0.02, gaps


def test_brotli_bodies_sent_unasked_are_capped_and_still_read_back(
    web: TestWeb, workspace: Workspace
) -> None:
    page = article_page(MUBARAKOV_EN).encode()
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "br")]
    fine = web[0].route("/br.html", Reply(200, brotlicffi.compress(page), headers))
    bomb = web[0].route(
        "/bomb.br", Reply(200, brotlicffi.compress(b"\0" * (40 * 2**20), quality=1), headers)
    )
    workspace.cli("add", str(workspace.document([fine, bomb])))
    assert workspace.cli("archive").code == 0
    snapshots = workspace.snapshots_by_url()
    (good,), (capped,) = snapshots[fine], snapshots[bomb]
    assert good.status == 200 and good.title == MUBARAKOV_EN.title
    assert capped.outcome == "too_large" and "max size" in (capped.error or "").lower().replace(
        "maxsize", "max size"
    )
    body = workspace.cli("warc", str(good.id))
    assert body.code == 0 and body.out == page.decode()
