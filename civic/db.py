"""SQLAlchemy 2 engine and session, the declarative Base, shared column types and the after-commit queue.

One transaction per request, CLI command or job: services add and flush, and the request (see
:mod:`civic.request_cycle`), the command or the job commits once or rolls back.

What must happen only once the change is committed (mail, events, jobs, waking the search drainer,
deleting a replaced file) is queued with :func:`after_commit` and runs after the session's outermost
commit, in the order it was queued; a rollback drops it, and so does rolling back the savepoint it was
queued in. Releasing a savepoint (``begin_nested``) runs nothing. :func:`after_rollback` is the other
half: undo work done outside the database (a file saved) when the change does not happen.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, abort, current_app, has_app_context, has_request_context, request
from sqlalchemy import DateTime, MetaData, Select, create_engine, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    SessionTransaction,
    mapped_column,
    scoped_session,
    sessionmaker,
)
from sqlalchemy.types import TypeDecorator

log = logging.getLogger("civic.db")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC and always returned timezone-aware (UTC), on every database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Civic stores timezone-aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


#: Requests with these methods only read (WAL lets them read beside a writer), unless their view says otherwise.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def writes_on_get(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view that writes although it answers GET (a confirmation link, opening a notification): on SQLite
    its transaction takes the write lock at once, like a POST's. Put it under the route decorator."""
    view.civic_writes = True  # type: ignore[attr-defined]
    return view


def begins_immediate() -> bool:
    """Whether a transaction starting now on SQLite begins IMMEDIATE (takes the write lock at once).

    Yes for requests that write (POST, PUT, PATCH, DELETE, and GET views marked :func:`writes_on_get`), CLI
    commands, jobs and scheduled tasks; no for reading requests. A transaction that began with a plain (deferred)
    BEGIN, read, and then writes must upgrade its read snapshot to a write lock; when another connection has
    committed in between, SQLite refuses at once ("database is locked", SQLITE_BUSY_SNAPSHOT) and the busy
    timeout cannot help. Beginning IMMEDIATE makes writers queue at BEGIN instead, where the busy timeout waits."""
    if not has_request_context():
        return True
    if request.method not in SAFE_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "civic_writes", False))


def _configure_sqlite(engine: Engine) -> None:
    """Foreign keys on, WAL for concurrent readers, a busy timeout, writers beginning IMMEDIATE, and real
    SAVEPOINT support.

    pysqlite's own transaction handling breaks SAVEPOINT; we let SQLAlchemy emit BEGIN, IMMEDIATE when
    :func:`begins_immediate` says so (``conn.info["immediate"]`` = True or False overrides it for a connection).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - trivial wiring
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 10000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover - trivial wiring
        immediate = conn.info.get("immediate")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if (begins_immediate() if immediate is None else immediate)
                             else "BEGIN")

    @event.listens_for(engine, "handle_error")
    def _on_error(context):  # a file made writable again is written at once, not after a restart
        # SQLite decides at connect whether a connection may write: one opened while the file was read-only
        # keeps refusing ("attempt to write a readonly database") after the file is writable again. Treat that
        # error as a lost connection, so the pool is emptied and the next checkout connects afresh.
        if "readonly database" in str(context.original_exception):
            context.is_disconnect = True


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


class Database:
    """The engine and a request-scoped session; ``db.session`` is what services use."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self._url: str | None = None
        self.factory = sessionmaker(expire_on_commit=False)
        self.session = scoped_session(self.factory)

    def init_app(self, app: Flask) -> None:
        url = app.config["DATABASE_URL"]
        # A second app on the same database (tests, CLI) shares the engine and its binding.
        if self.engine is None or self._url != url:
            self.engine = make_engine(url)
            self._url = url
            self.factory.configure(bind=self.engine)
        app.extensions["civic.db"] = self

        @app.teardown_appcontext
        def _remove_session(_exc: BaseException | None) -> None:
            self.session.remove()


db = Database()


# The after-commit queue ----------------------------------------------------------------------------------------

_QUEUE = "civic.after_commit"  # [(on_commit, fn, args, kwargs)] of the session's current transaction
_MARKS = "civic.after_commit.marks"  # {open savepoint: length of the queue when it began}
_COMMITTED = "civic.after_commit.committed"  # the outermost transaction has just committed

_Entry = tuple[bool, Callable[..., Any], tuple, dict]


def after_commit(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
    """Call ``fn(*args, **kwargs)`` once ``db.session``'s outermost transaction has committed; never if it
    rolls back (or the savepoint it was queued in does).

    Calls run in the order they were queued, in requests, CLI commands and jobs alike, after the commit has
    returned control of the session: a call may use ``db.session`` (in a new transaction, which it commits
    itself). What a call queues in turn runs after that commit of its own, or, if it commits nothing, right
    after the calls already waiting. A call that raises is logged and the others still run; under test
    (``TESTING``) the first error is raised again once all have run, so a mistake cannot hide.
    """
    _queue(db.session(), (True, fn, args, kwargs))


def after_rollback(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
    """Call ``fn(*args, **kwargs)`` if ``db.session``'s transaction (or the savepoint it is queued in) is
    rolled back or closed without a commit; never after a commit. Errors are logged, never raised."""
    _queue(db.session(), (False, fn, args, kwargs))


def after_commit_of(session: Session, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
    """:func:`after_commit` for a given session (session event listeners, sessions of their own)."""
    _queue(session, (True, fn, args, kwargs))


def pending_after_commit(session: Session | None = None) -> list[Callable[..., Any]]:
    """The functions waiting for the session's commit, in order (to avoid queuing a thing twice)."""
    entries = (session or db.session()).info.get(_QUEUE, [])
    return [fn for on_commit, fn, _args, _kwargs in entries if on_commit]


def discard_after_commit(fn: Callable[..., Any], session: Session | None = None) -> int:
    """Drop the waiting calls of ``fn`` (e.g. a seeder that made history nobody is to be told about);
    returns how many were dropped."""
    entries = (session or db.session()).info.get(_QUEUE, [])
    kept = [e for e in entries if not (e[0] and e[1] is fn)]
    dropped = len(entries) - len(kept)
    entries[:] = kept
    return dropped


def _queue(session: Session, entry: _Entry) -> None:
    if not session.in_transaction():
        session.begin()  # lazy: no connection, no SQL; the queue belongs to this transaction from now on
    session.info.setdefault(_QUEUE, []).append(entry)


def _run(entries: list[_Entry], on_commit: bool) -> list[BaseException]:
    errors: list[BaseException] = []
    for when, fn, args, kwargs in entries:
        if when is not on_commit:
            continue
        try:
            fn(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - the transaction is over; the others must still run
            log.exception("after the %s: %s failed", "commit" if on_commit else "rollback",
                          getattr(fn, "__qualname__", fn))
            errors.append(e)
    return errors


@event.listens_for(Session, "after_transaction_create")
def _savepoint_began(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        session.info.setdefault(_MARKS, {})[transaction] = len(session.info.get(_QUEUE, ()))


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    nested = session.get_nested_transaction()
    if nested is not None:  # a savepoint released: what it queued now waits for the outer commit
        session.info.get(_MARKS, {}).pop(nested, None)
    else:
        session.info[_COMMITTED] = True


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        mark = session.info.get(_MARKS, {}).pop(transaction, None)
        if mark is not None:  # rolled back: what it queued goes with it
            entries = session.info.get(_QUEUE, [])
            dropped, entries[mark:] = entries[mark:], []
            _run(dropped, on_commit=False)
        return
    if transaction.parent is not None:  # a flush's inner transaction
        return
    committed = session.info.pop(_COMMITTED, False)
    session.info.pop(_MARKS, None)
    entries = session.info.pop(_QUEUE, [])
    if not committed:
        _run(entries, on_commit=False)
        return
    errors: list[BaseException] = []
    waiting = deque(entries)
    while waiting:
        entry = waiting.popleft()
        errors += _run([entry], on_commit=True)
        # What the call queued and did not commit itself (a handler sending mail) runs in this round too.
        left = session.info.pop(_QUEUE, None)
        if left:
            session.info.pop(_MARKS, None)
            waiting.extend(left)
    if errors and has_app_context() and current_app.testing:
        raise errors[0]


def get_or_404(model: type, ident: Any) -> Any:
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


@dataclass
class Page:
    """One page of results, for templates and the JSON API alike."""

    items: Sequence[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(stmt: Select, page: int, per_page: int, *, scalars: bool = True) -> Page:
    """Run ``stmt`` for one page, with one COUNT query beside it: two queries in all."""
    page = max(1, page)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    result = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    items = result.scalars().all() if scalars else result.all()
    return Page(items=items, page=page, per_page=per_page, total=total)
