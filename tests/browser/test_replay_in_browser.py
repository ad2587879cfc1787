"""Our copy replayed in Chromium by ReplayWeb.page, from the replay origin, framed by the
dashboard: the archived article shows, and a hostile archived page cannot reach the dashboard."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Frame, FrameLocator, Page, Route
from playwright.sync_api import Error as PlaywrightError

from config.clock import utc_now
from models import Snapshot
from tests.browser.archived import (
    ARTICLE_TEXT,
    HOSTILE_MARK,
    Archived,
    archive_pages,
    article,
    hostile_page,
)
from tests.browser.conftest import ARTIFACTS, Server, listening_socket, serving
from web.context import Web, templates
from web.replay import replay_page_url
from web.security import SESSION_COOKIE

MAX_DEPTH = 4  # dashboard > replay page > ReplayWeb.page's frame > the archived page
REPLAY_TIMEOUT = 20.0  # seconds for the service worker to install and replay a page
SESSION = "dashboard-secret-7f3a"  # the dashboard's session cookie, as the browser holds it


@dataclass
class Site:
    """Pages archived, and the server answering the dashboard and the replay origin."""

    archived: Archived
    server: Server


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The dashboard on http://citewatch.localhost:PORT, replay on its subdomain replay.: the
    deployment this needs (replay.<dashboard host>). Other origins, but one site, so the
    browser lets the framed replay origin register its service worker; a replay origin on
    another site (localhost beside 127.0.0.1) is refused it as third-party storage."""
    sock = listening_socket()
    port = sock.getsockname()[1]
    dashboard = f"http://citewatch.localhost:{port}"
    pages = {"article": article(), "hostile": hostile_page(dashboard)}
    archived = archive_pages(tmp_path_factory.mktemp("browser"), pages, port=port)
    web = replace(
        archived.config.web,
        base_url=dashboard,
        replay_origin=f"http://replay.citewatch.localhost:{port}",
    )
    archived.config = replace(archived.config, web=web)
    with serving(archived.config, archived.database, sock) as server:
        yield Site(archived, server)
    archived.database.dispose()


def open_framing_page(page: Page, site: Site, snapshot: Snapshot) -> None:
    """Open a dashboard page holding replay_frame.html for `snapshot`: the link page when it
    shows the frame, else the template alone served at a test path of the dashboard's origin."""
    answer = page.goto(f"{site.server.dashboard}/links/{snapshot.target_id}")
    if answer is not None and answer.ok and page.locator("iframe.replay-frame").count():
        return
    state = Web(site.archived.config, site.archived.database, utc_now, templates())
    environment = state.templates
    environment.globals["replay_page_url"] = partial(replay_page_url, state)
    frame = environment.get_template("replay_frame.html").render(
        replay_snapshot=snapshot, replay_url="cited page", t=lambda text, **v: text.format(**v)
    )
    body = f"<!doctype html><html><head><title>Link</title></head><body>{frame}</body></html>"
    path = f"{site.server.dashboard}/__test_frame/{snapshot.id}"

    def fulfil(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body=body)

    page.route(path, fulfil)
    page.goto(path)


def frame_showing(page: Page, text: str) -> Frame:
    """The innermost frame showing `text` once ReplayWeb.page has replayed it: frames nested in
    frames and shadow roots, found by following iframes down from the page."""
    deadline = time.monotonic() + REPLAY_TIMEOUT
    while time.monotonic() < deadline:
        frames: FrameLocator = page.frame_locator("iframe").first
        for _ in range(MAX_DEPTH):
            found = frames.get_by_text(text, exact=False).first
            try:
                if found.count():
                    frame = found.element_handle(timeout=1000).owner_frame()
                    if frame is not None:
                        return frame
            except PlaywrightError:  # a frame navigating meanwhile
                pass
            frames = frames.frame_locator("iframe").first
        page.wait_for_timeout(250)
    shot = ARTIFACTS / "no-replay.png"
    page.screenshot(path=shot, full_page=True)
    raise AssertionError(f"no frame shows {text!r} after {REPLAY_TIMEOUT} s (see {shot})")


def test_the_archived_article_replays_from_the_replay_origin(
    site: Site, context: BrowserContext, artifacts: Path
) -> None:
    snapshot = site.archived.snapshots["article"]
    page = context.new_page()
    page.goto(f"{site.server.replay}/replay/{snapshot.id}")
    frame = frame_showing(page, ARTICLE_TEXT)
    assert frame.url.startswith(f"{site.server.replay}/replay-sw/")
    page.screenshot(path=artifacts / "replay-direct.png")


def test_the_dashboard_frames_the_replay_from_the_other_origin(
    site: Site, context: BrowserContext, artifacts: Path
) -> None:
    snapshot = site.archived.snapshots["article"]
    page = context.new_page()
    open_framing_page(page, site, snapshot)
    outer = page.locator("iframe.replay-frame")
    assert outer.get_attribute("src") == f"{site.server.replay}/replay/{snapshot.id}"
    frame = frame_showing(page, ARTICLE_TEXT)
    assert frame.url.startswith(f"{site.server.replay}/replay-sw/")
    page.screenshot(path=artifacts / "replay-in-dashboard.png", full_page=True)
    page.goto(f"{site.server.dashboard}/documents")
    page.screenshot(path=artifacts / "dashboard-documents.png", full_page=True)
    print(f"screenshots in {artifacts}")


def test_a_hostile_archived_page_cannot_read_the_dashboard(
    site: Site, context: BrowserContext, artifacts: Path
) -> None:
    context.add_cookies([{"name": SESSION_COOKIE, "value": SESSION, "url": site.server.dashboard}])
    snapshot = site.archived.snapshots["hostile"]
    page = context.new_page()
    open_framing_page(page, site, snapshot)
    frame = frame_showing(page, HOSTILE_MARK)
    stolen = frame.locator("#stolen")
    deadline = time.monotonic() + REPLAY_TIMEOUT
    while stolen.inner_text() == "pending" and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    page.screenshot(path=artifacts / "replay-hostile.png", full_page=True)
    got = json.loads(stolen.inner_text())
    print(f"what the hostile page got: {got}")
    assert SESSION not in json.dumps(got)
    assert got["cookie"] == "read "  # no cookie at all on the replay origin
    # Reading the dashboard's window or a dashboard page: refused by the browser (other
    # origin, no CORS), or never leaving the archive (the replay tool answers "not found").
    for name in ("patched", "fresh"):
        top, fetched = got[f"{name}_top"], got[f"{name}_fetch"]
        assert top.startswith("error") or "citewatch" not in top, top
        assert fetched.startswith("error") or '"error":"not_found"' in fetched, fetched
        assert "Signed in" not in fetched and "<nav" not in fetched, fetched
