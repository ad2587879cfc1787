"""Watching sources for news on the cases, two nights on the local test web.

news.test serves an RSS feed (ETag-aware) and a listing page, azattyq.test an Atom feed,
a third host a sitemap index, a fourth a feed and then goes down. Night 2 repeats old feed
items beside one new article. The tests read `citewatch updates`, the sources' states and the
requests the test web received.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.pages import (
    MUBARAKOV_EN,
    YENSEBEK_KK,
    YENSEBEK_RU,
    ZHYLANBAEV_RU,
    Article,
    article_page,
)
from tests.support.web import Reply, Seen, TestWeb
from tests.support.workspace import TEST_CONFIG, Workspace

NIGHT_1 = "2025-03-01T02:00:00+00:00"
NIGHT_2 = "2025-03-02T02:00:00+00:00"

FOOTBALL = Article(
    site="Sports.kz",
    language="ru",
    title="Садыков принёс победу «Кайрату»",
    author="Редакция",
    date="2025-02-28",
    paragraphs=(
        "Полузащитник Бауыржан Садыков забил единственный гол в матче с «Тоболом». "
        "Садыков отличился на 78-й минуте.",
        "Хан Мамай, талисман болельщиков, снова появился на трибуне.",
    ),
)
MEMORIAL = Article(
    site="Vlast.kz",
    language="ru",
    title="В Алматы почтили память журналиста",
    author="Редакция",
    date="2025-02-27",
    paragraphs=(
        "Друзья и коллеги собрались, чтобы почтить память журналиста Айдоса Садыкова, "
        "убитого в Киеве в июле 2024 года.",
        "Полиция задержала двух участников встречи.",
    ),
)
VERDICT = Article(
    site="Vlast.kz",
    language="ru",
    title="Приговор сатирику",
    author="Редакция",
    date="2025-03-01",
    paragraphs=(
        "Медеуский суд назначил Темирлану Енсебеку пять лет ограничения свободы.",
        "Защита обжалует приговор.",
    ),
)


def rss(items: list[tuple[str, str, str]]) -> bytes:
    entries = "".join(
        f"<item><title>{html.escape(t)}</title><link>{html.escape(u)}</link>"
        f"<pubDate>{d}</pubDate></item>"
        for u, t, d in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>{entries}</channel></rss>'.encode()


@dataclass
class Night:
    number: int
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class Watched:
    workspace: Workspace
    web: TestWeb
    urls: dict[str, str]
    updates: dict[int, list[dict[str, str]]]
    sources: dict[int, list[dict[str, object]]]
    runs: dict[int, str]


@pytest.fixture(scope="module")
def watched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Watched]:
    root = tmp_path_factory.mktemp("watch")
    with TestWeb() as web:
        news, azattyq, maps, flaky = web.hosts
        pins = [f"news.test={news.address}", f"azattyq.test={azattyq.address}"]
        config = TEST_CONFIG.replace("[crawl]\n", f"[crawl]\npinned_hosts = {json.dumps(pins)}\n")
        workspace = Workspace(root, f"sqlite:///{root / 'citewatch.db'}", config)
        n = f"http://news.test:{news.port}"
        a = f"http://azattyq.test:{azattyq.port}"
        urls = {
            "yensebek_ru": f"{n}/ru/yensebek-arrest",
            "football": f"{n}/ru/football",
            "verdict": f"{n}/ru/yensebek-verdict",
            "memorial": f"{n}/news/2025/02/27/sadykov-memorial",
            "yensebek_kk": f"{a}/kk/yensebek",
            "zhylanbaev": maps.url("/ru/zhylanbaev"),
            "flaky": flaky.url("/ru/weather-2025"),
        }
        night = {"n": 1}
        for path, article in (
            ("/ru/yensebek-arrest", YENSEBEK_RU),
            ("/ru/football", FOOTBALL),
            ("/ru/yensebek-verdict", VERDICT),
            ("/news/2025/02/27/sadykov-memorial", MEMORIAL),
        ):
            news.route(path, Reply.html(article_page(article)))
        azattyq.route("/kk/yensebek", Reply.html(article_page(YENSEBEK_KK)))
        maps.route("/ru/zhylanbaev", Reply.html(article_page(ZHYLANBAEV_RU)))
        flaky.route("/ru/weather-2025", Reply.html(article_page(MUBARAKOV_EN)))

        def feed(seen: Seen) -> Reply:
            items = [
                (urls["yensebek_ru"], YENSEBEK_RU.title, "Sat, 18 Jan 2025 09:00:00 +0500"),
                (urls["football"], FOOTBALL.title, "Fri, 28 Feb 2025 20:00:00 +0500"),
            ]
            if night["n"] >= 2:  # the old items again, and one new
                items.insert(0, (urls["verdict"], VERDICT.title, "Sat, 01 Mar 2025 12:00:00 +0500"))
            return Reply(200, rss(items), [("Content-Type", "application/rss+xml")])

        def atom(seen: Seen) -> Reply:
            if seen.headers.get("If-None-Match") == '"v1"':
                return Reply(304, b"", [("ETag", '"v1"')])
            body = (
                '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
                f'<entry><title>{YENSEBEK_KK.title}</title><id>1</id><link href="{urls["yensebek_kk"]}"/>'
                "<updated>2025-01-19T10:00:00Z</updated></entry></feed>"
            ).encode()
            return Reply(200, body, [("Content-Type", "application/atom+xml"), ("ETag", '"v1"')])

        def flaky_feed(seen: Seen) -> Reply:
            if night["n"] >= 2:
                return Reply(action="reset")
            items = [(urls["flaky"], "Weather", "Sat, 01 Mar 2025 08:00:00 +0000")]
            return Reply(200, rss(items), [("Content-Type", "application/rss+xml")])

        news.route("/rss.xml", feed)
        listing = '<html><body><a href="/">Home</a><a href="/news/2025/02/27/sadykov-memorial">Memorial</a></body></html>'
        news.route("/news/", Reply.html(listing))
        azattyq.route("/atom.xml", atom)
        index = f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>{maps.url("/sitemap-1.xml")}</loc></sitemap></sitemapindex>'
        child = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{urls["zhylanbaev"]}</loc><lastmod>2024-06-06</lastmod></url></urlset>'
        maps.route(
            "/sitemap.xml", Reply(200, index.encode(), [("Content-Type", "application/xml")])
        )
        maps.route(
            "/sitemap-1.xml", Reply(200, child.encode(), [("Content-Type", "application/xml")])
        )
        flaky.route("/feed.xml", flaky_feed)

        added = workspace.cli("case", "add", "Temirlan Yensebek")
        assert added.code == 0
        assert "Темирлан Енсебек" in added.out and "Темірлан Еңсебек" in added.out
        for name in ("Aidos Sadykov", "Marat Zhylyanbaev"):
            assert workspace.cli("case", "add", name).code == 0
        for url, kind in (
            (f"{n}/rss.xml", "feed"),
            (f"{n}/news/", "page"),
            (f"{a}/atom.xml", "feed"),
            (maps.url("/sitemap.xml"), "sitemap"),
            (flaky.url("/feed.xml"), "feed"),
        ):
            assert workspace.cli("source", "add", url, "--kind", kind).code == 0

        result = Watched(workspace, web, urls, {}, {}, {})
        for number, now in ((1, NIGHT_1), (2, NIGHT_2)):
            night["n"] = number
            run = workspace.cli("--now", now, "watch")
            assert run.code == 0, run.err
            result.runs[number] = run.out + run.err
            updates = workspace.cli("updates", "--format", "json")
            result.updates[number] = json.loads(updates.out)
            sources = workspace.cli("source", "list", "--format", "json")
            result.sources[number] = json.loads(sources.out)
        yield result


def test_night_one_finds_each_case_in_every_script_and_kind_of_source(watched: Watched) -> None:
    found = {(u["case"], u["url"]) for u in watched.updates[1]}
    assert found == {
        ("Temirlan Yensebek", watched.urls["yensebek_ru"]),  # RSS, Russian
        ("Temirlan Yensebek", watched.urls["yensebek_kk"]),  # Atom, Kazakh
        ("Marat Zhylyanbaev", watched.urls["zhylanbaev"]),  # sitemap index, Russian spelling
        ("Aidos Sadykov", watched.urls["memorial"]),  # listing page, genitive
    }
    by_url = {u["url"]: u for u in watched.updates[1]}
    ru = by_url[watched.urls["yensebek_ru"]]
    assert ru["title"] == YENSEBEK_RU.title  # from the feed
    assert ru["published"].startswith("2025-01-18")
    assert "Енсебек" in ru["matched"]
    assert "Еңсебек" in by_url[watched.urls["yensebek_kk"]]["matched"]
    assert by_url[watched.urls["memorial"]]["matched"] == "Айдоса Садыкова"
    assert all(u["found_at"].startswith("2025-03-01") for u in watched.updates[1])
    assert "Temirlan Yensebek" in watched.runs[1]  # the watch report lists the news


def test_a_namesake_article_is_archived_but_is_no_news(watched: Watched) -> None:
    snapshots = watched.workspace.snapshots_by_url()
    football = snapshots[watched.urls["football"]]
    assert football[0].preserved and "Бауыржан Садыков" in (football[0].text or "")
    assert all(u["url"] != watched.urls["football"] for u in watched.updates[2])


def test_new_articles_are_archived_with_warc_evidence(watched: Watched) -> None:
    snapshots = watched.workspace.snapshots_by_url()
    for name in ("yensebek_ru", "yensebek_kk", "zhylanbaev", "memorial"):
        [snapshot] = snapshots[watched.urls[name]]
        assert snapshot.preserved and snapshot.warc_file and snapshot.payload_sha256
        assert (watched.workspace.warc_directory / snapshot.warc_file).is_file()


def test_night_two_reports_only_the_new_article_and_fetches_old_ones_never_again(
    watched: Watched,
) -> None:
    new = [u for u in watched.updates[2] if u not in watched.updates[1]]
    assert [(u["case"], u["url"]) for u in new] == [("Temirlan Yensebek", watched.urls["verdict"])]
    assert new[0]["matched"] == "Темирлану Енсебеку"
    news = watched.web[0]
    assert len(news.requests_to("/ru/yensebek-arrest")) == 1
    assert len(news.requests_to("/ru/football")) == 1
    assert len(news.requests_to("/rss.xml")) == 2


def test_an_unchanged_feed_costs_a_304(watched: Watched) -> None:
    polls = watched.web[1].requests_to("/atom.xml")
    assert len(polls) == 2
    assert polls[1].headers.get("If-None-Match") == '"v1"'
    assert len(watched.web[1].requests_to("/kk/yensebek")) == 1


def test_a_source_that_goes_down_is_reported_and_the_others_go_on(watched: Watched) -> None:
    flaky = next(s for s in watched.sources[2] if str(s.get("url", "")).endswith("/feed.xml"))
    assert "failing (1x)" in str(flaky["state"])
    night_1 = next(s for s in watched.sources[1] if str(s.get("url", "")).endswith("/feed.xml"))
    assert night_1["state"] == "ok" and night_1["last_new"] == 1
    assert "failing" in watched.runs[2]


def test_updates_filter_by_case_and_date(watched: Watched) -> None:
    workspace = watched.workspace
    since = json.loads(workspace.cli("updates", "--since", "2025-03-02", "--format", "json").out)
    assert [u["url"] for u in since] == [watched.urls["verdict"]]
    sadykov = json.loads(
        workspace.cli("updates", "--case", "aidos sadykov", "--format", "json").out
    )
    assert [u["url"] for u in sadykov] == [watched.urls["memorial"]]
    table = workspace.cli("updates", "--case", "Temirlan Yensebek")
    assert table.code == 0 and "Приговор сатирику" in table.out
    unknown = workspace.cli("updates", "--case", "Nobody")
    assert unknown.code == 1 and "no case named 'Nobody'" in unknown.err


def test_watch_again_finds_nothing_new_and_reports_so(watched: Watched) -> None:
    before = len(watched.updates[2])
    run = watched.workspace.cli("--now", "2025-03-03T02:00:00+00:00", "watch")
    assert run.code == 0, run.err
    after = json.loads(watched.workspace.cli("updates", "--format", "json").out)
    assert len(after) == before
    assert "unchanged (304)" in run.out  # the Atom feed's ETag still holds
    assert "News on the cases" not in run.out


def test_case_match_reports_cases_and_spans(watched: Watched, tmp_path: Path) -> None:
    text = "Суд над Темирланом Енсебеком. Футболист Бауыржан Садыков забил гол."
    article = tmp_path / "article.txt"
    article.write_text(text, encoding="utf-8")
    run = watched.workspace.cli("case", "match", str(article), "--format", "json")
    assert run.code == 0, run.err
    assert json.loads(run.out) == [
        {"case": "Temirlan Yensebek", "matched": "Темирланом Енсебеком", "start": 8, "end": 28}
    ]
    missing = watched.workspace.cli("case", "match", str(tmp_path / "nope.txt"))
    assert missing.code == 1 and "cannot read" in missing.err


def write_briefing(path: Path, urls: dict[str, str]) -> Path:
    path.write_text(
        "Briefing on activists\n\n"
        f"Anti-nuclear activist **Aidar Mubatakov** has been detained since September.¹\n\n"
        f"Opposition leader **Marat Zhylyanbaev** is serving a seven-year sentence.² "
        "The **broad crackdown** continues.\n\n"
        f"¹ {urls['mubarakov']}\n² {urls['zhylanbaev']}\n",
        encoding="utf-8",
    )
    return path


def test_cases_from_bold_names_learn_the_spellings_their_sources_use(tmp_path: Path) -> None:
    with TestWeb() as web:
        host = web[0]
        urls = {
            "mubarakov": host.route("/en/mubarakov", Reply.html(article_page(MUBARAKOV_EN))),
            "zhylanbaev": host.route("/ru/zhylanbaev", Reply.html(article_page(ZHYLANBAEV_RU))),
        }
        workspace = Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}")
        briefing = write_briefing(tmp_path / "briefing.md", urls)
        proposed = workspace.cli("case", "suggest", str(briefing), "--format", "json")
        assert proposed.code == 0, proposed.err
        assert [(r["name"], r["footnotes"], r["stored"]) for r in json.loads(proposed.out)] == [
            ("Aidar Mubatakov", "1", False),
            ("Marat Zhylyanbaev", "2", False),
        ]
        assert workspace.cli("case", "suggest", str(briefing), "--accept").code == 0
        cases = {
            c["name"]: c for c in json.loads(workspace.cli("case", "list", "--format", "json").out)
        }
        assert set(cases) == {"Aidar Mubatakov", "Marat Zhylyanbaev"}
        assert cases["Aidar Mubatakov"]["citations"] == 1
        unarchived = workspace.cli("case", "learn", "Aidar Mubatakov")
        assert unarchived.code == 1 and "citewatch archive" in unarchived.err
        assert workspace.cli("archive").code == 0
        learned = workspace.cli("case", "learn", "Aidar Mubatakov", "--accept")
        assert learned.code == 0, learned.err
        assert "Aidar Mubarakov" in learned.out
        learned = workspace.cli("case", "learn", "Marat Zhylyanbaev", "--accept")
        assert "Марат Жыланбаев" in learned.out
        cases = {
            c["name"]: c for c in json.loads(workspace.cli("case", "list", "--format", "json").out)
        }
        assert cases["Aidar Mubatakov"]["aliases"] == ["Aidar Mubarakov"]
        assert cases["Marat Zhylyanbaev"]["aliases"] == ["Марат Жыланбаев"]


def test_a_changed_cited_page_that_newly_names_a_case_is_news_once(tmp_path: Path) -> None:
    with TestWeb() as web:
        host = web[0]
        quiet = Article("Vlast.kz", "ru", "Суды Алматы", "Редакция", "2025-01-01",
                        ("Медеуский суд рассмотрел несколько дел о мелком хулиганстве.",) * 3)  # fmt: skip
        named = Article("Vlast.kz", "ru", "Суды Алматы", "Редакция", "2025-01-01",
                        (*quiet.paragraphs, "Суд также продлил арест Темирлана Енсебека."))  # fmt: skip
        page = {"article": quiet}
        url = host.route("/ru/courts", lambda seen: Reply.html(article_page(page["article"])))
        already = host.route("/ru/arrest", Reply.html(article_page(YENSEBEK_RU)))
        workspace = Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}")
        assert workspace.cli("case", "add", "Temirlan Yensebek").code == 0
        assert workspace.cli("add", str(workspace.document([url, already]))).code == 0
        assert workspace.cli("--now", NIGHT_1, "archive").code == 0
        assert json.loads(workspace.cli("updates", "--format", "json").out) == []  # baseline
        page["article"] = named
        for now in (NIGHT_2, "2025-03-03T02:00:00+00:00"):
            assert workspace.cli("--now", now, "check", "--all").code == 0
        updates = json.loads(workspace.cli("updates", "--format", "json").out)
        assert [(u["case"], u["url"], u["kind"]) for u in updates] == [
            ("Temirlan Yensebek", url, "changed")
        ]
        assert updates[0]["matched"] == "Темирлана Енсебека"


def test_discover_finds_a_sites_feeds_and_sitemaps(tmp_path: Path) -> None:
    with TestWeb() as web:
        host = web[0]
        config = TEST_CONFIG.replace(
            "[crawl]\n", f'[crawl]\npinned_hosts = ["news.test={host.address}"]\n'
        )
        site = f"http://news.test:{host.port}"
        host.route(
            "/",
            Reply.html(
                '<html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml"></head><body>Home</body></html>'
            ),
        )
        host.route(
            "/rss.xml",
            Reply(
                200,
                rss([(f"{site}/a/1", "A", "Sat, 01 Mar 2025 08:00:00 +0000")]),
                [("Content-Type", "application/rss+xml")],
            ),
        )
        host.route(
            "/robots.txt",
            Reply(
                200,
                f"User-agent: *\nSitemap: {site}/sitemap.xml\n".encode(),
                [("Content-Type", "text/plain")],
            ),
        )
        workspace = Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}", config)
        assert (
            workspace.cli(
                "add", str(workspace.document([f"{site}/cited/1", f"{site}/cited/2"]))
            ).code
            == 0
        )
        offered = json.loads(workspace.cli("source", "list", "--format", "json").out)
        assert offered == [{"status": "offered", "host": "news.test", "citations": 2}]
        run = workspace.cli("source", "discover", site, "--add", "--format", "json")
        assert run.code == 0, run.err
        assert {(f["kind"], f["url"]) for f in json.loads(run.out)} == {
            ("feed", f"{site}/rss.xml"),
            ("sitemap", f"{site}/sitemap.xml"),
        }
        sources = json.loads(workspace.cli("source", "list", "--format", "json").out)
        assert {(s["kind"], s["url"]) for s in sources} == {
            ("feed", f"{site}/rss.xml"),
            ("sitemap", f"{site}/sitemap.xml"),
        }
        nothing = workspace.cli("source", "discover", web[1].origin)
        assert nothing.code == 1 and "no feed or sitemap" in nothing.err


def test_bad_sources_and_commands_are_refused_with_a_clear_error(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}")
    no_sources = workspace.cli("watch")
    assert no_sources.code == 1 and "no sources to watch" in no_sources.err
    bad = workspace.cli("source", "add", "ftp://example.org/feed")
    assert bad.code == 1 and "only http and https" in bad.err
    assert workspace.cli("source", "add", "https://example.org/feed", "--kind", "blog").code == 2
    assert workspace.cli("case", "add", "!!!").code == 1
    no_cases = workspace.cli("case", "match", "-")
    assert no_cases.code == 1 and "no cases" in no_cases.err
