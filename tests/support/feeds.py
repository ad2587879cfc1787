"""A ledger for the feed tests: two cases with news, a briefing whose links died, drifted and
recovered, written as detection writes them (rows, not a crawl)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from models import AlertEvent, Case, CaseUpdate, Citation, Document, Snapshot
from models.kinds import EventKind, Outcome, Verdict
from models.targets import ensure_targets

CREATED = datetime(2025, 2, 1, 9, 0, tzinfo=UTC)
NIGHT = datetime(2025, 3, 1, 2, 0, 5, tzinfo=UTC)
YENSEBEK, OTHER = "Temirlan Yensebek", "Marat Zhylanbaev"
# What the matcher found, as written on the page: declined Cyrillic, «quotes», an ampersand.
MATCHED = "Медеуский суд санкционировал арест Темирлана Енсебека — «Qaznews24» & сатира"
URLS = {
    "a": "https://orda.kz/ru/a-closed-trial",
    "b": "https://vlast.kz/novosti/b-the-sentence?utm_source=x&id=2",
    "c": "https://kaztag.kz/ru/c-another-report",  # cited by the other report only
}
MEMENTO = "https://web.archive.org/web/20250201000000/https://orda.kz/ru/a-closed-trial"
CONTEXT = "Суд над журналистом прошёл в закрытом режиме."


@dataclass
class Ledger:
    """The ids of what was written, and each event's id by a short name."""

    case_id: int
    other_case_id: int
    document_id: int
    other_document_id: int
    events: dict[str, int] = field(default_factory=dict)
    targets: dict[str, int] = field(default_factory=dict)


def write_ledger(session: Session) -> Ledger:
    """Cases, documents and events; the news rows inserted out of time order on purpose."""
    case = Case(name=YENSEBEK, created_at=CREATED)
    other = Case(name=OTHER, created_at=CREATED)
    briefing = _document(session, "Test briefing", "briefing.txt")
    report = _document(session, "Other report", "other.txt")
    session.add_all([case, other])
    session.flush()
    news = {
        name: f"https://vlast.kz/news/{name}"
        for name in ("second", "first", "third", "others", "undated")
    }
    targets = ensure_targets(session, [*URLS.values(), *news.values()], CREATED)
    ledger = Ledger(case.id, other.id, briefing.id, report.id)
    ledger.targets = {name: targets[url].id for name, url in {**URLS, **news}.items()}
    session.add_all(
        [
            _citation(briefing.id, 1, "3", URLS["a"], ledger.targets["a"], CONTEXT),
            _citation(briefing.id, 2, "7", URLS["a"], ledger.targets["a"], CONTEXT),
            _citation(briefing.id, 3, "12", URLS["b"], ledger.targets["b"], "The sentence."),
            _citation(report.id, 1, "1", URLS["c"], ledger.targets["c"], "Another claim."),
        ]
    )
    targets[URLS["a"]].memento_url = MEMENTO
    copy = Snapshot(
        target_id=ledger.targets["a"],
        fetched_at=CREATED,
        outcome=Outcome.FETCHED,
        status=200,
        verdict=Verdict.OK,
        warc_file="citewatch-20250201-00001.warc.gz",
        warc_offset=0,
    )
    article = Snapshot(
        target_id=ledger.targets["first"],
        fetched_at=NIGHT,
        outcome=Outcome.FETCHED,
        status=200,
        verdict=Verdict.OK,
        warc_file="citewatch-20250301-00001.warc.gz",
        warc_offset=0,
    )
    session.add_all([copy, article])
    session.flush()
    for name, case_id, hours, published, snapshot_id in (
        ("second", case.id, 24, "2025-03-01", None),
        ("first", case.id, 0, "2025-02-28T18:30:00+05:00", article.id),
        ("third", case.id, 48, "вчера", None),  # not a date: the detection time stands
        ("others", other.id, 12, None, None),
        ("undated", case.id, 36, None, None),
    ):
        detected = NIGHT + timedelta(hours=hours)
        update = CaseUpdate(
            case_id=case_id,
            target_id=ledger.targets[name],
            snapshot_id=snapshot_id,
            kind="new",
            url=news[name],
            title=f"Новость {name}" if name != "undated" else None,
            published=published,
            matched=MATCHED,
            found_at=detected,
        )
        session.add(update)
        session.flush()
        ledger.events[name] = _event(
            session, EventKind.CASE_UPDATE, detected, ledger.targets[name], update.id
        )
    for name, kind, link, hours in (
        ("dead", EventKind.LINK_DEAD, "a", 1),
        ("drifted", EventKind.LINK_DRIFTED, "b", 2),
        ("recovered", EventKind.LINK_RECOVERED, "a", 30),
        ("elsewhere", EventKind.LINK_DEAD, "c", 3),
    ):
        detected = NIGHT + timedelta(hours=hours)
        ledger.events[name] = _event(session, kind, detected, ledger.targets[link], since=detected)
    return ledger


def _document(session: Session, title: str, name: str) -> Document:
    document = Document(
        title=title,
        source_name=name,
        content_hash=name.ljust(64, "0"),
        format="txt",
        size_bytes=100,
        note_count=12,
        added_at=CREATED,
    )
    session.add(document)
    session.flush()
    return document


def _citation(
    document_id: int, position: int, note: str, url: str, target_id: int, context: str
) -> Citation:
    return Citation(
        document_id=document_id,
        position=position,
        footnote=note,
        url=url,
        canonical_url=url,
        target_id=target_id,
        context=context,
    )


def _event(
    session: Session,
    kind: EventKind,
    detected: datetime,
    target_id: int,
    update_id: int | None = None,
    since: datetime | None = None,
) -> int:
    event = AlertEvent(
        kind=kind,
        detected_at=detected,
        target_id=target_id,
        case_update_id=update_id,
        since=since,
    )
    session.add(event)
    session.flush()
    return event.id
