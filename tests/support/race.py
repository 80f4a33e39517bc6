"""One harness for the tests that really race, on PostgreSQL with real commits.

A race test is marked ``postgres`` and ``no_transaction`` (nothing is rolled back for it), makes its rows with the
factories inside ``committed(app)`` blocks under ``real_commits(app)``, races with ``race(...)``, reads the
outcome afresh, and deletes what it made (``delete_people`` for people, whose audit trail is append-only)::

    pytestmark = [pytest.mark.postgres, pytest.mark.no_transaction]

    def test_ten_clicks_support_once(app):
        with real_commits(app):
            with committed(app):
                ...  # factories.people(1, prefix=f"racer_{tag()}"), ...
            outcomes = race(app, support, [(user_id, proposal_id)] * 10, before="INSERT INTO support_budgets")
            ...

``race`` runs each call in a thread of its own, with its own app context, session and connection, and holds the
racers at a barrier (just before the statement that decides, or before they start) so that they collide in the
database rather than one after another.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from sqlalchemy import delete, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from civic.accounts.models import User
from civic.audit import AuditEntry
from civic.db import db, make_engine
from civic.errors import DomainError

#: How long a racer waits at the barrier for the others before the race counts as broken.
BARRIER_SECONDS = 30


def tag() -> str:
    """A short random word for the names of rows that are really committed (no clash with other runs' rows)."""
    return uuid.uuid4().hex[:8]


@contextmanager
def real_commits(app, *, connections: int | None = None) -> Iterator[Engine]:
    """Sessions on the database itself for the length of the block, so that commits are real.

    The app's engine keeps at most 15 connections; ``connections=25`` binds the sessions to an engine of the
    test's own with that many, disposed of afterwards. Yields the engine the sessions use."""
    engine = make_engine(app.config["DATABASE_URL"], pool_size=connections, max_overflow=0) if connections \
        else db.engine
    db.factory.configure(bind=engine, join_transaction_mode="conditional_savepoint")
    try:
        yield engine
    finally:
        db.factory.configure(bind=db.engine, join_transaction_mode="conditional_savepoint")
        if engine is not db.engine:
            engine.dispose()


@contextmanager
def committed(app) -> Iterator[Session]:
    """An app context whose session is committed at the end of the block (when nothing was raised) and removed."""
    with app.app_context():
        try:
            yield db.session
            db.session.commit()
        finally:
            db.session.remove()


def race(app, fn: Callable[..., Any], calls: Sequence[tuple], *, before: str | Callable[[str], bool] | None = None,
         at_once: int | None = None) -> list:
    """Run ``fn(*call)`` for every call, ``at_once`` at a time (all of them by default), each in a thread with its
    own app context, session and connection; the session is committed when ``fn`` returns and rolled back when it
    refuses with a ``DomainError``.

    The racers of each wave wait for one another at a barrier: with ``before`` (the start of an SQL statement, or
    a test of one), just before the first statement of the call that matches it; without, before calling ``fn``.
    Returns the outcomes in the order of the calls: what ``fn`` returned, or the refusal's message. Any other
    error breaks the barrier (the others stop waiting) and is raised."""
    n = at_once or len(calls)
    assert len(calls) % n == 0, f"{len(calls)} calls do not make waves of {n}"
    line = threading.Barrier(n, timeout=BARRIER_SECONDS)
    if isinstance(before, str):
        prefix = before

        def matches(statement: str) -> bool:
            return statement.startswith(prefix)
    else:
        matches = before
    mine = threading.local()
    racers: set[int] = set()

    def hold(conn, cursor, statement, parameters, context, executemany):
        if getattr(mine, "waiting", False) and matches(statement):
            mine.waiting = False  # once per call: a call may run the statement again
            line.wait()

    def run(call: tuple) -> Any:
        racers.add(threading.get_ident())
        with app.app_context():
            try:
                if matches is None:
                    line.wait()
                else:
                    mine.waiting = True
                result = fn(*call)
                db.session.commit()
                return result
            except DomainError as e:
                db.session.rollback()
                return e.message
            except BaseException:
                line.abort()
                raise
            finally:
                mine.waiting = False
                db.session.remove()

    engine = db.factory.kw["bind"]
    event.listen(engine, "before_cursor_execute", hold)
    try:
        with ThreadPoolExecutor(n) as pool:
            outcomes = list(pool.map(run, calls))
    finally:
        event.remove(engine, "before_cursor_execute", hold)
    assert len(racers) == n, f"{len(racers)} threads raced, not {n}"
    return outcomes


@contextmanager
def audit_log_writable() -> Iterator[None]:
    """Inside the current transaction only, let rows of the append-only audit log be deleted or changed.

    Its trigger refuses even the empty ``SET actor_id = NULL`` that deleting a user causes. DDL is transactional
    in PostgreSQL, and the table lock keeps every other session out until the trigger is back on."""
    db.session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
    yield
    db.session.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))


def delete_people(user_ids: Iterable[int], *, audit_of: tuple[str, Iterable[int]] | None = None) -> None:
    """Delete the people a race test committed, and (``audit_of=("proposal", ids)``) the audit entries about those
    objects, in the current session; the caller commits."""
    with audit_log_writable():
        if audit_of is not None:
            object_type, ids = audit_of
            db.session.execute(delete(AuditEntry).where(AuditEntry.object_type == object_type,
                                                        AuditEntry.object_id.in_(list(ids))))
        db.session.execute(delete(User).where(User.id.in_(list(user_ids))))


def in_parallel(fn: Callable[..., Any], calls: Sequence[tuple], *, threads: int) -> list:
    """Run ``fn(*call)`` for every call, ``threads`` at a time, with no app context (clients of a live server,
    see ``tests/support/server.py``); returns what each returned, in the order of the calls."""
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda call: fn(*call), calls))
