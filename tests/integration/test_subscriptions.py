"""Subscriptions over three simulated nights: a real SMTP server (aiosmtpd), the injected clock,
the one-click unsubscribe link served by the dashboard (Starlette's test client).

A lawyer follows one case with a daily digest; a report's author follows their document with a
digest after every run. Events are written to the ledger as detection writes them, and each
night's digest step (`citewatch alerts send`, the nightly cycle's last step) routes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from config import from_environment
from models import Recipient, RecipientEvent
from models.kinds import EventKind
from tests.support.alert_story import OTHER, YENSEBEK, Story, alert_story
from tests.support.smtp import text_of
from web.app import create_app

BASE_URL = "https://citewatch.example.org"
LAWYER, AUTHOR = "lawyer@example.org", "author@example.org"


@pytest.fixture
def story(tmp_path: Path, database_url: str) -> Iterator[Story]:
    config = (
        # Once recipients are in the database, the configured list is no longer used.
        f'\n[alerts]\nrecipients = ["everything@example.org"]\n\n[web]\nbase_url = "{BASE_URL}"\n'
    )
    steps = [
        ("recipient", "add", LAWYER, "--language", "ru"),
        ("recipient", "add", AUTHOR),
        ("subscribe", LAWYER, "--case", YENSEBEK, "--daily"),
        ("subscribe", AUTHOR, "--document", "1"),
    ]
    with alert_story(tmp_path, database_url, config, steps) as told:
        yield told


def test_each_recipient_gets_only_their_events_once_until_they_unsubscribe(story: Story) -> None:
    # Night 1: news on both cases, a link of each report dies.
    night1 = "2025-03-01T02:00:05+00:00"
    story.event(EventKind.CASE_UPDATE, night1, case=YENSEBEK)
    story.event(EventKind.CASE_UPDATE, night1, case=OTHER)
    story.event(EventKind.LINK_DEAD, night1, link="a")
    story.event(EventKind.LINK_DEAD, night1, link="c")
    assert "sent 2" in story.send(night1)
    inbox = story.inbox()
    assert sorted(inbox) == [AUTHOR, LAWYER]  # not the configured everything@
    [lawyer] = inbox[LAWYER]
    [author] = inbox[AUTHOR]
    assert lawyer["To"] == LAWYER and author["To"] == AUTHOR
    assert f"News on {YENSEBEK}" in text_of(lawyer)
    assert OTHER not in text_of(lawyer) and "orda.kz" not in text_of(lawyer)
    assert story.urls["a"] in text_of(author) and story.urls["c"] not in text_of(author)
    assert YENSEBEK not in text_of(author) and "Test briefing" in text_of(author)
    for message in (lawyer, author):  # RFC 8058 one-click headers, the same link in the text
        link = str(message["List-Unsubscribe"]).strip("<>")
        assert link.startswith(f"{BASE_URL}/unsubscribe/")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert link in text_of(message) and f'href="{link}"' in text_of(message, "html")
    assert lawyer["List-Unsubscribe"] != author["List-Unsubscribe"]

    # The same night again: nothing is sent twice.
    assert "sent 0" in story.send("2025-03-01T02:10:00+00:00")
    assert story.inbox() == {}

    # Midday: the author hears at once, the lawyer's daily digest waits for its day.
    midday = "2025-03-01T14:00:00+00:00"
    story.event(EventKind.CASE_UPDATE, midday, case=YENSEBEK)
    story.event(EventKind.LINK_DRIFTED, midday, link="b")
    assert "sent 1" in story.send(midday)
    inbox = story.inbox()
    assert list(inbox) == [AUTHOR] and story.urls["b"] in text_of(inbox[AUTHOR][0])

    # Night 2, cron a few seconds early: the lawyer's day has come (one digest, the midday news
    # and the night's); the author has nothing new.
    night2 = "2025-03-02T01:59:58+00:00"
    story.event(EventKind.CASE_UPDATE, night2, case=YENSEBEK)
    assert "sent 1" in story.send(night2)
    inbox = story.inbox()
    assert list(inbox) == [LAWYER]
    [digest] = inbox[LAWYER]
    assert text_of(digest).count(f"News on {YENSEBEK} of") == 2
    assert "01 March 14:00" in text_of(digest) and "02 March 01:59" in text_of(digest)
    assert "sent 0" in story.send("2025-03-02T03:00:00+00:00")
    assert story.inbox() == {}

    # The lawyer clicks the link: a page that asks, then a one-click POST (no login, no CSRF).
    unsubscribe = str(digest["List-Unsubscribe"]).strip("<>")
    home = story.workspace.home
    config = from_environment(story.workspace.config_path, home)
    app = create_app(config, story.database, local=False)  # everyone else must sign in
    with TestClient(app, base_url=BASE_URL) as client:
        token = urlsplit(unsubscribe).path.rsplit("/", 1)[1]
        forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
        for bad in (forged, "nothing", token + "x"):
            assert client.get(f"/unsubscribe/{bad}").status_code == 404
            assert client.post(f"/unsubscribe/{bad}").status_code == 404
        assert _active(story) == {LAWYER, AUTHOR}  # a bad token changed nothing
        assert client.get("/documents", follow_redirects=False).status_code == 303  # to /login
        page = client.get(unsubscribe)
        assert page.status_code == 200 and LAWYER in page.text
        assert f'action="/unsubscribe/{token}"' in page.text and 'method="post"' in page.text
        done = client.post(
            unsubscribe,
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert done.status_code == 200 and "no more" in done.text
        assert _active(story) == {AUTHOR}
        assert client.post(unsubscribe).status_code == 200  # clicked twice: still fine

    # Night 3: news on the lawyer's case and a link of the briefing recovers; only the author
    # hears, and of the link only.
    night3 = "2025-03-03T02:00:03+00:00"
    story.event(EventKind.CASE_UPDATE, night3, case=YENSEBEK)
    story.event(EventKind.LINK_RECOVERED, night3, link="a")
    assert "sent 1" in story.send(night3)
    inbox = story.inbox()
    assert list(inbox) == [AUTHOR]
    assert "recovered" in text_of(inbox[AUTHOR][0])
    assert "sent 0" in story.send("2025-03-04T02:00:00+00:00")
    assert story.inbox() == {}

    # The ledger: every (recipient, event) pair at most once, all of them sent.
    with story.database.session() as session:
        pairs = session.execute(select(RecipientEvent.recipient_id, RecipientEvent.event_id)).all()
        assert len(pairs) == len(set(pairs)) == 3 + 3  # the lawyer's 3 events, the author's 3
        unsent = session.scalar(
            select(func.count()).select_from(RecipientEvent).where(RecipientEvent.sent_at.is_(None))
        )
        assert unsent == 0


def _active(story: Story) -> set[str]:
    with story.database.session() as session:
        rows = session.scalars(select(Recipient).where(Recipient.unsubscribed_at.is_(None)))
        return {r.address for r in rows if r.subscriptions}


def test_a_refused_address_waits_and_the_others_still_go(story: Story) -> None:
    night1, night2 = "2025-03-01T02:00:00+00:00", "2025-03-02T02:00:00+00:00"
    story.mail.refused.add(LAWYER)
    story.event(EventKind.CASE_UPDATE, night1, case=YENSEBEK)
    story.event(EventKind.LINK_DEAD, night1, link="a")
    run = story.workspace.cli("--now", night1, "alerts", "send")
    assert run.code == 1 and "sent 1, pending 1" in run.out
    assert f"refused {LAWYER} (550 5.1.1 no such mailbox); 1 kept in the outbox" in run.err
    assert list(story.inbox()) == [AUTHOR]
    story.mail.refused.clear()  # the mailbox is back: the waiting message goes, once
    assert "sent 1, pending 0" in story.send(night2)
    inbox = story.inbox()
    assert list(inbox) == [LAWYER] and len(inbox[LAWYER]) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("recipient", "add", "not an address"),
            "'not an address' is neither an e-mail address nor a channel's name",
        ),
        (
            ("recipient", "add", "newsroom"),
            "no channel named newsroom in the configuration ([channels]; known: none configured)",
        ),
        (
            ("recipient", "add", "a@example.org", "--timezone", "Mars/Base"),
            "unknown time zone 'Mars/Base' (say, Asia/Almaty)",
        ),
        (("recipient", "add", LAWYER), f"{LAWYER} is already a recipient"),
        (("recipient", "remove", "nobody@example.org"), "no recipient nobody@example.org"),
        (("subscribe", "nobody@example.org", "--all"), "no recipient nobody@example.org"),
        (("subscribe", LAWYER, "--case", "Nobody Known"), "no case named 'Nobody Known'"),
        (("subscribe", LAWYER, "--document", "99"), "no stored document with id 99"),
        (("subscribe", "a@b", "--all"), "'a@b' is not an e-mail address"),
        (("unsubscribe", AUTHOR, "--case", YENSEBEK), f"{AUTHOR} has no such subscription"),
    ],
)
def test_cli_errors_are_one_line_and_exit_1(
    story: Story, args: tuple[str, ...], message: str
) -> None:
    run = story.workspace.cli(*args)
    assert run.code == 1
    assert run.err.strip().splitlines() == [f"citewatch: error: {message}" + _tail(message)]


def _tail(message: str) -> str:
    """The pointer to the listing command that some messages end with."""
    if message.startswith("no recipient"):
        return " (see `citewatch recipient list`)"
    if message.startswith("no case"):
        return " (see `citewatch case list`)"
    if message.startswith("no stored document"):
        return " (see `citewatch documents`)"
    return ""
