"""The documents pages: upload as `citewatch add` does, the footnote table, its exports, the
archive and check runs started from the dashboard."""

from __future__ import annotations

import dataclasses
import json
import re
import time
from pathlib import Path

from httpx2 import Response

from tests.support.pages import ZHYLANBAEV_RU, article_page
from tests.support.web import Reply, TestWeb
from tests.web.conftest import PASSWORD, Desk, add_user, csrf_from, login

EXAMPLE = Path(__file__).parents[2] / "examples" / "eu-kazakhstan-hr-dialogue-briefing-2025.txt"


def upload(desk: Desk, name: str, data: bytes, **form: str) -> Response:
    token = csrf_from(desk.client, "/documents")
    return desk.client.post(
        "/documents",
        data={"csrf_token": token, **form},
        files={"document": (name, data, "application/octet-stream")},
        follow_redirects=False,
    )


def rows(page: str) -> list[tuple[str, str]]:
    """(state, note) of each row of the footnote table."""
    return re.findall(r'<tr class="row-(\w+)">\s*<td>([^<]*)</td>', page)


def test_upload_stores_the_briefing_and_shows_its_116_notes(desk: Desk) -> None:
    answer = upload(desk, EXAMPLE.name, EXAMPLE.read_bytes())
    assert answer.status_code == 303
    page = desk.client.get(answer.headers["location"])
    assert "BRIEFING PAPER FOR EU-KAZAKHSTAN" in page.text
    found = rows(page.text)
    assert len(found) == 134  # the cover page's two addresses have no note
    assert len({note for _, note in found if note != "—"}) == 116
    assert {state for state, _ in found} == {"unknown"}
    listing = desk.client.get("/documents").text
    assert EXAMPLE.name in listing and "134 unknown" in listing
    again = upload(desk, EXAMPLE.name, EXAMPLE.read_bytes())  # the same file: nothing new
    assert again.headers["location"] == answer.headers["location"]


def test_the_table_filters_searches_and_sorts_on_the_server(desk: Desk) -> None:
    location = upload(desk, EXAMPLE.name, EXAMPLE.read_bytes()).headers["location"]
    assert rows(desk.client.get(f"{location}?state=dead").text) == []
    searched = desk.client.get(f"{location}?q=civicus").text
    assert rows(searched) and all(
        "civicus" in url.lower() for url in re.findall(r'class="url"><a href="([^"]+)"', searched)
    )
    by_url = re.findall(
        r'class="url"><a href="([^"]+)"', desk.client.get(f"{location}?sort=url").text
    )
    assert by_url == sorted(by_url, key=str.casefold)
    notes = [n for _, n in rows(desk.client.get(f"{location}?sort=note").text)]
    numbers = [int(n) for n in notes if n.isdigit()]
    assert numbers == sorted(numbers)


def test_the_exports_are_the_report(desk: Desk) -> None:
    location = upload(desk, EXAMPLE.name, EXAMPLE.read_bytes()).headers["location"]
    records = json.loads(desk.client.get(f"{location}/report.json").text)
    assert len(records) == 134 and {r["footnote"] for r in records} >= {"1", "116"}
    run = desk.workspace.cli("report", location.rsplit("/", 1)[1], "--format", "csv")
    csv = desk.client.get(f"{location}/report.csv")
    assert csv.text == run.out and "attachment" in csv.headers["content-disposition"]
    html = desk.client.get(f"{location}/report.html")
    assert html.headers["content-type"].startswith("text/html") and "<table" in html.text
    assert desk.client.get(f"{location}/report.xml").status_code == 404


def test_an_unsupported_file_is_refused_with_a_message(desk: Desk) -> None:
    answer = upload(desk, "report.xls", b"not a report")
    assert answer.status_code == 400
    assert "this file type cannot be read" in answer.text
    broken = upload(desk, "report.pdf", b"not a pdf at all")
    assert broken.status_code == 400 and "not a PDF file" in broken.text


def test_an_oversized_upload_is_413(desk: Desk) -> None:
    desk.config = dataclasses.replace(
        desk.config, web=dataclasses.replace(desk.config.web, max_upload_mb=1)
    )
    desk.reopen()
    answer = upload(desk, "big.txt", b"x" * (3 * 2**20))
    assert answer.status_code == 413
    assert "too large" in answer.text.lower()


def test_viewers_may_not_upload_or_start_runs(desk: Desk) -> None:
    add_user(desk, "viewer", PASSWORD, "viewer")
    assert login(desk.client, "viewer", PASSWORD).status_code == 303
    page = desk.client.get("/documents").text
    assert 'enctype="multipart/form-data"' not in page
    assert upload(desk, EXAMPLE.name, EXAMPLE.read_bytes()).status_code == 403
    token = csrf_from(desk.client, "/documents")
    answer = desk.client.post("/documents/1/check", data={"csrf_token": token})
    assert answer.status_code == 403


def test_archive_now_runs_in_the_background_one_at_a_time(desk: Desk) -> None:
    with TestWeb() as web:
        url = web[0].route("/news/1.html", Reply.html(article_page(ZHYLANBAEV_RU)))
        document = desk.workspace.document([url])
        location = upload(desk, document.name, document.read_bytes()).headers["location"]
        token = csrf_from(desk.client, location)
        started = desk.client.post(
            f"{location}/archive", data={"csrf_token": token}, follow_redirects=False
        )
        assert started.status_code == 303
        busy = desk.client.post(f"{location}/check", data={"csrf_token": token})
        assert busy.status_code == 409 and "still running" in busy.text
        assert "running" in desk.client.get(location).text
        deadline = time.monotonic() + 60
        job = desk.client.get("/jobs/current").json()
        while job["status"] == "running" and time.monotonic() < deadline:
            time.sleep(0.3)
            job = desk.client.get("/jobs/current").json()
        assert job["error"] is None
        assert (job["status"], job["done"], job["total"]) == ("done", 1, 1)
        page = desk.client.get(location).text
        assert rows(page) == [("alive", "1")]
        assert "archive: done, 1 of 1" in " ".join(page.split())


def test_a_long_footnote_table_comes_in_pages_that_keep_the_filter(desk: Desk) -> None:
    urls = [f"https://vlast.kz/novosti/{n}.html" for n in range(1, 251)]
    document = desk.workspace.document(urls)
    location = upload(desk, document.name, document.read_bytes()).headers["location"]

    first = desk.client.get(location, params={"sort": "url"}).text
    assert "1–200 of 250" in first
    assert first.count('href="https://vlast.kz/novosti/') == 200
    assert 'href="?page=2&amp;sort=url"' in first
    second = desk.client.get(location, params={"page": "2", "sort": "url"}).text
    assert "201–250 of 250" in second
    assert second.count('href="https://vlast.kz/novosti/') == 50
    beyond = desk.client.get(location, params={"page": "99"}).text
    assert "201–250 of 250" in beyond  # the last page, not an empty one


def test_an_empty_desk_says_there_is_no_document(desk: Desk) -> None:
    page = desk.client.get("/documents")
    assert page.status_code == 200
    assert "No document yet." in page.text
