"""Atom feeds of a case and of a document, built from the ledger and read back with feedparser."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from alerts.feeds import case_feed, document_feed, follows
from config import Config, WebConfig
from models import Case, Database, Document, Recipient, Subscription
from models.subscriptions import Cadence, SubscriptionKind
from tests.support.feeds import (
    CONTEXT,
    CREATED,
    MATCHED,
    MEMENTO,
    NIGHT,
    URLS,
    YENSEBEK,
    Ledger,
    write_ledger,
)

BASE_URL = "https://citewatch.example.org"


@pytest.fixture
def ledger(database: Database) -> Ledger:
    with database.session() as session:
        return write_ledger(session)


def config(tmp_path: Path, base_url: str = BASE_URL) -> Config:
    return Config(home=tmp_path, web=WebConfig(base_url=base_url))


def build(database: Database, config: Config, kind: str, item_id: int, limit: int = 50) -> bytes:
    with database.session() as session:
        if kind == "case":
            case = session.get(Case, item_id)
            assert case is not None
            return case_feed(session, config, case, limit)
        document = session.get(Document, item_id)
        assert document is not None
        return document_feed(session, config, document, limit)


def parsed(body: bytes) -> feedparser.FeedParserDict:
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def test_a_case_feed_is_its_news_newest_first_quoted_as_found(
    database: Database, ledger: Ledger, tmp_path: Path
) -> None:
    body = build(database, config(tmp_path), "case", ledger.case_id)
    assert body.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert "Темирлана Енсебека".encode() in body  # UTF-8 itself, not character references
    feed = parsed(body)
    assert feed.feed.title == f"citewatch: {YENSEBEK}"
    assert feed.feed.link == f"{BASE_URL}/cases/{ledger.case_id}"
    entries = feed.entries
    assert [e.link for e in entries] == [
        "https://vlast.kz/news/third",
        "https://vlast.kz/news/undated",
        "https://vlast.kz/news/second",
        "https://vlast.kz/news/first",
    ]  # detection order, not insertion order; the other case's news left out
    assert [e.title for e in entries] == [
        "Новость third",
        "https://vlast.kz/news/undated",  # no title: its address
        "Новость second",
        "Новость first",
    ]
    for entry in entries:  # the Cyrillic as written, HTML-escaped once in the html content
        assert entry.content[0].type == "text/html"
        assert html.escape(MATCHED, quote=False) in entry.content[0].value
        assert "vlast.kz" in entry.content[0].value
    third, undated, second, first = entries
    assert third.updated == "2025-03-03T02:00:05+00:00"
    assert third.published == third.updated  # "вчера" is not a date: the detection time
    assert second.published == "2025-03-01T00:00:00+00:00"
    assert first.published == "2025-02-28T13:30:00+00:00"
    assert feed.feed.updated == third.updated  # the newest entry
    # Our copy on the dashboard: only the article archived when it was matched.
    copy = f'href="{BASE_URL}/links/{ledger.targets["first"]}"'
    assert copy in first.content[0].value
    assert not any("/links/" in e.content[0].value for e in (third, undated, second))
    assert len(parsed(build(database, config(tmp_path), "case", ledger.case_id, 2)).entries) == 2


def test_a_document_feed_is_the_alerts_of_the_links_it_cites(
    database: Database, ledger: Ledger, tmp_path: Path
) -> None:
    feed = parsed(build(database, config(tmp_path), "document", ledger.document_id))
    assert feed.feed.title == "citewatch: Test briefing"
    recovered, drifted, dead = feed.entries  # the other report's dead link left out
    assert dead.title == f"dead (confirmed): {URLS['a']}"
    assert drifted.title.startswith("drifted") and drifted.title.endswith(URLS["b"])
    assert recovered.title == f"recovered: {URLS['a']}"
    assert (dead.link, drifted.link) == (URLS["a"], URLS["b"])  # the ampersand survives
    text = dead.content[0].value
    assert "Notes 3, 7" in text and CONTEXT in text and text.count(CONTEXT) == 1
    assert "Since 2025-03-01 03:00 UTC" in text
    assert f'href="{BASE_URL}/links/{ledger.targets["a"]}"' in text  # a good copy is held
    assert f'href="{MEMENTO}"' in text
    assert "Note 12" in drifted.content[0].value and "/links/" not in drifted.content[0].value
    assert feed.feed.updated == recovered.updated == "2025-03-02T08:00:05+00:00"


def test_ids_are_stable_and_do_not_depend_on_the_time_of_building(
    database: Database, ledger: Ledger, tmp_path: Path
) -> None:
    first = build(database, config(tmp_path), "case", ledger.case_id)
    again = build(database, config(tmp_path / "elsewhere"), "case", ledger.case_id)
    assert first == again  # byte for byte: a reader polling twice gets a 304
    feed = parsed(first)
    assert feed.feed.id == f"tag:citewatch.example.org,2025-02-01:case/{ledger.case_id}"
    assert feed.entries[-1].id == (
        f"tag:citewatch.example.org,2025-03-01:event/{ledger.events['first']}"
    )
    plain = parsed(build(database, config(tmp_path, ""), "document", ledger.document_id))
    assert plain.feed.id == f"tag:citewatch,2025-02-01:document/{ledger.document_id}"
    assert {e.id for e in plain.entries} == {
        f"tag:citewatch,{NIGHT:%Y-%m-%d}:event/{ledger.events[name]}"
        for name in ("dead", "drifted")
    } | {f"tag:citewatch,2025-03-02:event/{ledger.events['recovered']}"}
    assert not any("/links/" in e.content[0].value for e in plain.entries)  # no base_url


def test_an_empty_feed_is_valid_and_as_old_as_its_case(database: Database, tmp_path: Path) -> None:
    with database.session() as session:
        case = Case(name="Nobody Yet", created_at=CREATED)
        session.add(case)
        session.flush()
        body = case_feed(session, config(tmp_path), case)
    feed = parsed(body)
    assert feed.entries == []
    assert feed.feed.updated == "2025-02-01T09:00:00+00:00"
    assert feed.feed.title == "citewatch: Nobody Yet"


CASE_ID, OTHER_CASE_ID, DOCUMENT_ID, OTHER_DOCUMENT_ID = 1, 2, 1, 2


@pytest.mark.parametrize(
    ("kind", "case_id", "document_id", "unsubscribed", "reads"),
    [
        # reads: (case 1, document 1, document 2)
        (SubscriptionKind.ALL, None, None, False, (True, True, True)),
        (SubscriptionKind.CASE, CASE_ID, None, False, (True, False, False)),
        (SubscriptionKind.CASE, OTHER_CASE_ID, None, False, (False, False, False)),
        (SubscriptionKind.DOCUMENT, None, DOCUMENT_ID, False, (False, True, False)),
        (SubscriptionKind.ALL, None, None, True, (False, False, False)),  # unsubscribed
        (None, None, None, False, (False, False, False)),  # no subscription
    ],
)
def test_who_follows_a_feed(
    kind: SubscriptionKind | None,
    case_id: int | None,
    document_id: int | None,
    unsubscribed: bool,
    reads: tuple[bool, bool, bool],
) -> None:
    now = datetime(2025, 3, 1, tzinfo=UTC)
    recipient = Recipient(
        address="a@example.org", created_at=now, unsubscribed_at=now if unsubscribed else None
    )
    if kind is not None:
        recipient.subscriptions = [
            Subscription(
                kind=kind,
                case_id=case_id,
                document_id=document_id,
                cadence=Cadence.DAILY,
                created_at=now,
            )
        ]
    assert (
        follows(recipient, SubscriptionKind.CASE, CASE_ID),
        follows(recipient, SubscriptionKind.DOCUMENT, DOCUMENT_ID),
        follows(recipient, SubscriptionKind.DOCUMENT, OTHER_DOCUMENT_ID),
    ) == reads
