"""The nightly cycles as recorded: the job run of each step of the latest cycles."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import JobRun


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
