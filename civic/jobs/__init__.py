"""Background jobs: work (mail above all) done outside the request, tried again with back-off.

    from civic import jobs
    jobs.enqueue(deliver_job, raw_bytes, description="Mail to ann@example.org: Confirm your email address")

``func`` is a module-level function (a worker imports it by its dotted path) and the arguments are
picklable. The job runs later, in an app context of its own; it commits its own writes. Which
backend runs it is ``JOB_QUEUE`` (``CIVIC_JOB_QUEUE``): ``rq`` (the default when ``CIVIC_REDIS_URL``
is set; ``flask civic worker`` runs the jobs), ``thread`` (the default otherwise: a background thread
in each process, no extra service) or ``sync`` (at once: tests and scripts). What still fails after
the last retry becomes a :class:`~civic.jobs.models.JobFailure`, listed on ``/admin/jobs``.
See docs/jobs.md.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

from civic.db import after_commit
from civic.jobs.queue import BACKENDS, Job, backend_for, backend_name, give_up, path_of, retry_delays

__all__ = ["BACKENDS", "Job", "backend_name", "defer", "drain", "enqueue", "enqueue_after_commit", "init_app",
           "submit"]


def init_app(app: Flask) -> None:
    """Check the configuration at start-up, so a wrong CIVIC_JOB_QUEUE fails at once, not at the first mail."""
    backend_name(app.config)
    from civic.jobs import tasks  # noqa: PLC0415 - the task module imports this package

    tasks.register()
    if any(d < 0 for d in retry_delays(app.config)):
        raise ValueError("CIVIC_JOB_RETRY_DELAYS must not be negative")


def enqueue(func: Callable[..., Any], *args: Any, description: str = "") -> None:
    """Run ``func(*args)`` in the background (see the module's docstring). Never raises for a queue
    that is down: the job is then recorded as a failure, for an admin to try again."""
    submit(Job(path_of(func), args, description))


def enqueue_after_commit(func: Callable[..., Any], *args: Any, description: str = "") -> None:
    """Like :func:`enqueue`, but only once the transaction has committed (never if it rolls back)."""
    defer(Job(path_of(func), args, description))


def submit(job: Job, app: Flask | None = None) -> None:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    pickle.dumps(job.args)  # every backend takes only what RQ could take: a mistake shows in tests too
    try:
        backend_for(app).submit(job)
    except Exception as exc:  # e.g. Redis unreachable: the caller goes on, the job is kept for a retry
        give_up(job, exc, 0, note="Could not be queued: ")


def defer(job: Job) -> None:
    """Submit ``job`` once the transaction has committed (:func:`civic.db.after_commit`)."""
    after_commit(submit, job)


def drain(timeout: float = 5.0, app: Flask | None = None) -> bool:
    """Wait until the thread backend has done every job, retries included (True), or ``timeout`` ran out
    (False). Other backends have nothing to wait for here."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return backend_for(app).drain(timeout)
