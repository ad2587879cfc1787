"""Pages that need a browser, archived as users run it: one `citewatch archive` with rendering on
(`auto`), against local pages — an article whose text only a script writes, an endless page, a
page reaching for a private address, a page that never finishes loading, and a plain article
that needs no browser. Debian's Chromium renders them (skipped without it, unless
CITEWATCH_REQUIRE_BROWSER=1, as in CI)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.render import find_browser
from models import Snapshot
from tests.support.js_pages import app, article_json, shell
from tests.support.pages import MUBARAKOV_EN, YENSEBEK_KK, YENSEBEK_RU, article_page
from tests.support.web import Reply, Seen, TestWeb
from tests.support.workspace import TEST_CONFIG, Workspace

RENDERING = TEST_CONFIG.replace(
    'render = "never"', 'render = "auto"\nrender_timeout = 6\nrender_max_resources = 20'
).replace("render_hosts = []", 'render_hosts = ["127.0.0.3=always"]') + (
    "\n[check]\nmemento = false\n"
)
ENDLESS = """<!doctype html><html><head><title>Лента</title></head><body><div id="feed"></div>
<script>
let n = 0;
function more() {
  for (let i = 0; i < 40; i++) {
    const p = document.createElement("p");
    p.textContent = "Новость номер " + (++n) + ": суд продлил арест активиста.";
    document.getElementById("feed").appendChild(p);
  }
}
more();
window.addEventListener("scroll", more);
</script></body></html>"""
REACHING = """<!doctype html><html><head><title>Reaching</title></head><body><div id="root"></div>
<img src="{secret}/admin.png"><script src="{secret}/steal.js"></script></body></html>"""
DOWNLOADING = """<!doctype html><html><head><title>Report</title></head><body><div id="root"></div>
<script>setTimeout(() => { location.href = "/report.zip"; }, 50);</script></body></html>"""
HANGING = """<!doctype html><html><head><title>Hanging</title></head><body><div id="root"></div>
<img src="/slow.png"></body></html>"""


GALLERY = (
    '<!doctype html><html><head><title>Gallery</title></head><body><div id="root"></div>'
    + "".join(f'<img src="/img/{n}.png">' for n in range(25))
    + "</body></html>"
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
ZIP = b"PK\x03\x04" + b"report " * 1000


@dataclass
class Rendered:
    workspace: Workspace
    urls: dict[str, str]
    snapshots: dict[str, Snapshot]
    secret_seen: list[str]
    out: str


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rendered]:
    if find_browser("") is None:
        pytest.skip("no Chromium (apt-get install chromium)")
    root = tmp_path_factory.mktemp("render")
    secret_seen: list[str] = []

    def secret(seen: Seen) -> Reply:
        secret_seen.append(seen.path)
        return Reply.html("secret")

    with TestWeb() as web, TestWeb(["127.0.0.1"]) as private:
        news, always, other, *_ = web.hosts
        hidden = private[0]
        hidden.route("/admin.png", secret)
        hidden.route("/steal.js", secret)
        urls = {
            "js": news.route("/novosti/js.html", shell(YENSEBEK_RU, "/static/app.js")),
            "endless": news.route("/lenta/", Reply.html(ENDLESS)),
            "reaching": news.route(
                "/reaching.html", Reply.html(REACHING.format(secret=hidden.url("")))
            ),
            "hanging": other.route("/hanging.html", Reply.html(HANGING)),
            "plain": other.route("/a/plain.html", Reply.html(article_page(MUBARAKOV_EN))),
            "downloading": other.route("/download.html", Reply.html(DOWNLOADING)),
            "many": other.route("/gallery.html", Reply.html(GALLERY)),
            "always": always.route("/kk/post.html", Reply.html(article_page(YENSEBEK_KK))),
        }
        news.route("/static/app.js", app("/api/article.json"))
        news.route("/api/article.json", article_json(YENSEBEK_RU))
        other.route("/slow.png", Reply(200, b"", [("Content-Type", "image/png")], delay=30))
        attachment = [
            ("Content-Type", "application/zip"),
            ("Content-Disposition", 'attachment; filename="report.zip"'),
        ]
        other.route("/report.zip", Reply(200, ZIP, attachment))
        for n in range(25):
            other.route(f"/img/{n}.png", Reply(200, PNG, [("Content-Type", "image/png")]))
        workspace = Workspace(root, f"sqlite:///{root / 'citewatch.db'}", RENDERING)
        assert workspace.cli("add", str(workspace.document(urls.values()))).code == 0
        run = workspace.cli("archive", timeout=240)
        assert run.code == 0, run.err
        by_url = workspace.snapshots_by_url()
        snapshots = {name: by_url[url][0] for name, url in urls.items()}
        yield Rendered(workspace, urls, snapshots, secret_seen, run.out)


def _records(workspace: Workspace, snapshot: Snapshot) -> list[tuple[str, str, bytes]]:
    """(type, target URI, body) of the records from the snapshot's response on, as replay
    gets them (its capture_length)."""
    path = workspace.warc_directory / str(snapshot.warc_file)
    with path.open("rb") as handle:
        handle.seek(snapshot.warc_offset or 0)
        data = handle.read(snapshot.capture_length or snapshot.warc_length or 0)
    return [
        (
            record.rec_type,
            record.rec_headers.get_header("WARC-Target-URI"),
            record.content_stream().read(),
        )
        for record in ArchiveIterator(io.BytesIO(data))
    ]


def test_a_page_whose_text_a_script_writes_is_rendered_and_its_text_kept(
    rendered: Rendered,
) -> None:
    snapshot = rendered.snapshots["js"]
    assert snapshot.status == 200 and snapshot.extraction == "ok"
    assert snapshot.capture_note is not None
    assert snapshot.capture_note.startswith("rendered: the page is a JavaScript shell")
    assert "2 sub-resources kept" in snapshot.capture_note
    assert "Медеуский районный суд Алматы санкционировал арест" in (snapshot.text or "")
    assert snapshot.title == YENSEBEK_RU.title
    records = _records(rendered.workspace, snapshot)
    kinds = [(kind, uri) for kind, uri, _ in records]
    url = rendered.urls["js"]
    assert kinds[:4] == [
        ("response", url),
        ("request", url),
        ("resource", f"urn:dom:{url}"),
        ("resource", f"urn:fullPage:{url}"),
    ]
    assert ("response", url.replace("/novosti/js.html", "/static/app.js")) in kinds
    assert ("response", url.replace("/novosti/js.html", "/api/article.json")) in kinds
    raw, dom, shot = records[0][2], records[2][2], records[3][2]
    assert "Медеуский".encode() not in raw  # the page as served: an empty shell
    assert "Медеуский".encode() in dom
    assert shot.startswith(b"\x89PNG\r\n\x1a\n")


def test_a_page_with_enough_text_is_not_rendered(rendered: Rendered) -> None:
    snapshot = rendered.snapshots["plain"]
    assert snapshot.capture_note is None and snapshot.capture_length is None
    assert "Aidar Mubarakov" in (snapshot.text or "")


def test_a_host_rule_renders_every_page_of_the_host(rendered: Rendered) -> None:
    snapshot = rendered.snapshots["always"]
    assert (snapshot.capture_note or "").startswith(
        "rendered: rendering is always on for 127.0.0.3"
    )
    assert "Темірлан Еңсебек" in (snapshot.text or "")


def test_an_endless_page_is_scrolled_a_few_screens_and_kept(rendered: Rendered) -> None:
    snapshot = rendered.snapshots["endless"]
    assert (snapshot.capture_note or "").startswith("rendered: the page shows")
    assert "Новость номер 100:" in (snapshot.text or "")  # loaded by scrolling
    shot = [body for kind, uri, body in _records(rendered.workspace, snapshot) if "fullPage" in uri]
    assert shot and shot[0].startswith(b"\x89PNG")


def test_a_private_address_the_page_reaches_for_is_refused(rendered: Rendered) -> None:
    snapshot = rendered.snapshots["reaching"]
    assert rendered.secret_seen == []
    assert "2 refused by the address policy" in (snapshot.capture_note or "")
    uris = [uri for _, uri, _ in _records(rendered.workspace, snapshot)]
    assert not any("127.0.0.1" in uri for uri in uris)


def test_a_page_that_never_finishes_loading_times_out_and_the_plain_fetch_stands(
    rendered: Rendered,
) -> None:
    snapshot = rendered.snapshots["hanging"]
    assert snapshot.status == 200 and snapshot.outcome == "fetched"
    assert "render failed: timed out after 6 s" in (snapshot.capture_note or "")
    records = _records(rendered.workspace, snapshot)
    assert records[0][:2] == ("response", rendered.urls["hanging"])


def test_one_browser_renders_the_whole_crawl(rendered: Rendered) -> None:
    log = "\n".join(
        path.read_text(errors="replace")
        for path in (rendered.workspace.home / "logs").glob("*.log")
    )
    assert "'playwright/browser_count': 1," in log
    assert "'citewatch/render/pages': 7," in log  # all but the plain article


DRIFTED = YENSEBEK_RU.__class__(
    **{
        **YENSEBEK_RU.__dict__,
        "paragraphs": (
            "Материал удалён по требованию правообладателя.",
            "Редакция приносит извинения читателям.",
        ),
    }
)


def night(n: int) -> str:
    return f"2025-03-0{n}T02:00:{10 - 3 * n:02d}+00:00"  # a few seconds earlier each night


@pytest.fixture(scope="module")
def js_story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[int, Snapshot]]:
    """A page whose shell never changes (it answers 304), while the article its script fetches
    is replaced on night 3: archived on night 1, checked on nights 2 and 3."""
    if find_browser("") is None:
        pytest.skip("no Chromium (apt-get install chromium)")
    root = tmp_path_factory.mktemp("render-story")
    current = {"night": 1}
    etag = '"shell-1"'

    def page(seen: Seen) -> Reply:
        if seen.headers.get("If-None-Match") == etag:
            return Reply(304, b"", [("ETag", etag)])
        reply = shell(YENSEBEK_RU, "/static/app.js")
        return Reply(reply.status, reply.body, [*reply.headers, ("ETag", etag)])

    def data(seen: Seen) -> Reply:
        return article_json(DRIFTED if current["night"] >= 3 else YENSEBEK_RU)

    with TestWeb() as web:
        host = web[0]
        url = host.route("/novosti/js.html", page)
        host.route("/static/app.js", app("/api/article.json"))
        host.route("/api/article.json", data)
        workspace = Workspace(root, f"sqlite:///{root / 'citewatch.db'}", RENDERING)
        assert workspace.cli("--now", night(1), "add", str(workspace.document([url]))).code == 0
        assert workspace.cli("--now", night(1), "archive").code == 0
        for n in (2, 3):
            current["night"] = n
            run = workspace.cli("--now", night(n), "check", "--all")
            assert run.code == 0, run.err
        yield dict(enumerate(workspace.snapshots_by_url()[url], start=1))


def test_an_unchanged_shell_is_rendered_again_and_a_replaced_article_is_drift(
    js_story: dict[int, Snapshot],
) -> None:
    first, second, third = js_story[1], js_story[2], js_story[3]
    assert first.status == 200 and first.revisit_of_id is None
    assert second.status == 304 and second.revisit_of_id == first.id
    assert third.status == 304 and third.revisit_of_id == first.id
    assert (second.capture_note or "").startswith(
        "rendered: the copy we hold was rendered, and its page is unchanged"
    )
    assert "Медеуский районный суд" in (second.text or "") and second.verdict == "ok"
    assert "Материал удалён" in (third.text or "")  # the browser's text, not the original's
    assert third.verdict == "drifted"
    assert third.capture_length and third.capture_length > (third.warc_length or 0)


def test_an_evidence_package_carries_what_the_browser_saw(
    rendered: Rendered, tmp_path_factory: pytest.TempPathFactory
) -> None:
    package = tmp_path_factory.mktemp("package") / "rendered.wacz"
    run = rendered.workspace.cli("export", "1", "--unsigned", "--latest", "--output", str(package))
    assert run.code == 0, run.err
    with zipfile.ZipFile(package) as archive:
        (warc,) = [n for n in archive.namelist() if n.startswith("archive/")]
        data = archive.read(warc)
    uris = [
        record.rec_headers.get_header("WARC-Target-URI")
        for record in ArchiveIterator(io.BytesIO(data))
    ]
    url = rendered.urls["js"]
    assert f"urn:dom:{url}" in uris and f"urn:fullPage:{url}" in uris
    assert url.replace("/novosti/js.html", "/api/article.json") in uris
    verify = rendered.workspace.cli("verify", str(package))
    assert verify.code == 0, verify.out


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, dict[str, str]]]:
    """Two video pages of a host that counts as a video host: a short clip and one over the
    size cap, archived with `[crawl] video` on (yt-dlp, reaching only the test web)."""
    root = tmp_path_factory.mktemp("video")
    config = TEST_CONFIG.replace(
        "render_hosts = []",
        'render_hosts = []\nvideo = true\nvideo_hosts = ["127.0.0.2"]\nvideo_max_mb = 1',
    )
    with TestWeb() as web:
        host = web[0]
        page = '<html><head><title>{t}</title></head><body><h1>{t}</h1><video src="{src}" controls></video></body></html>'
        urls = {
            "short": host.route(
                "/v/short", Reply.html(page.format(t="Суд", src="/media/short.mp4"))
            ),
            "long": host.route("/v/long", Reply.html(page.format(t="Long", src="/media/long.mp4"))),
        }
        host.route("/media/short.mp4", Reply(200, CLIP, [("Content-Type", "video/mp4")]))
        host.route("/media/long.mp4", Reply(200, CLIP * 8, [("Content-Type", "video/mp4")]))
        workspace = Workspace(root, f"sqlite:///{root / 'citewatch.db'}", config)
        assert workspace.cli("add", str(workspace.document(urls.values()))).code == 0
        run = workspace.cli("archive")
        assert run.code == 0, run.err
        yield workspace, urls


CLIP = bytes(range(256)) * 1000  # 256 KB standing in for an MP4


def test_a_video_hosts_video_is_kept_beside_its_page_up_to_the_cap(
    videos: tuple[Workspace, dict[str, str]],
) -> None:
    workspace, urls = videos
    by_url = workspace.snapshots_by_url()
    short, long = by_url[urls["short"]][0], by_url[urls["long"]][0]
    assert (short.capture_note or "").startswith("video kept (0.2 MB, video/mp4)")
    records = _records(workspace, short)
    media = urls["short"].replace("/v/short", "/media/short.mp4")
    assert ("resource", media, CLIP) in records
    assert "over 1 MB: not kept" in (long.capture_note or "")
    assert long.capture_length is None
    assert not list(workspace.warc_directory.glob(".video-*"))  # temporary files cleaned up


def test_a_download_the_page_starts_is_refused(rendered: Rendered) -> None:
    snapshot = rendered.snapshots["downloading"]
    assert (snapshot.capture_note or "").startswith("rendered: the page is a JavaScript shell")
    bodies = [body for _, _, body in _records(rendered.workspace, snapshot)]
    assert not any(ZIP in body for body in bodies)  # the attachment is not kept
    assert not list(rendered.workspace.root.rglob("*.zip"))


def test_a_page_is_kept_with_at_most_the_sub_resources_the_limit_allows(rendered: Rendered) -> None:
    snapshot = rendered.snapshots["many"]
    assert "20 sub-resources kept; 5 over the limits" in (snapshot.capture_note or "")
    images = [uri for kind, uri, _ in _records(rendered.workspace, snapshot) if "/img/" in uri]
    assert len(images) == 2 * 20  # a request and a response record each
