"""The job worker's entry point: what RQ runs for each job, and the worker that ``flask civic worker`` starts.

It sits beside :mod:`civic.app` (it makes the app when a job runs outside one), so that :mod:`civic.jobs`, which
everything below may use, never imports the application factory.
"""

from __future__ import annotations

from flask import Flask, current_app, has_app_context
from rq import SimpleWorker

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


def run_rq_job(path: str, args: tuple, description: str = "", failure_id: int | None = None,
               request_id: str = "-") -> None:
    """What RQ runs (``civic.jobs.queue.RQ_RUNNER``): the job in an app context. It raises on failure, so that
    RQ tries again."""
    job = Job(path, tuple(args), description, failure_id, request_id=request_id)
    run(worker_app(), job)
    succeeded(job)


#: How long the worker's command-channel listener may wait between looks (RQ's own choice is 60 s).
LISTEN_SECONDS = 1.0


class Worker(SimpleWorker):
    """RQ's in-process worker, whose command-channel listener stops within a second.

    RQ (2.12) listens for commands in a thread that waits up to 60 seconds for a message; since redis-py 8.2,
    stopping that thread waits for the wait to end, so a ``--burst`` worker (and a stopping one) hung for up
    to a minute on its way out. The listener here looks every second instead."""

    def subscribe(self) -> None:
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(
            sleep_time=LISTEN_SECONDS, daemon=True, exception_handler=self._pubsub_exception_handler)


def work(app: Flask, *, burst: bool = False) -> bool:
    """Run an RQ worker on the app's queue, with the scheduler that starts retries when they are due.

    A ``SimpleWorker`` runs each job in this process (no fork per job), so jobs share this process's
    database pool and the app context the caller pushed. Returns whether any job was run.
    """
    backend = backend_for(app)
    if not isinstance(backend, RQQueue):
        raise RuntimeError(f"the job queue is {backend.name!r}, not 'rq': there is no Redis queue to work on")
    worker = Worker([backend.queue], connection=backend.connection)
    return worker.work(burst=burst, with_scheduler=True)
