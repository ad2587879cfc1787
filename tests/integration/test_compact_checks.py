"""Storage that grows with change, not with time: ten nights of `citewatch nightly` against one
page, each night's run a few seconds earlier or later than a day after the last.

Night 1 archives the page. Nights 2-4 find it unchanged: a 304, then a 200 with the same body
(the server ignores the validators that night), then a 304 again; they stay one snapshot row,
seen four times, its last sighting night 4's, and `show` and the report say so. Night 5 the
page changes: a new row. Night 6 the server resets every connection, night 7 it is back (a 304
to the new copy): a failure and a recovery, a row each. Nights 8-10 the page is gone (404):
a row per failure, and death is confirmed on night 10, as with a row per check. The WARC files
keep every night's record.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.integration.test_archive import sqlite_url
from tests.support.databases import postgres_schema_url
from tests.support.pages import YENSEBEK_RU, article_page
from tests.support.web import NOT_FOUND_PAGE, Reply, Seen, TestWeb
from tests.support.workspace import TEST_CONFIG, Workspace

FIRST_NIGHT = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
NIGHTS = 10
JITTER = {1: 0, 2: -9, 3: 4, 4: -6, 5: 7, 6: -3, 7: 8, 8: -5, 9: 2, 10: -4}  # seconds, as cron
SAME = (2, 3, 4)  # the page unchanged: a 304, a 200 with the same body, a 304
IGNORED = 3  # the night the server ignores validators
CHANGED, DOWN, BACK = 5, 6, 7
GONE = (8, 9, 10)
FIRST_BODY = article_page(YENSEBEK_RU)
SECOND_BODY = FIRST_BODY.replace("</body>", "<p>Обновлено: добавлен комментарий суда.</p></body>")
PATH = "/novosti/compact.html"


def night_time(night: int) -> datetime:
    return FIRST_NIGHT + timedelta(days=night - 1, seconds=JITTER[night])


@dataclass
class Server:
    """The page as the test web serves it on a given night, and what it answered."""

    night: int = 1
    answered: dict[int, int] = field(default_factory=dict)  # night -> status

    def reply(self, seen: Seen) -> Reply:
        if self.night == DOWN:
            return Reply(action="reset")
        if self.night in GONE:
            reply = Reply.html(NOT_FOUND_PAGE, status=404)
        else:
            body = FIRST_BODY if self.night < CHANGED else SECOND_BODY
            etag = '"v1"' if self.night < CHANGED else '"v2"'
            validated = seen.headers.get("If-None-Match") == etag and self.night != IGNORED
            reply = (
                Reply(304, b"", [("ETag", etag)])
                if validated
                else Reply.html(body, headers=[("ETag", etag)])
            )
        self.answered[self.night] = reply.status
        return reply


@dataclass
class Story:
    workspace: Workspace
    url: str
    server: Server
    rows: dict[int, list[dict[str, Any]]]  # night -> `show --format json`
    reports: dict[int, dict[str, Any]]  # night -> the report row of the page
    shown: str  # `show` as a table after night 4
    html: str  # the HTML report after night 4
    runs: list[dict[str, Any]]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def story(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Story]:
    root = tmp_path_factory.mktemp(f"compact-{request.param}")
    urls = sqlite_url(root) if request.param == "sqlite" else postgres_schema_url()
    database_url = next(urls)
    server = Server()
    try:
        with TestWeb() as web:
            url = web[0].route(PATH, server.reply)
            config = TEST_CONFIG + "\n[check]\nmax_interval_days = 1\nmemento = false\n"
            workspace = Workspace(root, database_url, config)
            now = FIRST_NIGHT.isoformat()
            assert workspace.cli("--now", now, "add", str(workspace.document([url]))).code == 0
            result = Story(workspace, url, server, {}, {}, "", "", [])
            for night in range(1, NIGHTS + 1):
                server.night = night
                run = workspace.cli("--now", night_time(night).isoformat(), "nightly")
                assert run.code == 0, (night, run.err)
                shown = workspace.cli("show", url, "--format", "json")
                result.rows[night] = json.loads(shown.out)
                report = workspace.cli("report", "1", "--format", "json")
                result.reports[night] = json.loads(report.out)[0]
                if night == SAME[-1]:
                    result.shown = workspace.cli("show", url).out
                    html = root / "report.html"
                    written = workspace.cli("report", "1", "--format", "html", "-o", str(html))
                    assert written.code == 0, written.err
                    result.html = html.read_text(encoding="utf-8")
            runs = workspace.cli("runs", "--limit", str(NIGHTS), "--format", "json")
            result.runs = json.loads(runs.out)
            yield result
    finally:
        urls.close()  # drops the PostgreSQL schema


def at(text: str | None) -> datetime:
    assert text is not None
    return datetime.fromisoformat(text)


def close_to(text: str | None, night: int) -> bool:
    """A stored time of this night's check (its clock runs from the night's start)."""
    return timedelta(0) <= at(text) - night_time(night) < timedelta(minutes=2)


def test_the_server_answered_304_200_and_304_on_the_unchanged_nights(story: Story) -> None:
    assert [story.server.answered[night] for night in SAME] == [304, 200, 304]


def test_unchanged_checks_stay_one_row_seen_four_times(story: Story) -> None:
    for night in (1, *SAME):
        [row] = story.rows[night]
        assert row["times_seen"] == night
        assert close_to(row["fetched_at"], 1)
        assert close_to(row["last_seen_at"], night)
        assert row["status"] == 200 and row["revisit_of"] is None  # the night-1 copy itself


def test_show_gives_the_last_check_and_the_count(story: Story) -> None:
    [row] = story.rows[SAME[-1]]
    assert f"{at(row['last_seen_at']):%Y-%m-%d %H:%M}" in story.shown
    assert "4 times" in story.shown


def test_the_report_gives_the_last_check_and_the_count(story: Story) -> None:
    report = story.reports[SAME[-1]]
    [row] = story.rows[SAME[-1]]
    assert report["snapshot_id"] == row["id"] and report["state"] == "alive"
    assert close_to(report["checked_at"], SAME[-1]) and close_to(report["seen_at"], SAME[-1])
    assert report["times_seen"] == 4
    assert f"seen 4 times, last {at(row['last_seen_at']):%Y-%m-%d %H:%M} UTC" in story.html


def test_each_check_is_counted_in_its_run(story: Story) -> None:
    checks = {run["cycle"]: run for run in story.runs if run["step"] == "check"}
    for night in range(2, NIGHTS + 1):
        assert checks[night]["status"] == "ok", night
        assert checks[night]["counts"]["fetched"] == 1, night
    assert [checks[night]["counts"]["good"] for night in SAME] == [1, 1, 1]


def test_a_change_a_failure_a_recovery_and_each_failure_are_rows(story: Story) -> None:
    assert [len(story.rows[night]) for night in range(1, NIGHTS + 1)] == [
        1,
        1,
        1,
        1,
        2,
        3,
        4,
        5,
        6,
        7,
    ]
    rows = story.rows[NIGHTS]
    assert [(r["outcome"], r["status"]) for r in rows] == [
        ("fetched", 200),
        ("fetched", 200),
        ("reset", None),
        ("fetched", 304),
        ("fetched", 404),
        ("fetched", 404),
        ("fetched", 404),
    ]
    assert [r["times_seen"] for r in rows] == [4, 1, 1, 1, 1, 1, 1]
    assert rows[3]["revisit_of"] == rows[1]["id"]  # the recovery repeats night 5's copy
    for night, row in zip((CHANGED, DOWN, BACK, *GONE), rows[1:], strict=True):
        assert close_to(row["fetched_at"], night) and close_to(row["last_seen_at"], night)


def test_death_is_denied_and_confirmed_as_with_a_row_per_check(story: Story) -> None:
    states = [story.reports[night]["state"] for night in range(1, NIGHTS + 1)]
    assert states == ["alive"] * 5 + ["suspect", "alive", "suspect", "suspect", "dead"]
    assert close_to(story.reports[NIGHTS]["since"], NIGHTS)
    assert close_to(story.reports[NIGHTS]["last_ok_at"], BACK)
    # our copy is night 5's page, found again by night 7's check
    dead = story.reports[NIGHTS]
    assert dead["snapshot_id"] == story.rows[NIGHTS][1]["id"] and dead["times_seen"] == 2
    assert close_to(dead["seen_at"], BACK)


def record_id_at(workspace: Workspace, row: dict[str, Any]) -> str:
    with (workspace.warc_directory / row["warc_file"]).open("rb") as handle:
        handle.seek(row["warc_offset"])
        return str(next(iter(ArchiveIterator(handle))).rec_headers.get_header("WARC-Record-ID"))


def test_the_warc_files_keep_every_nights_record(story: Story) -> None:
    first, second, not_found = (story.rows[NIGHTS][i] for i in (0, 1, 4))
    copies = {record_id_at(story.workspace, row): row["id"] for row in (first, second, not_found)}
    revisits: list[tuple[int, int, str]] = []  # (night, copy revisited, status)
    for path in sorted(story.workspace.warc_directory.glob("*.warc.gz")):
        with path.open("rb") as handle:
            for record in ArchiveIterator(handle):
                headers = record.rec_headers
                if (
                    record.rec_type != "revisit"
                    or headers.get_header("WARC-Target-URI") != story.url
                ):
                    continue
                when = at(headers.get_header("WARC-Date"))
                night = min(range(1, NIGHTS + 1), key=lambda n: abs(when - night_time(n)))
                copy = copies[headers.get_header("WARC-Refers-To")]
                revisits.append((night, copy, record.http_headers.get_statuscode()))
    assert sorted(revisits) == [
        (2, first["id"], "304"),
        (3, first["id"], "200"),
        (4, first["id"], "304"),
        (BACK, second["id"], "304"),
        (9, not_found["id"], "404"),  # the same not-found page: a revisit, but a row each
        (10, not_found["id"], "404"),
    ]
    verify = story.workspace.cli("verify", "--all")
    assert verify.code == 0, verify.out + verify.err


def test_the_export_holds_every_check_with_a_record(story: Story, tmp_path: Path) -> None:
    package = tmp_path / "page.wacz"
    run = story.workspace.cli("export", "1", "--unsigned", "--output", str(package))
    assert run.code == 0, run.err
    # nights 1-4 (the copy and three revisits), 5, 7 and 8-10: the reset of night 6 has none
    assert "1 cited URLs, 9 captures" in run.out
    with zipfile.ZipFile(package) as archive:
        [page] = [json.loads(line) for line in archive.read("pages/pages.jsonl").splitlines()[1:]]
    assert page["captures"] == 9 and page["ts"].startswith(f"{night_time(BACK):%Y-%m-%d}")
