"""Scheduled tasks: work that happens with time, run by ``flask civic tick`` (cron or a systemd timer).

A domain declares its tasks in its manifest (``Domain(tasks=(schedule.Task(name, fn, description),))``); a core
package registers its own with::

    from civic import schedule

    schedule.task("notifications.phase-changes", announce_phase_changes,
                  description="Tell followers when a process they follow enters a new phase")

``fn`` is a module-level function (the same object at every registration: registering again with the same
values is harmless, with other values an error). ``fn()`` takes no arguments and returns an optional
one-line summary ("3 consultations closed") for the log, the command's output and the admin jobs page. It
flushes, never commits. It runs in an app context and a request context on ``BASE_URL`` (``url_for``
works). ``every`` None means at every tick; a timedelta, at a
tick at least that long after the task last started.

:func:`run` (what ``flask civic tick`` calls) runs every registered task in order, each in its own
transaction: committed when it returns, rolled back and logged when it raises, and the next task runs
either way. What a task queues with :func:`civic.db.after_commit` (mail, events, jobs) goes once it has
committed, as after a request, and is dropped with a rollback.

Two ticks at once (two servers, or a slow run overlapping the next) never run one task twice: a task first
takes its lease, a row of ``scheduled_tasks``, with one atomic statement::

    UPDATE scheduled_tasks SET locked_until = :until, locked_by = :me, last_started = :now
    WHERE name = :name AND (locked_until IS NULL OR locked_until < :now) [AND it is due]

Whoever changed the row (the row count says) runs the task; the other tick reports it as locked. This works
alike on PostgreSQL (the second UPDATE waits for the first to commit, then finds the lease taken) and on
SQLite (one writer at a time). The lease (``lease``, 15 minutes unless said) is released when the task ends;
one left by a tick that died expires on its own. A task that may run longer than its lease should say so.
The outcome is logged (logger ``civic.schedule``) and stored on the row: last_started, last_finished,
last_outcome (ok or failed), last_summary and last_error.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app, g
from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from civic import registries
from civic.db import db, utcnow
from civic.schedule.models import ScheduledTask

__all__ = ["Outcome", "ScheduledTask", "Task", "run", "states", "task", "tasks", "unregister"]

log = logging.getLogger("civic.schedule")

DEFAULT_LEASE = timedelta(minutes=15)
SUMMARY_MAX = 500


@dataclass(frozen=True)
class Task:
    name: str
    fn: Callable[[], str | None]
    description: str
    every: timedelta | None = None
    lease: timedelta = DEFAULT_LEASE


@dataclass(frozen=True)
class Outcome:
    """What one task did at one tick: ``ok``, ``failed``, ``locked`` (another tick runs it) or ``not due``."""

    name: str
    status: str
    summary: str = ""
    error: str = ""
    seconds: float = 0.0

    def line(self) -> str:
        if self.status == "ok":
            return f"{self.name}: ok in {self.seconds:.2f} s" + (f" ({self.summary})" if self.summary else "")
        if self.status == "failed":
            return f"{self.name}: FAILED after {self.seconds:.2f} s: {self.error}"
        if self.status == "locked":
            return f"{self.name}: skipped, another tick is running it"
        return f"{self.name}: not due yet"


_tasks: dict[str, Task] = {}


def task(name: str, fn: Callable[[], str | None], *, description: str, every: timedelta | None = None,
         lease: timedelta = DEFAULT_LEASE) -> Task:
    """Register a task (see the module's docstring). Idempotent with the same values; other values raise."""
    if not name or len(name) > 100 or name != name.strip():
        raise ValueError(f"task name {name!r}: 1 to 100 characters, no surrounding spaces")
    if every is not None and every <= timedelta(0):
        raise ValueError("every must be a positive timedelta (or None: at every tick)")
    if lease <= timedelta(0):
        raise ValueError("lease must be a positive timedelta")
    return registries.put(_tasks, name, Task(name, fn, description, every, lease), "scheduled task")


def unregister(name: str) -> None:
    """Forget a task (for tests that register their own)."""
    _tasks.pop(name, None)


def tasks() -> list[Task]:
    """Every registered task, in the order they were registered (the order a tick runs them)."""
    return list(_tasks.values())


def states() -> list[tuple[Task, ScheduledTask | None]]:
    """Each registered task with its row (None before its first tick), in one query: for the admin page."""
    rows = {r.name: r for r in db.session.scalars(select(ScheduledTask).where(ScheduledTask.name.in_(list(_tasks))))}
    return [(t, rows.get(t.name)) for t in tasks()]


# Running ----------------------------------------------------------------------------------------------------


def run(names: Iterable[str] | None = None, *, app: Flask | None = None) -> list[Outcome]:
    """Run the registered tasks (or only ``names``), each in its own transaction; one failing stops none.

    Needs an app context. Returns each task's outcome; failures are also logged with their traceback.
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    chosen = tasks() if names is None else [_get(n) for n in names]
    me = f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"
    return [_run_one(app, t, me) for t in chosen]


def _get(name: str) -> Task:
    try:
        return _tasks[name]
    except KeyError:
        raise ValueError(f"no scheduled task is called {name!r}") from None


def _run_one(app: Flask, t: Task, me: str) -> Outcome:
    now = utcnow()
    if not _claim(t, me, now):
        outcome = Outcome(t.name, _why_not(t, now))
        log.info("task %s: %s", t.name, outcome.status)
        return outcome
    started = time.monotonic()
    summary, error = "", ""
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        g.civic_background = True  # a request context for url_for, but no web worker that lives on
        try:
            summary = (t.fn() or "")[:SUMMARY_MAX]
            db.session.commit()
        except Exception as exc:  # noqa: BLE001 - one failing task is recorded; the next one still runs
            db.session.rollback()  # and with it what the task queued for after its commit (civic.db.after_commit)
            error = "".join(traceback.format_exception_only(exc)).strip()
            log.exception("task %s failed", t.name)
    seconds = time.monotonic() - started
    status = "failed" if error else "ok"
    _release(t, me, status, summary, error)
    if not error:
        log.info("task %s: ok in %.2f s%s", t.name, seconds, f": {summary}" if summary else "")
    return Outcome(t.name, status, summary, error, seconds)


def _claim(t: Task, me: str, now: datetime) -> bool:
    """Take the task's lease (and check it is due) in one UPDATE; True when this tick got it."""
    _ensure_row(t.name)
    due = [] if t.every is None else [or_(ScheduledTask.last_started.is_(None),
                                          ScheduledTask.last_started <= now - t.every)]
    result = db.session.execute(
        update(ScheduledTask)
        .where(ScheduledTask.name == t.name,
               or_(ScheduledTask.locked_until.is_(None), ScheduledTask.locked_until < now), *due)
        .values(locked_until=now + t.lease, locked_by=me, last_started=now)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def _ensure_row(name: str) -> None:
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    db.session.execute(insert(ScheduledTask).values(name=name, last_summary="", last_error="")
                       .on_conflict_do_nothing(index_elements=["name"]))
    db.session.commit()


def _why_not(t: Task, now: datetime) -> str:
    row = db.session.get(ScheduledTask, t.name, populate_existing=True)
    db.session.commit()
    if row is not None and row.locked_until is not None and row.locked_until >= now:
        return "locked"
    return "not due"


def _release(t: Task, me: str, status: str, summary: str, error: str) -> None:
    """Record the outcome and give the lease back (only if this tick still holds it)."""
    result = db.session.execute(
        update(ScheduledTask).where(ScheduledTask.name == t.name, ScheduledTask.locked_by == me)
        .values(locked_until=None, locked_by=None, last_finished=utcnow(), last_outcome=status,
                last_summary=summary, last_error=error)
        .execution_options(synchronize_session=False))
    db.session.commit()
    if result.rowcount != 1:
        log.warning("task %s ran longer than its lease (%s): another tick may have run it too", t.name, t.lease)

