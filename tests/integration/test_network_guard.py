"""No test reaches the internet: the guard refuses, in the test process and in every child.

Every attempt below is refused before a packet is sent, and each child first proves that the
guard is installed, so a broken guard fails the test instead of letting traffic out.
93.184.216.34 is a public address (example.com's, once); nothing here ever connects to it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_socket

from tests.support.offline import GUARD_DIRECTORY, loopback_guard
from tests.support.web import Reply, TestWeb
from tests.support.workspace import Workspace

PUBLIC = "93.184.216.34"
GUARDED = "citewatch test network guard"

# Run in a child: stop at once unless the guard is there, then try each way out.
CHILD = f"""
import json, socket, sys, urllib.request
if not getattr(socket, {loopback_guard.MARK!r}, False):
    sys.exit("the loopback guard is not installed in this child")
attempts = {{
    "connect": lambda: socket.create_connection(({PUBLIC!r}, 80), timeout=1),
    "connect_ex": lambda: socket.socket().connect_ex(({PUBLIC!r}, 443)),
    "sendto": lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"?", ({PUBLIC!r}, 53)),
    "name lookup": lambda: socket.getaddrinfo("example.org", 443),
    "connect by name": lambda: socket.socket().connect(("example.org", 80)),
    "reverse lookup": lambda: socket.gethostbyaddr({PUBLIC!r}),
    "urllib": lambda: urllib.request.urlopen("http://{PUBLIC}/", timeout=1),
}}
said = {{}}
for name, attempt in attempts.items():
    try:
        attempt()
        said[name] = "NOT REFUSED"
    except OSError as error:
        said[name] = str(error)
print(json.dumps(said))
"""


def run_child(code: str) -> subprocess.CompletedProcess[str]:
    """A Python child with the environment every test child gets."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=os.environ
    )


def test_children_inherit_the_guard() -> None:
    assert os.environ["PYTHONPATH"].split(os.pathsep)[0] == str(GUARD_DIRECTORY)
    assert (
        Workspace(Path("/nonexistent"), "sqlite://").env["PYTHONPATH"] == os.environ["PYTHONPATH"]
    )


def test_a_child_process_cannot_leave_loopback() -> None:
    result = run_child(CHILD)
    assert result.returncode == 0, result.stderr
    said = json.loads(result.stdout)
    assert len(said) == 7
    for attempt, error in said.items():
        assert GUARDED in error, f"{attempt}: {error}"
    assert f"connection to {PUBLIC}:80 refused" in said["connect"]
    assert "not looking up 'example.org'" in said["name lookup"]


def test_a_child_process_still_reaches_loopback() -> None:
    code = (
        "import urllib.request, sys\n"
        "print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())\n"
        "import socket; print(socket.getaddrinfo('localhost', 80)[0][4][0])"
    )
    with TestWeb(["127.0.0.2"]) as web:
        url = web[0].route("/hello", Reply(200, b"hello from loopback"))
        result = subprocess.run(
            [sys.executable, "-c", code, url], capture_output=True, text=True, timeout=60
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["hello", "from", "loopback", "127.0.0.1"]


@pytest.mark.filterwarnings("ignore:A test tried to use socket.socket.connect")
def test_the_test_process_is_guarded_too() -> None:
    assert socket.socket.connect is not pytest_socket._true_connect  # pytest-socket is on
    with pytest.raises(pytest_socket.SocketConnectBlockedError, match=PUBLIC):
        socket.create_connection((PUBLIC, 80), timeout=1)
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError, match=GUARDED):
        sock.connect_ex((PUBLIC, 80))
    with pytest.raises(socket.gaierror, match=GUARDED):
        socket.getaddrinfo("example.org", 443)
    between_tests = pytest_socket._true_connect  # what pytest-socket restores after each test
    assert between_tests.__qualname__ == "install.<locals>.connect"  # the guard's: safe to try
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError, match=GUARDED):
        between_tests(sock, (PUBLIC, 80))


def test_a_crawl_that_meets_a_public_address_is_refused_before_connecting(
    tmp_path: Path,
) -> None:
    """The crawl child connects through Twisted (connect_ex): a literal public address, which
    the crawl's own policy allows, is refused by the guard, recorded as a refused connection."""
    workspace = Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}")
    probe = subprocess.run(
        [sys.executable, "-c", f"import socket; assert socket.{loopback_guard.MARK}"],
        env=workspace.env,
        timeout=60,
    )
    assert probe.returncode == 0, "the crawl's environment does not carry the guard"
    document = workspace.document([f"http://{PUBLIC}/news/1.html"])
    assert workspace.cli("add", str(document)).code == 0
    run = workspace.cli("archive")
    assert run.code == 0, run.err
    [snapshot] = workspace.snapshots_by_url()[f"http://{PUBLIC}/news/1.html"]
    assert (snapshot.outcome, snapshot.status) == ("refused", None)
