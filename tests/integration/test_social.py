"""Social-network posts and YouTube videos, archived as users do: `citewatch archive`, then a
night later `citewatch check`, against the local test web.

www.facebook.com, www.youtube.com and vlast.kz are pinned to test hosts (crawl.pinned_hosts).
The Facebook post answers a login wall carrying the post's Open Graph tags (Russian); a capture
account's cookies.txt is configured for facebook.com. The YouTube watch page carries its video's
metadata in Open Graph, microdata and the player's JSON.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.cookies import NOT_STORED
from models import Snapshot
from tests.support import FIXTURES
from tests.support.pages import YENSEBEK_RU, article_page
from tests.support.web import Reply, TestWeb
from tests.support.workspace import TEST_CONFIG, Run, Workspace

NIGHT_1 = "2025-03-01T02:00:00+00:00"
NIGHT_2 = "2025-03-02T02:00:04+00:00"
SESSION = "fb-session-7f3a9c2e5d"  # the account's session cookie: looked for everywhere
COOKIES_TXT = f"""# Netscape HTTP Cookie File
# This is a generated file! Do not edit.

.facebook.com\tTRUE\t/\tFALSE\t1900000000\tc_user\t100012345678901
#HttpOnly_.facebook.com\tTRUE\t/\tFALSE\t1900000000\txs\t{SESSION}
.vlast.kz\tTRUE\t/\tFALSE\t1900000000\tvlast_session\tnot-for-this-crawl
"""
POST_PATH = "/kibhr/posts/pfbid02uNVu8"
VIDEO = "q8Wd3bVxK2s"
FACEBOOK_TITLE = "Казахстанское международное бюро по правам человека"
FACEBOOK_TEXT = (
    "Медеуский районный суд Алматы санкционировал арест автора сатирического паблика Qaznews24 "
    "Темирлана Енсебека на два месяца. Бюро считает дело преследованием за сатиру и требует "
    "освободить..."
)


def fixture(name: str) -> str:
    return (FIXTURES / "social" / name).read_text(encoding="utf-8")


@dataclass
class Archived:
    workspace: Workspace
    web: TestWeb
    urls: dict[str, str]
    runs: list[Run]
    snapshots: dict[str, list[Snapshot]]
    verdicts: dict[int, dict[str, str]]
    states: dict[int, dict[str, str]]


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archived]:
    root = tmp_path_factory.mktemp("social")
    cookies = root / "capture-account-cookies.txt"
    cookies.write_text(COOKIES_TXT, encoding="utf-8")
    with TestWeb() as web:
        facebook, youtube, vlast, _ = web.hosts
        pins = [
            f"www.facebook.com={facebook.address}",
            f"www.youtube.com={youtube.address}",
            f"vlast.kz={vlast.address}",
        ]
        config = TEST_CONFIG.replace(
            "[crawl]\n",
            f"[crawl]\npinned_hosts = {json.dumps(pins)}\n"
            f"cookies = {json.dumps([f'facebook.com={cookies}'])}\n",
        )
        workspace = Workspace(root, f"sqlite:///{root / 'citewatch.db'}", config)
        facebook.route(POST_PATH, Reply.html(fixture("facebook-post-login-wall.html")))
        youtube.route("/watch", Reply.html(fixture("youtube-watch.html")))
        vlast.route("/novosti/63501.html", Reply.html(article_page(YENSEBEK_RU)))
        urls = {
            "facebook": f"http://www.facebook.com:{facebook.port}{POST_PATH}",
            "youtube": f"http://www.youtube.com:{youtube.port}/watch?v={VIDEO}",
            "vlast": f"http://vlast.kz:{vlast.port}/novosti/63501.html",
        }
        assert workspace.cli("add", str(workspace.document(urls.values()))).code == 0
        runs: list[Run] = []
        verdicts: dict[int, dict[str, str]] = {}
        states: dict[int, dict[str, str]] = {}
        for night, (when, command) in enumerate([(NIGHT_1, "archive"), (NIGHT_2, "check")], 1):
            run = workspace.cli("--now", when, command)
            assert run.code == 0, run.err
            runs.append(run)
            report = workspace.cli("--now", when, "report", "1", "--format", "json")
            rows = {row["url"]: row for row in json.loads(report.out)}
            verdicts[night] = {name: rows[url]["verdict"] for name, url in urls.items()}
            states[night] = {name: rows[url]["state"] for name, url in urls.items()}
        snapshots = workspace.snapshots_by_url()
        yield Archived(
            workspace,
            web,
            urls,
            runs,
            {name: snapshots[url] for name, url in urls.items()},
            verdicts,
            states,
        )


def warc_bytes(workspace: Workspace) -> bytes:
    return b"".join(
        gzip.decompress(path.read_bytes())
        for path in sorted(workspace.warc_directory.glob("*.warc.gz"))
    )


def request_records(workspace: Workspace) -> list[tuple[str, list[tuple[str, str]]]]:
    """(target URI, HTTP headers) of every request record, read back with warcio."""
    found = []
    for path in sorted(workspace.warc_directory.glob("*.warc.gz")):
        with path.open("rb") as handle:
            for record in ArchiveIterator(handle):
                if record.rec_type == "request":
                    uri = record.rec_headers.get_header("WARC-Target-URI")
                    found.append((uri, list(record.http_headers.headers)))
    return found


def test_a_login_wall_keeps_the_posts_public_preview_and_stays_blocked(
    archived: Archived,
) -> None:
    first, again = archived.snapshots["facebook"][0], archived.snapshots["facebook"][-1]
    assert (first.status, first.extraction, first.login_form) == (200, "ok", True)
    assert (first.title, first.text) == (FACEBOOK_TITLE, FACEBOOK_TEXT)
    assert first.language == "ru" and first.published == "2025-01-18T09:42:11+00:00"
    assert "Забыли аккаунт?" not in (first.text or "")  # the wall's words are not the post
    assert "the full post needs a logged-in capture" in (first.capture_note or "")
    # The same wall a night later: a revisit of the first copy, judged as that copy.
    assert len(archived.snapshots["facebook"]) == 2 and again.revisit_of_id == first.id
    assert (again.title, again.login_form) == (FACEBOOK_TITLE, True)
    assert [archived.verdicts[n]["facebook"] for n in (1, 2)] == ["blocked", "blocked"]
    assert archived.states[2]["facebook"] == "blocked"  # two blocked checks in a row
    assert [archived.verdicts[n]["vlast"] for n in (1, 2)] == ["ok", "ok"]


def test_a_youtube_video_is_stored_with_its_title_channel_date_and_description(
    archived: Archived,
) -> None:
    video = archived.snapshots["youtube"][0]
    assert (video.extraction, video.title, video.author) == (
        "ok",
        "Дело Темирлана Енсебека: суд оставил блогера под арестом",
        "Vlast.kz",
    )
    assert video.published == "2025-01-20T04:00:11-08:00"
    text = video.text or ""
    assert text.startswith("Медеуский районный суд Алматы оставил под арестом автора")
    assert text.endswith("Наш сайт: https://vlast.kz")  # the whole description, not a preview
    assert "Подписки" not in text and video.language == "ru"
    assert archived.verdicts[1]["youtube"] == "ok"
    assert "video page metadata only (YouTube)" in (video.capture_note or "")


def test_the_account_cookies_reach_facebook_and_no_other_host(archived: Archived) -> None:
    facebook, youtube, vlast, _ = archived.web.hosts
    posts = facebook.requests_to(POST_PATH)
    assert len(posts) == 2  # archive, then check
    for seen in posts:
        cookie = seen.headers.get("Cookie", "")
        assert f"xs={SESSION}" in cookie and "c_user=100012345678901" in cookie
        assert "vlast_session" not in cookie
    for host in (youtube, vlast):
        assert host.seen and all("Cookie" not in seen.headers for seen in host.seen)


def test_no_warc_record_log_or_row_holds_the_cookies(archived: Archived) -> None:
    workspace = archived.workspace
    records = request_records(workspace)
    facebook = [h for uri, h in records if urlsplit(uri).hostname == "www.facebook.com"]
    assert facebook  # the post (the check's unchanged copy is a revisit record)
    for headers in facebook:
        assert [value for name, value in headers if name.lower() == "cookie"] == [NOT_STORED]
    others = [h for uri, h in records if urlsplit(uri).hostname != "www.facebook.com"]
    assert others and all(name.lower() != "cookie" for h in others for name, _ in h)
    assert SESSION.encode() not in warc_bytes(workspace)
    logs = sorted((workspace.home / "logs").glob("*.log"))
    assert logs and "2 cookies for facebook.com" in logs[0].read_text(encoding="utf-8")
    for path in logs:
        assert SESSION not in path.read_text(encoding="utf-8")
    for run in archived.runs:
        assert SESSION not in run.out + run.err
    for snapshots in archived.snapshots.values():
        for snapshot in snapshots:
            row = " ".join(str(value) for value in vars(snapshot).values())
            assert SESSION not in row


def test_a_missing_cookies_file_fails_the_command_in_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "exported" / "cookies.txt"
    with TestWeb() as web:
        facebook = web[0]
        facebook.route(POST_PATH, Reply.html(fixture("facebook-post-login-wall.html")))
        config = TEST_CONFIG.replace(
            "[crawl]\n",
            f'[crawl]\npinned_hosts = ["www.facebook.com={facebook.address}"]\n'
            f"cookies = {json.dumps([f'facebook.com={missing}'])}\n",
        )
        workspace = Workspace(tmp_path / "ws", f"sqlite:///{tmp_path / 'citewatch.db'}", config)
        url = f"http://www.facebook.com:{facebook.port}{POST_PATH}"
        assert workspace.cli("add", str(workspace.document([url]))).code == 0
        run = workspace.cli("archive")
        assert run.code != 0
        lines = [line for line in run.err.splitlines() if line.strip()]
        assert len(lines) == 1, run.err
        assert str(missing) in lines[0] and "No such file or directory" in lines[0]
        assert "Traceback" not in run.out + run.err
        assert facebook.seen == []  # nothing fetched without the account
