"""`citewatch feed`: a case's or document's Atom feed on standard output, and a recipient's
private link to it, which `citewatch serve` then answers without a login (and never logs)."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest

from tests.support.feeds import MATCHED, URLS, YENSEBEK, Ledger, write_ledger
from tests.support.workspace import CITEWATCH, TEST_CONFIG, Workspace

BASE_URL = "https://citewatch.example.org"
LAWYER = "lawyer@example.org"
NOW = "2025-03-05T12:00:00+00:00"


@pytest.fixture
def ledger_workspace(tmp_path: Path, database_url: str) -> tuple[Workspace, Ledger]:
    """A workspace whose dashboard has a public address, with the feed tests' ledger and a
    recipient who follows the case."""
    config = TEST_CONFIG + f'\n[web]\nbase_url = "{BASE_URL}"\n'
    workspace = Workspace(tmp_path, database_url, config)
    database = workspace.database()
    try:
        database.upgrade()
        with database.session() as session:
            ledger = write_ledger(session)
    finally:
        database.dispose()
    for step in (("recipient", "add", LAWYER), ("subscribe", LAWYER, "--case", YENSEBEK)):
        run = workspace.cli("--now", NOW, *step)
        assert run.code == 0, run.err
    return workspace, ledger


def test_the_feed_of_a_case_and_of_a_document_on_standard_output(
    ledger_workspace: tuple[Workspace, Ledger],
) -> None:
    workspace, ledger = ledger_workspace
    run = workspace.cli("feed", "--case", YENSEBEK)
    assert run.code == 0, run.err
    feed = feedparser.parse(run.out.encode("utf-8"))
    assert not feed.bozo and feed.version == "atom10"
    newest = feed.entries[0]
    assert len(feed.entries) == 4 and newest.link == "https://vlast.kz/news/third"
    assert MATCHED.split(" — ")[0] in newest.content[0].value  # Cyrillic through stdout
    limited = workspace.cli("feed", "--case", str(ledger.case_id), "--limit", "1")
    assert len(feedparser.parse(limited.out.encode("utf-8")).entries) == 1
    document = workspace.cli("feed", "--document", str(ledger.document_id))
    titles = [e.title for e in feedparser.parse(document.out.encode("utf-8")).entries]
    assert titles[-1] == f"dead (confirmed): {URLS['a']}" and len(titles) == 3


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("--case", "Nobody Known"), "no case named 'Nobody Known'"),
        (("--document", "99"), "no stored document with id 99"),
        (("--case", YENSEBEK, "--link-for", "nobody@example.org"), "no recipient nobody@"),
        (("--document", "1", "--link-for", LAWYER), f"{LAWYER} does not follow document 1"),
    ],
)
def test_errors_are_one_line_and_exit_1(
    ledger_workspace: tuple[Workspace, Ledger], args: tuple[str, ...], problem: str
) -> None:
    workspace, _ = ledger_workspace
    run = workspace.cli("feed", *args)
    assert run.code == 1 and run.out == ""
    (line,) = run.err.strip().splitlines()
    assert line.startswith(f"citewatch: error: {problem}")


def test_a_link_needs_the_dashboards_address(workspace: Workspace) -> None:
    assert workspace.cli("case", "add", YENSEBEK).code == 0
    assert workspace.cli("recipient", "add", LAWYER).code == 0
    run = workspace.cli("feed", "--case", YENSEBEK, "--link-for", LAWYER)
    assert run.code == 1
    (line,) = run.err.strip().splitlines()
    assert "[web] base_url" in line


def test_the_private_link_is_served_without_login_and_its_token_never_logged(
    ledger_workspace: tuple[Workspace, Ledger],
) -> None:
    workspace, ledger = ledger_workspace
    run = workspace.cli("feed", "--case", YENSEBEK, "--link-for", LAWYER)
    assert run.code == 0, run.err
    link = run.out.strip()
    assert link.startswith(f"{BASE_URL}/feeds/case/{ledger.case_id}.atom?token=")
    token = link.partition("?token=")[2]
    added = workspace.cli("user", "add", "aigerim", "--password-stdin", stdin="a long password\n")
    assert added.code == 0, added.err  # a user: no local mode, everyone else must sign in
    port = _free_port()
    server = subprocess.Popen(
        [str(CITEWATCH), "-vv", "serve", "--port", str(port)],
        env=workspace.env,
        cwd=workspace.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        parts = urlsplit(link)
        local = f"http://127.0.0.1:{port}{parts.path}"
        status, body = _get(f"{local}?{parts.query}", time.monotonic() + 60)
        assert status == 200
        assert len(feedparser.parse(body).entries) == 4
        assert _get(f"{local}?token={token[:-2]}xx", time.monotonic() + 5)[0] == 404
        assert _get(local, time.monotonic() + 5)[0] == 200  # redirected to the login page
    finally:
        server.terminate()
        out, err = server.communicate(timeout=20)
    assert server.returncode == 0, err
    signature = token.rpartition(".")[2]
    assert token not in out + err and signature not in out + err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(url: str, deadline: float) -> tuple[int, bytes]:
    """GET `url` (redirects followed), retrying while the server starts."""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except (ConnectionError, urllib.error.URLError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
