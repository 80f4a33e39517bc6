"""What admins do with jobs that gave up: list them, try one again, mark one as resolved (both audited)."""

from __future__ import annotations

import pickle
from typing import TYPE_CHECKING

from sqlalchemy import Select, func, select

from civic import policy
from civic.audit import audit
from civic.db import db, utcnow
from civic.errors import RuleViolation
from civic.jobs import Job, defer
from civic.jobs.models import JobFailure

if TYPE_CHECKING:
    from civic.accounts.models import User

FILTERS = {"open": "Waiting for a decision", "all": "All"}


def failures_query(show: str = "open") -> Select:
    stmt = select(JobFailure).order_by(JobFailure.failed_at.desc(), JobFailure.id.desc())
    if show == "open":
        stmt = stmt.where(JobFailure.resolved_at.is_(None))
    return stmt


def unresolved_count() -> int:
    return db.session.scalar(select(func.count()).select_from(JobFailure).where(JobFailure.resolved_at.is_(None)))


def _state(failure: JobFailure) -> dict:
    return {"attempts": failure.attempts, "retried_at": failure.retried_at.isoformat() if failure.retried_at else None,
            "resolved_at": failure.resolved_at.isoformat() if failure.resolved_at else None}


def retry(actor: User, failure: JobFailure) -> None:
    """Queue the job again with its kept arguments, once the request commits. When it succeeds the
    failure is resolved; when it fails again the same row shows the new error and the added attempts."""
    policy.require(actor, "jobs.manage", failure)
    if failure.resolved_at is not None:
        raise RuleViolation("This job is already resolved.")
    if failure.payload is None:
        raise RuleViolation("Nothing was kept of this job, so it cannot be tried again.")
    try:
        args = pickle.loads(failure.payload)  # noqa: S301 - written only by civic.jobs, never from outside
    except Exception as e:
        raise RuleViolation("What was kept of this job can no longer be read, so it cannot be tried again.") from e
    before = _state(failure)
    failure.retried_at = utcnow()
    audit(actor, "job.retried", "job_failure", failure.id, label=failure.description, before=before,
          after=_state(failure))
    defer(Job(failure.job, tuple(args), failure.description, failure_id=failure.id))


def resolve(actor: User, failure: JobFailure) -> None:
    policy.require(actor, "jobs.manage", failure)
    if failure.resolved_at is not None:
        raise RuleViolation("This job is already resolved.")
    before = _state(failure)
    failure.resolved_at = utcnow()
    audit(actor, "job.resolved", "job_failure", failure.id, label=failure.description, before=before,
          after=_state(failure))
