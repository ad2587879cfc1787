"""Webhooks for systems: one JSON POST per event, signed with HMAC-SHA256.

The body is fixed when the event is queued (a retry sends the same bytes); the header
`X-Citewatch-Signature-256: sha256=<hex>` is the HMAC-SHA256 of the body with the channel's
secret, so a receiver checks it with `hmac.compare_digest` (README, "Webhooks"), and drops a
repeat by the event's `id` (a delivery whose answer was lost is sent again).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

import requests
from sqlalchemy.orm import Session

from alerts.channels import ChannelError
from alerts.digest import Copy, compose
from config import Config
from config.channels import Channel
from models import AlertEvent

SIGNATURE_HEADER = "X-Citewatch-Signature-256"
EVENT_HEADER = "X-Citewatch-Event"
USER_AGENT = "citewatch-webhook/1"


def signature(secret: str, body: bytes) -> str:
    """The header value: `sha256=` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def event_body(
    session: Session, config: Config, event: AlertEvent, documents: set[int] | None = None
) -> bytes:
    """The JSON body for one event (link alerts: the citing documents in `documents`, or all)."""
    digest = compose(session, [event], documents)
    base = config.web.base_url.rstrip("/")
    data: dict[str, Any] = {
        "id": event.id,
        "kind": str(event.kind),
        "detected_at": _iso(event.detected_at),
    }
    for case, items in digest.cases.items():
        item = items[0]
        data.update(
            case=case,
            title=item.title,
            url=item.url,
            source=item.source,
            published=item.published,
            matched=item.matched,
            our_copy=_copy(item.copy, base),
        )
    notices = [(title, notice) for title, found in digest.documents for notice in found]
    if notices:
        first = notices[0][1]
        data.update(
            url=first.url,
            state=first.label,
            since=_iso(first.since),
            our_copy=_copy(first.copy, base),
            memento_url=first.memento_url,
            documents=[
                {"title": title, "footnotes": notice.footnotes, "cited_for": notice.context}
                for title, notice in notices
            ],
        )
    return json.dumps(data, ensure_ascii=False, sort_keys=True).encode()


def test_body(now: datetime) -> bytes:
    """What `citewatch alerts test` posts: a body that names itself a test."""
    return json.dumps({"kind": "test", "detected_at": _iso(now)}).encode()


def post(channel: Channel, config: Config, body: bytes) -> None:
    """POST one signed body; ChannelError with one line unless the receiver answers 2xx.
    Redirects are not followed: a webhook that moved is reported, not guessed."""
    kind = json.loads(body).get("kind", "")
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature(channel.secret, body),
        EVENT_HEADER: str(kind),
    }
    try:
        answer = requests.post(
            channel.webhook,
            data=body,
            headers=headers,
            timeout=config.alerts.channel_timeout,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise ChannelError(f"webhook {channel.name} unreachable: {type(exc).__name__}") from None
    if not 200 <= answer.status_code < 300:
        raise ChannelError(f"webhook {channel.name} answered {answer.status_code} {answer.reason}")


def _copy(copy: Copy | None, base: str) -> dict[str, Any] | None:
    if copy is None:
        return None
    found: dict[str, Any] = {
        "snapshot": copy.snapshot_id,
        "captured_at": _iso(copy.fetched_at),
        "warc": copy.warc,
    }
    if base and copy.target_id:
        found["url"] = f"{base}/links/{copy.target_id}"
    return found


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None
