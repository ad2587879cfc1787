"""`citewatch feed`: a case's or a document's Atom feed, or a recipient's private link to it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TypeVar

from alerts.feeds import LIMIT, case_feed, document_feed, feed_path, follows
from alerts.subscriptions import (
    FEED,
    SubscriptionError,
    find_case,
    find_document,
    find_recipient,
    recipient_token,
)
from cli.app import App
from cli.errors import CommandError
from cli.output import say
from models import Case, Document, Session
from models.subscriptions import SubscriptionKind

T = TypeVar("T")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's commands to the CLI."""
    feed = commands.add_parser(
        "feed", help="the Atom feed of a case's news or of a document's link alerts"
    )
    scope = feed.add_mutually_exclusive_group(required=True)
    scope.add_argument("--case", metavar="NAME", help="a case (name or id)")
    scope.add_argument("--document", metavar="ID", help="a stored document's id")
    feed.add_argument(
        "--limit", type=_positive, default=LIMIT, help=f"newest entries (default {LIMIT})"
    )
    feed.add_argument(
        "--link-for",
        metavar="ADDRESS",
        help="print the recipient's private URL of the feed on the dashboard instead",
    )
    feed.set_defaults(handler=cmd_feed)


def cmd_feed(app: App, args: argparse.Namespace) -> int:
    """citewatch feed --case NAME | --document ID [--limit N] [--link-for ADDRESS]"""
    base = app.config.web.base_url.rstrip("/")
    if args.link_for is not None and not base:
        raise CommandError("a feed link needs [web] base_url (the dashboard's public address)")
    with app.database.session() as session:
        subject = _lookup(lambda: _subject(session, args))
        kind = SubscriptionKind.CASE if isinstance(subject, Case) else SubscriptionKind.DOCUMENT
        if args.link_for is not None:
            recipient = _lookup(lambda: find_recipient(session, args.link_for))
            if not follows(recipient, kind, subject.id):
                raise CommandError(
                    f"{recipient.address} does not follow {kind} {args.case or args.document}: "
                    "subscribe them first (`citewatch subscribe`)"
                )
            token = recipient_token(app.config.home, recipient, FEED)
            say(app.out, f"{base}{feed_path(kind, subject.id)}?token={token}")
            return 0
        if isinstance(subject, Case):
            body = case_feed(session, app.config, subject, args.limit)
        else:
            body = document_feed(session, app.config, subject, args.limit)
    sys.stdout.buffer.write(body)
    sys.stdout.buffer.flush()
    return 0


def _subject(session: Session, args: argparse.Namespace) -> Case | Document:
    """The case or document the options name."""
    if args.case is not None:
        return find_case(session, args.case)
    return find_document(session, args.document)


def _lookup(action: Callable[[], T]) -> T:
    """A lookup, its SubscriptionError as the command's one-line error."""
    try:
        return action()
    except SubscriptionError as exc:
        raise CommandError(str(exc)) from None


def _positive(text: str) -> int:
    """A --limit value: a whole number of at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of entries (1 or more)")
    return int(text)
