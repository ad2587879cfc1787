"""Recipients and what they subscribe to; the signed one-click unsubscribe token (RFC 8058)."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from cases.tracked import case_named
from config.channels import NAME as CHANNEL_NAME
from config.schema import LANGUAGES
from models import Case, Document, OutboxMessage, Recipient, RecipientEvent, Subscription
from models.subscriptions import Cadence, SubscriptionKind, is_email
from web.security import session_secret

# One address, no display name: what SMTP's RCPT TO takes (the mail server checks the rest).
ADDRESS = re.compile(r"[^@\s<>,;:\"()\[\]]+@[^@\s<>,;:\"()\[\]]+\.[^@\s<>,;:\"()\[\].]+")
# What a recipient's signed token opens: each purpose has its own salt, so an unsubscribe link
# cannot be used to read a private feed and the other way round.
UNSUBSCRIBE = "citewatch-unsubscribe"
FEED = "citewatch-feed"


class SubscriptionError(Exception):
    """A recipient, case or document that does not exist, or an address that is not one."""


def clean_address(text: str) -> str:
    """The address as stored (an e-mail address with a lower-case domain, or a channel's
    name), or SubscriptionError."""
    address = text.strip()
    if not is_email(address):
        if not CHANNEL_NAME.fullmatch(address.lower()):
            raise SubscriptionError(f"{text!r} is neither an e-mail address nor a channel's name")
        return address.lower()
    if not ADDRESS.fullmatch(address):
        raise SubscriptionError(f"{text!r} is not an e-mail address")
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


def add_recipient(
    session: Session,
    address: str,
    language: str,
    now: datetime,
    channels: Collection[str] = (),
    timezone: str | None = None,
) -> Recipient:
    """A new recipient: an e-mail address or the name of one of the configured `channels`;
    SubscriptionError if the address is taken, the channel, language or time zone unknown."""
    address = clean_address(address)
    if not is_email(address) and address not in channels:
        known = ", ".join(sorted(channels)) or "none configured"
        raise SubscriptionError(
            f"no channel named {address} in the configuration ([channels]; known: {known})"
        )
    if language not in LANGUAGES:
        raise SubscriptionError(f"unknown language {language!r} (one of {', '.join(LANGUAGES)})")
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SubscriptionError(f"unknown time zone {timezone!r} (say, Asia/Almaty)") from None
    if session.scalar(select(Recipient).where(Recipient.address == address)) is not None:
        raise SubscriptionError(f"{address} is already a recipient")
    recipient = Recipient(address=address, language=language, timezone=timezone, created_at=now)
    session.add(recipient)
    session.flush()
    return recipient


def find_recipient(session: Session, address: str) -> Recipient:
    """The recipient with this address, or SubscriptionError."""
    cleaned = clean_address(address)
    recipient = session.scalar(select(Recipient).where(Recipient.address == cleaned))
    if recipient is None:
        raise SubscriptionError(f"no recipient {cleaned} (see `citewatch recipient list`)")
    return recipient


def all_recipients(session: Session) -> list[Recipient]:
    """Every recipient with their subscriptions, in the order they were added."""
    query = select(Recipient).options(selectinload(Recipient.subscriptions)).order_by(Recipient.id)
    return list(session.scalars(query))


def any_recipient(session: Session) -> bool:
    """Whether recipients are managed in the database (then `[alerts] recipients` is unused)."""
    return session.scalar(select(Recipient.id).limit(1)) is not None


def remove_recipient(session: Session, recipient: Recipient) -> None:
    """Forget a recipient, their subscriptions and their unsent messages."""
    drop_unsent(session, recipient)
    session.execute(delete(Subscription).where(Subscription.recipient_id == recipient.id))
    session.execute(delete(RecipientEvent).where(RecipientEvent.recipient_id == recipient.id))
    session.delete(recipient)


def drop_unsent(session: Session, recipient: Recipient) -> int:
    """Delete the recipient's messages still waiting in the outbox (and their ledger rows, so the
    events count as unsent should they subscribe again); how many."""
    unsent = list(
        session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.recipient_id == recipient.id, OutboxMessage.sent_at.is_(None)
            )
        )
    )
    if unsent:
        session.execute(delete(RecipientEvent).where(RecipientEvent.outbox_id.in_(unsent)))
        session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(unsent)))
    return len(unsent)


def find_case(session: Session, name: str) -> Case:
    """A case by id or name (any letter case), or SubscriptionError."""
    case = case_named(session, name)
    if case is None:
        raise SubscriptionError(f"no case named {name!r} (see `citewatch case list`)")
    return case


def find_document(session: Session, document_id: str) -> Document:
    """A stored document by id, or SubscriptionError."""
    document = session.get(Document, int(document_id)) if document_id.isdigit() else None
    if document is None:
        raise SubscriptionError(
            f"no stored document with id {document_id} (see `citewatch documents`)"
        )
    return document


def subscribe(
    session: Session,
    recipient: Recipient,
    kind: SubscriptionKind,
    cadence: Cadence,
    now: datetime,
    case: Case | None = None,
    document: Document | None = None,
) -> tuple[Subscription, bool]:
    """The subscription (True if new; an existing one takes the new cadence). Subscribing again
    after an unsubscribe link was used starts the recipient's mail again."""
    case_id = case.id if case is not None else None
    document_id = document.id if document is not None else None
    recipient.unsubscribed_at = None
    for existing in recipient.subscriptions:
        if (existing.kind, existing.case_id, existing.document_id) == (kind, case_id, document_id):
            existing.cadence = cadence
            return existing, False
    subscription = Subscription(
        kind=kind, case_id=case_id, document_id=document_id, cadence=cadence, created_at=now
    )
    recipient.subscriptions.append(subscription)
    session.flush()
    return subscription, True


def describe(session: Session, subscription: Subscription) -> str:
    """What a subscription covers, in a few words: case 'NAME', document N, everything."""
    if subscription.kind == SubscriptionKind.CASE and subscription.case_id is not None:
        case = session.get(Case, subscription.case_id)
        return f"case {case.name!r}" if case else f"case {subscription.case_id}"
    if subscription.kind == SubscriptionKind.DOCUMENT:
        return f"document {subscription.document_id}"
    return "everything"


def unsubscribe(
    session: Session,
    recipient: Recipient,
    kind: SubscriptionKind | None,
    case: Case | None = None,
    document: Document | None = None,
) -> int:
    """Remove one subscription (kind given) or all of them (kind None); how many went."""
    case_id = case.id if case is not None else None
    document_id = document.id if document is not None else None
    gone = [
        s
        for s in recipient.subscriptions
        if kind is None or (s.kind, s.case_id, s.document_id) == (kind, case_id, document_id)
    ]
    for subscription in gone:
        recipient.subscriptions.remove(subscription)
    session.flush()
    return len(gone)


def unsubscribe_everything(session: Session, recipient: Recipient, now: datetime) -> None:
    """What the one-click link does: no subscription left, no message still to go."""
    unsubscribe(session, recipient, None)
    drop_unsent(session, recipient)
    recipient.unsubscribed_at = now


def _serializer(home: Path, purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(session_secret(home), salt=purpose)


def recipient_token(home: Path, recipient: Recipient, purpose: str = UNSUBSCRIBE) -> str:
    """The recipient's token for one purpose (UNSUBSCRIBE, FEED): their id and creation time,
    signed with the dashboard's secret (`<home>/web-secret`), so nothing secret is stored and a
    re-used id gets a new token."""
    value = [recipient.id, int(recipient.created_at.timestamp())]
    return str(_serializer(home, purpose).dumps(value))


def recipient_for_token(
    session: Session, home: Path, token: str, purpose: str = UNSUBSCRIBE
) -> Recipient | None:
    """The recipient a token names, None for a forged, mangled, outdated or other-purpose token."""
    try:
        value = _serializer(home, purpose).loads(token)
    except BadSignature:
        return None
    if not (isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value)):
        return None
    recipient = session.get(Recipient, value[0])
    if recipient is None or int(recipient.created_at.timestamp()) != value[1]:
        return None
    return recipient
