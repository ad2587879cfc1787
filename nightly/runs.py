"""The nightly cycles as recorded: the job run of each step of the latest cycles, and the
crawl runs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import CrawlRun, JobRun


def recent_job_runs(session: Session, cycles: int) -> list[JobRun]:
    """The job runs of the last `cycles` cycles, oldest cycle first, steps in the order they ran."""
    latest = list(
        session.scalars(select(JobRun.cycle).distinct().order_by(JobRun.cycle.desc()).limit(cycles))
    )
    return list(
        session.scalars(
            select(JobRun).where(JobRun.cycle.in_(latest)).order_by(JobRun.cycle, JobRun.id)
        )
    )


def recent_crawl_runs(session: Session, limit: int) -> list[CrawlRun]:
    """The latest `limit` crawl runs (archive, check, watch...), newest first."""
    return list(session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)))
