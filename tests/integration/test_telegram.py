"""A public Telegram channel watched for two nights, and Telegram posts as sources.

t.me is served by a proxy on loopback that answers for every host (tests/support/intercept.py,
HTTPS tunnels included), so the crawler asks for the real addresses: the channel's preview page
https://t.me/s/erkindik_kz (a copy of Telegram's markup, tests/fixtures/telegram/), its older
page (?before=1841) and each post's own page https://t.me/erkindik_kz/<id>. A poll takes at
most 7 new posts here. Night 2 the channel has one more post, naming Temirlan Yensebek in
Kazakh.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.intercept import EveryHost
from tests.support.telegram import (
    CHANNEL_TITLE,
    LATER_POST,
    LATER_POST_PUBLISHED,
    POST_TEXTS,
    PREVIEW_URL,
    channel_page,
    fixture,
    post_page,
)
from tests.support.web import NOT_FOUND_PAGE, Reply
from tests.support.workspace import TEST_CONFIG, Workspace

NIGHT_1 = "2025-03-01T02:00:00+00:00"
NIGHT_2 = "2025-03-02T02:00:07+00:00"  # cron starts a few seconds late
LIMIT = 7
CONFIG = f"{TEST_CONFIG}\n[watch]\nmax_new_per_source = {LIMIT}\n"
OLDER_PAGE = f"{PREVIEW_URL}?before=1841"
POST_PAGE = re.compile(r"https://t\.me/erkindik_kz/(\d+)")
EMBED_PAGE = re.compile(r"https://t\.me/erkindik_kz/(\d+)\?embed=1")


def post(post_id: int) -> str:
    return f"https://t.me/erkindik_kz/{post_id}"


@dataclass
class Channel:
    """What the test web serves: night 2 shows the later post."""

    later: bool = False
    seen: list[str] = field(default_factory=list)

    def answer(self, url: str) -> Reply:
        self.seen.append(url)
        if url == PREVIEW_URL:
            return Reply.html(channel_page(later=self.later))
        if url == OLDER_PAGE:
            return Reply.html(fixture("channel-before-1841.html"))
        embed = EMBED_PAGE.fullmatch(url)
        if embed and int(embed.group(1)) in POST_TEXTS:  # the widget markup of the posts
            return Reply.html(channel_page(later=self.later))
        found = POST_PAGE.fullmatch(url)
        published = found and int(found.group(1)) in POST_TEXTS
        if found and published and (self.later or int(found.group(1)) != LATER_POST):
            return Reply.html(post_page(int(found.group(1))))
        return Reply.html(NOT_FOUND_PAGE, status=404)


@dataclass
class Watched:
    workspace: Workspace
    channel: Channel
    added: list[str]
    runs: dict[int, str]
    updates: dict[int, list[dict[str, str]]]
    sources: dict[int, list[dict[str, object]]]


@pytest.fixture(scope="module")
def watched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Watched]:
    root = tmp_path_factory.mktemp("telegram")
    channel = Channel()
    with EveryHost(channel.answer) as web:
        workspace = Workspace(
            root,
            f"sqlite:///{root / 'citewatch.db'}",
            CONFIG,
            extra_env={"CITEWATCH_CRAWL_PROXY": web.url},
        )
        assert workspace.cli("case", "add", "Temirlan Yensebek").code == 0
        added = []
        for arguments in (
            ("https://t.me/erkindik_kz",),  # a channel's address: watched as a Telegram source
            ("t.me/s/erkindik_kz", "--kind", "telegram"),
        ):
            run = workspace.cli("source", "add", *arguments)
            assert run.code == 0, run.err
            added.append(run.out)
        result = Watched(workspace, channel, added, {}, {}, {})
        for night, now in ((1, NIGHT_1), (2, NIGHT_2)):
            channel.later = night == 2
            run = workspace.cli("--now", now, "watch")
            assert run.code == 0, run.err
            result.runs[night] = run.out
            result.updates[night] = json.loads(workspace.cli("updates", "--format", "json").out)
            listed = workspace.cli("source", "list", "--format", "json")
            result.sources[night] = json.loads(listed.out)
        yield result


def test_a_channel_is_watched_on_its_preview_page(watched: Watched) -> None:
    assert watched.added == [
        f"Watching source 1: telegram {PREVIEW_URL}\n",
        f"Already watching source 1: telegram {PREVIEW_URL}\n",
    ]
    [source] = watched.sources[1]
    assert (source["kind"], source["url"], source["state"]) == ("telegram", PREVIEW_URL, "ok")


def test_the_first_poll_archives_the_newest_posts_up_to_the_limit(watched: Watched) -> None:
    night_1 = watched.channel.seen[: watched.channel.seen.index(PREVIEW_URL, 1)]
    fetched = [int(found.group(1)) for u in night_1 if (found := POST_PAGE.fullmatch(u))]
    # the channel page's five posts (1845 is a service message) and, all new, the two newest
    # of the page before it; 1838 is past the limit
    assert sorted(fetched) == [1839, 1840, 1841, 1842, 1843, 1844, 1846]
    assert night_1.count(OLDER_PAGE) == 1
    assert not any("before=1839" in url or "before=1838" in url for url in watched.channel.seen)
    assert watched.sources[1][0]["last_new"] == LIMIT
    snapshots = watched.workspace.snapshots_by_url()
    assert post(1838) not in snapshots and post(1845) not in snapshots


def test_a_post_naming_the_case_is_news_and_the_others_are_not(watched: Watched) -> None:
    [update] = watched.updates[1]
    assert (update["case"], update["url"], update["kind"]) == (
        "Temirlan Yensebek",
        post(1842),
        "new",
    )
    assert update["matched"] == "Темирлана Енсебека"
    assert update["published"] == "2025-01-18T06:12:41+00:00"  # from the channel page
    assert update["title"] == POST_TEXTS[1842].split("\n")[0]
    assert update["found_at"].startswith("2025-03-01")
    assert "News on the cases" in watched.runs[1] and "Temirlan Yensebek" in watched.runs[1]


def test_a_new_post_in_kazakh_is_news_on_the_second_poll(watched: Watched) -> None:
    new = [u for u in watched.updates[2] if u not in watched.updates[1]]
    assert [(u["case"], u["url"]) for u in new] == [("Temirlan Yensebek", post(LATER_POST))]
    assert new[0]["matched"] == "Темірлан Еңсебекке"
    assert new[0]["published"] == LATER_POST_PUBLISHED
    assert watched.sources[2][0]["last_new"] == 1
    assert new[0]["found_at"].startswith("2025-03-02")
    # the posts archived on night 1 are not fetched again, and nothing older is paged to
    seen = watched.channel.seen
    assert all(seen.count(post(i)) == 1 for i in (1839, 1840, 1841, 1842, 1843, 1844, 1846))
    assert seen.count(OLDER_PAGE) == 1 and seen.count(PREVIEW_URL) == 2
    table = watched.workspace.cli("updates", "--case", "Temirlan Yensebek")
    assert table.code == 0 and "Темірлан Еңсебекке" in table.out and "/1848" in table.out


def test_an_archived_post_is_its_text_with_the_page_as_evidence(watched: Watched) -> None:
    snapshots = watched.workspace.snapshots_by_url()
    for post_id in (1842, LATER_POST, 1846):
        [snapshot] = snapshots[post(post_id)]
        assert snapshot.text == POST_TEXTS[post_id]
        # A signed post is its author's (the embed page shows the signature), else the channel's.
        assert snapshot.author == ("Айгүл Смағұлова" if post_id == 1846 else CHANNEL_TITLE)
        assert snapshot.warc_file and (watched.workspace.warc_directory / snapshot.warc_file)
    [arrest] = snapshots[post(1842)]
    assert arrest.title == POST_TEXTS[1842].split("\n")[0]
    # The embed page, archived beside the post's page, gives its date, views and media.
    assert arrest.published == "2025-01-18T06:12:41+00:00"
    assert arrest.capture_note is not None
    assert arrest.capture_note.startswith("Telegram post; published 2025-01-18 06:12 UTC")
    assert "1,200 views" in arrest.capture_note
    assert "https://cdn4.telesco.pe/file/Jw7yP2sQ9kLm4nB6vC1xZ3aD5fG8hJ0kL2mN4pQ6rS8tU.jpg" in (
        arrest.capture_note
    )
    assert f"{post(1842)}?embed=1" in watched.channel.seen
    shown = watched.workspace.cli("text", str(arrest.id))
    assert shown.code == 0 and POST_TEXTS[1842].split("\n")[-1] in shown.out
    assert "View in Telegram" not in shown.out and "Download" not in shown.out


def test_cited_posts_offer_their_channel_and_discovery_finds_channels(tmp_path: Path) -> None:
    site = "https://news.example"
    home = (
        '<html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml"></head>'
        f'<body><a href="https://t.me/share/url?url={site}">Share</a>'
        '<a href="https://t.me/erkindik_kz">Our Telegram</a></body></html>'
    )

    def answer(url: str) -> Reply:
        if url in (site, f"{site}/"):
            return Reply.html(home)
        if url == PREVIEW_URL:
            return Reply.html(channel_page())
        return Reply.html(NOT_FOUND_PAGE, status=404)

    with EveryHost(answer) as web:
        workspace = Workspace(
            tmp_path,
            f"sqlite:///{tmp_path / 'citewatch.db'}",
            extra_env={"CITEWATCH_CRAWL_PROXY": web.url},
        )
        cited = workspace.document([post(1842), post(1844), "https://t.me/otyrar_news/77"])
        assert workspace.cli("add", str(cited)).code == 0
        offered = json.loads(workspace.cli("source", "list", "--format", "json").out)
        assert offered == [
            {"status": "offered", "url": PREVIEW_URL, "kind": "telegram", "citations": 2},
            {
                "status": "offered",
                "url": "https://t.me/s/otyrar_news",
                "kind": "telegram",
                "citations": 1,
            },
        ]
        table = workspace.cli("source", "list")
        assert (
            "Cited Telegram channels not watched" in table.out and "t.me/s/otyrar_news" in table.out
        )

        on_site = workspace.cli("source", "discover", site, "--format", "json")
        assert on_site.code == 0, on_site.err
        assert ("telegram", PREVIEW_URL, "home page link") in {
            (f["kind"], f["url"], f["via"]) for f in json.loads(on_site.out)
        }
        channel = workspace.cli("source", "discover", "t.me/erkindik_kz", "--add")
        assert channel.code == 0, channel.err
        assert "telegram" in channel.out and PREVIEW_URL in channel.out
        sources = json.loads(workspace.cli("source", "list", "--format", "json").out)
        assert [(s["kind"], s["url"], s["status"]) for s in sources] == [
            ("telegram", PREVIEW_URL, "watched"),
            ("telegram", "https://t.me/s/otyrar_news", "offered"),
        ]
        private = workspace.cli("source", "discover", "https://t.me/otyrar_news")
        assert private.code == 1 and "nor a public Telegram channel" in private.err


def test_a_url_that_is_no_channel_is_refused_as_a_telegram_source(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}")
    refused = workspace.cli("source", "add", "https://vlast.kz/", "--kind", "telegram")
    assert refused.code == 1 and "not a public Telegram channel" in refused.err
