"""The job queue's three backends and the bookkeeping they share.

A job is a module-level function named by its dotted path (``civic.mail.deliver_job``) and its
arguments. Each attempt runs it in a fresh app context, in a thread or process of its own, and
removes the database session afterwards. A failed attempt is tried again after each of
``JOB_RETRY_DELAYS`` in turn; after the last one the job gives up: a :class:`JobFailure` row (with
the pickled arguments, so an admin can try again) is written and committed, and logged at ERROR.

- ``sync``: runs every attempt at once, one after the other without waiting, in a short-lived thread
  (so the job's session never touches the caller's), and returns when the job is done.
- ``thread``: one daemon thread per process, an in-memory queue and a schedule of retries; started on
  the first job, it survives a job raising. :meth:`ThreadQueue.drain` waits until it is idle; at exit
  it drains for a few seconds and records whatever is left as a failure, so nothing is lost silently.
- ``rq``: a Redis queue; ``flask civic worker`` runs the jobs (:mod:`civic.worker`, which makes the app
  when it needs one), RQ's ``Retry`` spaces the attempts and an ``on_failure`` callback records the last
  failure.
"""

from __future__ import annotations

import atexit
import heapq
import importlib
import itertools
import logging
import math
import os
import pickle
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from civic.db import db, utcnow
from civic.jobs.models import JobFailure
from civic.logs import REQUEST_ID

log = logging.getLogger("civic.jobs")

BACKENDS = ("sync", "thread", "rq")
#: How long the thread backend waits, when the process exits, for jobs still in its queue.
EXIT_DRAIN_SECONDS = 5.0
#: How long RQ keeps a failed job in its own registry (the JobFailure row is what admins see).
RQ_FAILURE_TTL = 7 * 24 * 60 * 60
#: What the RQ worker runs for each job (by its dotted path, so this module need not import the worker).
RQ_RUNNER = "civic.worker.run_rq_job"
#: How long connecting to Redis may take before enqueueing gives up (the job is then kept, see retry_unqueued).
CONNECT_SECONDS = 2


@dataclass
class Job:
    path: str
    args: tuple
    description: str = ""
    #: The JobFailure an admin is trying again: resolved when the job succeeds, updated when it fails.
    failure_id: int | None = None
    attempts: int = 0
    last_error: str = ""
    #: The request (or command) that queued it: its log lines carry the same id (civic.logs).
    request_id: str = field(default_factory=REQUEST_ID.get)

    @property
    def label(self) -> str:
        return f"{self.description} ({self.path})" if self.description else self.path


def resolve(path: str) -> Callable[..., Any]:
    module, _, name = path.rpartition(".")
    if not module:
        raise ValueError(f"not a dotted path: {path!r}")
    return getattr(importlib.import_module(module), name)


def path_of(func: Callable[..., Any]) -> str:
    """``func``'s dotted path; refuses what a worker could not import by that path (lambdas, methods)."""
    path = f"{func.__module__}.{func.__qualname__}"
    try:
        found = resolve(path)
    except (ImportError, AttributeError, ValueError):
        found = None
    if found is not func:
        raise ValueError(f"a job must be a module-level function, not {func!r}")
    return path


def error_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]


def retry_delays(config: Any) -> tuple[float, ...]:
    return tuple(float(d) for d in config.get("JOB_RETRY_DELAYS") or ())


def backend_name(config: Any) -> str:
    """The configured backend: ``JOB_QUEUE``, or ``rq`` when ``REDIS_URL`` is set, else ``thread``."""
    name = (config.get("JOB_QUEUE") or ("rq" if config.get("REDIS_URL") else "thread")).strip().lower()
    if name not in BACKENDS:
        raise ValueError(f"CIVIC_JOB_QUEUE must be one of {', '.join(BACKENDS)}, not {name!r}")
    if name == "rq" and not config.get("REDIS_URL"):
        raise ValueError("CIVIC_JOB_QUEUE is 'rq' but CIVIC_REDIS_URL is not set")
    return name


# Running one attempt, and what happens after --------------------------------------------------------------


def run(app: Flask, job: Job) -> None:
    """One attempt: ``func(*args)`` in a fresh app context; the job commits its own writes."""
    token = REQUEST_ID.set(job.request_id)
    with app.app_context():
        try:
            resolve(job.path)(*job.args)
        finally:
            db.session.remove()
            REQUEST_ID.reset(token)


def attempt(app: Flask, job: Job) -> float | None:
    """Run one attempt; the seconds to wait before the next one, or None when the job is done with."""
    job.attempts += 1
    try:
        run(app, job)
    except Exception as exc:
        job.last_error = error_text(exc)
        delays = retry_delays(app.config)
        if job.attempts <= len(delays):
            delay = delays[job.attempts - 1]
            log.warning("%s failed (attempt %d of %d), trying again in %g s: %s", job.label, job.attempts,
                        len(delays) + 1, delay, job.last_error)
            return delay
        give_up(job, exc)
        return None
    succeeded(job)
    return None


def succeeded(job: Job) -> None:
    if job.failure_id is None:
        return
    try:
        with db.factory() as session:
            failure = session.get(JobFailure, job.failure_id)
            if failure is not None and failure.resolved_at is None:
                failure.resolved_at = utcnow()
                session.commit()
        log.info("%s succeeded when tried again (failure #%d resolved)", job.label, job.failure_id)
    except Exception:
        log.exception("%s succeeded, but failure #%s could not be marked resolved", job.label, job.failure_id)


def give_up(job: Job, exc: BaseException, attempts: int | None = None, *, note: str = "") -> None:
    """The job failed for the last time: log it at ERROR and keep it as a JobFailure row (committed).

    Uses a session of its own, so the caller's transaction (a request's, a command's) is never touched.
    """
    attempts = job.attempts if attempts is None else attempts
    text = f"{note}{error_text(exc)}"
    log.error("%s gave up after %d attempt%s: %s", job.label, attempts, "" if attempts == 1 else "s", text,
              exc_info=exc)
    try:
        with db.factory() as session:
            failure = session.get(JobFailure, job.failure_id) if job.failure_id is not None else None
            if failure is None:
                session.add(JobFailure(job=job.path, description=job.description[:500], error=text,
                                       attempts=attempts, payload=pickle.dumps(job.args)))
            else:  # an admin's "Try again" failed too: the same row, one more round of attempts
                failure.error = text
                failure.attempts += attempts
                failure.failed_at = utcnow()
            session.commit()
    except Exception:
        log.exception("could not record the failure of %s", job.label)


# The backends ------------------------------------------------------------------------------------------------


class SyncQueue:
    """Runs each job at once, every attempt one after the other, and returns when it is done with."""

    name = "sync"

    def __init__(self, app: Flask) -> None:
        self.app = app

    def submit(self, job: Job) -> None:
        def work() -> None:
            try:
                while attempt(self.app, job) is not None:
                    pass
            except Exception:
                log.exception("job runner failed on %s", job.label)

        # A thread of its own gives the job its own scoped session: removing it leaves the caller's alone.
        thread = threading.Thread(target=work, name="civic-job-sync")
        thread.start()
        thread.join()

    def drain(self, timeout: float = 5.0) -> bool:
        return True


class ThreadQueue:
    """One daemon thread per process with an in-memory queue and a schedule of retries."""

    name = "thread"

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._pid: int | None = None
        self._thread: threading.Thread | None = None
        self._exit_hook = False
        self._reset()

    def _reset(self) -> None:
        self._cv = threading.Condition()
        self._ready: deque[Job] = deque()
        self._later: list[tuple[float, int, Job]] = []  # (monotonic due time, sequence, job), a heap
        self._busy = 0
        self._seq = itertools.count()

    def submit(self, job: Job) -> None:
        if self._pid != os.getpid():  # a forked child (gunicorn worker) starts afresh, with its own thread
            self._reset()
            self._pid = os.getpid()
            self._thread = None
        with self._cv:
            self._ready.append(job)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="civic-jobs", daemon=True)
                self._thread.start()
                if not self._exit_hook:
                    atexit.register(self._at_exit)
                    self._exit_hook = True
            self._cv.notify_all()

    def _next(self) -> Job:
        """The next job that is due, waiting for one; called with the lock held."""
        while True:
            now = time.monotonic()
            while self._later and self._later[0][0] <= now:
                self._ready.append(heapq.heappop(self._later)[2])
            if self._ready:
                self._busy += 1
                return self._ready.popleft()
            self._cv.wait(self._later[0][0] - now if self._later else None)

    def _loop(self) -> None:
        while True:
            with self._cv:
                job = self._next()
            delay = None
            try:
                delay = attempt(self.app, job)
            except BaseException:  # the thread outlives anything a job does
                log.exception("job runner failed on %s", job.label)
            with self._cv:
                self._busy -= 1
                if delay is not None:
                    heapq.heappush(self._later, (time.monotonic() + delay, next(self._seq), job))
                self._cv.notify_all()

    def pending(self) -> int:
        with self._cv:
            return len(self._ready) + len(self._later) + self._busy

    def drain(self, timeout: float = 5.0) -> bool:
        """Wait until every job, retries included, is done with; False when ``timeout`` ran out first."""
        if self._pid != os.getpid():
            return True
        with self._cv:
            return self._cv.wait_for(lambda: not (self._ready or self._later or self._busy), timeout)

    def _at_exit(self) -> None:
        if self.drain(EXIT_DRAIN_SECONDS):
            return
        with self._cv:
            left = [*self._ready, *(item[2] for item in self._later)]
            self._ready.clear()
            self._later.clear()
        for job in left:
            last = f"; the last attempt said {job.last_error}" if job.last_error else ""
            give_up(job, RuntimeError(f"the process stopped before the job was done{last}"))


class RQQueue:
    """Jobs on a Redis queue (RQ), run by ``flask civic worker``."""

    name = "rq"

    def __init__(self, app: Flask) -> None:
        from redis import Redis
        from rq import Queue

        self.app = app
        # A Redis that does not answer costs a request at most this long before the job is kept as a failure.
        self.connection = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=CONNECT_SECONDS)
        self.queue = Queue(app.config.get("JOB_QUEUE_NAME") or "civic", connection=self.connection)

    def submit(self, job: Job) -> None:
        from rq import Callback, Retry

        delays = retry_delays(self.app.config)
        # RQ schedules in whole seconds.
        retry = Retry(max=len(delays), interval=[max(1, math.ceil(d)) for d in delays]) if delays else None
        self.queue.enqueue(RQ_RUNNER, job.path, job.args, job.description, job.failure_id, job.request_id,
                           retry=retry, on_failure=Callback(rq_job_failed), description=job.label[:500],
                           meta={"civic_attempts": len(delays) + 1}, failure_ttl=RQ_FAILURE_TTL)

    def drain(self, timeout: float = 5.0) -> bool:
        return True


_backend_lock = threading.Lock()
_CLASSES = {"sync": SyncQueue, "thread": ThreadQueue, "rq": RQQueue}


def backend_for(app: Flask) -> SyncQueue | ThreadQueue | RQQueue:
    """The app's backend, made once per configuration (a test may switch the queue or its name)."""
    name = backend_name(app.config)
    key = (name, app.config.get("REDIS_URL"), app.config.get("JOB_QUEUE_NAME")) if name == "rq" else (name,)
    backends = app.extensions.setdefault("civic.jobs", {})
    with _backend_lock:
        if key not in backends:
            backends[key] = _CLASSES[name](app)
        return backends[key]


# RQ: the failure callback (the worker itself is civic.worker) ---------------------------------------------


def rq_job_failed(rq_job: Any, connection: Any, exc_type: type, exc: BaseException, tb: Any) -> None:
    """RQ's ``on_failure`` callback, called after every failed attempt: the last one is recorded."""
    path, args, description, failure_id, *rest = rq_job.args
    job = Job(path, tuple(args), description, failure_id, request_id=rest[0] if rest else "-")
    total = int(rq_job.meta.get("civic_attempts", 1))
    if rq_job.retries_left:
        log.warning("%s failed (attempt %d of %d), RQ will try again: %s", job.label,
                    total - rq_job.retries_left, total, error_text(exc))
        return
    give_up(job, exc, total)
