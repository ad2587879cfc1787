"""A researcher's day in a real browser, as they would click through it: sign in, upload the
bundled briefing, find the dead link of a small document checked over four nights and read our
copy of it replayed, read what a drifted page no longer says, accept a case proposed from the
names in bold and read the news found on it. Each step asserts what the page shows.

The tests share one browser page and run in order: each step starts where the last one ended.
Screenshots go to tests/browser/artifacts/.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from config import from_environment
from models import Database
from tests.browser.archived import ARTICLE_TEXT
from tests.browser.conftest import Server, listening_socket, serving
from tests.browser.test_replay_in_browser import frame_showing
from tests.support.pages import MUBARAKOV_EN, YENSEBEK_RU, ZHYLANBAEV_RU, article_page
from tests.support.web import Host, Reply, Seen, TestWeb
from tests.support.workspace import TEST_CONFIG, Workspace
from web import auth

BRIEFING = Path(__file__).parents[2] / "examples" / "eu-kazakhstan-hr-dialogue-briefing-2025.txt"
NAME, PASSWORD, ROLE = "aigerim", "correct horse battery", "editor"
FIRST_NIGHT = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
NIGHTS = 4
WATCH_NIGHT = "2025-03-05T02:00:00+00:00"
CASE = "Temirlan Yensebek"
# The drifted page: on night 2 a paragraph goes and "up to seven years" becomes "up to five".
DRIFTED_RU = replace(
    YENSEBEK_RU,
    paragraphs=tuple(
        p.replace("до семи лет", "до пяти лет")
        for p in YENSEBEK_RU.paragraphs
        if not p.startswith("Правозащитники")
    ),
)
EXPECT_TIMEOUT = 15_000  # ms: an upload reads 134 citations; a crawl page may take a moment


def night(n: int) -> str:
    return (FIRST_NIGHT + timedelta(days=n - 1) - timedelta(seconds=7 * (n - 1))).isoformat()


@dataclass
class Story:
    workspace: Workspace
    server: Server
    news: Host  # serves the case's news feed for step 5
    urls: dict[str, str]
    page: Page
    artifacts: Path
    briefing_path: str = ""  # /documents/N once uploaded
    found: dict[str, str] = field(default_factory=dict)

    def go(self, path: str) -> None:
        self.page.goto(f"{self.server.dashboard}{path}")

    def shot(self, name: str) -> None:
        self.page.screenshot(path=self.artifacts / f"story-{name}.png", full_page=True)


@pytest.fixture(scope="module")
def story(
    tmp_path_factory: pytest.TempPathFactory, browser: Browser, artifacts: Path
) -> Iterator[Story]:
    """A small document citing three pages of the test web, archived on night 1 and checked on
    nights 2-4 by the CLI (one page answers 404 from night 2, one changes its text); an editor;
    the dashboard on http://citewatch.localhost:PORT; a browser page nobody signed in on."""
    root = tmp_path_factory.mktemp("story")
    sock = listening_socket()
    port = sock.getsockname()[1]
    current = {"night": 1}

    def later(first: str, then: Reply) -> Callable[[Seen], Reply]:
        return lambda seen: Reply.html(first) if current["night"] == 1 else then

    with TestWeb() as web:
        news, agency = web.hosts[0], web.hosts[1]
        urls = {
            "alive": news.route("/news/1-alive.html", Reply.html(article_page(ZHYLANBAEV_RU))),
            "dead": agency.route(
                "/a/2-gone.html",
                later(article_page(MUBARAKOV_EN), Reply.html("<h1>Not found</h1>", status=404)),
            ),
            "drifted": news.route(
                "/novosti/3-drift.html",
                later(article_page(YENSEBEK_RU), Reply.html(article_page(DRIFTED_RU))),
            ),
        }
        config_text = TEST_CONFIG + "\n[check]\nmemento = false\n"
        workspace = Workspace(root, f"sqlite:///{root / 'citewatch.db'}", config_text)
        document = workspace.document(urls.values(), name="small-briefing.txt")
        for args in (("add", str(document)), ("archive",)):
            run = workspace.cli("--now", night(1), *args)
            assert run.code == 0, run.err
        for n in range(2, NIGHTS + 1):
            current["night"] = n
            run = workspace.cli("--now", night(n), "check", "--all")
            assert run.code == 0, run.err

        config = from_environment(workspace.config_path, workspace.home)
        dashboard = f"http://citewatch.localhost:{port}"
        config = replace(
            config,
            web=replace(
                config.web,
                port=port,
                base_url=dashboard,
                replay_origin=f"http://replay.citewatch.localhost:{port}",
            ),
        )
        database = Database(workspace.database_url)
        with database.session() as session:
            auth.add_user(session, NAME, PASSWORD, ROLE, datetime.now(UTC))
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(EXPECT_TIMEOUT)
        try:
            with serving(config, database, sock) as server:
                yield Story(workspace, server, news, urls, context.new_page(), artifacts)
        finally:
            context.close()
            database.dispose()


def test_1_the_dashboard_asks_to_sign_in_and_the_form_signs_in(story: Story) -> None:
    page = story.page
    story.go("/")
    expect(page).to_have_url(f"{story.server.dashboard}/login?next=/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("User name").fill(NAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Documents")).to_be_visible()
    expect(page.locator(".signed-in")).to_have_text(f"Signed in as {NAME} ({ROLE})")
    # The small document of the four nights is listed with its health.
    expect(page.locator("svg.healthbar").first).to_have_attribute(
        "aria-label", "1 dead, 1 drifted, 1 alive"
    )


def test_2_the_uploaded_briefing_shows_its_116_notes(story: Story) -> None:
    page = story.page
    story.go("/documents")
    page.get_by_label("Report file").set_input_files(BRIEFING)
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("BRIEFING PAPER FOR EU-KAZAKHSTAN")
    story.briefing_path = page.url.removeprefix(story.server.dashboard).split("?")[0]
    assert story.briefing_path.startswith("/documents/")
    facts = page.locator("p.hint").first
    expect(facts).to_contain_text("116 notes")
    expect(facts).to_contain_text("134 citations")
    expect(page.locator("#shown")).to_contain_text("134 of 134 citations shown")
    rows = page.locator("table.footnotes tbody tr")
    expect(rows).to_have_count(134)
    notes = {text.strip() for text in rows.locator("td:first-child").all_inner_texts()}
    assert len(notes - {"—"}) == 116 and {"1", "116"} <= notes
    expect(rows.first.locator(".badge")).to_have_text("unknown")
    story.shot("document")
    story.go("/documents")
    expect(page.locator("table.documents tbody tr")).to_have_count(2)
    expect(page.locator("table.documents")).to_contain_text(BRIEFING.name)
    story.shot("documents")


def test_3_the_dead_link_is_filtered_and_our_copy_replays(story: Story) -> None:
    page = story.page
    story.go("/documents")
    page.get_by_role("link", name="Test briefing").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Test briefing")
    page.get_by_label("State").select_option("dead")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"[?&]state=dead"))
    rows = page.locator("table.footnotes tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_class("row-dead")
    expect(rows.first.locator("td.url")).to_have_text(story.urls["dead"])
    expect(rows.first.locator(".badge")).to_have_text("dead")
    expect(page.locator("#shown")).to_contain_text("1 of 3 citations shown")
    rows.first.locator('a[href^="/links/"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text(story.urls["dead"])
    expect(page.locator("dl.facts .badge")).to_have_text("dead")
    replay = page.locator("iframe.replay-frame")
    replay.scroll_into_view_if_needed()
    frame = frame_showing(page, ARTICLE_TEXT)
    assert frame.url.startswith(f"{story.server.replay}/replay-sw/")
    story.shot("link-replay")


def test_4_the_drift_diff_shows_the_changed_sentence(story: Story) -> None:
    page = story.page
    page.get_by_role("link", name="Test briefing").first.click()
    page.get_by_label("State").select_option("drifted")
    page.get_by_role("button", name="Show").click()
    rows = page.locator("table.footnotes tbody tr")
    expect(rows).to_have_count(1)
    rows.first.locator('a[href^="/links/"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text(story.urls["drifted"])
    expect(page.locator("dl.facts .badge")).to_have_text("drifted")
    diff = page.locator("table.diff")
    expect(page.get_by_role("heading", name="What changed since it was cited")).to_be_visible()
    diff.scroll_into_view_if_needed()
    expect(diff).to_be_visible()
    removed = " ".join(diff.locator("del").all_inner_texts())
    added = " ".join(diff.locator("ins").all_inner_texts())
    assert "семи" in removed and "пяти" in added, (removed, added)
    assert "Правозащитники Казахстанского международного бюро" in removed
    expect(diff.locator("del", has_text="семи").first).to_be_visible()
    expect(diff.locator("ins", has_text="пяти").first).to_be_visible()
    diff.screenshot(path=story.artifacts / "story-diff.png")


def test_5_an_accepted_case_shows_its_update_with_the_name_marked(story: Story) -> None:
    page = story.page
    page.get_by_role("link", name="Cases").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cases")
    expect(page.get_by_text("No case tracked yet.")).to_be_visible()
    briefing_id = story.briefing_path.rsplit("/", 1)[1]
    page.get_by_label("Propose cases from the names in bold in a document").select_option(
        briefing_id
    )
    page.get_by_role("button", name="Suggestions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cases named in bold")
    page.get_by_label("The document's file").set_input_files(BRIEFING)
    page.get_by_role("button", name="Read the names in bold").click()
    proposals = page.locator("div.proposal")
    expect(proposals).to_have_count(21)
    proposal = proposals.filter(has=page.locator("strong", has_text=CASE))
    expect(proposal.locator("ul.spellings")).to_contain_text("Темирлан Енсебек")
    proposal.get_by_role("checkbox").check()
    page.get_by_role("button", name="Track the ticked names").click()
    expect(page.get_by_role("status")).to_contain_text("Cases added from the suggestions: 1")
    cases = page.locator("table.cases tbody tr")
    expect(cases).to_have_count(1)
    expect(cases.first.get_by_role("link", name=CASE)).to_be_visible()
    expect(cases.first).to_contain_text("none yet")

    # A news site names him; the nightly watch reads its feed.
    article = story.news.route("/ru/yensebek-arrest", Reply.html(article_page(YENSEBEK_RU)))
    item = f"<item><title>{html.escape(YENSEBEK_RU.title)}</title><link>{article}</link></item>"
    feed = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>{item}</channel></rss>'
    )
    story.news.route(
        "/rss.xml", Reply(200, feed.encode(), [("Content-Type", "application/rss+xml")])
    )
    added = story.workspace.cli("source", "add", story.news.url("/rss.xml"))
    assert added.code == 0, added.err
    run = story.workspace.cli("--now", WATCH_NIGHT, "watch")
    assert run.code == 0, run.err

    page.reload()
    expect(cases.first).to_contain_text("2025-03-05")
    story.shot("cases")
    cases.first.get_by_role("link", name=CASE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CASE)
    entry = page.locator("ol.timeline li").filter(has_text=YENSEBEK_RU.title)
    expect(entry).to_have_count(1)
    expect(entry.get_by_role("link", name=YENSEBEK_RU.title)).to_have_attribute("href", article)
    marks = entry.locator("blockquote.excerpt mark")
    expect(marks.first).to_be_visible()
    assert any("Енсебек" in text for text in marks.all_inner_texts()), marks.all_inner_texts()
    story.shot("case")


def test_6_a_report_dropped_on_the_form_is_uploaded_with_a_progress_bar(story: Story) -> None:
    page = story.page
    story.go("/documents")
    text = "A dropped report cites https://vlast.kz/novosti/dropped.html in its only sentence.\n"
    page.evaluate(
        """text => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([text], "dropped-report.txt", {type: "text/plain"}));
            const form = document.getElementById("upload");
            form.dispatchEvent(new DragEvent("dragover", {dataTransfer: transfer, bubbles: true}));
            form.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true}));
        }""",
        text,
    )
    expect(page.locator("#upload-status")).to_have_text("File chosen: dropped-report.txt")
    page.get_by_role("button", name="Upload").click()
    expect(page).to_have_url(re.compile(r"/documents/\d+$"))
    expect(page.get_by_role("table")).to_contain_text("https://vlast.kz/novosti/dropped.html")
