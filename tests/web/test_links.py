"""A link's page on a small story played over four nights on the local test web: a page that
stays, one that answers 404 from night 2 (dead by night 4), one whose text changes on night 2
(drifted), and a PDF. What the user sees: states, the diff, the timeline, the WARC records, the
operator's mark with who and when."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from models import Citation, Snapshot, Target
from tests.support.pages import YENSEBEK_RU, ZHYLANBAEV_RU, article_page
from tests.support.web import Reply, Seen, TestWeb
from tests.support.workspace import TEST_CONFIG, Workspace
from tests.web.conftest import PASSWORD, Desk, add_user, csrf_from, login, open_desk

FIRST_NIGHT = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
NIGHTS = 4
PDF = (Path(__file__).parents[1] / "fixtures" / "documents" / "briefing.pdf").read_bytes()
REMOVED = "Правозащитники Казахстанского международного бюро"
DRIFTED_RU = YENSEBEK_RU.__class__(
    **{
        **YENSEBEK_RU.__dict__,
        "paragraphs": tuple(
            p.replace("до семи лет", "до пяти лет")
            for p in YENSEBEK_RU.paragraphs
            if not p.startswith("Правозащитники")
        ),
    }
)


@dataclass
class Story:
    desk: Desk
    urls: dict[str, str]
    targets: dict[str, int]  # name -> target id
    document_id: int
    not_modified: list[int]  # the nights the alive page answered 304


def night(n: int) -> str:
    return (FIRST_NIGHT + timedelta(days=n - 1) - timedelta(seconds=7 * (n - 1))).isoformat()


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    root = tmp_path_factory.mktemp("links")
    current = {"night": 1}
    not_modified: list[int] = []
    alive_page = article_page(ZHYLANBAEV_RU)
    etag = '"zhylanbaev-1"'

    def validated(seen: Seen) -> Reply:
        """The alive page: unchanged, so a check holding its ETag gets 304 Not Modified."""
        if seen.headers.get("If-None-Match") == etag:
            not_modified.append(current["night"])
            return Reply(304, b"", [("ETag", etag)])
        return Reply.html(alive_page, headers=[("ETag", etag)])

    def later(first: str, then: Reply) -> Callable[[Seen], Reply]:
        return lambda seen: Reply.html(first) if current["night"] == 1 else then

    with TestWeb() as web:
        news, agency, files, archive = web.hosts
        urls = {
            "alive": news.route("/news/1-alive.html", validated),
            "gone": agency.route(
                "/a/2-gone.html",
                later(article_page(ZHYLANBAEV_RU), Reply.html("<h1>Not found</h1>", status=404)),
            ),
            "drift": news.route(
                "/novosti/3-drift.html",
                later(article_page(YENSEBEK_RU), Reply.html(article_page(DRIFTED_RU))),
            ),
            "pdf": files.route(
                "/files/briefing.pdf", Reply(200, PDF, [("Content-Type", "application/pdf")])
            ),
        }

        def available(seen: Seen) -> Reply:
            url = parse_qs(urlsplit(seen.path).query)["url"][0]
            closest = {
                "available": True,
                "status": "200",
                "timestamp": "20250115103000",
                "url": f"https://web.archive.example/web/20250115103000/{url}",
            }
            body = json.dumps({"archived_snapshots": {"closest": closest}}).encode()
            return Reply(200, body, [("Content-Type", "application/json")])

        archive.route("/wayback/available", available)
        config = TEST_CONFIG + (
            f'\n[check]\nmemento_endpoint = "{archive.url("/wayback/available")}"\n'
            "memento_per_minute = 600\n"
        )
        workspace = Workspace(root, f"sqlite:///{root / 'citewatch.db'}", config)
        document = workspace.document(urls.values())
        assert workspace.cli("--now", night(1), "add", str(document)).code == 0
        assert workspace.cli("--now", night(1), "archive").code == 0
        for n in range(2, NIGHTS + 1):
            current["night"] = n
            run = workspace.cli("--now", night(n), "check", "--all")
            assert run.code == 0, run.err
        desk = open_desk(workspace)
        with desk.database.session() as session:
            by_url = {t.canonical_url: t.id for t in session.query(Target)}
            document_id = session.query(Citation).first().document_id  # type: ignore[union-attr]
        targets = {name: by_url[url] for name, url in urls.items()}
        yield Story(desk, urls, targets, document_id, not_modified)
        desk.client.close()
        desk.database.dispose()


def test_the_story_gives_each_state(story: Story) -> None:
    with story.desk.database.session() as session:
        states = {n: session.get(Target, i).state for n, i in story.targets.items()}  # type: ignore[union-attr]
    assert states == {"alive": "alive", "gone": "dead", "drift": "drifted", "pdf": "alive"}


def test_a_link_page_shows_state_citing_sentence_and_timeline(story: Story) -> None:
    page = story.desk.client.get(f"/links/{story.targets['gone']}")
    assert page.status_code == 200
    assert story.urls["gone"] in page.text
    assert 'class="badge state-dead"' in page.text
    assert "Claim 2." in page.text  # the citing sentence
    timeline = page.text.split('id="timeline-heading"')[1]
    assert timeline.count("<tr>") == 1 + NIGHTS  # the header, one snapshot a night
    assert "HTTP 404" in timeline and "archived 200" in timeline
    assert "https://web.archive.example/web/20250115103000/" in page.text  # the public copy


def test_the_drift_diff_shows_what_the_source_no_longer_says(story: Story) -> None:
    page = story.desk.client.get(f"/links/{story.targets['drift']}")
    assert 'class="badge state-drifted"' in page.text
    diff = page.text.split('id="diff-heading"')[1].split("</table>")[0]
    removed = re.findall(r"<del>(.*?)</del>", diff, re.S)
    added = re.findall(r"<ins>(.*?)</ins>", diff, re.S)
    assert any(REMOVED in d for d in removed)
    assert "семи" in " ".join(removed) and "пяти" in " ".join(added)
    assert "Просмотров" not in " ".join(removed + added)  # counters are not changes
    assert 'id="replay" data-snapshot="' in page.text


def test_a_page_answering_304_every_night_stays_alive_with_its_first_copy(story: Story) -> None:
    assert story.not_modified == list(range(2, NIGHTS + 1))  # the checks sent our validators
    target = story.targets["alive"]
    with story.desk.database.session() as session:
        first = session.query(Snapshot).filter_by(target_id=target).order_by(Snapshot.id).first()
        assert first is not None and first.revisit_of_id is None
    page = story.desk.client.get(f"/links/{target}").text
    assert 'class="badge state-alive"' in page
    timeline = page.split('id="timeline-heading"')[1]
    # A revisit a night, each one more sighting of the night-1 snapshot (health.sightings).
    assert timeline.count("<tr>") == 2 and f"seen {NIGHTS} times, last" in timeline
    # Our copy is the bytes we hold, from night 1 — not an empty 304 — whole and replayable.
    assert f"Snapshot #{first.id}, fetched" in page
    assert ZHYLANBAEV_RU.paragraphs[0] in page
    listed = story.desk.client.get(f"/documents/{story.document_id}", params={"state": "alive"})
    assert f'href="/links/{target}">#{first.id}' in listed.text


def test_an_unchanged_page_has_no_diff(story: Story) -> None:
    page = story.desk.client.get(f"/links/{story.targets['alive']}")
    assert "<del>" not in page.text and "<ins>" not in page.text
    assert "Text of our copy" in page.text


def test_the_warc_record_downloads_as_stored(story: Story) -> None:
    page = story.desk.client.get(f"/links/{story.targets['alive']}")
    first = re.search(r'href="/snapshots/(\d+)/warc"', page.text)
    assert first
    answer = story.desk.client.get(f"/snapshots/{first.group(1)}/warc")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/warc")
    assert "attachment" in answer.headers["content-disposition"]
    assert answer.content.startswith(b"WARC/1.")
    assert b"WARC-Type: response" in answer.content


def test_a_pdf_is_served_for_the_viewer_sandboxed_and_nothing_else_is(story: Story) -> None:
    page = story.desk.client.get(f"/links/{story.targets['pdf']}")
    body = re.search(r'href="/snapshots/(\d+)/body"', page.text)
    assert body
    answer = story.desk.client.get(f"/snapshots/{body.group(1)}/body")
    assert answer.status_code == 200 and answer.content == PDF
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-security-policy"] == "sandbox"
    assert answer.headers["content-disposition"].startswith("inline")
    html_page = story.desk.client.get(f"/links/{story.targets['alive']}")
    snapshot = re.search(r'data-snapshot="(\d+)"', html_page.text)
    assert snapshot and '/body"' not in html_page.text
    assert story.desk.client.get(f"/snapshots/{snapshot.group(1)}/body").status_code == 404


def test_the_operator_marks_a_link_and_the_page_says_who_and_when(story: Story) -> None:
    client, target = story.desk.client, story.targets["alive"]
    token = csrf_from(client, f"/links/{target}")
    answer = client.post(
        f"/links/{target}/override",
        data={"csrf_token": token, "state": "dead"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    page = client.get(f"/links/{target}")
    status = page.text.split('id="override-status"')[1].split("</p>")[0]
    assert "Marked" in status and "dead" in status and "local admin" in status
    with story.desk.database.session() as session:
        row = session.get(Target, target)
        assert row is not None
        assert (row.override, row.override_by, row.state) == ("dead", "local admin", "dead")
        assert row.override_at is not None
    client.post(f"/links/{target}/override", data={"csrf_token": token, "state": "clear"})
    with story.desk.database.session() as session:
        row = session.get(Target, target)
        assert row is not None and (row.override, row.state) == (None, "alive")
    assert "Mark cleared by" in client.get(f"/links/{target}").text


def test_the_cli_mark_records_cli_as_who(story: Story) -> None:
    run = story.desk.workspace.cli("mark", str(story.targets["pdf"]), "--dead")
    assert run.code == 0, run.err
    with story.desk.database.session() as session:
        row = session.get(Target, story.targets["pdf"])
        assert row is not None and (row.override, row.override_by) == ("dead", "cli")
    assert story.desk.workspace.cli("mark", str(story.targets["pdf"]), "--clear").code == 0


def test_a_bad_override_and_an_unknown_link(story: Story) -> None:
    client = story.desk.client
    token = csrf_from(client, "/documents")
    target = story.targets["gone"]
    answer = client.post(f"/links/{target}/override", data={"csrf_token": token, "state": "x"})
    assert answer.status_code == 400
    assert client.get("/links/999999").status_code == 404
    assert client.get("/snapshots/999999/warc").status_code == 404


def test_only_editors_mark_links(desk: Desk) -> None:
    add_user(desk, "viewer", PASSWORD, "viewer")
    assert login(desk.client, "viewer", PASSWORD).status_code == 303
    token = csrf_from(desk.client, "/documents")
    answer = desk.client.post("/links/1/override", data={"csrf_token": token, "state": "dead"})
    assert answer.status_code == 403


# The same story as the documents pages show it.


def test_the_document_list_counts_each_state(story: Story) -> None:
    page = story.desk.client.get("/documents")
    bar = re.search(r'<svg class="healthbar"[^>]*aria-label="([^"]*)"', page.text)
    assert bar and bar.group(1) == "1 dead, 1 drifted, 2 alive"
    assert "2025-03-04" in page.text  # last checked: night 4


def test_the_dead_row_is_under_state_dead(story: Story) -> None:
    page = story.desk.client.get(f"/documents/{story.document_id}?state=dead")
    rows = re.findall(r'<tr class="row-(\w+)">', page.text)
    assert rows == ["dead"]
    assert story.urls["gone"] in page.text and story.urls["alive"] not in page.text
    assert f'href="/links/{story.targets["gone"]}"' in page.text
    assert "web.archive.example" in page.text  # its public copy


def test_sorting_by_state_puts_trouble_first(story: Story) -> None:
    page = story.desk.client.get(f"/documents/{story.document_id}?sort=state")
    assert re.findall(r'<tr class="row-(\w+)">', page.text) == ["dead", "drifted", "alive", "alive"]
