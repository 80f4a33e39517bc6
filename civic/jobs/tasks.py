"""The job queue's scheduled task (``flask civic tick``, see :mod:`civic.schedule`): jobs that never ran because
their queue could not be reached (Redis down) are handed to the queue again, until one attempt gets through.

A job that never ran is a ``JobFailure`` with 0 attempts ("Could not be queued: ...", or left in a stopped
process's memory). At each tick, each such failure not yet handed over since it last failed is submitted again
with its kept arguments, after the tick's commit (as an admin's "Try again" is), and ``retried_at`` notes it:

* queued (Redis is back): the job runs as usual; when it succeeds the failure is resolved, when it gives up
  the same row counts its attempts (no longer 0, so no longer retried automatically: an admin decides);
* still unreachable: the submission fails again, the same row's ``failed_at`` moves past ``retried_at``, and
  the next tick tries again.

So a job is never handed over twice while it waits in a queue, and nothing waits for an admin to press a button
because Redis was down for a while.
"""

from __future__ import annotations

import pickle

from sqlalchemy import or_, select

from civic import schedule
from civic.db import db, utcnow
from civic.jobs import Job, defer
from civic.jobs.models import JobFailure
from civic.jobs.queue import log

#: At most this many failures are handed over at one tick (the rest wait for the next).
BATCH = 500


def retry_unqueued() -> str:
    waiting = db.session.scalars(
        select(JobFailure).where(JobFailure.attempts == 0, JobFailure.resolved_at.is_(None),
                                 JobFailure.payload.is_not(None),
                                 or_(JobFailure.retried_at.is_(None), JobFailure.failed_at > JobFailure.retried_at))
        .order_by(JobFailure.id).limit(BATCH)).all()
    now = utcnow()
    handed = 0
    for failure in waiting:
        try:
            args = pickle.loads(failure.payload)  # noqa: S301 - written only by civic.jobs, never from outside
        except Exception:  # noqa: BLE001 - unreadable: left for an admin, as the admin page says
            log.warning("job failure #%d: its arguments can no longer be read; not retried", failure.id)
            continue
        failure.retried_at = now
        defer(Job(failure.job, tuple(args), failure.description, failure_id=failure.id))
        handed += 1
    return f"{handed} unqueued jobs handed to the queue again" if handed else "no unqueued jobs"


def register() -> None:
    schedule.task("jobs.retry-unqueued", retry_unqueued,
                  description="Hand jobs that could not be queued (Redis down) to the queue again")
