"""Typo hints, probe URLs, and the public-archive client (against a local availability API)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from crawler.probes import one_per_host, sibling_url
from health.hints import path_shape, typo_hint
from health.memento import MementoError, WaybackClient
from tests.support.web import Reply, Seen, TestWeb

VLAST = [
    ("https://vlast.kz/novosti/62194-priznat-feminita.html", "alive"),
    ("https://vlast.kz/novosti/63563-apellacionnyj-sud.html", "alive"),
    ("https://bureau.kz/goryachee/srok-za-intervyu/", "alive"),
]


def test_the_briefings_last_kz_typo() -> None:
    hint = typo_hint("https://last.kz/novosti/63501-sud-arestoval-na-dva-mesaca.html", VLAST)
    assert hint == (
        "did you mean vlast.kz? last.kz does not resolve, and vlast.kz, cited in the same document, "
        "serves the same kind of path: https://vlast.kz/novosti/63501-sud-arestoval-na-dva-mesaca.html"
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://nonexistent.invalid/novosti/1.html",  # no similar host
        "https://last.kz/",  # no path to compare
        "https://last.kz/about/team/",  # vlast.kz serves other kinds of path
    ],
)
def test_no_hint_without_evidence(url: str) -> None:
    assert typo_hint(url, VLAST) is None


def test_a_dead_neighbour_is_no_suggestion() -> None:
    dead = [(url, "dead") for url, _ in VLAST]
    assert typo_hint("https://last.kz/novosti/63501-sud.html", dead) is None


def test_path_shapes() -> None:
    assert (
        path_shape("/novosti/63501-sud.html")
        == path_shape("/novosti/1-x.html")
        == ("novosti", 2, ".html", True)
    )
    assert path_shape("/novosti/about.html") != path_shape("/novosti/1-x.html")


def test_probe_urls_keep_directory_and_extension() -> None:
    assert (
        sibling_url("https://vlast.kz/novosti/63501-sud.html?a=1#x", "zzz")
        == "https://vlast.kz/novosti/zzz.html"
    )
    assert (
        sibling_url("https://bureau.kz/goryachee/srok-za-intervyu/", "zzz")
        == "https://bureau.kz/goryachee/zzz"
    )
    assert sibling_url("https://t.me/", "zzz") == "https://t.me/zzz"
    assert sibling_url("https://vlast.kz/a.html") != sibling_url(
        "https://vlast.kz/a.html"
    )  # random
    assert one_per_host(
        ["https://vlast.kz/a", "https://vlast.kz/novosti/1.html", "http://orda.kz:8080/x"]
    ) == {
        "vlast.kz": "https://vlast.kz/novosti/1.html",
        "orda.kz:8080": "http://orda.kz:8080/x",
    }


@pytest.fixture
def archive() -> Iterator[TestWeb]:
    with TestWeb(["127.0.0.5"]) as web:
        yield web


def availability(seen: Seen) -> Reply:
    if "never-archived" in seen.path:
        return Reply(200, b'{"archived_snapshots": {}}', [("Content-Type", "application/json")])
    answer = {
        "archived_snapshots": {
            "closest": {
                "available": True,
                "url": "http://web.archive.org/web/20240607101112/https://vlast.kz/x",
                "timestamp": "20240607101112",
                "status": "200",
            }
        }
    }
    return Reply(200, json.dumps(answer).encode(), [("Content-Type", "application/json")])


def test_closest_copy_from_the_availability_api(archive: TestWeb) -> None:
    endpoint = archive[0].route("/wayback/available", availability)
    waits: list[float] = []
    client = WaybackClient(endpoint, per_minute=60, sleep=waits.append)
    found = client.closest("https://vlast.kz/x", datetime(2025, 2, 1, tzinfo=UTC))
    assert found is not None
    assert (found.url, found.captured_at) == (
        "http://web.archive.org/web/20240607101112/https://vlast.kz/x",
        datetime(2024, 6, 7, 10, 11, 12, tzinfo=UTC),
    )
    assert (
        archive[0].seen[0].path
        == "/wayback/available?url=https%3A%2F%2Fvlast.kz%2Fx&timestamp=20250201000000"
    )
    assert client.closest("https://vlast.kz/never-archived") is None
    assert waits and 0 < waits[0] <= 1.0  # one request per second at 60 a minute


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        (Reply(500, b"down"), "500"),
        (Reply(200, b"<html>not json</html>"), "unreadable answer"),
        (
            Reply(
                200,
                b'{"archived_snapshots": {"closest": {"available": true, "url": "x", "timestamp": "soon"}}}',
            ),
            "bad timestamp",
        ),
    ],
)
def test_archive_failures_are_errors_not_crashes(
    archive: TestWeb, reply: Reply, problem: str
) -> None:
    endpoint = archive[0].route("/wayback/available", reply)
    with pytest.raises(MementoError, match=problem):
        WaybackClient(endpoint, sleep=lambda _: None).closest("https://vlast.kz/x")


def test_save_page_now(archive: TestWeb) -> None:
    archive[0].fallback = Reply(200, b"saved")
    client = WaybackClient(
        archive[0].url("/wayback/available"),
        save_endpoint=archive[0].url("/save/"),
        sleep=lambda _: None,
    )
    client.save("https://vlast.kz/novosti/1.html")
    assert archive[0].seen[-1].path == "/save/https://vlast.kz/novosti/1.html"
