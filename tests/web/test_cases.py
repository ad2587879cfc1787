"""The cases pages on a real watch run: the list, a new case with its spellings previewed before
it is stored, the spellings a case's sources use, and each case's timeline with the mention
marked in the escaped article text."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from models import Case, Citation, Document, Snapshot, Target
from models.kinds import Verdict
from tests.support.pages import YENSEBEK_RU, ZHYLANBAEV_RU, article_page
from tests.support.web import Reply, TestWeb
from tests.support.workspace import TEST_CONFIG, Workspace
from tests.web.conftest import Desk, open_desk
from web.pages.cases import highlight

NIGHT = "2025-03-01T02:00:00+00:00"
REPO = Path(__file__).resolve().parents[2]


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]*)"', page)
    assert found is not None, "the form carries no CSRF token"
    return found.group(1)


@dataclass
class News:
    desk: Desk
    urls: dict[str, str]
    cases: dict[str, int]
    targets: dict[str, int]


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory) -> Iterator[News]:
    """Two tracked people, a feed with an article on each, one watch run; the Zhylyanbaev
    article is also cited by a document about his case (for the spellings it teaches)."""
    root: Path = tmp_path_factory.mktemp("cases")
    with TestWeb() as web:
        host = web.hosts[0]
        urls = {
            "yensebek": host.url("/ru/yensebek-arrest"),
            "zhylanbaev": host.url("/ru/zhylanbaev"),
        }
        host.route("/ru/yensebek-arrest", Reply.html(article_page(YENSEBEK_RU)))
        host.route("/ru/zhylanbaev", Reply.html(article_page(ZHYLANBAEV_RU)))
        items = "".join(
            f"<item><title>{html.escape(a.title)}</title><link>{urls[k]}</link></item>"
            for k, a in (("yensebek", YENSEBEK_RU), ("zhylanbaev", ZHYLANBAEV_RU))
        )
        feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>{items}</channel></rss>'
        host.route("/rss.xml", Reply(200, feed.encode(), [("Content-Type", "application/rss+xml")]))
        # The project's root on the path: an editable install made before `web/` existed does
        # not map it (`pip install -e .` again does); the CLI imports it for `serve`.
        env = {"PYTHONPATH": str(REPO)}
        workspace = Workspace(root, f"sqlite:///{root / 'citewatch.db'}", TEST_CONFIG, env)
        for name in ("Temirlan Yensebek", "Marat Zhylyanbaev"):
            assert workspace.cli("case", "add", name).code == 0
        assert workspace.cli("source", "add", host.url("/rss.xml")).code == 0
        run = workspace.cli("--now", NIGHT, "watch")
        assert run.code == 0, run.err
    desk = open_desk(workspace)
    now = datetime(2025, 3, 1, 3, tzinfo=UTC)
    with desk.database.session() as session:
        cases = {c.name: c.id for c in session.scalars(select(Case))}
        targets = {
            key: session.scalars(select(Target.id).where(Target.canonical_url == url)).one()
            for key, url in urls.items()
        }
        for snapshot in session.scalars(select(Snapshot)):  # as a check would judge them
            snapshot.verdict = Verdict.OK
        document = Document(
            title="Briefing", source_name="briefing.txt", content_hash="0" * 64, format="txt",
            size_bytes=1, note_count=1, added_at=now,
        )  # fmt: skip
        session.add(document)
        session.flush()
        citation = Citation(
            document_id=document.id, position=1, footnote="1", url=urls["zhylanbaev"],
            canonical_url=urls["zhylanbaev"], target_id=targets["zhylanbaev"], context="",
        )  # fmt: skip
        session.add(citation)
        session.flush()
        zhylanbaev = session.get(Case, cases["Marat Zhylyanbaev"])
        assert zhylanbaev is not None
        zhylanbaev.citations.append(citation)
    yield News(desk, urls, cases, targets)
    desk.client.close()
    desk.database.dispose()


def test_the_list_shows_each_case_with_its_spellings_and_latest_update(news: News) -> None:
    page = news.desk.client.get("/cases")
    assert page.status_code == 200
    row = re.search(
        r"Temirlan Yensebek</a></td>\s*<td>(\d+)</td>\s*<td>0</td>\s*<td>1</td>", page.text
    )
    assert row is not None and int(row.group(1)) >= 3  # Latin, Russian, Kazakh at least
    assert "2025-03-01 02:00" in page.text


def test_a_new_case_previews_its_spellings_then_is_stored(news: News) -> None:
    client = news.desk.client
    preview = client.get("/cases/new", params={"name": "  Aidos   Sadykov "})
    assert preview.status_code == 200
    for spelling in ("Айдос Садыков", "Айдос Садыков", "Садыкова", "Садыковым"):
        assert spelling in preview.text
    with news.desk.database.session() as session:
        assert session.scalar(select(Case).where(Case.name == "Aidos Sadykov")) is None
    stored = client.post(
        "/cases/new", data={"name": "Aidos Sadykov", "csrf_token": csrf(preview.text)}
    )
    assert stored.status_code == 200 and "<h1>Aidos Sadykov</h1>" in stored.text
    with news.desk.database.session() as session:
        assert session.scalar(select(Case.id).where(Case.name == "Aidos Sadykov")) is not None
    again = client.post("/cases/new", data={"name": "1234", "csrf_token": csrf(preview.text)})
    assert again.status_code == 400 and "A case needs a name with letters in it." in again.text


def test_a_case_timeline_marks_the_mention_in_the_escaped_text(news: News) -> None:
    case_id = news.cases["Temirlan Yensebek"]
    page = news.desk.client.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert YENSEBEK_RU.title in page.text
    assert f'href="/links/{news.targets["yensebek"]}"' in page.text
    assert "<mark>Темирлана Енсебека</mark>" in page.text
    marks = re.findall(
        r"<(\w+)[ >]", page.text.split('class="excerpt">')[1].split("</blockquote>")[0]
    )
    assert set(marks) == {"mark"}  # the only markup in an excerpt is ours


def test_spellings_its_sources_use_are_offered_and_the_ticked_ones_stored(news: News) -> None:
    case_id = news.cases["Marat Zhylyanbaev"]
    client = news.desk.client
    page = client.get(f"/cases/{case_id}")
    assert 'value="Марат Жыланбаев"' in page.text
    stored = client.post(
        f"/cases/{case_id}/spellings",
        data={"alias": ["Марат Жыланбаев", "Not Offered"], "csrf_token": csrf(page.text)},
    )
    assert "Spellings stored as aliases: 1" in stored.text
    with news.desk.database.session() as session:
        case = session.get(Case, case_id)
        assert case is not None and case.texts("alias") == ("Марат Жыланбаев",)
    assert 'value="Марат Жыланбаев"' not in client.get(f"/cases/{case_id}").text


def test_an_unknown_case_is_a_404(news: News) -> None:
    assert news.desk.client.get("/cases/999").status_code == 404


@pytest.mark.parametrize(
    ("text", "spans", "width", "expected"),
    [
        ("<b>Енсебек</b> & co", [(3, 10)], 50, "&lt;b&gt;<mark>Енсебек</mark>&lt;/b&gt; &amp; co"),
        ("a <script>", [], 50, "a &lt;script&gt;"),
        ("x" * 10 + "Name" + "y" * 10, [(10, 14)], 3, "…xxx<mark>Name</mark>yyy…"),
        ("A and B", [(6, 7), (0, 1)], 50, "<mark>A</mark> and <mark>B</mark>"),
    ],
)
def test_highlight_escapes_everything_but_its_marks(
    text: str, spans: list[tuple[int, int]], width: int, expected: str
) -> None:
    assert str(highlight(text, spans, width)) == expected
