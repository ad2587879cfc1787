"""A page whose text only a script writes, rendered by the crawl and replayed by the dashboard:
the replay serves the browser's capture (the script and the data it fetched), so ReplayWeb.page
shows the text a plain fetch never saw."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext

from config import from_environment
from models import Database, Snapshot
from tests.browser.conftest import Server, listening_socket, serving
from tests.browser.test_replay_in_browser import frame_showing
from tests.support.js_pages import app, article_json, shell
from tests.support.pages import YENSEBEK_RU
from tests.support.web import TestWeb
from tests.support.workspace import TEST_CONFIG, Workspace

TEXT = "Медеуский районный суд Алматы санкционировал арест"


@dataclass
class Site:
    snapshot: Snapshot
    server: Server


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("render-replay")
    sock = listening_socket()
    port = sock.getsockname()[1]
    config_text = TEST_CONFIG.replace('render = "never"', 'render = "auto"')
    workspace = Workspace(root, f"sqlite:///{root / 'citewatch.db'}", config_text)
    with TestWeb() as web:
        host = web[0]
        url = host.route("/novosti/js.html", shell(YENSEBEK_RU, "/static/app.js"))
        host.route("/static/app.js", app("/api/article.json"))
        host.route("/api/article.json", article_json(YENSEBEK_RU))
        assert workspace.cli("add", str(workspace.document([url]))).code == 0
        run = workspace.cli("archive")
        assert run.code == 0, run.err
    (snapshot,) = workspace.snapshots_by_url()[url]
    assert snapshot.capture_length, snapshot.capture_note
    config = from_environment(workspace.config_path, workspace.home)
    dashboard = f"http://citewatch.localhost:{port}"
    web_config = replace(
        config.web,
        port=port,
        base_url=dashboard,
        replay_origin=f"http://replay.citewatch.localhost:{port}",
    )
    database = Database(workspace.database_url)
    with serving(replace(config, web=web_config), database, sock) as server:
        yield Site(snapshot, server)
    database.dispose()


def test_the_rendered_text_replays_with_the_test_web_gone(
    site: Site, context: BrowserContext, artifacts: Path
) -> None:
    page = context.new_page()
    page.goto(f"{site.server.replay}/replay/{site.snapshot.id}")
    frame = frame_showing(page, TEXT)  # written by the archived script from the archived JSON
    assert frame.url.startswith(f"{site.server.replay}/replay-sw/")
    page.screenshot(path=artifacts / "replay-rendered.png", full_page=True)


def test_the_link_page_says_the_page_was_rendered(site: Site, context: BrowserContext) -> None:
    page = context.new_page()
    page.goto(f"{site.server.dashboard}/links/{site.snapshot.target_id}")
    assert "rendered: the page is a JavaScript shell" in page.inner_text("body")
