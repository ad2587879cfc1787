"""Crawl runs and what they still have to fetch, computed from stored data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Exists, Select, exists, func, or_, select
from sqlalchemy.orm import Session

from models.base import batches
from models.database import Database, DatabaseError
from models.document import Citation, Target
from models.kinds import Extraction, RunKind, RunStatus
from models.snapshot import CrawlRun, Snapshot, checked_in

MAX_ERROR = 1000  # characters of a failed run's reason


def start_or_resume_run(
    session: Session, kind: RunKind, scope: str, refresh: bool, now: datetime
) -> tuple[CrawlRun, bool]:
    """The unfinished run with the same parameters (resumed), else a new one.

    Only ever called by a crawl holding its data directory's crawl lock (crawler.launch): an
    unfinished run is then one whose crawl process is dead, never one another crawl is using."""
    run = session.scalar(
        select(CrawlRun)
        .where(CrawlRun.kind == kind, CrawlRun.scope == scope, CrawlRun.refresh == refresh)
        .where(CrawlRun.status == RunStatus.RUNNING)
        .order_by(CrawlRun.id.desc())
        .limit(1)
    )
    if run is not None:
        return run, True
    run = CrawlRun(
        kind=kind, scope=scope, refresh=refresh, status=RunStatus.RUNNING, started_at=now
    )
    session.add(run)
    session.flush()
    return run, False


def finish_run(session: Session, run_id: int, now: datetime) -> None:
    """Mark a run complete: the next run starts afresh."""
    run = session.get(CrawlRun, run_id)
    if run is not None:
        run.status = RunStatus.FINISHED
        run.finished_at = now


def fail_run(session: Session, run_id: int, error: str, now: datetime) -> bool:
    """Mark a running run failed, with the reason in one line; whether it was still running.

    A failed run is never resumed: the next run fetches again what this one did not store."""
    run = session.get(CrawlRun, run_id)
    if run is None or run.status != RunStatus.RUNNING:
        return False
    run.status = RunStatus.FAILED
    run.finished_at = now
    run.error = " ".join(error.split())[:MAX_ERROR]
    return True


def mark_failed(database: Database, run_id: int | None, error: str, now: datetime) -> bool:
    """Mark a crawl's run failed from the parent process, when the crawl could not (its own
    database writes were what failed); False if the database still refuses (the run then
    resumes next time, which loses nothing either)."""
    if run_id is None:
        return False
    try:
        with database.session() as session:
            return fail_run(session, run_id, error, now)
    except DatabaseError:
        return False


def has_preserved_copy() -> Exists:
    """Whether a target has a preserved copy: a 2xx response stored in a WARC file.

    EXISTS, never NOT IN (subquery): PostgreSQL hashes a NOT IN subquery only while it fits in
    work_mem, and past that (a few hundred thousand snapshots) reruns it for every target."""
    return exists().where(Snapshot.target_id == Target.id, Snapshot.preserved)


def targets_to_archive(
    session: Session,
    run: CrawlRun,
    refresh: bool,
    document_id: int | None,
    hosts: Sequence[str] | None = None,
) -> list[Target]:
    """Targets this run still has to fetch: not yet archived (or all with refresh), in scope
    (on these hosts: a fleet worker's share), and not already fetched by this run before it was
    interrupted."""
    query = _to_archive(run, refresh, document_id, hosts)
    return list(session.scalars(query.order_by(Target.id)))


def _to_archive(
    run: CrawlRun, refresh: bool, document_id: int | None, hosts: Sequence[str] | None
) -> Select[Any]:
    query = _cited_targets(run, document_id, hosts)
    if not refresh:
        query = query.where(~has_preserved_copy())
    return query


def due_hosts(
    session: Session,
    run: CrawlRun,
    now: datetime,
    min_interval: timedelta,
) -> list[tuple[str, int]]:
    """The hosts with targets this run still has to fetch, and how many each (an archive run:
    the targets without a copy; a check run: those due): the fleet's units of work."""
    if run.kind == RunKind.ARCHIVE:
        query = _to_archive(run, run.refresh, None, None)
    else:
        query = _cited_targets(run)
        if not run.refresh:
            query = query.where(*_due(now, min_interval))
    share = query.subquery()
    rows = session.execute(select(share.c.host, func.count()).group_by(share.c.host))
    return sorted((str(host), int(count)) for host, count in rows)


def archive_pending(session: Session) -> bool:
    """Whether a nightly archive crawl has work: an interrupted run to finish, or a cited
    target with no preserved copy."""
    query = _cited_targets().where(~has_preserved_copy())
    return _unfinished(session, RunKind.ARCHIVE) or _any(session, query)


def check_pending(session: Session, now: datetime, min_interval: timedelta) -> bool:
    """Whether a nightly check crawl has work: an interrupted run to finish, or a cited target
    due for a check."""
    query = _cited_targets().where(*_due(now, min_interval))
    return _unfinished(session, RunKind.CHECK) or _any(session, query)


def _cited_targets(
    run: CrawlRun | None = None,
    document_id: int | None = None,
    hosts: Sequence[str] | None = None,
) -> Select[Any]:
    """Cited targets (watched articles are not cited links), of one document and on these
    hosts if given, that `run` has not fetched yet."""
    query = select(Target).where(Target.id.in_(select(Citation.target_id)))
    if hosts is not None:
        query = query.where(Target.host.in_(hosts))
    if run is not None:
        fetched = exists().where(Snapshot.target_id == Target.id, Snapshot.crawl_run_id == run.id)
        query = query.where(~fetched)
    if document_id is not None:
        query = query.where(
            Target.id.in_(select(Citation.target_id).where(Citation.document_id == document_id))
        )
    return query


def _due(now: datetime, min_interval: timedelta) -> tuple[Any, ...]:
    """A target is due when its next check has come and its last is `min_interval` old."""
    return (
        or_(Target.next_check_at.is_(None), Target.next_check_at <= now),
        or_(Target.last_checked_at.is_(None), Target.last_checked_at <= now - min_interval),
    )


def _unfinished(session: Session, kind: RunKind) -> bool:
    """Whether a nightly (whole-scope) run of this kind was interrupted and waits to resume."""
    query = select(CrawlRun.id).where(
        CrawlRun.kind == kind,
        CrawlRun.scope == "all",
        CrawlRun.refresh.is_(False),
        CrawlRun.status == RunStatus.RUNNING,
    )
    return _any(session, query)


def _any(session: Session, query: Select[Any]) -> bool:
    return bool(session.scalar(select(query.exists())))


@dataclass(frozen=True)
class ArchivedCopy:
    """A target's latest full copy: what a conditional request sends, what a revisit refers to."""

    snapshot_id: int
    record_id: str
    url: str
    fetched_at: datetime
    payload_sha256: str | None
    etag: str | None
    last_modified: str | None
    content_type: str | None
    extraction: Extraction | None
    title: str | None
    author: str | None
    published: str | None
    language: str | None
    login_form: bool = False
    rendered: bool = False  # rendered in a browser: the same page may show other text now

    @classmethod
    def of(cls, snapshot: Snapshot) -> ArchivedCopy:
        """The copy a snapshot holds (a full response record)."""
        return cls(
            snapshot.id,
            snapshot.warc_record_id or "",
            snapshot.final_url or "",
            snapshot.fetched_at,
            snapshot.payload_sha256,
            snapshot.etag,
            snapshot.last_modified,
            snapshot.content_type,
            snapshot.extraction,
            snapshot.title,
            snapshot.author,
            snapshot.published,
            snapshot.language,
            snapshot.login_form,
            (snapshot.capture_note or "").startswith("rendered:"),
        )


def targets_to_check(
    session: Session,
    run: CrawlRun,
    now: datetime,
    force: bool,
    document_id: int | None,
    min_interval: timedelta,
    hosts: Sequence[str] | None = None,
) -> list[Target]:
    """Targets due for a check (all with `force`), in scope (on these hosts: a fleet worker's
    share), not yet checked by this run and not checked in the last `min_interval`."""
    query = _cited_targets(run, document_id, hosts)
    if not force:
        query = query.where(*_due(now, min_interval))
    return list(session.scalars(query.order_by(Target.id)))


def archived_copies(session: Session, target_ids: list[int]) -> dict[int, ArchivedCopy]:
    """Each target's latest full response record (2xx, not a revisit), if it has one."""
    found: dict[int, ArchivedCopy] = {}
    for chunk in batches(target_ids):
        rows = session.scalars(
            select(Snapshot)
            .where(
                Snapshot.target_id.in_(chunk),
                Snapshot.revisit_of_id.is_(None),
                Snapshot.warc_record_id.is_not(None),
                Snapshot.preserved,
            )
            .order_by(Snapshot.fetched_at)
        )
        for s in rows:  # the latest wins
            found[s.target_id] = ArchivedCopy.of(s)
    return found


def run_snapshots(session: Session, run_id: int) -> list[tuple[Snapshot, str]]:
    """The snapshots holding a run's checks (models.snapshot.checked_in) with their targets'
    URLs, in the order they were stored."""
    rows = session.execute(
        select(Snapshot, Target.canonical_url)
        .join(Target)
        .where(checked_in(run_id))
        .order_by(Snapshot.id)
    )
    return [(snapshot, url) for snapshot, url in rows]


def run_counts(session: Session, run_id: int) -> dict[str, int]:
    """How many fetches a run made, and how many gave a good copy of the page (a check that
    saw a snapshot again counts in the run of its last sighting: read when the run ends)."""
    fetched, good = session.execute(
        select(func.count(Snapshot.id), func.count(Snapshot.id).filter(Snapshot.good)).where(
            checked_in(run_id)
        )
    ).one()
    return {"fetched": fetched or 0, "good": good or 0}
