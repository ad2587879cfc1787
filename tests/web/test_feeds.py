"""The served Atom feeds: signed-in users read them, a recipient's feed reader reads the feeds
they follow with their token and nothing else, unchanged feeds answer 304."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from starlette.testclient import TestClient

from alerts.subscriptions import (
    FEED,
    UNSUBSCRIBE,
    add_recipient,
    find_case,
    find_document,
    find_recipient,
    recipient_token,
    subscribe,
    unsubscribe_everything,
)
from models import AlertEvent
from models.kinds import EventKind
from models.subscriptions import Cadence, SubscriptionKind
from tests.support.feeds import NIGHT, YENSEBEK, Ledger, write_ledger
from tests.web.conftest import BASE_URL, PASSWORD, Desk, login
from web.app import create_app

NOW = datetime(2025, 3, 5, tzinfo=UTC)
LAWYER, AUTHOR, EVERYONE, GONE = (
    "lawyer@example.org",
    "author@example.org",
    "everyone@example.org",
    "gone@example.org",
)


@dataclass
class Readers:
    desk: Desk
    ledger: Ledger
    tokens: dict[str, str]  # a recipient's address: their FEED token

    def case(self, token: str | None = None, case_id: int | None = None) -> str:
        path = f"/feeds/case/{case_id or self.ledger.case_id}.atom"
        return path if token is None else f"{path}?token={token}"

    def document(self, token: str | None = None, document_id: int | None = None) -> str:
        path = f"/feeds/document/{document_id or self.ledger.document_id}.atom"
        return path if token is None else f"{path}?token={token}"


@pytest.fixture
def readers(team: Desk) -> Readers:
    """The ledger, and four recipients: one follows the case, one the document, one everything,
    one followed everything and unsubscribed."""
    with team.database.session() as session:
        ledger = write_ledger(session)
        case = find_case(session, YENSEBEK)
        document = find_document(session, str(ledger.document_id))
        tokens = {}
        for address, kind in (
            (LAWYER, SubscriptionKind.CASE),
            (AUTHOR, SubscriptionKind.DOCUMENT),
            (EVERYONE, SubscriptionKind.ALL),
            (GONE, SubscriptionKind.ALL),
        ):
            recipient = add_recipient(session, address, "ru", NOW)
            subscribe(
                session,
                recipient,
                kind,
                Cadence.DAILY,
                NOW,
                case if kind == SubscriptionKind.CASE else None,
                document if kind == SubscriptionKind.DOCUMENT else None,
            )
            tokens[address] = recipient_token(team.config.home, recipient, FEED)
            if address == GONE:
                unsubscribe_everything(session, recipient, NOW)
    return Readers(team, ledger, tokens)


def atom(body: bytes) -> feedparser.FeedParserDict:
    feed = feedparser.parse(body)
    assert not feed.bozo and feed.version == "atom10"
    return feed


def test_a_signed_in_user_reads_every_feed(readers: Readers) -> None:
    client = readers.desk.client
    answer = client.get(readers.case(), follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")
    assert login(client, "viewer", PASSWORD).status_code == 303
    answer = client.get(readers.case())
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert answer.headers["cache-control"] == "private"
    assert len(atom(answer.content).entries) == 4
    assert len(atom(client.get(readers.document()).content).entries) == 3
    assert client.get(readers.case(case_id=999)).status_code == 404
    assert client.get(readers.document(document_id=999)).status_code == 404


def test_a_recipient_reads_the_feeds_they_follow_with_their_token(readers: Readers) -> None:
    with TestClient(create_app(readers.desk.config, readers.desk.database), BASE_URL) as reader:
        lawyer, author = readers.tokens[LAWYER], readers.tokens[AUTHOR]
        everyone = readers.tokens[EVERYONE]
        answer = reader.get(readers.case(lawyer))
        assert answer.status_code == 200 and len(atom(answer.content).entries) == 4
        assert "set-cookie" not in answer.headers  # a feed reader gets no session
        assert reader.get(readers.document(author)).status_code == 200
        assert reader.get(readers.case(everyone)).status_code == 200
        assert reader.get(readers.document(everyone)).status_code == 200
        assert reader.head(readers.case(lawyer)).status_code == 200
        # A token opens nothing else, not even the dashboard's pages.
        for page in (f"/cases/{readers.ledger.case_id}", "/cases", "/feeds/case/x.atom"):
            refused = reader.get(f"{page}?token={lawyer}", follow_redirects=False)
            assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
        assert reader.post(readers.case(lawyer)).status_code == 403  # no CSRF exemption


@pytest.mark.parametrize(
    "refused",
    [
        "forged",
        "unsubscribe purpose",
        "unsubscribed recipient",
        "case not followed",
        "document not followed",
        "other case",
        "unknown case",
    ],
)
def test_every_refusal_is_the_same_404(readers: Readers, refused: str) -> None:
    ledger, tokens = readers.ledger, readers.tokens
    with TestClient(create_app(readers.desk.config, readers.desk.database), BASE_URL) as reader:
        path = {
            "forged": readers.case(tokens[LAWYER][:-3] + "AAA"),
            "unsubscribe purpose": readers.case(_unsubscribe_token(readers)),
            "unsubscribed recipient": readers.case(tokens[GONE]),
            "case not followed": readers.case(tokens[AUTHOR]),
            "document not followed": readers.document(tokens[LAWYER]),
            "other case": readers.case(tokens[LAWYER], ledger.other_case_id),
            "unknown case": readers.case(tokens[EVERYONE], 999),
        }[refused]
        answer = reader.get(path)
        assert answer.status_code == 404
        assert "No such feed." in answer.text
        assert "<feed" not in answer.text


def _unsubscribe_token(readers: Readers) -> str:
    with readers.desk.database.session() as session:
        return recipient_token(
            readers.desk.config.home, find_recipient(session, LAWYER), UNSUBSCRIBE
        )


def test_an_unchanged_feed_answers_304_and_a_new_entry_changes_its_etag(readers: Readers) -> None:
    with TestClient(create_app(readers.desk.config, readers.desk.database), BASE_URL) as reader:
        path = readers.case(readers.tokens[LAWYER])
        first = reader.get(path)
        etag = first.headers["etag"]
        again = reader.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag and again.headers["cache-control"] == "private"
        assert reader.get(path, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
        assert reader.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
        with readers.desk.database.session() as session:  # the same news, detected again
            event = session.get(AlertEvent, readers.ledger.events["first"])
            assert event is not None
            session.add(
                AlertEvent(
                    kind=EventKind.CASE_UPDATE,
                    detected_at=NIGHT + timedelta(days=5),
                    target_id=event.target_id,
                    case_update_id=event.case_update_id,
                )
            )
        changed = reader.get(path, headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["etag"] != etag
        assert len(atom(changed.content).entries) == 5


def test_the_token_is_never_logged(readers: Readers, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with TestClient(create_app(readers.desk.config, readers.desk.database), BASE_URL) as reader:
        for token in readers.tokens.values():  # read, refused, unsubscribed
            reader.get(readers.case(token))
            reader.get(readers.document(token))
            reader.get(readers.case(token + "x"))
    # The test client's own request log (httpx) is the feed reader's side, not the server's.
    served = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert not any(token in served for token in readers.tokens.values())


def test_the_case_and_document_pages_link_their_feeds(readers: Readers) -> None:
    client = readers.desk.client
    login(client, "viewer", PASSWORD)
    client.cookies.set("lang", "ru")
    case = client.get(f"/cases/{readers.ledger.case_id}").text
    link = f'href="{readers.case()}"'
    assert case.count(link) == 2  # <link rel="alternate"> and the visible link
    assert 'rel="alternate" type="application/atom+xml"' in case and "Лента Atom" in case
    document = client.get(f"/documents/{readers.ledger.document_id}").text
    assert document.count(f'href="{readers.document()}"') == 2 and "Лента Atom" in document
