"""After a crawl run: a verdict for each of its snapshots, then each link's state and next check."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from archive.social import PREVIEW_NOTE
from config import CheckConfig
from health.hints import typo_hint
from health.sightings import checks_of, fold_repeats
from health.states import (
    Check,
    Intervals,
    Thresholds,
    derive_state,
    is_degraded,
    next_check,
    ok_streak,
)
from health.verdicts import (
    CONNECTION_FAILURES,
    GOOD,
    Evidence,
    Observation,
    classify,
    is_permanent,
)
from models import Citation, CrawlRun, Probe, Snapshot, Target
from models.base import batches, pages
from models.kinds import LinkState, Outcome, RunKind, Verdict
from models.snapshot import checked_in

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Transition:
    """A link whose state changed in this run."""

    target_id: int
    url: str
    before: LinkState
    after: LinkState
    since: datetime | None


@dataclass
class RunHealth:
    """What evaluating a run found."""

    run_id: int
    degraded: bool
    verdicts: dict[Verdict, int] = field(default_factory=dict)
    transitions: list[Transition] = field(default_factory=list)


def thresholds(config: CheckConfig) -> Thresholds:
    """The state thresholds from the configuration."""
    return Thresholds(
        dead_after=config.dead_after,
        dead_min_span=timedelta(hours=config.dead_min_span_hours),
        transient_dead_after=timedelta(days=config.transient_dead_days),
        blocked_after=config.blocked_after,
    )


def intervals(config: CheckConfig) -> Intervals:
    """The check intervals from the configuration."""
    return Intervals(
        base=timedelta(hours=config.interval_hours),
        max_alive=timedelta(days=config.max_interval_days),
        suspect=timedelta(hours=config.interval_hours),
        dead=timedelta(days=config.dead_interval_days),
    )


BATCH = 500  # targets judged at a time: memory stays flat however large the run


def evaluate_run(session: Session, run_id: int, now: datetime, config: CheckConfig) -> RunHealth:
    """Judge a run's snapshots, fold a check run's repeats into the snapshots they repeat
    (health.sightings), and move its links' states; safe to run again. Reads the run a batch
    of targets at a time (each batch is written before the next is read)."""
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise ValueError(f"no crawl run {run_id}")
    run.degraded = _degraded(session, run_id, config)
    health = RunHealth(run_id, run.degraded)
    probes = _probe_texts(session, run_id)
    # The run's first own snapshot: what a check repeats was stored before it.
    first = session.scalar(select(func.min(Snapshot.id)).where(Snapshot.crawl_run_id == run_id))
    for chunk in _run_targets(session, run_id):
        _judge(session, run, chunk, first, probes, now, config, health)
        session.flush()  # written: the batch's rows can leave the session's identity map
    log.info("run %s: %s%s", run_id, health.verdicts, " (degraded)" if run.degraded else "")
    return health


def _run_targets(session: Session, run_id: int) -> Iterator[list[int]]:
    """The ids of the targets the run checked, a batch at a time, in order."""
    query = select(Snapshot.target_id).where(checked_in(run_id)).group_by(Snapshot.target_id)
    return pages(session, query, Snapshot.target_id, int, BATCH)


def _degraded(session: Session, run_id: int, config: CheckConfig) -> bool:
    """Whether the run failed the way a network outage does: hosts that answered before
    failing to connect now. Hosts that already failed to connect last time are no evidence
    either way: were they counted, a night on which only the dying hosts are due would look
    like an outage, and they would never die."""
    outcomes: dict[str, set[Outcome]] = defaultdict(set)
    already_failing: dict[str, bool] = {}
    for chunk in _run_targets(session, run_id):
        before = _earlier(session, chunk, run_id, Snapshot.outcome)
        rows = session.execute(
            select(Snapshot.target_id, Target.host, Snapshot.outcome)
            .join(Target, Target.id == Snapshot.target_id)
            .where(checked_in(run_id), Snapshot.target_id.in_(chunk))
        )
        for target_id, host, outcome in rows:
            outcomes[host].add(outcome)
            previous = before.get(target_id)
            failing = previous is not None and previous in CONNECTION_FAILURES
            already_failing[host] = already_failing.get(host, True) and failing
    witnesses = {h: list(o) for h, o in outcomes.items() if not already_failing[h]}
    return is_degraded(witnesses, config.outage_share, config.outage_min_hosts)


def _judge(
    session: Session,
    run: CrawlRun,
    target_ids: list[int],
    first: int | None,
    probes: dict[str, str],
    now: datetime,
    config: CheckConfig,
    health: RunHealth,
) -> None:
    """A verdict for each of the run's snapshots of these targets, then their states."""
    snapshots = list(
        session.scalars(
            select(Snapshot)
            .where(checked_in(run.id), Snapshot.target_id.in_(target_ids))
            .order_by(Snapshot.id)
        )
    )
    targets = _by_id(session, target_ids)
    # What each link said when it was cited: its first good copy from an earlier run (a link
    # archived when it was already a not-found page has no baseline until it comes back).
    baselines = _earlier(
        session,
        target_ids,
        run.id,
        Snapshot.text,
        and_(Snapshot.text != "", Snapshot.good),
        first=True,
    )
    originals = _originals(session, {s.revisit_of_id for s in snapshots if s.revisit_of_id})
    for snapshot in snapshots:
        target = targets[snapshot.target_id]
        # A revisit (a 304, or a 200 with a payload we hold) shows its original's page; the
        # snapshot pipeline copied the original's title and login form, the text is looked up.
        observation = Observation(
            snapshot.outcome,
            snapshot.status,
            target.canonical_url,
            snapshot.final_url,
            snapshot.title,
            snapshot.text
            if snapshot.text is not None
            else originals.get(snapshot.revisit_of_id or 0, (None, None))[0],
            login_form=snapshot.login_form,
            repeats_copy=snapshot.revisit_of_id is not None,
            preview_only=_preview_only(snapshot, originals),
        )
        evidence = Evidence(
            baseline_text=baselines.get(target.id),
            probe_text=probes.get(target.host),
            drift_threshold=config.drift_threshold,
            soft_404_threshold=config.soft_404_threshold,
        )
        verdict, score = classify(observation, evidence)
        snapshot.verdict, snapshot.similarity = verdict, score
        # Rate limiting is no failure; in a degraded run no failure is the link's fault.
        snapshot.counted = verdict != Verdict.RATE_LIMITED and not (
            run.degraded and verdict not in GOOD
        )
        health.verdicts[verdict] = health.verdicts.get(verdict, 0) + 1
    session.flush()
    latest = {s.target_id: s for s in snapshots}  # ordered by id: the last one wins
    if run.kind == RunKind.CHECK and first is not None:
        latest.update(fold_repeats(session, run.id, snapshots, first))
    histories = _histories(session, target_ids)
    for target in targets.values():
        snapshot = latest[target.id]
        target.last_verdict, target.last_checked_at = snapshot.verdict, snapshot.checked_at
        change = _update_target(target, histories.get(target.id, []), now, config)
        if change is not None:
            health.transitions.append(change)
    unresolved = {s.target_id for s in snapshots if s.outcome == Outcome.DNS_FAILURE}
    _hints(
        session,
        [targets[i] for i in unresolved],
        [t for t in targets.values() if t.id not in unresolved],
    )


def refresh_target(
    session: Session, target: Target, now: datetime, config: CheckConfig
) -> Transition | None:
    """Recompute one target's state from its history (after an operator's mark is cleared)."""
    return _update_target(target, _histories(session, [target.id]).get(target.id, []), now, config)


def _update_target(
    target: Target, history: list[Check], now: datetime, config: CheckConfig
) -> Transition | None:
    """Set a target's state, last verdict and next check from its history."""
    before = target.state
    state, since = derive_state(history, thresholds(config))
    if target.override:
        state, since = target.override, target.state_since
    good = [c.at for c in history if c.verdict in GOOD]
    target.last_ok_at = good[-1] if good else target.last_ok_at
    checked = target.last_checked_at or now
    earliest = checked + timedelta(hours=config.min_interval_hours)
    target.next_check_at = max(
        next_check(state, ok_streak(history), checked, intervals(config)), earliest
    )
    if state == before and target.state_since is not None:
        return None
    target.state, target.state_since = state, since
    if state == before:
        return None
    return Transition(target.id, target.canonical_url, before, state, since)


def _by_id(session: Session, ids: Iterable[int]) -> dict[int, Target]:
    found: dict[int, Target] = {}
    keys = sorted(ids)
    for chunk in batches(keys):
        for target in session.scalars(select(Target).where(Target.id.in_(chunk))):
            found[target.id] = target
    return found


def _originals(
    session: Session, snapshot_ids: set[int | None]
) -> dict[int, tuple[str | None, str | None]]:
    """The text and note of these snapshots (the originals revisits point to)."""
    keys = sorted(i for i in snapshot_ids if i is not None)
    found: dict[int, tuple[str | None, str | None]] = {}
    for chunk in batches(keys):
        rows = session.execute(
            select(Snapshot.id, Snapshot.text, Snapshot.capture_note).where(Snapshot.id.in_(chunk))
        )
        found.update({i: (text or None, note) for i, text, note in rows})
    return found


def _preview_only(snapshot: Snapshot, originals: dict[int, tuple[str | None, str | None]]) -> bool:
    """Whether the text is only a social network's public preview of the post (its login wall
    keeps the post): this fetch's note says so, or a revisit's original's."""
    note = snapshot.capture_note or ""
    if snapshot.text is None and snapshot.revisit_of_id is not None:
        note = originals.get(snapshot.revisit_of_id, (None, None))[1] or note
    return PREVIEW_NOTE in note


def _probe_texts(session: Session, run_id: int) -> dict[str, str]:
    """Each host's answer to a random sibling URL, when it answered 200 with a page."""
    rows = session.execute(
        select(Probe.host, Probe.text).where(
            Probe.crawl_run_id == run_id,
            Probe.status >= 200,
            Probe.status < 300,
            Probe.text.is_not(None),
        )
    )
    return {urlsplit(f"//{host}").hostname or host: text for host, text in rows if text}


def _earlier(
    session: Session,
    target_ids: list[int],
    run_id: int,
    column: InstrumentedAttribute[T],
    *criteria: ColumnElement[bool],
    first: bool = False,
) -> dict[int, T]:
    """A column of each target's latest (or `first`) snapshot from a run before this one,
    among the snapshots that meet the criteria."""
    found: dict[int, T] = {}
    when = Snapshot.fetched_at.desc() if first else Snapshot.fetched_at
    for chunk in batches(target_ids):
        rows = session.execute(
            select(Snapshot.target_id, column)
            .where(
                Snapshot.target_id.in_(chunk),
                or_(Snapshot.crawl_run_id.is_(None), Snapshot.crawl_run_id != run_id),
                *criteria,
            )
            .order_by(when, Snapshot.id.desc() if first else Snapshot.id)
        )
        for target_id, value in rows:
            found[target_id] = value  # ordered so that the one wanted comes last
    return found


def _histories(session: Session, target_ids: list[int]) -> dict[int, list[Check]]:
    """Every counted check of each target, oldest first (a snapshot seen N times stands for
    N checks: health.sightings.checks_of)."""
    histories: dict[int, list[Check]] = defaultdict(list)
    for chunk in batches(target_ids):
        rows = session.execute(
            select(
                Snapshot.target_id,
                Snapshot.verdict,
                Snapshot.fetched_at,
                Snapshot.outcome,
                Snapshot.checked_at,
                Snapshot.times_seen,
            )
            .where(
                Snapshot.target_id.in_(chunk),
                Snapshot.verdict.is_not(None),
                Snapshot.counted.is_(True),
            )
            .order_by(Snapshot.fetched_at, Snapshot.id)
        )
        for target_id, verdict, at, outcome, last, times in rows:
            if verdict is not None:
                permanent = is_permanent(verdict, outcome)
                histories[target_id].extend(checks_of(verdict, at, last, times, permanent))
    return histories


def _hints(session: Session, unresolved: list[Target], resolved: list[Target]) -> None:
    """For hosts that do not resolve: a similar host in the same document that serves the path."""
    for target in resolved:
        target.hint = None
    for target in unresolved:
        siblings = session.scalars(
            select(Target)
            .join(Citation, Citation.target_id == Target.id)
            .where(
                Citation.document_id.in_(
                    select(Citation.document_id).where(Citation.target_id == target.id)
                ),
                Target.host != target.host,
            )
            .distinct()
        ).all()
        target.hint = typo_hint(
            target.canonical_url, [(s.canonical_url, s.state) for s in siblings]
        )
