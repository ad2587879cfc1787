"""Alert channels over four simulated nights: a Telegram chat (Apprise, pointed at a local
stand-in for the Bot API), a newsroom's signed webhook, and a lawyer's e-mail (aiosmtpd).

The chat follows everything in Kazakh; the webhook one report; the lawyer one case, in Russian.
Night 2 the Bot API is down: the chat's message waits, the others go, the run fails in one line.
Night 3 it is back, and breaks again in the middle of a long split message; night 4 the rest of
that message goes, from the part that failed. The bot token is in the config only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from models import OutboxMessage, Recipient
from models.kinds import EventKind
from tests.support.alert_story import YENSEBEK, Story, alert_story
from tests.support.receivers import BotApi, WebhookReceiver
from tests.support.smtp import text_of

BASE_URL = "https://citewatch.example.org"
LAWYER = "lawyer@example.org"
BOT_TOKEN = "123456789:AAF-tokenOfTheNewsroomBot_0123456789"
CHAT = "-1001234567890"
SECRET = "whsec-4f1c2b9e8d7a6f5e4d3c2b1a"
# A long article excerpt (4,000 words): a Telegram message holds 4,096 characters.
EXCERPT = " ".join(f"Енсебек{n}" if n % 50 == 0 else f"слово{n}" for n in range(4000))
PART = re.compile(r"\n\n\((\d+)/(\d+)\)$")


class Channels:
    def __init__(self, story: Story, bot: BotApi, hook: WebhookReceiver) -> None:
        self.story, self.bot, self.hook = story, bot, hook
        self.outputs: list[str] = []

    def send(self, when: str, code: int = 0) -> tuple[str, str]:
        run = self.story.workspace.cli("--now", when, "alerts", "send")
        self.outputs += [run.out, run.err]
        assert run.code == code, run.err
        return run.out, run.err

    def cli(self, *args: str) -> str:
        run = self.story.workspace.cli(*args)
        self.outputs += [run.out, run.err]
        assert run.code == 0, run.err
        return run.out


@pytest.fixture
def channels(tmp_path: Path, database_url: str) -> Iterator[Channels]:
    bot, hook = BotApi(), WebhookReceiver()
    config = (
        f'\n[alerts]\ntelegram_api = "{bot.url}"\nchannel_timeout = 5\n'
        f'\n[web]\nbase_url = "{BASE_URL}"\n'
        f'\n[channels]\nnewsroom = "tgram://{BOT_TOKEN}/{CHAT}"\n'
        f'desk = {{ webhook = "{hook.url}", secret = "{SECRET}" }}\n'
    )
    steps = [
        ("recipient", "add", "newsroom", "--language", "kk"),
        ("subscribe", "newsroom", "--all"),
        ("recipient", "add", "desk"),
        ("subscribe", "desk", "--document", "1"),
        ("recipient", "add", LAWYER, "--language", "ru", "--timezone", "Asia/Almaty"),
        ("subscribe", LAWYER, "--case", YENSEBEK),
    ]
    try:
        with alert_story(tmp_path, database_url, config, steps) as story:
            yield Channels(story, bot, hook)
    finally:
        bot.close()
        hook.close()


def _verified(body: bytes, header: str) -> bool:
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


def _parts(texts: list[str]) -> list[tuple[int, int, str]]:
    """(index, count, text) of each part of a split message."""
    found = []
    for text in texts:
        mark = PART.search(text)
        assert mark is not None, text[-40:]
        found.append((int(mark[1]), int(mark[2]), text[: mark.start()]))
    return found


def test_each_channel_gets_its_events_once_and_a_channel_down_gets_them_the_next_night(
    channels: Channels,
) -> None:
    story, bot, hook = channels.story, channels.bot, channels.hook
    # Night 1: long news on the lawyer's case; a link of each report dies.
    night1 = "2025-03-01T02:00:05+00:00"
    story.event(EventKind.CASE_UPDATE, night1, case=YENSEBEK, matched=EXCERPT)
    story.event(EventKind.LINK_DEAD, night1, link="a")
    story.event(EventKind.LINK_DEAD, night1, link="c")
    out, _ = channels.send(night1)
    assert "sent 3, pending 0" in out  # the chat's digest, the webhook's one event, the e-mail

    # The chat: one digest in Kazakh, split cleanly into numbered parts of at most 4,096
    # characters that together hold the whole excerpt, word for word.
    parts = _parts(bot.texts())
    count = len(parts)
    assert count >= 7 and [p[:2] for p in parts] == [(i, count) for i in range(1, count + 1)]
    assert all(len(text) + len(f"\n\n({i}/{count})") <= 4096 for i, _, text in parts)
    whole = " ".join(text for _, _, text in parts)
    assert " ".join(whole.split()).count(EXCERPT) == 1
    assert story.urls["a"] in whole and story.urls["c"] in whole  # everything

    # The webhook: one signed POST, the link of its report only.
    [posted] = hook.take()
    assert _verified(posted.body, posted.headers["X-Citewatch-Signature-256"])
    assert not _verified(
        posted.body.replace(b"link_dead", b"link_live"), posted.headers["X-Citewatch-Signature-256"]
    )
    event = posted.json()
    assert posted.headers["X-Citewatch-Event"] == event["kind"] == "link_dead"
    assert event["url"] == story.urls["a"] and event["documents"][0]["title"]
    assert event["detected_at"] == "2025-03-01T02:00:05+00:00"

    # The lawyer: the case news, in Russian, the excerpt quoted as written.
    [lawyer] = story.inbox()[LAWYER]
    assert lawyer["Content-Language"] == "ru"
    assert EXCERPT in " ".join(text_of(lawyer).split())

    # Night 2: the Bot API is down. The chat's message waits; the others go; the run fails.
    bot.down = True
    night2 = "2025-03-02T01:59:57+00:00"
    story.event(EventKind.LINK_DRIFTED, night2, link="b")
    out, err = channels.send(night2, code=1)
    assert "sent 1, pending 1" in out
    [line] = [line for line in err.splitlines() if "newsroom" in line]
    assert "channel newsroom (tgram) did not take the message" in line and "Bad Gateway" in line
    assert "1 kept in the outbox" in line
    assert bot.texts() == []
    [posted] = hook.take()
    assert posted.json()["url"] == story.urls["b"] and posted.json()["kind"] == "link_drifted"
    assert story.inbox() == {}

    # Night 3: the chat gets night 2's message, and nothing of night 1 again.
    bot.down = False
    night3 = "2025-03-03T02:00:02+00:00"
    out, _ = channels.send(night3)
    assert "sent 1, pending 0" in out
    [text] = bot.texts()
    assert story.urls["b"] in text and story.urls["a"] not in text and "(1/" not in text
    # Later that night, more long news; the Bot API takes two parts, then fails.
    bot.accept = 2
    story.event(EventKind.CASE_UPDATE, "2025-03-03T02:30:00+00:00", case=YENSEBEK, matched=EXCERPT)
    out, err = channels.send("2025-03-03T02:30:00+00:00", code=1)
    assert "(part 3 of" in err and "sent 1, pending 1" in out  # the lawyer's e-mail went
    first = _parts(bot.texts())
    assert [p[0] for p in first] == [1, 2]

    # Night 4: the rest of that message, from part 3, each part once.
    bot.accept = None
    out, _ = channels.send("2025-03-04T02:00:04+00:00")
    assert "sent 1, pending 0" in out
    rest = _parts(bot.texts())
    count = first[0][1]
    assert [p[0] for p in rest] == list(range(3, count + 1))
    whole = " ".join(text for _, _, text in first + rest)
    assert " ".join(whole.split()).count(EXCERPT) == 1
    assert "sent 0, pending 0" in channels.send("2025-03-04T02:10:00+00:00")[0]
    assert bot.texts() == [] and hook.take() == []

    # The webhook's system unsubscribes: the next link alert of its report reaches only the chat.
    channels.cli("unsubscribe", "desk")
    story.event(EventKind.LINK_RECOVERED, "2025-03-05T02:00:00+00:00", link="a")
    assert "sent 1, pending 0" in channels.send("2025-03-05T02:00:00+00:00")[0]
    assert hook.take() == [] and len(bot.texts()) == 1

    # The channel's credentials appear nowhere but in the config.
    listing = channels.cli("recipient", "list", "--format", "json")
    kinds = {row["address"]: row["kind"] for row in json.loads(listing)}
    assert kinds == {"newsroom": "channel (tgram)", "desk": "channel (webhook)", LAWYER: "e-mail"}
    secrets = (BOT_TOKEN, BOT_TOKEN.split(":")[1], SECRET, "hooks/citewatch")
    for secret in secrets:
        assert not any(secret in text for text in channels.outputs)
    with story.database.session() as session:
        stored = [r.address for r in session.scalars(select(Recipient))]
        stored += [
            f"{m.recipients} {m.subject} {m.last_error}"
            for m in session.scalars(select(OutboxMessage))
        ]
    outbox = [p.read_bytes() for p in (story.workspace.home / "outbox").iterdir()]
    for secret in secrets[:3]:
        assert not any(secret in text for text in stored)
        assert not any(secret.encode() in data for data in outbox)


def test_a_test_message_reaches_each_kind_of_recipient(channels: Channels) -> None:
    story, bot, hook = channels.story, channels.bot, channels.hook
    out = channels.cli("--now", "2025-03-01T09:00:00+00:00", "alerts", "test", "--to", "newsroom")
    assert out.strip() == "Test message sent to channel newsroom (tgram)."
    [text] = bot.texts()
    assert "citewatch" in text and BOT_TOKEN not in text
    out = channels.cli("alerts", "test", "--to", "desk")
    assert out.strip() == "Test message sent to channel desk (webhook)."
    [posted] = hook.take()
    assert posted.json()["kind"] == "test"
    assert _verified(posted.body, posted.headers["X-Citewatch-Signature-256"])
    assert (
        channels.cli("alerts", "test", "--to", LAWYER)
        .strip()
        .startswith(f"Test message sent to {LAWYER} via 127.0.0.1")
    )
    [message] = story.inbox()[LAWYER]
    assert message["Content-Language"] == "ru"

    bot.down = True
    run = story.workspace.cli("alerts", "test", "--to", "newsroom")
    assert run.code == 1 and run.err.count("\n") == 1
    assert "channel newsroom (tgram) did not take the message" in run.err
    assert BOT_TOKEN.split(":")[1] not in run.err
    run = story.workspace.cli("alerts", "test", "--to", "nobody@example.org")
    assert run.code == 1 and "no recipient nobody@example.org" in run.err


def test_a_channel_missing_from_the_config_keeps_its_messages(
    channels: Channels, tmp_path: Path
) -> None:
    story = channels.story
    story.event(EventKind.LINK_DEAD, "2025-03-01T02:00:00+00:00", link="a")
    # The config loses its Telegram channel (say, a typo in an edit): the message waits, named.
    config = story.workspace.config_path.read_text().replace("newsroom = ", "newsrom = ")
    story.workspace.config_path.write_text(config)
    run = story.workspace.cli("--now", "2025-03-01T02:00:00+00:00", "alerts", "send")
    assert run.code == 1
    assert (
        "channel newsroom is not configured ([channels] newsroom or CITEWATCH_CHANNEL_NEWSROOM)"
        in run.err
    )
    assert channels.hook.take() != []  # the webhook still got its event
    # The channel given by the environment instead: it goes.
    env = {"CITEWATCH_CHANNEL_NEWSROOM": f"tgram://{BOT_TOKEN}/{CHAT}"}
    run = story.workspace.cli("--now", "2025-03-02T02:00:00+00:00", "alerts", "send", env=env)
    assert run.code == 0 and "sent 1, pending 0" in run.out
    assert story.urls["a"] in channels.bot.texts()[0]
