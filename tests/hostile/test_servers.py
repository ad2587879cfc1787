"""Hostile web servers: bombs, endless bodies and headers, slow drips, resets, answers that are
not HTTP, redirect tricks, absurd Retry-After values.

One `citewatch archive` crawls every scenario at once, as users run it, with the default body
cap (20 MB) and every process of it under an address-space limit (RLIMIT_AS). Each scenario
then asserts the stored outcome, status and verdict, the error as stored and shown, the link's
state in `citewatch report`, how often the server was asked, and that nothing else changed.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import socketserver
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import brotlicffi
import pytest
from sqlalchemy import create_engine, text

from models import Snapshot
from tests.hostile.conftest import LimitedRun, limited_cli, table_rows
from tests.support.pages import ZHYLANBAEV_RU, article_page
from tests.support.web import Reply, TestWeb
from tests.support.workspace import TEST_CONFIG, Workspace

MEMORY_MB = 768  # RLIMIT_AS of the CLI and its crawl child: far below what the attacks ask for
PEAK_MB = 512  # resident memory the biggest process of the run may reach
HOSTILE_CONFIG = (
    TEST_CONFIG.replace("max_body_mb = 5", "max_body_mb = 20")  # the default cap
    .replace("timeout = 1.5", "timeout = 6")  # 20 MB through a busy crawl fits in it
    .replace("concurrency_per_host = 4", "concurrency_per_host = 8\nconcurrency = 32")
    + "\n[check]\nmemento = false\n"
)
OK_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
ZEROS = b"\0" * (100 * 2**20)

# -- a server that speaks raw bytes --------------------------------------------------------

Behaviour = Callable[[socket.socket], None]


class RawHost:
    """A TCP server answering each request path with raw bytes: HTTP as it should not be."""

    def __init__(self, address: str) -> None:
        self.behaviours: dict[str, Behaviour] = {}
        self.seen: list[str] = []
        host = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                request = b""
                while b"\r\n\r\n" not in request and len(request) < 65536:
                    piece = self.request.recv(65536)
                    if not piece:
                        return
                    request += piece
                parts = request.split(b" ", 2)
                path = parts[1].decode("latin-1") if len(parts) == 3 else "/"
                host.seen.append(path)
                with contextlib.suppress(OSError):  # the crawler hung up, as it should
                    host.behaviours.get(path, not_found)(self.request)

        self.server = socketserver.ThreadingTCPServer((address, 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://{address}:{self.server.server_address[1]}"

    def route(self, path: str, behaviour: Behaviour) -> str:
        self.behaviours[path] = behaviour
        return self.origin + path

    def requests_to(self, path: str) -> int:
        return self.seen.count(path)

    def __enter__(self) -> RawHost:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def not_found(sock: socket.socket) -> None:
    sock.sendall(
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found"
    )


def send(data: bytes) -> Behaviour:
    return lambda sock: sock.sendall(data)


def forever(head: bytes, piece: bytes, pause: float = 0.0, limit: float = 60) -> Behaviour:
    """Send `head`, then `piece` again and again (until the client hangs up)."""

    def behave(sock: socket.socket) -> None:
        sock.sendall(head)
        end = time.monotonic() + limit
        while time.monotonic() < end:
            sock.sendall(piece)
            time.sleep(pause)

    return behave


def reset_after(data: bytes) -> Behaviour:
    """Send `data`, then a TCP reset."""

    def behave(sock: socket.socket) -> None:
        sock.sendall(data)
        time.sleep(0.1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()

    return behave


def hang_up(sock: socket.socket) -> None:
    """Read the request, answer nothing."""


# -- the scenarios ---------------------------------------------------------------------------


@dataclass
class Hosts:
    web: TestWeb
    raw: RawHost
    secret: TestWeb  # 127.0.0.1: an internal service no redirect may reach

    def encoded(self, path: str, encoding: str, body: bytes) -> str:
        headers = [("Content-Type", "text/html"), ("Content-Encoding", encoding)]
        return self.web[0].route(path, Reply(200, body, headers))

    def requests(self, url: str) -> int:
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" == self.raw.origin:
            return self.raw.requests_to(parts.path)
        host = next(h for h in self.web.hosts if h.origin == f"{parts.scheme}://{parts.netloc}")
        return len(host.requests_to(parts.path))


@dataclass(frozen=True)
class Scenario:
    """A hostile server, and what citewatch must make of it."""

    name: str
    serve: Callable[[Hosts], str]  # sets the server up; the URL to cite
    outcome: str
    status: int | None
    verdict: str
    says: str  # in the stored error (or, for a page, its text)
    state: str = "suspect"  # in `citewatch report` after this first check
    requests: int | None = None  # how often the server is asked, where it matters


def thirty_redirects(hosts: Hosts) -> str:
    for hop in range(1, 31):
        hosts.web[2].route(f"/r/{hop}", Reply.redirect(hosts.web[2].url(f"/r/{hop + 1}")))
    return hosts.web[2].route("/r/0", Reply.redirect(hosts.web[2].url("/r/1")))


def redirect_loop(hosts: Hosts) -> str:
    hosts.web[2].route("/loop/b", Reply.redirect(hosts.web[2].url("/loop/a")))
    return hosts.web[2].route("/loop/a", Reply.redirect(hosts.web[2].url("/loop/b")))


MAX_SIZE = "exceeded DOWNLOAD_MAXSIZE"
OVER = "body over the download max size (20971520 bytes)"
SCENARIOS = (
    Scenario(
        "gzip bomb",
        lambda h: h.encoded("/gz", "gzip", gzip.compress(ZEROS, 1)),
        "too_large", 200, "blocked", MAX_SIZE, requests=1,
    ),
    Scenario(
        "deflate bomb",
        lambda h: h.encoded("/deflate", "deflate", zlib.compress(ZEROS, 1)),
        "too_large", 200, "blocked", MAX_SIZE,
    ),
    Scenario(
        "brotli bomb",
        lambda h: h.encoded("/br", "br", brotlicffi.compress(ZEROS, quality=1)),
        "too_large", 200, "blocked", MAX_SIZE,
    ),
    Scenario(
        "gzip bomb inside gzip",
        lambda h: h.encoded("/gzgz", "gzip, gzip", gzip.compress(gzip.compress(ZEROS, 1), 1)),
        "too_large", 200, "blocked", MAX_SIZE,
    ),
    Scenario(
        "gzip that is not gzip",
        lambda h: h.encoded("/bad.gz", "gzip", b"not gzip at all " * 20),
        "error", 200, "unreachable", "BadGzipFile: Not a gzipped file",
    ),
    Scenario(
        "25 MB body with its Content-Length",
        lambda h: h.web[1].route("/big", Reply(200, b"x" * (25 * 2**20))),
        "too_large", None, "blocked", "Expected to receive 26214400 bytes", requests=1,
    ),
    Scenario(
        "25 MB chunked body",
        lambda h: h.web[1].route("/big-chunked", Reply(200, b"x" * (25 * 2**20), chunked=True)),
        "too_large", 200, "blocked", OVER, requests=1,
    ),
    Scenario(
        "endless chunked body",
        lambda h: h.raw.route(
            "/endless",
            forever(OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n", b"10000\r\n" + b"x" * 65536 + b"\r\n"),
        ),
        "too_large", 200, "blocked", OVER, requests=1,
    ),
    Scenario(
        "endless body without framing",
        lambda h: h.raw.route("/unframed", forever(b"HTTP/1.0 200 OK\r\n\r\n", b"y" * 65536)),
        "too_large", 200, "blocked", OVER,
    ),
    Scenario(
        "a 2 MB header line",
        lambda h: h.raw.route("/huge-header", send(OK_HEAD + b"X-Big: " + b"a" * 2**21 + b"\r\n\r\n")),
        "too_large", None, "blocked", "a response header line over 16384 bytes",
    ),
    Scenario(
        "endless headers",
        lambda h: h.raw.route("/endless-headers", forever(OK_HEAD, b"X-Again: " + b"a" * 40 + b"\r\n")),
        "too_large", None, "blocked", "response headers over 262144 bytes", requests=1,
    ),
    Scenario(
        "endless folded header",
        lambda h: h.raw.route("/folded", forever(OK_HEAD + b"X-Folded: a\r\n", b" " + b"b" * 40 + b"\r\n")),
        "too_large", None, "blocked", "response headers over 262144 bytes",
    ),
    Scenario(
        "5000 headers",
        lambda h: h.raw.route(
            "/many-headers",
            send(OK_HEAD + b"".join(b"X-H-%d: v\r\n" % i for i in range(5000)) + b"Content-Length: 2\r\n\r\nok"),
        ),
        "fetched", 200, "ok", "ok", state="alive",
    ),
    Scenario(
        "slowloris headers",
        lambda h: h.raw.route("/slow-headers", forever(b"HTTP/1.1 200 OK\r\n", b"X", pause=0.2)),
        "timeout", None, "unreachable", "took longer than 6.0 seconds", requests=2,
    ),
    Scenario(
        "a body slower than the timeout",
        lambda h: h.raw.route("/slow-body", forever(OK_HEAD + b"Content-Length: 100000\r\n\r\n", b"z", pause=0.2)),
        "timeout", None, "unreachable", "took longer than 6.0 seconds",
    ),
    Scenario(
        "reset mid-body",
        lambda h: h.raw.route("/reset", reset_after(OK_HEAD + b"Content-Length: 100000\r\n\r\n" + b"q" * 5000)),
        "reset", None, "unreachable", "ConnectionLost",
    ),
    Scenario(
        "closed before the status line",
        lambda h: h.raw.route("/hang-up", hang_up),
        "reset", None, "unreachable", "ConnectionDone",
    ),
    Scenario(
        "garbage status line",
        lambda h: h.raw.route("/garbage", send(b"GARBAGE\r\n\r\n")),
        "error", None, "unreachable", "ParseError: ('wrong number of parts', b'GARBAGE')", requests=1,
    ),
    Scenario(
        "status code that is no number",
        lambda h: h.raw.route("/bad-code", send(b"HTTP/1.1 abc OK\r\nContent-Length: 2\r\n\r\nok")),
        "error", None, "unreachable", "non-integer status code",
    ),
    Scenario(
        "HTTP/0.9 answer (a body, no status line)",
        lambda h: h.raw.route("/http09", send(b"<html><body>Hello from 1991</body></html>")),
        "reset", None, "unreachable", "ConnectionDone",
    ),
    Scenario(
        "Content-Length: banana",
        lambda h: h.raw.route("/banana", send(OK_HEAD + b"Content-Length: banana\r\n\r\nok")),
        "error", None, "unreachable", "non-decimal digits: b'banana'",
    ),
    Scenario(
        "conflicting Content-Lengths",
        lambda h: h.raw.route("/two-lengths", send(OK_HEAD + b"Content-Length: 2\r\nContent-Length: 5\r\n\r\nok")),
        "error", None, "unreachable", "conflicting Content-Length headers",
    ),
    Scenario(
        "Content-Length larger than the body",
        lambda h: h.raw.route("/short", send(OK_HEAD + b"Content-Length: 10000\r\n\r\nonly this")),
        "reset", None, "unreachable", "ConnectionDone",
    ),
    Scenario(
        "redirect loop", redirect_loop,
        "redirect_loop", 302, "server_error", "max redirections reached",
    ),
    Scenario(
        "30 redirects", thirty_redirects,
        "redirect_loop", 302, "server_error", "max redirections reached",
    ),
    Scenario(
        "redirect to 127.0.0.1",
        lambda h: h.web[2].route("/to-loopback", Reply.redirect(f"{h.secret[0].origin}/admin")),
        "policy", 302, "blocked", "127.0.0.1 is a private, loopback",
    ),
    Scenario(
        "redirect to file://",
        lambda h: h.web[2].route("/to-file", Reply.redirect("file:///etc/passwd")),
        "policy", 302, "blocked", "redirect to file:///etc/passwd refused",
    ),
    Scenario(
        "redirect to ftp://",
        lambda h: h.web[2].route("/to-ftp", Reply.redirect("ftp://127.0.0.2/pub/report.pdf")),
        "policy", 302, "blocked", "only http and https are fetched",
    ),
    Scenario(
        "redirect without a Location",
        lambda h: h.web[2].route("/no-location", Reply(302, b"", [("Content-Type", "text/html")])),
        "fetched", 302, "server_error", "",
    ),
    Scenario(
        "a 200 KB Location",
        lambda h: h.web[2].route("/long-location", Reply.redirect(h.web[2].url("/x?" + "a" * 200_000))),
        "too_large", None, "blocked", "a response header line over 16384 bytes",
    ),
    Scenario(
        "429 with an absurd Retry-After",
        lambda h: h.web[3].route(
            "/429", Reply.html("slow down", status=429, headers=[("Retry-After", "99999999999999")])
        ),
        "fetched", 429, "rate_limited", "", state="unknown", requests=1,
    ),
    Scenario(
        "503 with a Retry-After in the year 9999",
        lambda h: h.web[3].route(
            "/503-date",
            Reply.html("later", status=503, headers=[("Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT")]),
        ),
        "fetched", 503, "server_error", "", requests=1,
    ),
    Scenario(
        "503 forever",
        lambda h: h.web[3].route("/503", Reply.html("down", status=503)),
        "fetched", 503, "server_error", "", requests=2,
    ),
    Scenario(
        "100 Continue, 2000 times",
        lambda h: h.raw.route(
            "/continue",
            send(b"HTTP/1.1 100 Continue\r\n\r\n" * 2000 + OK_HEAD + b"Content-Length: 2\r\n\r\nok"),
        ),
        "fetched", 200, "ok", "ok", state="alive",
    ),
    Scenario(
        "a charset lie (windows-1251 sent as UTF-8)",
        lambda h: h.web[3].route(
            "/cp1251", Reply.html(article_page(ZHYLANBAEV_RU).encode("cp1251"), charset="utf-8")
        ),
        "fetched", 200, "ok", "Верховный суд Казахстана отказал", state="alive",
    ),
)  # fmt: skip
# Columns the archive step sets on a target: its health, nothing about what it is.
HEALTH = {
    "state", "state_since", "last_verdict", "last_checked_at", "last_ok_at", "next_check_at",
    "hint", "memento_url", "memento_at", "memento_checked_at",
}  # fmt: skip
WRITTEN_BY_A_RUN = ("crawl_runs", "snapshots", "probes", "evidence_files")


@dataclass
class Crawl:
    hosts: Hosts
    workspace: Workspace
    urls: dict[str, str]
    run: LimitedRun
    before: dict[str, Any]
    after: dict[str, Any]
    snapshots: dict[str, list[Snapshot]]
    report: dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    root = tmp_path_factory.mktemp("hostile")
    with TestWeb() as web, TestWeb(["127.0.0.1"]) as secret, RawHost("127.0.0.5") as raw:
        hosts = Hosts(web, raw, secret)
        urls = {scenario.name: scenario.serve(hosts) for scenario in SCENARIOS}
        workspace = Workspace(root, f"sqlite:///{root / 'citewatch.db'}", HOSTILE_CONFIG)
        assert workspace.cli("add", str(workspace.document(urls.values()))).code == 0
        before = table_rows(workspace.database_url, {"targets": HEALTH})
        run = limited_cli(workspace, "archive", memory_mb=MEMORY_MB)
        after = table_rows(workspace.database_url, {"targets": HEALTH})
        report = workspace.cli("report", "--format", "json")
        assert report.code == 0, report.err
        rows = {row["canonical_url"]: row for row in json.loads(report.out)}
        yield Crawl(hosts, workspace, urls, run, before, after, workspace.snapshots_by_url(), rows)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_a_hostile_server_is_recorded_for_what_it_did(crawl: Crawl, scenario: Scenario) -> None:
    url = crawl.urls[scenario.name]
    (snapshot,) = crawl.snapshots[url]
    found = (snapshot.outcome, snapshot.status, snapshot.verdict)
    assert found == (scenario.outcome, scenario.status, scenario.verdict), snapshot.error
    shown = snapshot.error if snapshot.error is not None else (snapshot.text or "")
    assert scenario.says in shown
    assert "\n" not in (snapshot.error or "") and len(snapshot.error or "") < 1000
    row = crawl.report[url]  # what `citewatch report` tells the user
    assert (row["verdict"], row["state"]) == (scenario.verdict, scenario.state)
    assert (row["snapshot_id"] is not None) == (scenario.verdict == "ok")  # a good copy or none
    if scenario.requests is not None:
        assert crawl.hosts.requests(url) == scenario.requests
    # the crawl as a whole: exit code, no traceback, memory, nothing else touched
    assert crawl.run.code == 0, crawl.run.err[-2000:]
    assert "Traceback" not in crawl.run.err
    assert crawl.run.peak_mb < PEAK_MB
    assert snapshot.crawl_run_id == 1


def test_the_crawl_stays_small_and_leaves_the_rest_of_the_database_alone(crawl: Crawl) -> None:
    assert crawl.run.code == 0 and crawl.run.peak_mb < PEAK_MB, crawl.run
    for table, rows in crawl.before.items():
        if table not in WRITTEN_BY_A_RUN:
            assert crawl.after[table] == rows, table  # documents, citations, targets, cases ...
    assert crawl.before["snapshots"] == crawl.before["crawl_runs"] == []
    assert len(crawl.after["snapshots"]) == len(SCENARIOS)  # one per cited URL, no more
    (run,) = crawl.after["crawl_runs"]
    assert "finished" in run
    engine = create_engine(crawl.workspace.database_url)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    engine.dispose()
    warcs = list(Path(crawl.workspace.warc_directory).iterdir())
    assert warcs and all(p.name.endswith(".warc.gz") for p in warcs)
    assert sum(p.stat().st_size for p in warcs) < 20 * 2**20  # bombs are not kept inflated
