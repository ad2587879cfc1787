"""Per-recipient digests: each subscriber's events (those their subscriptions cover, not yet in
their ledger), immediately after a run or once a day, each event at most once per recipient,
in their language and time zone: an e-mail, a channel's text, or one webhook body per event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from alerts.delivery import JSON, TEXT, language_and_zone, queue
from alerts.digest import KIND_LABELS, compose, render
from alerts.subscriptions import all_recipients, recipient_token
from alerts.webhooks import event_body
from config import Config
from models import AlertEvent, CaseUpdate, Citation, Recipient, RecipientEvent, Subscription
from models.kinds import EventKind
from models.subscriptions import Cadence, SubscriptionKind, is_email

# A daily digest is due a day after the last one, less an hour: cron starts a little early or
# late from night to night, and a run a few seconds short of 24 hours must not skip a day.
DAILY = timedelta(hours=23)
# Events older than this are never routed: a subscriber's digest is news, not an archive, and
# the query stays small however long the ledger grows (the digest step runs every night).
LOOKBACK = timedelta(days=30)


@dataclass(frozen=True)
class Routed:
    """What queueing the subscribers' digests did."""

    messages: int
    events: int  # distinct events put into at least one message


def queue_subscriber_digests(session: Session, config: Config, now: datetime) -> Routed:
    """One message per subscriber with events due now, queued in the outbox with its ledger rows."""
    messages, routed = 0, set[int]()
    for recipient in all_recipients(session):
        if recipient.unsubscribed_at is not None or not recipient.subscriptions:
            continue
        events, carries_daily = _due_events(session, recipient, now)
        if not events:
            continue
        if carries_daily:  # the day's digest: the next one a day from now
            recipient.daily_digest_at = now
        whole = any(s.kind == SubscriptionKind.ALL for s in recipient.subscriptions)
        documents = None if whole else _subscribed_documents(recipient)
        channel = config.channels.get(recipient.address)
        if channel is not None and channel.webhook:  # systems: one signed body per event
            for event in events:
                body = event_body(session, config, event, documents)
                queue(session, config, body, str(event.kind), [event.id], now, recipient, JSON)
                messages += 1
            routed.update(event.id for event in events)
            continue
        digest = compose(session, events, documents)
        language, zone = language_and_zone(config, recipient)
        message = render(
            digest,
            config.smtp,
            config.alerts,
            now,
            base_url=config.web.base_url,
            to=recipient.address if is_email(recipient.address) else None,
            unsubscribe_token=recipient_token(config.home, recipient),
            language=language,
            zone=zone,
        )
        subject = str(message["Subject"])
        if is_email(recipient.address):
            queue(session, config, message, subject, digest.event_ids, now, recipient)
        else:  # a channel's text: the digest's plain text, links to our copies included
            text = message.get_body(("plain",))
            assert text is not None
            content = str(text.get_content()).encode()
            queue(session, config, content, subject, digest.event_ids, now, recipient, TEXT)
        messages += 1
        routed.update(digest.event_ids)
    return Routed(messages, len(routed))


def _due_events(
    session: Session, recipient: Recipient, now: datetime
) -> tuple[list[AlertEvent], bool]:
    """The events to send this recipient now: covered by a subscription since it began, not yet
    in their ledger; daily subscriptions' events only when their day has come (True: some are)."""
    start = max(now - LOOKBACK, min(s.created_at for s in recipient.subscriptions))
    ledger = select(RecipientEvent.event_id).where(RecipientEvent.recipient_id == recipient.id)
    candidates = session.scalars(
        select(AlertEvent)
        .where(AlertEvent.detected_at >= start, AlertEvent.id.not_in(ledger))
        .options(selectinload(AlertEvent.case_update).selectinload(CaseUpdate.case))
        .options(selectinload(AlertEvent.target))
        .order_by(AlertEvent.id)
    )
    cited = _cited_targets(session, recipient)
    daily_due = recipient.daily_digest_at is None or now - recipient.daily_digest_at >= DAILY
    due: list[AlertEvent] = []
    carries_daily = False
    for event in candidates:
        cadences = {s.cadence for s in recipient.subscriptions if _covers(s, event, cited)}
        if Cadence.IMMEDIATE in cadences:
            due.append(event)
        elif cadences and daily_due:
            due.append(event)
            carries_daily = True
    return due, carries_daily


def _covers(subscription: Subscription, event: AlertEvent, cited: dict[int, set[int]]) -> bool:
    """Whether an event is the subscription's business (its detection after it began)."""
    if event.detected_at < subscription.created_at:
        return False
    if subscription.kind == SubscriptionKind.ALL:
        return True
    if subscription.kind == SubscriptionKind.CASE:
        update = event.case_update
        return (
            event.kind == EventKind.CASE_UPDATE
            and update is not None
            and update.case_id == subscription.case_id
        )
    return event.kind in KIND_LABELS and event.target_id in cited.get(
        subscription.document_id or 0, set()
    )


def _subscribed_documents(recipient: Recipient) -> set[int]:
    return {
        s.document_id
        for s in recipient.subscriptions
        if s.kind == SubscriptionKind.DOCUMENT and s.document_id is not None
    }


def _cited_targets(session: Session, recipient: Recipient) -> dict[int, set[int]]:
    """The links each subscribed document cites."""
    documents = _subscribed_documents(recipient)
    cited: dict[int, set[int]] = {document: set() for document in documents}
    if documents:
        rows = session.execute(
            select(Citation.document_id, Citation.target_id).where(
                Citation.document_id.in_(documents)
            )
        )
        for document_id, target_id in rows:
            cited[document_id].add(target_id)
    return cited
