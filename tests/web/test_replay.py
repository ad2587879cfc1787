"""The replay origin under Starlette's test client: told apart from the dashboard by the Host
header, it serves our WARC records as stored and never a cookie."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from warcio.archiveiterator import ArchiveIterator

from config.clock import utc_now
from models import Snapshot
from tests.browser.archived import ARTICLE_TEXT, Archived, archive_pages, article
from web.app import create_app
from web.context import Web, templates
from web.replay import by_origin

DASHBOARD = "http://127.0.0.1:8000"
REPLAY = "http://replay.citewatch.localhost:8000"


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archived]:
    """One page archived twice: a response (and its request), then a revisit record."""
    root = tmp_path_factory.mktemp("replay")
    done = archive_pages(root, {"article": article()}, refresh=True)
    yield done
    done.database.dispose()


@pytest.fixture
def client(archived: Archived) -> Iterator[TestClient]:
    with TestClient(create_app(archived.config, archived.database)) as opened:
        yield opened


def records(data: bytes) -> list[tuple[str, str | None]]:
    """(WARC-Type, WARC-Target-URI) of each record in `data`, reading every body."""
    return [(kind, uri) for kind, uri, _ in read_all(data)]


def read_all(data: bytes) -> list[tuple[str, str | None, bytes]]:
    """Type, target URI and decoded payload of each record in `data`."""
    found = []
    for record in ArchiveIterator(io.BytesIO(data)):
        body = record.content_stream().read()
        found.append((record.rec_type, record.rec_headers.get_header("WARC-Target-URI"), body))
    return found


def test_the_replay_page_is_on_the_replay_origin_only(
    archived: Archived, client: TestClient
) -> None:
    snapshot = archived.snapshots["article"]
    page = client.get(f"{REPLAY}/replay/{snapshot.id}")
    assert page.status_code == 200
    assert f'source="/replay/{snapshot.id}/record.warc.gz"' in page.text
    assert f'url="{archived.urls["article"]}"' in page.text
    assert 'replayBase="/replay-sw/"' in page.text
    assert '<script src="/replay-sw/ui.js"></script>' in page.text
    assert "frame-ancestors 'self' http://127.0.0.1:8000" in page.headers["content-security-policy"]
    assert client.get(f"{DASHBOARD}/replay/{snapshot.id}").status_code == 404
    assert client.get(f"{DASHBOARD}/replay/{snapshot.id}/record.warc.gz").status_code == 404
    assert client.get(f"{DASHBOARD}/replay-sw/sw.js").status_code == 404


def test_the_dashboard_is_not_on_the_replay_origin(client: TestClient) -> None:
    assert client.get(f"{DASHBOARD}/documents").status_code == 200
    for path in ("/documents", "/static/app.css", "/"):
        assert client.get(f"{REPLAY}{path}", follow_redirects=False).status_code == 404
    # The port is part of the origin: the same name on another port is not the replay origin.
    assert client.get("http://replay.citewatch.localhost:9000/documents").status_code == 200


def test_records_are_the_response_and_its_request_as_stored(
    archived: Archived, client: TestClient
) -> None:
    original = archived.snapshots["article"].revisit_of_id
    assert original is not None
    answer = client.get(f"{REPLAY}/replay/{original}/record.warc.gz")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/warc"
    url = archived.urls["article"]
    assert records(answer.content) == [("response", url), ("request", url)]
    assert answer.content[:2] == b"\x1f\x8b"  # as stored: one gzip member per record
    assert ARTICLE_TEXT.encode() in read_all(answer.content)[0][2]


def test_a_revisit_comes_with_the_response_it_refers_to(
    archived: Archived, client: TestClient
) -> None:
    snapshot = archived.snapshots["article"]
    answer = client.get(f"{REPLAY}/replay/{snapshot.id}/record.warc.gz")
    assert answer.status_code == 200
    url = archived.urls["article"]
    assert records(answer.content) == [("response", url), ("request", url), ("revisit", url)]
    assert int(answer.headers["content-length"]) == len(answer.content)


def test_replay_responses_set_no_cookie(archived: Archived, client: TestClient) -> None:
    snapshot = archived.snapshots["article"]
    client.cookies.set("session", "dashboard")  # a dashboard cookie sent to the wrong host
    for path in (
        f"/replay/{snapshot.id}",
        f"/replay/{snapshot.id}/record.warc.gz",
        "/replay-sw/sw.js",
        "/replay-sw/index.html",
        "/replay-sw/ui.js",
        "/replay/999999",
    ):
        answer = client.get(f"{REPLAY}{path}")
        assert "set-cookie" not in answer.headers, path
        assert answer.headers["x-content-type-options"] == "nosniff"


def test_the_service_worker_and_viewer_are_served(client: TestClient) -> None:
    worker = client.get(f"{REPLAY}/replay-sw/sw.js")
    assert worker.status_code == 200
    assert worker.headers["content-type"].startswith("text/javascript")
    assert client.get(f"{REPLAY}/replay-sw/ui.js").status_code == 200
    assert client.get(f"{REPLAY}/static/vendor/htmx.min.js").status_code == 404


def test_an_unknown_snapshot_is_not_found(client: TestClient) -> None:
    assert client.get(f"{REPLAY}/replay/999999").status_code == 404
    assert client.get(f"{REPLAY}/replay/999999/record.warc.gz").status_code == 404
    assert client.get(f"{REPLAY}/replay/abc").status_code == 404


def test_the_frame_embeds_the_replay_origin_sandboxed(archived: Archived) -> None:
    state = Web(archived.config, archived.database, utc_now, templates())
    by_origin(Starlette(), state)
    frame = state.templates.get_template("replay_frame.html")
    snapshot = archived.snapshots["article"]
    shown = frame.render(replay_snapshot=snapshot, replay_url="https://x.kz/a", t=translate)
    assert f'src="{REPLAY}/replay/{snapshot.id}"' in shown
    assert 'sandbox="allow-scripts allow-same-origin allow-forms"' in shown
    assert 'referrerpolicy="no-referrer"' in shown
    failed = Snapshot(id=5, warc_file=None)
    assert "<iframe" not in frame.render(replay_snapshot=failed, replay_url="", t=translate)
    assert "<iframe" not in frame.render(replay_snapshot=None, replay_url="", t=translate)


def test_a_configured_replay_origin_is_dispatched_by_its_host(archived: Archived) -> None:
    web = replace(archived.config.web, replay_origin="https://replay.example.org")
    config = replace(archived.config, web=web)
    snapshot = archived.snapshots["article"]
    with TestClient(create_app(config, archived.database)) as client:
        assert client.get(f"https://replay.example.org/replay/{snapshot.id}").status_code == 200
        assert client.get("https://replay.example.org/documents").status_code == 404
        assert client.get(f"{REPLAY}/documents").status_code == 200
        assert client.get(f"{REPLAY}/replay/{snapshot.id}").status_code == 404


def translate(text: str, **values: str) -> str:
    return text.format(**values)
