"""The sources, runs and alerts pages on rows stored directly, and the test message sent from the
dashboard through a real SMTP server on loopback (tests/support/smtp.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from models import CrawlRun, JobRun, OutboxMessage, Recipient, Source
from tests.support.receivers import BotApi
from tests.support.smtp import MailServer, text_of
from tests.support.workspace import TEST_CONFIG, Workspace
from tests.web.conftest import Desk, open_desk

NIGHT = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]*)"', page)
    assert found is not None, "the form carries no CSRF token"
    return found.group(1)


@pytest.fixture
def mail() -> Iterator[MailServer]:
    server = MailServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mailing_desk(tmp_path: Path, mail: MailServer) -> Iterator[Desk]:
    """A dashboard whose configuration sends mail to the loopback SMTP server."""
    config = TEST_CONFIG + (
        f'\n[smtp]\nhost = "127.0.0.1"\nport = {mail.port}\nsecurity = "none"\n'
        'sender = "citewatch@example.org"\n'
        '\n[alerts]\nrecipients = ["researcher@example.org"]\n'
    )
    workspace = Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}", config)
    opened = open_desk(workspace)
    yield opened
    opened.client.close()
    opened.database.dispose()


def test_sources_show_each_poll_and_its_outcome(desk: Desk) -> None:
    with desk.database.session() as session:
        for i, (status, error, failures) in enumerate(
            [(200, None, 0), (304, None, 0), (None, "connection reset by peer", 3)]
        ):
            session.add(
                Source(
                    url=f"https://news{i}.example/rss.xml",
                    url_hash=f"{i:064d}",
                    host=f"news{i}.example",
                    kind="feed",
                    added_at=NIGHT,
                    last_polled_at=NIGHT + timedelta(hours=i),
                    last_status=status,
                    last_error=error,
                    failures=failures,
                    last_new=2 - i,
                )
            )
        session.add(
            Source(
                url="https://quiet.example/news/",
                url_hash="f" * 64,
                host="quiet.example",
                kind="page",
                added_at=NIGHT,
            )
        )
    page = desk.client.get("/sources")
    assert page.status_code == 200
    text = page.text
    assert "https://news0.example/rss.xml" in text and "2025-03-01 02:00" in text
    assert "unchanged (304)" in text
    assert "failing (3x): connection reset by peer" in text
    assert "not polled yet" in text
    assert text.index("news0.example") < text.index("news2.example") < text.index("quiet")


def test_runs_list_cycles_newest_first_with_readable_errors(desk: Desk) -> None:
    with desk.database.session() as session:
        for cycle in (1, 2):
            start = NIGHT + timedelta(days=cycle - 1)
            session.add(
                JobRun(
                    cycle=cycle,
                    step="archive",
                    started_at=start,
                    finished_at=start + timedelta(seconds=42),
                    status="ok",
                    counts={"archived": 10 * cycle},
                )
            )
            session.add(
                JobRun(
                    cycle=cycle,
                    step="digest",
                    started_at=start + timedelta(minutes=1),
                    finished_at=start + timedelta(minutes=1),
                    status="failed" if cycle == 2 else "ok",
                    counts={"sent": 0},
                    error="cannot reach SMTP server mail.example:25: <refused>"
                    if cycle == 2
                    else None,
                )
            )
        session.add(
            CrawlRun(kind="check", scope="all", status="finished", started_at=NIGHT, planned=5)
        )
        session.add(
            CrawlRun(
                kind="archive",
                scope="document:1",
                status="failed",
                started_at=NIGHT + timedelta(days=1),
                error="the database refused a write: disk full",
            )
        )
    page = desk.client.get("/runs")
    assert page.status_code == 200
    text = page.text
    assert text.index("Cycle 2") < text.index("Cycle 1")  # newest first
    assert "archived 20" in text and "42.0 s" in text
    assert "cannot reach SMTP server mail.example:25: &lt;refused&gt;" in text  # escaped
    assert "the database refused a write: disk full" in text
    assert text.index("document:1") < text.index(">all<")  # crawl runs newest first too


def test_alerts_show_the_outbox_and_sent_mail(desk: Desk) -> None:
    with desk.database.session() as session:
        session.add(
            OutboxMessage(
                created_at=NIGHT,
                subject="[citewatch] 2 case updates",
                recipients="a@example.org",
                file="00000001.eml",
                attempts=2,
                last_error="cannot reach SMTP server",
            )
        )
        session.add(
            OutboxMessage(
                created_at=NIGHT,
                subject="[citewatch] 1 link alert",
                recipients="a@example.org",
                file="00000002.eml",
                sent_at=NIGHT + timedelta(minutes=5),
                attempts=1,
            )
        )
    text = desk.client.get("/alerts").text
    outbox, sent = text.split("<h2>Sent</h2>")
    assert "2 case updates" in outbox and "cannot reach SMTP server" in outbox
    assert "1 link alert" in sent and "2025-03-01 02:05" in sent


def test_a_test_message_without_smtp_says_what_is_missing(desk: Desk) -> None:
    form = desk.client.get("/alerts").text
    answer = desk.client.post("/alerts/test", data={"csrf_token": csrf(form)})
    assert answer.status_code == 200
    assert "The test message was not sent: no SMTP server configured" in answer.text


def test_a_test_message_reaches_the_mail_server(mailing_desk: Desk, mail: MailServer) -> None:
    form = mailing_desk.client.get("/alerts").text
    answer = mailing_desk.client.post("/alerts/test", data={"csrf_token": csrf(form)})
    assert "Test message sent to researcher@example.org" in answer.text
    (message,) = mail.take()
    assert "This is a test message from citewatch" in text_of(message)
    mail.stop()  # the server is down: the one-line error is shown
    answer = mailing_desk.client.post("/alerts/test", data={"csrf_token": csrf(form)})
    assert f"cannot reach SMTP server 127.0.0.1:{mail.port}" in answer.text


def test_a_test_message_needs_the_csrf_token(desk: Desk) -> None:
    answer = desk.client.post("/alerts/test", data={})
    assert answer.status_code == 403


def test_the_recipients_and_channels_are_listed_and_each_can_be_tested(tmp_path: Path) -> None:
    bot = BotApi()
    token = "123456789:AAF-secretOfTheBot_0123456789"
    config = TEST_CONFIG + (
        f'\n[alerts]\ntelegram_api = "{bot.url}"\n'
        f'\n[channels]\nnewsroom = "tgram://{token}/-1001234567890"\n'
    )
    workspace = Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}", config)
    for step in (
        ("recipient", "add", "newsroom", "--language", "kk"),
        ("subscribe", "newsroom", "--all", "--daily"),
        ("recipient", "add", "lawyer@example.org", "--timezone", "Europe/Berlin"),
    ):
        assert workspace.cli(*step).code == 0
    desk = open_desk(workspace)
    try:
        page = desk.client.get("/alerts").text
        recipients = page.split("<h2>Recipients</h2>")[1].split("<h2>Channels</h2>")[0]
        assert "newsroom" in recipients and "channel (tgram)" in recipients
        assert "everything (daily)" in recipients and "Asia/Almaty" in recipients
        assert "lawyer@example.org" in recipients and "Europe/Berlin" in recipients
        assert "<li>newsroom: tgram</li>" in page
        assert token.split(":")[1] not in page  # the channel's URL is never shown
        with desk.database.session() as session:
            newsroom = session.scalar(select(Recipient.id).where(Recipient.address == "newsroom"))
        answer = desk.client.post(
            "/alerts/test", data={"csrf_token": csrf(page), "recipient": str(newsroom)}
        )
        assert "Test message sent to channel newsroom (tgram)" in answer.text
        [text] = bot.texts()
        assert "citewatch" in text
        bot.down = True
        answer = desk.client.post(
            "/alerts/test", data={"csrf_token": csrf(page), "recipient": str(newsroom)}
        )
        assert "The test message was not sent: channel newsroom (tgram)" in answer.text
        assert token.split(":")[1] not in answer.text
    finally:
        desk.client.close()
        desk.database.dispose()
        bot.close()
