"""An exported package opens in ReplayWeb.page, and each cited article replays from it alone.

`citewatch export` writes the WACZ package a court or a partner opens in ReplayWeb.page. Here
it is hosted as anyone would host it: a plain static server (answering Range requests, as
ReplayWeb.page reads the zip by ranges) with the vendored ui.js and sw.js beside it, nothing
from a CDN. The test web that served the articles is shut down before the browser opens the
page, so the article can only come from the package.
"""

from __future__ import annotations

import html
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Frame, Page
from playwright.sync_api import Error as PlaywrightError

from tests.support.pages import MUBARAKOV_EN, YENSEBEK_RU, Article, article_page
from tests.support.static_site import StaticFile, StaticSite
from tests.support.web import Reply, TestWeb
from tests.support.workspace import TEST_CONFIG, Workspace
from web.vendor import VENDOR_DIRECTORY

CONFIG = TEST_CONFIG + "\n[check]\nmemento = false\n"
ASSETS = VENDOR_DIRECTORY / "replaywebpage"  # `python -m web.vendor` puts ReplayWeb.page here
REPLAY_BASE = "/replay/"  # the service worker's path, and so its scope
PACKAGE = "/evidence.wacz"
REPLAY_TIMEOUT = 30.0  # seconds for the worker to install, read the package and show a page
# ReplayWeb.page's own message when it cannot load a package ("Unexpected Loading Error: ...").
LOADING_ERROR = re.compile("Loading Error")
ARTICLES = {"yensebek": YENSEBEK_RU, "mubarakov": MUBARAKOV_EN}
JAVASCRIPT = "application/javascript"
# What the worker's path answers while the worker does not control the frame yet: on a first
# visit ReplayWeb.page frames REPLAY_BASE before its freshly registered worker has taken over,
# and gives up after three quick reloads 100 ms apart, leaving the host's 404 page in the frame
# (here in about one cold browser start in ten). This page reloads the frame once the worker is
# ready, as the dashboard's replay origin does (web/static/replay.js); five times at most, so a
# worker that never answers cannot make it loop.
WAITING_PAGE = b"""<!doctype html><title>Loading</title><script>
const reloads = Number(sessionStorage.getItem("reloads") || "0");
if (reloads < 5) {
  sessionStorage.setItem("reloads", String(reloads + 1));
  navigator.serviceWorker.ready.then(() => location.reload());
}
</script>"""


@dataclass(frozen=True)
class Exported:
    """The package of a document citing ARTICLES, and the URL each article was archived at."""

    path: Path
    urls: dict[str, str]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Exported:
    """Two articles cited, archived and exported as a signed package; the test web stopped."""
    root = tmp_path_factory.mktemp("wacz-replay")
    workspace = Workspace(root, f"sqlite:///{root / 'citewatch.db'}", CONFIG)
    with TestWeb() as web:
        news, agency, *_ = web.hosts
        urls = {
            "yensebek": news.route("/novosti/1.html", Reply.html(article_page(YENSEBEK_RU))),
            "mubarakov": agency.route("/a/2.html", Reply.html(article_page(MUBARAKOV_EN))),
        }
        for args in (
            ["keys", "create"],
            ["add", str(workspace.document(urls.values()))],
            ["archive"],
        ):
            run = workspace.cli(*args)
            assert run.code == 0, f"citewatch {args[0]}: {run.err or run.out}"
    package = root / "evidence.wacz"
    run = workspace.cli("export", "1", "--output", str(package))
    assert run.code == 0, run.err or run.out
    return Exported(package, urls)


def viewer_page(url: str) -> bytes:
    """A page showing the archived `url` from the package, as ReplayWeb.page's embedding is
    documented: ui.js, and <replay-web-page> naming the package and the worker's path."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Evidence package</title>
<style>
html, body {{ height: 100%; margin: 0; }}
replay-web-page {{ display: block; height: 100%; }}
</style>
<script src="/ui.js"></script></head>
<body><replay-web-page source="{PACKAGE}" url="{html.escape(url)}" replayBase="{REPLAY_BASE}"
  embed="replayonly"></replay-web-page></body></html>
""".encode()


@pytest.fixture(scope="module")
def site(exported: Exported) -> Iterator[StaticSite]:
    """The package, ReplayWeb.page's files and a viewer page per article (/NAME.html)."""
    for name in ("ui.js", "sw.js"):
        assert (ASSETS / name).is_file(), f"{ASSETS / name} missing: run `python -m web.vendor`"
    files = {
        "/ui.js": StaticFile(JAVASCRIPT, ASSETS / "ui.js"),
        # The page the worker serves in its frame loads ./ui.js, relative to the worker's path.
        f"{REPLAY_BASE}ui.js": StaticFile(JAVASCRIPT, ASSETS / "ui.js"),
        f"{REPLAY_BASE}sw.js": StaticFile(JAVASCRIPT, ASSETS / "sw.js"),
        REPLAY_BASE: StaticFile("text/html; charset=utf-8", data=WAITING_PAGE),
        PACKAGE: StaticFile("application/zip", exported.path),
        **{
            f"/{name}.html": StaticFile("text/html; charset=utf-8", data=viewer_page(url))
            for name, url in exported.urls.items()
        },
    }
    with StaticSite(files) as served:
        yield served


def assert_offline(url: str) -> None:
    """Nothing answers at `url` any more: a live fetch of it would fail."""
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=1).close()
    except OSError:
        return
    raise AssertionError(f"{url} still answers: the replay could come from the live site")


def replayed(
    page: Page, site: StaticSite, url: str, text: str, console: list[str], shot: Path
) -> Frame:
    """The frame in which ReplayWeb.page replays `url` (page > replay-web-page's shadow root >
    the worker's frame > the replay frame) once it shows `text`. Fails at once on
    ReplayWeb.page's loading error, else after REPLAY_TIMEOUT, with a screenshot at `shot` and
    the page's last console errors."""
    replay_prefix = site.url(f"{REPLAY_BASE}w/")
    deadline = time.monotonic() + REPLAY_TIMEOUT
    error: list[str] = []
    while time.monotonic() < deadline and not error:
        for frame in page.frames:
            try:
                if frame.url.startswith(replay_prefix):
                    if frame.url.endswith(f"mp_/{url}") and frame.get_by_text(text).count():
                        return frame
                elif frame.url.startswith(site.url(REPLAY_BASE)):  # the worker's own frame
                    error.extend(frame.get_by_text(LOADING_ERROR).all_inner_texts())
            except PlaywrightError:  # a frame navigating or detached meanwhile
                continue
        page.wait_for_timeout(250)
    page.screenshot(path=shot)
    said = "; ".join(error) or f"no frame shows {text!r} after {REPLAY_TIMEOUT} s"
    log = "\n".join(console[-10:])
    raise AssertionError(f"ReplayWeb.page did not replay {url}: {said} (see {shot})\n{log}")


@pytest.mark.parametrize("name", list(ARTICLES))
def test_a_cited_article_replays_from_the_exported_package(
    context: BrowserContext, artifacts: Path, exported: Exported, site: StaticSite, name: str
) -> None:
    article: Article = ARTICLES[name]
    url = exported.urls[name]
    assert_offline(url)
    page = context.new_page()
    console: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            console.append(f"{message.type}: {message.text}")

    page.on("console", keep)
    started = time.monotonic()
    page.goto(site.url(f"/{name}.html"))
    shot = artifacts / f"wacz-no-replay-{name}.png"
    frame = replayed(page, site, url, article.paragraphs[0], console, shot)
    print(f"{url} replayed in {time.monotonic() - started:.1f} s")
    assert frame.get_by_role("heading", name=article.title).count() == 1
    assert frame.get_by_text(article.paragraphs[-1]).count() == 1
    page.screenshot(path=artifacts / f"wacz-replay-{name}.png")
    # Read on demand, as from any static host: by ranges (the zip's directory, then the index
    # and the records it points to), never downloaded whole.
    reads = site.requests_to(PACKAGE)
    assert reads and all(read.status == 206 for read in reads), reads
