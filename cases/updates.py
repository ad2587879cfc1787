"""Case updates: after a crawl run, match the pages it archived against every case.

A watched article that mentions a case is news on it. A cited page is news only when a changed
copy mentions a case its previous copy did not (its first copy is the baseline the briefing
already cites). Each page is an update of each case at most once, ever. The updates found are
listed here too: all of them, a run's, or how many each case has.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from cases.matching import CaseMatcher, CaseTerms, Match
from config import WatchConfig
from models import Article, Case, CaseUpdate, Snapshot
from models.base import batches, pages

BATCH = 500  # copies matched at a time: memory stays flat however large the run


def case_terms(session: Session) -> list[CaseTerms]:
    """Every stored case with its aliases and keywords."""
    cases = session.scalars(select(Case).options(selectinload(Case.terms)).order_by(Case.id))
    return [CaseTerms(c.id, c.name, c.texts("alias"), c.texts("keyword")) for c in cases]


def update_counts(session: Session) -> dict[int, int]:
    """Updates per case id (cases without updates are left out)."""
    rows = session.execute(select(CaseUpdate.case_id, func.count()).group_by(CaseUpdate.case_id))
    return dict(rows.all())


def found_updates(
    session: Session, case_id: int | None = None, since: datetime | None = None
) -> list[CaseUpdate]:
    """The updates found (of one case, at or after a time), oldest first, their cases loaded."""
    query = select(CaseUpdate).options(selectinload(CaseUpdate.case))
    if case_id is not None:
        query = query.where(CaseUpdate.case_id == case_id)
    if since is not None:
        query = query.where(CaseUpdate.found_at >= since)
    return list(session.scalars(query.order_by(CaseUpdate.found_at, CaseUpdate.id)))


def run_updates(session: Session, run_id: int) -> list[CaseUpdate]:
    """The updates found in the pages a crawl run archived, in the order they were recorded."""
    return list(
        session.scalars(
            select(CaseUpdate)
            .join(Snapshot, Snapshot.id == CaseUpdate.snapshot_id)
            .where(Snapshot.crawl_run_id == run_id)
            .order_by(CaseUpdate.id)
        )
    )


def page_text(title: str | None, text: str | None) -> str:
    """What is matched: the title (often the only place a name is in full) and the text."""
    return "\n\n".join(part for part in (title, text) if part)


def record_updates(
    session: Session, run_id: int, now: datetime, config: WatchConfig
) -> list[CaseUpdate]:
    """Store the case updates found in a run's newly archived pages; safe to run again."""
    terms = case_terms(session)
    if not terms:
        return []
    matcher = CaseMatcher(terms, config.match_window, config.fuzzy_min_length)
    recorded: list[CaseUpdate] = []
    for snapshots in _new_copies(session, run_id):
        recorded += _match(session, matcher, run_id, snapshots, now)
        session.flush()  # written: the batch's copies can leave the session
    return recorded


def _new_copies(session: Session, run_id: int) -> Iterator[list[Snapshot]]:
    """The run's copies with text of their own (not revisits), a batch at a time."""
    query = (
        select(Snapshot)
        .where(
            Snapshot.crawl_run_id == run_id,
            Snapshot.revisit_of_id.is_(None),
            Snapshot.text.is_not(None),
        )
        .options(selectinload(Snapshot.target))
    )
    return pages(session, query, Snapshot.id, lambda snapshot: snapshot.id, BATCH)


def _match(
    session: Session,
    matcher: CaseMatcher,
    run_id: int,
    snapshots: list[Snapshot],
    now: datetime,
) -> list[CaseUpdate]:
    """The case updates in these copies of the run (each page an update of a case once)."""
    target_ids = [s.target_id for s in snapshots]
    articles = _articles(session, target_ids)
    done = _existing(session, target_ids)
    cited = [i for i in target_ids if i not in articles]
    previous = _previous_copies(session, run_id, cited)
    recorded: list[CaseUpdate] = []
    for snapshot in snapshots:
        article = articles.get(snapshot.target_id)
        if article is not None:
            matches = matcher.find(page_text(article.title or snapshot.title, snapshot.text))
            kind = "new"
        else:
            matches = _newly_mentioned(matcher, snapshot, previous.get(snapshot.target_id))
            kind = "changed"
        for match in _first_per_case(matches):
            if (match.case_id, snapshot.target_id) in done:
                continue
            done.add((match.case_id, snapshot.target_id))
            update = CaseUpdate(
                case_id=match.case_id,
                target_id=snapshot.target_id,
                snapshot_id=snapshot.id,
                kind=kind,
                url=snapshot.final_url or snapshot.target.canonical_url,
                title=(article.title if article else None) or snapshot.title,
                published=(article.published if article else None) or snapshot.published,
                matched=match.matched[:500],
                found_at=now,
            )
            session.add(update)
            recorded.append(update)
    return recorded


def _previous_copies(session: Session, run_id: int, target_ids: list[int]) -> dict[int, Snapshot]:
    """Each target's latest copy with text from an earlier run: what its new copy replaces."""
    found: dict[int, Snapshot] = {}
    for chunk in batches(target_ids):
        latest = (
            select(func.max(Snapshot.id))
            .where(
                Snapshot.target_id.in_(chunk),
                Snapshot.crawl_run_id != run_id,
                Snapshot.revisit_of_id.is_(None),
                Snapshot.text.is_not(None),
            )
            .group_by(Snapshot.target_id)
        )
        for snapshot in session.scalars(select(Snapshot).where(Snapshot.id.in_(latest))):
            found[snapshot.target_id] = snapshot
    return found


def _newly_mentioned(
    matcher: CaseMatcher, snapshot: Snapshot, previous: Snapshot | None
) -> list[Match]:
    """Cases a cited page's changed copy mentions and its previous copy did not (its first copy
    is the baseline: no news)."""
    if previous is None or previous.payload_sha256 == snapshot.payload_sha256:
        return []
    before = {m.case_id for m in matcher.find(page_text(previous.title, previous.text))}
    now = matcher.find(page_text(snapshot.title, snapshot.text))
    return [m for m in now if m.case_id not in before]


def _first_per_case(matches: Sequence[Match]) -> list[Match]:
    seen: set[int] = set()
    first = []
    for match in matches:
        if match.case_id not in seen:
            seen.add(match.case_id)
            first.append(match)
    return first


def _articles(session: Session, target_ids: list[int]) -> dict[int, Article]:
    found: dict[int, Article] = {}
    for chunk in batches(target_ids):
        for article in session.scalars(select(Article).where(Article.target_id.in_(chunk))):
            found[article.target_id] = article
    return found


def _existing(session: Session, target_ids: list[int]) -> set[tuple[int, int]]:
    pairs: set[tuple[int, int]] = set()
    for chunk in batches(target_ids):
        rows = session.execute(
            select(CaseUpdate.case_id, CaseUpdate.target_id).where(CaseUpdate.target_id.in_(chunk))
        )
        pairs.update((case_id, target_id) for case_id, target_id in rows)
    return pairs
