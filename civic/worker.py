"""The job worker's entry point: what RQ runs for each job, and the worker that ``flask civic worker`` starts.

It sits beside :mod:`civic.app` (it makes the app when a job runs outside one), so that :mod:`civic.jobs`, which
everything below may use, never imports the application factory.
"""

from __future__ import annotations

from flask import Flask, current_app, has_app_context

from civic.app import create_app
from civic.jobs.queue import Job, RQQueue, backend_for, run, succeeded

_worker_app: Flask | None = None


def worker_app() -> Flask:
    """The app of the current context (``flask civic worker`` pushes one), or one made once per process."""
    global _worker_app
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    if _worker_app is None:
        _worker_app = create_app()
    return _worker_app


def run_rq_job(path: str, args: tuple, description: str = "", failure_id: int | None = None) -> None:
    """What RQ runs (``civic.jobs.queue.RQ_RUNNER``): the job in an app context. It raises on failure, so that
    RQ tries again."""
    job = Job(path, tuple(args), description, failure_id)
    run(worker_app(), job)
    succeeded(job)


def work(app: Flask, *, burst: bool = False) -> bool:
    """Run an RQ worker on the app's queue, with the scheduler that starts retries when they are due.

    A ``SimpleWorker`` runs each job in this process (no fork per job), so jobs share this process's
    database pool and the app context the caller pushed. Returns whether any job was run.
    """
    from rq import SimpleWorker

    backend = backend_for(app)
    if not isinstance(backend, RQQueue):
        raise RuntimeError(f"the job queue is {backend.name!r}, not 'rq': there is no Redis queue to work on")
    worker = SimpleWorker([backend.queue], connection=backend.connection)
    return worker.work(burst=burst, with_scheduler=True)
