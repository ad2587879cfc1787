"""`citewatch user ...` and `citewatch serve` as users run them."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.workspace import CITEWATCH, Run, Workspace

PASSWORD = "a long enough password"


@pytest.fixture
def users(tmp_path: Path, database_url: str) -> Workspace:
    """A workspace on SQLite or PostgreSQL."""
    return Workspace(tmp_path, database_url)


def cli_with_stdin(workspace: Workspace, stdin: str, *args: str) -> Run:
    """Run the CLI with standard input."""
    return workspace.cli(*args, stdin=stdin)


def test_add_list_passwd_remove(users: Workspace) -> None:
    added = cli_with_stdin(
        users, PASSWORD + "\n", "user", "add", "aigerim", "--role", "editor", "--password-stdin"
    )
    assert (added.code, added.out.strip()) == (0, "Added user aigerim (editor)")
    cli_with_stdin(users, PASSWORD + "\n", "user", "add", "bolat", "--password-stdin")
    listing = users.cli("user", "list")
    assert listing.code == 0
    rows = [line for line in listing.out.splitlines() if "aigerim" in line or "bolat" in line]
    assert "editor" in rows[0] and "viewer" in rows[1]
    changed = cli_with_stdin(
        users, "another password\n", "user", "passwd", "bolat", "--password-stdin"
    )
    assert (changed.code, changed.out.strip()) == (0, "Changed the password of bolat")
    removed = users.cli("user", "remove", "bolat")
    assert (removed.code, removed.out.strip()) == (0, "Removed user bolat")
    assert "bolat" not in users.cli("user", "list").out
    for run in (added, changed):
        assert PASSWORD not in run.out + run.err and "another password" not in run.out + run.err


def test_no_users_yet_says_how_to_add_one(workspace: Workspace) -> None:
    listing = workspace.cli("user", "list")
    assert listing.code == 0
    assert "citewatch user add" in listing.err


@pytest.mark.parametrize(
    ("args", "stdin", "problem"),
    [
        (
            ("user", "add", "aigerim", "--password-stdin"),
            PASSWORD,
            "a user named 'aigerim' exists already",
        ),
        (("user", "add", "new", "--password-stdin"), "", "the password is empty"),
        (
            ("user", "add", "new", "--password-stdin"),
            "short",
            "the password is too short: at least 8 characters",
        ),
        (
            ("user", "add", "new", "--role", "owner", "--password-stdin"),
            PASSWORD,
            "unknown role 'owner'; choose one of viewer, editor, admin",
        ),
        (("user", "passwd", "ghost", "--password-stdin"), PASSWORD, "no user named 'ghost'"),
        (("user", "remove", "ghost"), "", "no user named 'ghost'"),
    ],
)
def test_clear_errors(
    workspace: Workspace, args: tuple[str, ...], stdin: str, problem: str
) -> None:
    cli_with_stdin(workspace, PASSWORD, "user", "add", "aigerim", "--password-stdin")
    run = cli_with_stdin(workspace, stdin, *args)
    assert run.code == 1
    assert run.err.strip().startswith(f"citewatch: error: {problem}")
    assert len(run.err.strip().splitlines()) == 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def server(workspace: Workspace) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """`citewatch serve` on a free loopback port, stopped after the test."""
    port = free_port()
    process = subprocess.Popen(
        [str(CITEWATCH), "serve", "--port", str(port)],
        env=workspace.env,
        cwd=workspace.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    yield process, port
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=20)


def get(url: str, deadline: float) -> tuple[int, str, dict[str, str]]:
    """GET `url`, retrying while the server starts."""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                return (
                    answer.status,
                    answer.read().decode(),
                    {k.lower(): v for k, v in answer.headers.items()},
                )
        except (ConnectionError, urllib.error.URLError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_serve_answers_on_loopback_without_login(
    server: tuple[subprocess.Popen[str], int],
) -> None:
    process, port = server
    status, body, headers = get(f"http://127.0.0.1:{port}/documents", time.monotonic() + 60)
    assert status == 200
    assert "Documents" in body and "local admin" in body
    assert (
        f"frame-src http://replay.citewatch.localhost:{port};" in headers["content-security-policy"]
    )
    process.terminate()
    out, err = process.communicate(timeout=20)
    assert out.strip().splitlines()[0] == (
        f"citewatch: serving http://citewatch.localhost:{port} (listening on 127.0.0.1:{port}; "
        f"replay on http://replay.citewatch.localhost:{port})"
    )
    assert process.returncode == 0, err


def test_serve_refuses_other_addresses_without_users(workspace: Workspace) -> None:
    run = workspace.cli("serve", "--host", "0.0.0.0", "--port", str(free_port()))
    assert run.code == 1
    lines = run.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("citewatch: error: refusing to serve on 0.0.0.0 with no users")
    assert "citewatch user add" in lines[0]


def test_serve_refuses_other_addresses_without_a_replay_origin(workspace: Workspace) -> None:
    added = cli_with_stdin(
        workspace,
        "a long passphrase\n",
        "user",
        "add",
        "ana",
        "--role",
        "admin",
        "--password-stdin",
    )
    assert added.code == 0, added.err
    run = workspace.cli("serve", "--host", "0.0.0.0", "--port", str(free_port()))
    assert run.code == 1
    (line,) = run.err.strip().splitlines()
    assert line.startswith("citewatch: error: refusing to serve on 0.0.0.0 without [web] replay")


def test_serve_says_when_the_port_is_taken(workspace: Workspace) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        run = workspace.cli("serve", "--port", str(port), timeout=60)
    assert run.code == 1
    lines = run.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"citewatch: error: cannot listen on 127.0.0.1:{port}")
    assert "--port" in lines[0]
