"""Who receives the alerts: recipient add/list/remove, subscribe, unsubscribe."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, TypeVar

from alerts.subscriptions import (
    SubscriptionError,
    add_recipient,
    all_recipients,
    describe,
    find_case,
    find_document,
    find_recipient,
    remove_recipient,
    subscribe,
    unsubscribe,
)
from cli.app import App
from cli.errors import CommandError
from cli.output import FORMATS, Column, list_rows, say
from config import Config
from config.schema import LANGUAGES
from models import Case, Document, Recipient, Session
from models.subscriptions import Cadence, SubscriptionKind, is_email

T = TypeVar("T")
RECIPIENT_COLUMNS = (
    Column("address", "Address", {"no_wrap": True}),
    Column("kind", "Kind", {"no_wrap": True}),
    Column("language", "Language", {"no_wrap": True}),
    Column("timezone", "Time zone", {"no_wrap": True}),
    Column("status", "Status", {"no_wrap": True}),
    Column("subscriptions", "Subscriptions", {"overflow": "fold"}),
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's commands to the CLI."""
    recipient = commands.add_parser("recipient", help="people who receive the alert digests")
    sub = recipient.add_subparsers(dest="recipient_command", required=True, metavar="COMMAND")
    add = sub.add_parser("add", help="add a recipient (then `citewatch subscribe` them)")
    add.add_argument(
        "address", help="an e-mail address, or the name of a channel of the config ([channels])"
    )
    add.add_argument(
        "--language", choices=LANGUAGES, help="of their digests (default [alerts] language)"
    )
    add.add_argument(
        "--timezone",
        metavar="ZONE",
        help="of the dates in their digests, say Asia/Almaty (default [alerts] timezone)",
    )
    add.set_defaults(handler=cmd_recipient_add)
    listing = sub.add_parser("list", help="the recipients and their subscriptions")
    listing.add_argument("--format", choices=FORMATS, default="table")
    listing.set_defaults(handler=cmd_recipient_list)
    remove = sub.add_parser("remove", help="forget a recipient and their unsent messages")
    remove.add_argument("address")
    remove.set_defaults(handler=cmd_recipient_remove)

    subscribe_parser = commands.add_parser(
        "subscribe", help="send a recipient the events of a case, a document, or all"
    )
    subscribe_parser.add_argument("address", help="a recipient's e-mail address")
    _scope(subscribe_parser, required=True)
    cadence = subscribe_parser.add_mutually_exclusive_group()
    cadence.add_argument(
        "--immediate",
        dest="cadence",
        action="store_const",
        const=Cadence.IMMEDIATE,
        help="a digest after every run (the default)",
    )
    cadence.add_argument(
        "--daily", dest="cadence", action="store_const", const=Cadence.DAILY, help="once a day"
    )
    subscribe_parser.set_defaults(handler=cmd_subscribe, cadence=Cadence.IMMEDIATE)

    unsubscribe_parser = commands.add_parser(
        "unsubscribe", help="end one subscription of a recipient, or (no option) all of them"
    )
    unsubscribe_parser.add_argument("address", help="a recipient's e-mail address")
    _scope(unsubscribe_parser, required=False)
    unsubscribe_parser.set_defaults(handler=cmd_unsubscribe)


def _scope(parser: argparse.ArgumentParser, required: bool) -> None:
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--case", metavar="NAME", help="a case (name or id)")
    group.add_argument("--document", metavar="ID", help="a stored document's id")
    group.add_argument("--all", action="store_true", help="every event")


def cmd_recipient_add(app: App, args: argparse.Namespace) -> int:
    """citewatch recipient add EMAIL_OR_CHANNEL [--language en|ru|kk] [--timezone ZONE]"""
    config = app.config
    language = args.language or config.alerts.language
    with app.database.session() as session:
        recipient = _do(
            lambda: add_recipient(
                session, args.address, language, app.clock(), config.channels, args.timezone
            )
        )
        channel = config.channels.get(recipient.address)
        kind = (
            f"channel, {channel.service}, " if channel and not is_email(recipient.address) else ""
        )
        zone = recipient.timezone or config.alerts_timezone
        say(app.out, f"Added recipient {recipient.address} ({kind}{recipient.language}, {zone}).")
    return 0


def cmd_recipient_list(app: App, args: argparse.Namespace) -> int:
    """citewatch recipient list [--format table|csv|json]"""
    with app.database.session() as session:
        rows = [_recipient_row(session, app.config, r) for r in all_recipients(session)]
    list_rows(
        app.out,
        app.err,
        rows,
        args.format,
        RECIPIENT_COLUMNS,
        "No recipients: the digest goes to [alerts] recipients of the configuration.",
        title="Recipients",
    )
    return 0


def cmd_recipient_remove(app: App, args: argparse.Namespace) -> int:
    """citewatch recipient remove EMAIL"""
    with app.database.session() as session:
        recipient = _do(lambda: find_recipient(session, args.address))
        address = recipient.address
        remove_recipient(session, recipient)
    say(app.out, f"Removed recipient {address}.")
    return 0


def cmd_subscribe(app: App, args: argparse.Namespace) -> int:
    """citewatch subscribe EMAIL --case NAME | --document ID | --all [--immediate|--daily]"""
    with app.database.session() as session:
        recipient = _do(lambda: find_recipient(session, args.address))
        kind, case, document = _do(lambda: _target(session, args))
        assert kind is not None
        subscription, created = subscribe(
            session, recipient, kind, args.cadence, app.clock(), case, document
        )
        what = describe(session, subscription)
        verb = "Subscribed" if created else "Updated: subscribed"
        say(app.out, f"{verb} {recipient.address} to {what} ({subscription.cadence}).")
    return 0


def cmd_unsubscribe(app: App, args: argparse.Namespace) -> int:
    """citewatch unsubscribe EMAIL [--case NAME | --document ID | --all]"""
    with app.database.session() as session:
        recipient = _do(lambda: find_recipient(session, args.address))
        kind, case, document = _do(lambda: _target(session, args))
        removed = unsubscribe(session, recipient, kind, case, document)
        if kind is not None and not removed:
            raise CommandError(f"{recipient.address} has no such subscription")
        say(
            app.out, f"Removed {removed} subscription{'s' * (removed != 1)} of {recipient.address}."
        )
    return 0


def _target(
    session: Session, args: argparse.Namespace
) -> tuple[SubscriptionKind | None, Case | None, Document | None]:
    """What the --case/--document/--all option names (kind None: no option given)."""
    if args.case is not None:
        return SubscriptionKind.CASE, find_case(session, args.case), None
    if args.document is not None:
        return SubscriptionKind.DOCUMENT, None, find_document(session, args.document)
    if args.all:
        return SubscriptionKind.ALL, None, None
    return None, None, None


def _do(action: Callable[[], T]) -> T:
    """Run a lookup, its SubscriptionError as the command's one-line error."""
    try:
        return action()
    except SubscriptionError as exc:
        raise CommandError(str(exc)) from None


def _recipient_row(session: Session, config: Config, recipient: Recipient) -> dict[str, Any]:
    channel = None if is_email(recipient.address) else config.channels.get(recipient.address)
    kind = "e-mail" if is_email(recipient.address) else "channel (not configured)"
    return {
        "address": recipient.address,
        "kind": f"channel ({channel.service})" if channel else kind,
        "language": recipient.language,
        "timezone": recipient.timezone or config.alerts_timezone,
        "status": "unsubscribed" if recipient.unsubscribed_at else "active",
        "created_at": recipient.created_at.isoformat(timespec="seconds"),
        "subscriptions": "; ".join(
            f"{describe(session, s)} ({s.cadence})" for s in recipient.subscriptions
        ),
    }
