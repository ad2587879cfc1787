"""Verdicts that hold: five nights of `citewatch nightly` on the local test web, each night's run
a few seconds earlier than a day after the last, a real SMTP server receiving the digests.

On night 2 one cited article redirects to the site's front page, one answers 200 with a
"not found" page, one has lost its key paragraph, and two posts now redirect to a login page
(one with `?next=`, one without). From night 3 on the server answers each of them with 304
Not Modified, as real servers do for static pages whose validators we send. A 304 only says
"the same as the copy you hold", so the verdicts must hold: the soft-404s are confirmed dead,
the drifted page stays drifted, each is mailed once, and "our copy" stays the night-1 page.
On night 6 the WARC directory is a read-only filesystem: the nightly run fails, says so, and
changes nothing; on night 7 every answer is what it was.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.mounts import tmpfs
from tests.support.pages import (
    MUBARAKOV_EN,
    YENSEBEK_KK,
    YENSEBEK_RU,
    ZHYLANBAEV_RU,
    article_page,
    home_page,
    soft_404_page,
)
from tests.support.smtp import MailServer, text_of
from tests.support.web import Reply, Seen, TestWeb
from tests.support.workspace import TEST_CONFIG, Workspace

FIRST_NIGHT = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
NIGHTS = 5  # the nights the verdicts are played on
FAILED_WRITE = 6  # the WARC directory cannot be written
LAST = 7
EARLIER = timedelta(seconds=9)  # cron jitter: each run starts this much earlier than the last

LOGIN_PAGE = (
    "<html lang='ru'><head><title>Вход | Vlast.kz</title></head><body>"
    "<form method='post' action='/login/'><input name='username'>"
    "<input type='password' name='password'><button>Войти</button></form></body></html>"
)


def night_time(night: int) -> datetime:
    return FIRST_NIGHT + timedelta(days=night - 1) - EARLIER * (night - 1)


@dataclass
class World:
    """The test web on a given night, and the 304s it answered."""

    night: int = 1
    not_modified: list[str] = field(default_factory=list)


def validated(world: World, body: str, status: int = 200) -> Any:
    """A page with an ETag that answers 304 when the client already holds it."""
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:16] + '"'

    def reply(seen: Seen) -> Reply:
        if seen.headers.get("If-None-Match") == etag:
            world.not_modified.append(urlsplit(seen.path).path)
            return Reply(304, b"", [("ETag", etag)])
        return Reply.html(body, status=status, headers=[("ETag", etag)])

    return reply


def from_night_2(world: World, first: Any, later: Any) -> Any:
    def reply(seen: Seen) -> Reply:
        chosen = first if world.night == 1 else later
        return chosen(seen) if callable(chosen) else chosen

    return reply


@dataclass
class Story:
    workspace: Workspace
    world: World
    urls: dict[str, str]
    rows: dict[int, dict[str, dict[str, Any]]]  # night -> name -> report row
    mail: dict[int, list[EmailMessage]]
    codes: dict[int, int]
    errors: dict[int, str]
    first_copies: dict[str, int]  # name -> the night-1 snapshot id
    lookups: list[Seen]


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    root = tmp_path_factory.mktemp("story")
    mail = MailServer()
    world = World()
    with TestWeb() as web:
        vlast, azattyq, orda, archive = web.hosts
        without_quote = YENSEBEK_RU.__class__(
            **{
                **YENSEBEK_RU.__dict__,
                "paragraphs": tuple(
                    p for p in YENSEBEK_RU.paragraphs if not p.startswith("Правозащитники")
                ),
            }
        )
        vlast.route("/", validated(world, home_page()))
        vlast.route("/login/", validated(world, LOGIN_PAGE))
        routes = {
            "to_front": (vlast, "/novosti/4-front.html", MUBARAKOV_EN, Reply.redirect("/", 301)),
            "says_404": (
                azattyq,
                "/a/5-says.html",
                YENSEBEK_KK,
                validated(world, soft_404_page("Azattyq")),
            ),
            "drift": (vlast, "/novosti/10-drift.html", YENSEBEK_RU, None),
            "login_next": (
                vlast,
                "/novosti/20-members.html",
                ZHYLANBAEV_RU,
                Reply.redirect("/login/?next=%2Fnovosti%2F20-members.html", 302),
            ),
            "login_plain": (
                vlast,
                "/novosti/21-members.html",
                MUBARAKOV_EN,
                Reply.redirect("/login/", 302),
            ),
            "stable": (orda, "/news/1-stable.html", ZHYLANBAEV_RU, None),
        }
        urls = {}
        for name, (host, path, article, later) in routes.items():
            first = validated(world, article_page(article))
            if name == "drift":
                later = validated(world, article_page(without_quote))
            host.route(path, first if later is None else from_night_2(world, first, later))
            urls[name] = host.url(path)
        archive.route(
            "/wayback/available",
            lambda seen: Reply(
                200,
                json.dumps(
                    {
                        "archived_snapshots": {
                            "closest": {
                                "available": True,
                                "status": "200",
                                "timestamp": "20250115103000",
                                "url": "https://web.archive.example/web/20250115103000/"
                                + parse_qs(urlsplit(seen.path).query)["url"][0],
                            }
                        }
                    }
                ).encode(),
                [("Content-Type", "application/json")],
            ),
        )
        config = TEST_CONFIG + (
            "\n[check]\nmax_interval_days = 1\n"
            f'memento_endpoint = "{archive.url("/wayback/available")}"\n'
            "memento_per_minute = 600\n"
            f'\n[smtp]\nhost = "127.0.0.1"\nport = {mail.port}\nsecurity = "none"\n'
            'sender = "citewatch@example.org"\n'
            '\n[alerts]\nrecipients = ["researcher@example.org"]\n'
        )
        workspace = Workspace(root, f"sqlite:///{root / 'citewatch.db'}", config)
        document = workspace.document(urls.values())
        assert workspace.cli("--now", FIRST_NIGHT.isoformat(), "add", str(document)).code == 0
        result = Story(workspace, world, urls, {}, {}, {}, {}, {}, [])
        try:
            for night in range(1, LAST + 1):
                world.night = night
                mail.start()
                if night == FAILED_WRITE:
                    with tmpfs(workspace.warc_directory, "1m", read_only=True):
                        run = workspace.cli("--now", night_time(night).isoformat(), "nightly")
                else:
                    run = workspace.cli("--now", night_time(night).isoformat(), "nightly")
                result.codes[night], result.errors[night] = run.code, run.err
                mail.stop()
                result.mail[night] = mail.take()
                report = workspace.cli("report", "1", "--format", "json")
                rows = {row["url"]: row for row in json.loads(report.out)}
                result.rows[night] = {name: rows[url] for name, url in urls.items()}
                if night == 1:
                    result.first_copies = {
                        name: row["snapshot_id"] for name, row in result.rows[1].items()
                    }
            result.lookups = archive.requests_to("/wayback/available")
            yield result
        finally:
            mail.stop()


def states(story: Story, name: str) -> list[str]:
    return [story.rows[night][name]["state"] for night in range(1, NIGHTS + 1)]


def verdicts(story: Story, name: str) -> list[str]:
    return [story.rows[night][name]["verdict"] for night in range(1, NIGHTS + 1)]


def mailed_on(story: Story, name: str) -> list[int]:
    return [
        night
        for night in range(1, NIGHTS + 1)
        for message in story.mail[night]
        if story.urls[name] in text_of(message)
    ]


def test_every_night_runs_cleanly_but_the_one_that_cannot_write(story: Story) -> None:
    assert {n: c for n, c in story.codes.items() if n != FAILED_WRITE} == dict.fromkeys(
        [*range(1, FAILED_WRITE), LAST], 0
    )


def test_a_night_that_cannot_write_fails_loudly_and_changes_no_answer(story: Story) -> None:
    assert story.codes[FAILED_WRITE] != 0
    assert str(story.workspace.warc_directory) in story.errors[FAILED_WRITE]
    assert "Traceback" not in story.errors[FAILED_WRITE]
    runs = json.loads(story.workspace.cli("runs", "--limit", "20", "--format", "json").out)
    steps = {r["step"]: r for r in runs if r["cycle"] == FAILED_WRITE}
    assert steps["check"]["status"] == "failed"
    # Every cited page has its copy: the archive step has nothing to write, and says so.
    assert steps["archive"]["status"] == "skipped"
    # Neither the failed night nor the one after moves a link, mails a link again, or changes
    # which copy is offered: every answer of night 5 holds.
    for night in (FAILED_WRITE, LAST):
        for name, row in story.rows[night].items():
            before = story.rows[NIGHTS][name]
            assert (row["state"], row["snapshot_id"]) == (before["state"], before["snapshot_id"])
        assert not any(
            story.urls[name] in text_of(message)
            for name in story.urls
            for message in story.mail[night]
        )
    assert story.rows[LAST]["stable"]["checked_at"] > story.rows[NIGHTS]["stable"]["checked_at"]


def test_the_server_really_answered_304_from_night_3(story: Story) -> None:
    repeated = set(story.world.not_modified)
    # the front page reached by redirect, the not-found page, the drifted article, the login
    # page: each answered 304 to the validators of the copy we hold
    assert {"/", "/a/5-says.html", "/novosti/10-drift.html", "/login/"} <= repeated


def test_a_soft_404_by_front_page_redirect_is_confirmed_dead_through_304s(story: Story) -> None:
    assert verdicts(story, "to_front") == ["ok"] + ["soft_404"] * 4
    assert states(story, "to_front") == ["alive", "suspect", "suspect", "dead", "dead"]


def test_a_soft_404_by_a_200_not_found_page_is_confirmed_dead_through_304s(story: Story) -> None:
    assert verdicts(story, "says_404") == ["ok"] + ["soft_404"] * 4
    assert states(story, "says_404") == ["alive", "suspect", "suspect", "dead", "dead"]


def test_a_drifted_page_stays_drifted_through_304s(story: Story) -> None:
    assert verdicts(story, "drift") == ["ok"] + ["drifted"] * 4
    assert states(story, "drift") == ["alive"] + ["drifted"] * 4


def test_login_walls_reached_by_redirect_are_blocked(story: Story) -> None:
    for name in ("login_next", "login_plain"):
        assert verdicts(story, name) == ["ok"] + ["blocked"] * 4, name
        assert states(story, name) == ["alive", "suspect", "blocked", "blocked", "blocked"], name


def test_a_page_that_stays_answers_304_and_stays_alive(story: Story) -> None:
    assert states(story, "stable") == ["alive"] * NIGHTS
    assert "/news/1-stable.html" in story.world.not_modified


def test_each_dying_link_is_mailed_once(story: Story) -> None:
    assert mailed_on(story, "drift") == [2]
    assert mailed_on(story, "to_front") == [4]
    assert mailed_on(story, "says_404") == [4]
    assert mailed_on(story, "stable") == []
    [message] = [m for m in story.mail[4] if story.urls["to_front"] in text_of(m)]
    text = text_of(message)
    assert "dead (confirmed) since 2025-03-04" in text
    first = story.first_copies["to_front"]
    assert f"Our copy: snapshot {first} of 2025-03-01" in text


def test_our_copy_is_the_night_1_page_never_the_not_found_or_front_page(story: Story) -> None:
    for name in ("to_front", "says_404", "drift", "login_next", "login_plain"):
        first = story.first_copies[name]
        assert first is not None, name
        for night in range(1, NIGHTS + 1):
            assert story.rows[night][name]["snapshot_id"] == first, (name, night)
    text = story.workspace.cli("text", str(story.first_copies["to_front"]))
    assert text.code == 0 and MUBARAKOV_EN.title in text.out


def test_a_drifted_link_offers_the_cited_copy_and_the_page_as_it_is_now(story: Story) -> None:
    row = story.rows[NIGHTS]["drift"]
    assert row["current_snapshot_id"] not in (None, row["snapshot_id"])
    now = story.workspace.cli("text", str(row["current_snapshot_id"]))
    cited = story.workspace.cli("text", str(row["snapshot_id"]))
    assert "Правозащитники" in cited.out and "Правозащитники" not in now.out
    [message] = story.mail[2]
    assert f"The page now: snapshot {row['current_snapshot_id']}" in text_of(message)


def test_nightly_finds_public_copies_of_dead_links(story: Story) -> None:
    for name in ("to_front", "says_404", "drift"):
        memento = story.rows[NIGHTS][name]["memento_url"] or ""
        assert memento.startswith("https://web.archive.example/web/20250115103000/"), name
    assert story.rows[NIGHTS]["stable"]["memento_url"] is None
    asked = [parse_qs(urlsplit(seen.path).query)["url"][0] for seen in story.lookups]
    assert len(asked) == len(set(asked))  # each link looked up once, then cached
    [message] = [m for m in story.mail[4] if story.urls["says_404"] in text_of(m)]
    assert "Public archive: https://web.archive.example/web/20250115103000/" in text_of(message)
