"""Browser tests: the real server (uvicorn, in a thread) and Debian's Chromium under Playwright.

Without /usr/bin/chromium these tests are skipped, unless CITEWATCH_REQUIRE_BROWSER=1 (CI),
which turns the missing browser into a failure. Screenshots go to tests/browser/artifacts/.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from config import Config
from models import Database
from web.app import create_app
from web.security import replay_origin

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
START_TIMEOUT = 10.0  # seconds for uvicorn to start listening


@dataclass(frozen=True)
class Server:
    """The dashboard and the replay origin: one server on one loopback port."""

    port: int
    dashboard: str  # origin
    replay: str  # origin


def listening_socket() -> socket.socket:
    """A socket on a free port of 127.0.0.1, bound before the pages that name the port are
    archived and handed to uvicorn later (no race for the port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


@contextmanager
def serving(config: Config, database: Database, sock: socket.socket) -> Iterator[Server]:
    """create_app on `sock`, served by uvicorn in a thread until the block ends."""
    app = create_app(config, database)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        port = sock.getsockname()[1]
        dashboard = config.web.base_url.rstrip("/") or f"http://127.0.0.1:{port}"
        yield Server(port, dashboard, replay_origin(config))
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    if not CHROMIUM.is_file():
        reason = f"{CHROMIUM} missing (Debian: apt-get install chromium)"
        if os.environ.get("CITEWATCH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}; CITEWATCH_REQUIRE_BROWSER=1 requires it")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (cookies, service workers) for one test."""
    opened = browser.new_context(viewport={"width": 1280, "height": 900})
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (not in git)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
