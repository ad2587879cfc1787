"""Recipients, subscriptions and the unsubscribe token, on the database itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts.subscriptions import (
    FEED,
    SubscriptionError,
    add_recipient,
    clean_address,
    find_recipient,
    recipient_for_token,
    recipient_token,
    remove_recipient,
    subscribe,
)
from models import Database
from models.subscriptions import Cadence, SubscriptionKind

NOW = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("a@example.org", True),
        ("Aigerim.K+alerts@Example.ORG", True),
        ("a@b", False),  # no domain name
        ("a example@org.kz", False),
        ("<a@example.org>", False),
        ("a@example.org, b@example.org", False),
        ("", False),
    ],
)
def test_addresses(text: str, valid: bool) -> None:
    if valid:
        assert clean_address(text).endswith(text.rpartition("@")[2].lower())
    else:
        with pytest.raises(SubscriptionError):
            clean_address(text)


def test_a_token_names_one_recipient_and_dies_with_them(database: Database, tmp_path: Path) -> None:
    with database.session() as session:
        first = add_recipient(session, "a@example.org", "en", NOW)
        token = recipient_token(tmp_path, first)
        assert recipient_for_token(session, tmp_path, token) is first
        assert recipient_for_token(session, tmp_path, token[:-1]) is None
        assert recipient_for_token(session, tmp_path / "other-home", token) is None  # other key
        feed = recipient_token(tmp_path, first, FEED)
        assert recipient_for_token(session, tmp_path, feed, FEED) is first
        assert (
            recipient_for_token(session, tmp_path, feed) is None
        )  # a feed token unsubscribes no one
        first_id = first.id
        remove_recipient(session, first)
        session.flush()
        again = add_recipient(session, "a@example.org", "en", NOW + timedelta(days=1))
        # The same address again (on SQLite perhaps the same id): the old link does not work.
        assert recipient_for_token(session, tmp_path, token) is None
        assert again.id != first_id or recipient_token(tmp_path, again) != token


def test_subscribing_twice_changes_the_cadence_not_the_count(database: Database) -> None:
    with database.session() as session:
        recipient = add_recipient(session, "a@example.org", "ru", NOW)
        _, created = subscribe(session, recipient, SubscriptionKind.ALL, Cadence.DAILY, NOW)
        again, created_again = subscribe(
            session, recipient, SubscriptionKind.ALL, Cadence.IMMEDIATE, NOW
        )
        assert (created, created_again) == (True, False)
        assert again.cadence == Cadence.IMMEDIATE
        assert len(find_recipient(session, "a@EXAMPLE.org").subscriptions) == 1
