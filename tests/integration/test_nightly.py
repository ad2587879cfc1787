"""Seven nights of `citewatch nightly` on the local test web, the clock injected, a real SMTP
server (aiosmtpd) on loopback receiving the digests.

Night 2 a case article appears on a watched feed and a cited link starts to 404; the link is
confirmed dead on night 4, when the mail server is down, and the digest arrives on night 5.
Night 6 is a network outage: a second dying link would be confirmed dead by it, and is not.
"""

from __future__ import annotations

import fcntl
import json
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.support.pages import YENSEBEK_KK, YENSEBEK_RU, ZHYLANBAEV_RU, article_page
from tests.support.smtp import MailServer, text_of
from tests.support.web import Reply, Seen, TestWeb
from tests.support.workspace import CITEWATCH, TEST_CONFIG, Workspace

FIRST_NIGHT = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
NIGHTS = 7
SMTP_DOWN, OUTAGE = 4, 6


def night_time(night: int) -> str:
    return (FIRST_NIGHT + timedelta(days=night - 1)).isoformat()


def rss(items: list[tuple[str, str]]) -> bytes:
    entries = "".join(f"<item><title>{t}</title><link>{u}</link></item>" for u, t in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>{entries}</channel></rss>'.encode()


@dataclass
class Nights:
    workspace: Workspace
    urls: dict[str, str]
    mail: dict[int, list[EmailMessage]]
    codes: dict[int, int]
    runs: list[dict[str, object]]


def config(mail: MailServer) -> str:
    return TEST_CONFIG + (
        "\n[check]\ninterval_hours = 20\nmax_interval_days = 1\nmemento = false\n"
        f'\n[smtp]\nhost = "127.0.0.1"\nport = {mail.port}\nsecurity = "none"\n'
        'sender = "citewatch@example.org"\n'
        '\n[alerts]\nrecipients = ["researcher@example.org"]\n'
    )


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nights]:
    root = tmp_path_factory.mktemp("nightly")
    mail = MailServer()
    with TestWeb() as web:
        night = {"n": 1}

        def page(article: object, dies_on: int | None = None):  # type: ignore[no-untyped-def]
            def reply(seen: Seen) -> Reply:
                if night["n"] == OUTAGE:
                    return Reply(action="reset")
                if dies_on is not None and night["n"] >= dies_on:
                    return Reply.html(
                        "<html><body><h1>404 Not Found</h1></body></html>", status=404
                    )
                return Reply.html(article_page(article))  # type: ignore[arg-type]

            return reply

        steady, dying, late, other = web.hosts
        urls = {
            "steady": steady.route("/ru/steady", page(YENSEBEK_RU)),
            "dying": dying.route("/ru/dying", page(ZHYLANBAEV_RU, dies_on=2)),
            "late": late.route("/kk/late", page(YENSEBEK_KK, dies_on=4)),
            "other": other.route("/ru/other", page(ZHYLANBAEV_RU)),
            "news": steady.url("/news/2025/03/verdict"),
            "quiet": steady.url("/news/2025/02/weather"),
        }
        steady.route("/news/2025/03/verdict", page(YENSEBEK_RU))
        steady.route("/news/2025/02/weather", page(ZHYLANBAEV_RU))

        def feed(seen: Seen) -> Reply:
            if night["n"] == OUTAGE:
                return Reply(action="reset")
            items = [(urls["quiet"], "Weather")]
            if night["n"] >= 2:
                items.insert(0, (urls["news"], "Verdict for the satirist"))
            return Reply(200, rss(items), [("Content-Type", "application/rss+xml")])

        steady.route("/rss.xml", feed)
        for host in web.hosts:
            host.fallback = lambda seen: (
                Reply(action="reset") if night["n"] == OUTAGE else Reply.html("nope", status=404)
            )
        workspace = Workspace(root, f"sqlite:///{root / 'citewatch.db'}", config(mail))
        document = workspace.document([urls["steady"], urls["dying"], urls["late"], urls["other"]])
        assert workspace.cli("add", str(document)).code == 0
        assert workspace.cli("case", "add", "Temirlan Yensebek").code == 0
        assert workspace.cli("source", "add", steady.url("/rss.xml")).code == 0
        result = Nights(workspace, urls, {}, {}, [])
        try:
            for number in range(1, NIGHTS + 1):
                night["n"] = number
                if number == SMTP_DOWN:
                    mail.stop()
                else:
                    mail.start()
                run = workspace.cli("--now", night_time(number), "nightly", timeout=300)
                result.codes[number] = run.code
                mail.stop()
                result.mail[number] = mail.take()
            result.runs = json.loads(workspace.cli("runs", "--limit", "20", "--format", "json").out)
            yield result
        finally:
            mail.stop()


def steps(nights: Nights, cycle: int) -> dict[str, dict[str, object]]:
    return {str(r["step"]): r for r in nights.runs if r["cycle"] == cycle}


def test_a_case_article_is_mailed_the_night_it_appears_and_never_again(nights: Nights) -> None:
    assert nights.mail[1] == []
    [message] = nights.mail[2]
    assert "1 case update" in str(message["Subject"])
    text = text_of(message)
    assert "News on Temirlan Yensebek" in text
    assert nights.urls["news"] in text
    assert "Verdict for the satirist" in text
    assert 'Matched: "' in text and "Енсебек" in text
    assert "Our copy: snapshot" in text and ".warc.gz" in text
    assert "Links in" not in text
    html = text_of(message, "html")
    assert "<h2>News on Temirlan Yensebek</h2>" in html
    later = [m for n in range(3, NIGHTS + 1) for m in nights.mail[n]]
    assert all(nights.urls["news"] not in text_of(m) for m in later)


def test_a_dead_link_is_mailed_once_when_confirmed_even_if_the_server_was_down(
    nights: Nights,
) -> None:
    assert nights.mail[3] == []  # suspect, not yet dead: no alert
    assert nights.mail[SMTP_DOWN] == []
    digest = steps(nights, SMTP_DOWN)["digest"]
    assert digest["status"] == "failed"
    assert "cannot reach SMTP server" in str(digest["error"])
    assert nights.codes[SMTP_DOWN] == 1
    [message] = nights.mail[SMTP_DOWN + 1]  # the outbox, delivered the next night
    text = text_of(message)
    assert nights.urls["dying"] in text
    assert "dead (confirmed) since 2025-03-04" in text
    assert "Note 2:" in text and "Our copy: snapshot" in text
    assert 'Links in "Test briefing"' in text
    mentions = [
        n
        for n in range(1, NIGHTS + 1)
        for m in nights.mail[n]
        if nights.urls["dying"] in text_of(m)
    ]
    assert mentions == [SMTP_DOWN + 1]
    outbox = sorted((nights.workspace.home / "outbox").glob("*.eml"))
    assert len(outbox) == 3  # case news, the dead link, the late link


def test_an_outage_night_mails_nothing_about_links(nights: Nights) -> None:
    assert nights.mail[OUTAGE] == []
    check = steps(nights, OUTAGE)["check"]
    assert check["status"] == "ok"
    assert check["counts"]["degraded"] is True  # type: ignore[index]
    # The late link's third failure fell on the outage night: it is confirmed only afterwards.
    [message] = nights.mail[OUTAGE + 1]
    assert nights.urls["late"] in text_of(message)
    assert "dead (confirmed) since 2025-03-07" in text_of(message)


def test_every_night_records_each_step(nights: Nights) -> None:
    cycles = sorted({int(r["cycle"]) for r in nights.runs})  # type: ignore[call-overload]
    assert cycles == list(range(1, NIGHTS + 1))
    for cycle in cycles:
        recorded = steps(nights, cycle)
        assert list(recorded) == ["archive", "check", "watch", "digest"]
        assert all(r["finished_at"] for r in recorded.values())
    assert steps(nights, 1)["archive"]["counts"]["fetched"] == 4  # type: ignore[index]
    assert steps(nights, 2)["check"]["counts"]["fetched"] == 4  # type: ignore[index]
    assert all(code == 0 for night, code in nights.codes.items() if night != SMTP_DOWN)
    table = nights.workspace.cli("runs")
    assert table.code == 0 and "cannot reach SMTP server" in table.out


def test_alerts_test_sends_a_message(tmp_path: Path) -> None:
    mail = MailServer()
    mail.start()
    try:
        workspace = Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}", config(mail))
        run = workspace.cli("alerts", "test")
        assert run.code == 0, run.err
        [message] = mail.take()
        assert message["To"] == "researcher@example.org"
        assert "test message" in str(message["Subject"])
        assert "If you can read it" in text_of(message)
    finally:
        mail.stop()
    down = workspace.cli("alerts", "test")
    assert down.code == 1 and "cannot reach SMTP server 127.0.0.1" in down.err
    unset = Workspace(tmp_path / "unset", f"sqlite:///{tmp_path / 'unset.db'}").cli(
        "alerts", "test"
    )
    assert unset.code == 1 and "no SMTP server configured" in unset.err


def test_no_smtp_server_keeps_messages_in_the_outbox(tmp_path: Path) -> None:
    with TestWeb() as web:
        url = web[0].route("/ru/a", Reply.html(article_page(YENSEBEK_RU)))
        feed = web[0].route(
            "/rss.xml", Reply(200, rss([(url, "A")]), [("Content-Type", "application/rss+xml")])
        )
        workspace = Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}")
        assert workspace.cli("case", "add", "Temirlan Yensebek").code == 0
        assert workspace.cli("source", "add", feed).code == 0
        run = workspace.cli("nightly")
        assert run.code == 0, run.err
        assert "digest: deferred" in run.out and "no SMTP server configured" in run.err
        [eml] = (workspace.home / "outbox").glob("*.eml")
        assert "Temirlan Yensebek" in eml.read_text(encoding="utf-8")
    mail = MailServer()
    mail.start()
    try:  # once a server is configured, the outbox goes out, once
        configured = Workspace(tmp_path, workspace.database_url, config(mail))
        sent = configured.cli("alerts", "send")
        assert sent.code == 0, sent.err
        assert "digest: ok" in sent.out and "sent 1" in sent.out
        again = configured.cli("alerts", "send")
        assert again.code == 0 and "sent 0" in again.out
        [message] = mail.take()
        assert "News on Temirlan Yensebek" in text_of(message)
    finally:
        mail.stop()


def test_one_cycle_at_a_time(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}")
    workspace.home.mkdir(parents=True, exist_ok=True)
    with (workspace.home / "nightly.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        run = workspace.cli("nightly")
    assert run.code == 1 and "another nightly cycle is running" in run.err


def test_the_scheduler_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}")
    child = subprocess.Popen(
        [str(CITEWATCH), "schedule"],
        env=workspace.env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line.startswith("next nightly cycle: ") and "Asia/Almaty" in line
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=30)
    assert child.returncode == 0, err
    assert "SIGTERM: stopping" in err and "scheduler stopped" in err


def test_a_garbage_schedule_is_refused(tmp_path: Path) -> None:
    bad = TEST_CONFIG + '\n[schedule]\ncron = "61 * * * *"\n'
    workspace = Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}", bad)
    run = workspace.cli("schedule")
    assert run.code == 3 and "[schedule]" in run.err and "61" in run.err
