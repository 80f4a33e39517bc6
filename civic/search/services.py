"""Search: keeping the index in step with the database, rebuilding it, and answering searches.

- :func:`drain` applies the outbox (``search_queue``) to the index: the documents are built from the database
  as it is *now*, so the index never holds something the database no longer says. One writer at a time
  (the backend's writer lock); a process that cannot take it leaves the rows to the holder, which looks at
  the queue again after letting go. A parent that appears in, leaves or changes in the index has its children
  queued too (a hidden proposal takes its comments with it).
- :func:`reindex` rebuilds the whole index aside and switches to it (``flask civic reindex``).
- :func:`search` answers a person: the backend finds keys, then every result is checked again in the
  database (a fixed number of queries per page: one or two per type shown) before it is shown.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_app_context, has_request_context
from markupsafe import Markup
from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import OperationalError

from civic import resources
from civic.db import db, utcnow
from civic.search import registry, suggest, synonyms
from civic.search.analysis import clean
from civic.search.backend import Backend, IndexedDocument, Progress, Query, Results
from civic.search.models import SearchQueue
from civic.search.postgres_backend import IndexBusy, PostgresBackend, PostgresWriter, claim
from civic.search.registry import PERIOD_STATES, PUBLIC, WHOLE_CITY, Document, SearchType, parse_key
from civic.search.whoosh_backend import WhooshBackend, digest
from civic.spaces.models import Programme, Ward
from civic.web import iso_time

log = logging.getLogger("civic.search")

#: Queue rows applied per index commit.
BATCH = 200
#: Tries of one drain step when SQLite reports the database locked by another writer.
RETRIES = 20
T = TypeVar("T")
#: Documents read from the database at a time by the reindex.
REINDEX_CHUNK = 1000
#: A query longer than this is cut (and the page says so).
MAX_QUERY_CHARS = 200
PER_PAGE = 20
#: Results are counted up to this many per type; pages go no further.
COUNT_LIMIT = 500
MAX_PAGE = COUNT_LIMIT // PER_PAGE


def max_page(per_page: int) -> int:
    """The last page that can be reached at ``per_page`` results a page (results are counted to COUNT_LIMIT)."""
    return max(1, COUNT_LIMIT // per_page)
#: Shown (and sent by the API) when the index cannot be read.
UNAVAILABLE = "Search is not working just now. Please try again later."


# The backend of this app ------------------------------------------------------------------------------------

_backends: dict[str, Backend] = {}
_backends_lock = threading.Lock()


#: Where the keys of changed objects wait on the session (:mod:`civic.search.capture`) until its commit.
PENDING = "civic.search.pending"


def note(session: Any, keys: Iterable[str]) -> None:
    """Note that the objects with these keys changed: they are queued for the index with the session's commit."""
    session.info.setdefault(PENDING, set()).update(keys)


def search_dir(app: Flask | None = None) -> Path:
    app = app or current_app
    return Path(app.config.get("SEARCH_DIR") or Path(app.instance_path) / "search")


def backend_name(app: Flask | None = None) -> str:
    """``CIVIC_SEARCH_BACKEND``, or by default postgres on a PostgreSQL database and whoosh otherwise."""
    app = app or current_app
    configured = app.config.get("SEARCH_BACKEND")
    if configured:
        if configured not in ("postgres", "whoosh"):
            raise ValueError("CIVIC_SEARCH_BACKEND must be postgres or whoosh")
        return configured
    return "postgres" if str(app.config.get("DATABASE_URL") or "").startswith("postgresql") else "whoosh"


def check_backend(app: Flask) -> None:
    """Refuse a backend the app cannot use (at start, with a message naming the setting)."""
    if backend_name(app) == "postgres" and not str(app.config.get("DATABASE_URL")).startswith("postgresql"):
        raise ValueError("CIVIC_SEARCH_BACKEND=postgres needs a PostgreSQL database (CIVIC_DATABASE_URL)")


_postgres: PostgresBackend | None = None


def backend(app: Flask | None = None) -> Backend:
    """The app's backend: the PostgreSQL table, or the Whoosh index of its ``SEARCH_DIR`` (one per directory
    and process)."""
    global _postgres
    if backend_name(app) == "postgres":
        if _postgres is None:
            _postgres = PostgresBackend()
        return _postgres
    root = str(search_dir(app).resolve())
    found = _backends.get(root)
    if found is None:
        with _backends_lock:
            found = _backends.get(root)
            if found is None:
                found = WhooshBackend(root)
                _backends[root] = found
    return found


# Documents --------------------------------------------------------------------------------------------------


def indexed(st: SearchType, ident: int, doc: Document) -> IndexedDocument:
    result = IndexedDocument(
        key=st.key(ident), type=st.name, title=clean(doc.title), body=clean(doc.body), wards=doc.wards,
        programme=doc.programme, state=doc.state, date=doc.date, starts=doc.starts, ends=doc.ends,
        audience=doc.audience, parent=doc.parent)
    result.digest = digest(result)
    return result


def documents_for(st: SearchType, ids: Sequence[int], session: Any = None) -> dict[int, Document | None]:
    """Documents for these ids as the database says now (missing or None: not to be indexed)."""
    session = session or db.session
    return st.build(session, st.load_objects(session, ids))


def enqueue(keys: Iterable[str]) -> None:
    """Queue keys by hand (after bulk inserts the session events cannot see); committed with the caller.

    A key that is not ``"type:id"`` or ``"type:*"`` raises ``ValueError`` here, before it reaches the queue."""
    rows = [{"key": registry.check_key(k)} for k in sorted(set(keys))]
    if rows:
        db.session.execute(insert(SearchQueue), rows)


# Draining the queue -----------------------------------------------------------------------------------------


def _children(keys: Iterable[str], session: Any = None) -> set[str]:
    """Keys of everything that hangs on these (the comments of a proposal, the proposals of a process)."""
    session = session or db.session
    parents: dict[str, list[int]] = defaultdict(list)
    for key in keys:
        name, ident = parse_key(key)
        if ident is not None:
            parents[name].append(ident)
    found: set[str] = set()
    for child in registry.types():
        if child.children is None:
            continue
        for parent_type, ids in parents.items():
            stmt = child.children(parent_type, ids)
            if stmt is not None:
                found.update(child.key(i) for i in session.scalars(stmt))
    return found


def _expand(keys: set[str]) -> set[str]:
    """``"type:*"`` becomes a queue row per object of the type (applied in later batches)."""
    wildcards = {k for k in keys if k.endswith(":*")}
    for key in wildcards:
        st = registry.find(key[:-2])
        if st is not None:
            enqueue(st.key(i) for i in db.session.scalars(select(st.model.id)))
    return keys - wildcards


def _apply(writer: Any, keys: set[str]) -> None:
    keys = _expand(keys)
    if getattr(writer, "claim", None) is not None:
        writer.claim()  # PostgreSQL: IndexBusy while a rebuild holds the index (the rows stay queued)
    docs, moved = _documents_and_moves(db.session, writer, keys)
    children = _children(moved) if moved else set()
    if children:
        enqueue(children)
        db.session.commit()  # before the index changes: a crash then means work done twice, never lost
        if getattr(writer, "claim", None) is not None:
            writer.claim()  # (a new transaction)
    writer.index(docs.values())
    writer.remove(keys - docs.keys())


def _documents_and_moves(session: Any, writer: Any, keys: set[str]) -> tuple[dict[str, IndexedDocument], set[str]]:
    """The documents of these keys as the database says now, and the keys whose document appears, goes or
    changes in the index (their children must follow)."""
    by_type: dict[str, list[int]] = defaultdict(list)
    for key in keys:
        name, ident = parse_key(key)
        by_type[name].append(ident)  # type: ignore[arg-type]
    docs: dict[str, IndexedDocument] = {}
    for name, ids in by_type.items():
        st = registry.find(name)
        if st is None:
            continue
        for ident, doc in documents_for(st, ids, session).items():
            if doc is not None:
                docs[st.key(ident)] = indexed(st, ident, doc)
    before = writer.digests(keys)
    moved = {k for k in keys if (k in before) != (k in docs) or (k in docs and before[k] != docs[k].digest)}
    return docs, moved


#: Children (a process's proposals and their comments...) written in the changing transaction itself at most;
#: beyond this many they are queued for the drainer, so that one click does not rewrite thousands of rows.
INLINE_CHILDREN = 500


def in_transaction() -> bool:
    """Whether changes are written to the index in the transaction that makes them (the PostgreSQL backend,
    unless ``CIVIC_SEARCH_DRAIN=off`` leaves everything to the queue)."""
    if not has_app_context():
        return False
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return app.config.get("SEARCH_DRAIN") != "off" and backend_name(app) == "postgres"


def apply_in_transaction(session: Any, keys: set[str]) -> set[str]:
    """Write the documents of these keys (and of their children) in the session's own transaction, just
    before it commits (:mod:`civic.search.capture`): with the PostgreSQL backend a change is searchable on
    every server the moment it commits, and rolled back with it. Returns the keys to queue instead: ``type:*``,
    children beyond ``INLINE_CHILDREN``, everything while a rebuild holds the index, and keys whose document
    could not be built (logged; the drain tries them one by one)."""
    if not claim(session):
        return set(keys)
    writer = PostgresWriter(session)
    queue = {k for k in keys if k.endswith(":*")}
    todo = {k for k in keys if k not in queue and registry.find(parse_key(k)[0]) is not None}
    seen = set(todo)
    budget = INLINE_CHILDREN
    while todo:
        try:
            with session.begin_nested():  # a document that cannot be built must not fail the request
                docs, moved = _documents_and_moves(session, writer, todo)
                writer.index(docs.values())
                writer.remove(todo - docs.keys())
        except Exception:  # noqa: BLE001 - queued instead; the drain logs and drops what still fails
            log.exception("search: could not index %d keys in the transaction; queued instead", len(todo))
            return queue | todo
        children = _children(moved, session) - seen if moved else set()
        if len(children) > budget:
            return queue | children
        budget -= len(children)
        seen |= children
        todo = children
    return queue


def _busy(error: OperationalError) -> bool:
    """SQLite refusing a write because another connection wrote since this transaction read (retry it)."""
    return db.session.get_bind().dialect.name == "sqlite" and "locked" in str(error.orig)


def _retrying(step: Callable[[], T]) -> T:
    """Run a step of the drain again when SQLite says the database is locked (the step is idempotent)."""
    for attempt in range(RETRIES):
        try:
            return step()
        except OperationalError as e:
            if not _busy(e) or attempt == RETRIES - 1:
                raise
            db.session.rollback()
            time.sleep(0.02 * (attempt + 1))
    raise AssertionError("unreachable")


def _apply_one_by_one(writer: Any, keys: set[str]) -> None:
    """After a batch failed: each key on its own, so one bad key (malformed, or a type whose documents
    raise) is logged and dropped instead of holding up every row behind it. What a key queued (children,
    a wildcard's rows) is committed as soon as it succeeds, before a later key's failure rolls back."""
    for key in sorted(keys):
        try:
            _apply(writer, {key})
            db.session.commit()
        except IndexBusy:
            raise
        except OperationalError as e:
            if _busy(e):
                raise  # the whole batch is tried again (every step is idempotent)
            db.session.rollback()
            log.exception("search: could not apply queued key %r; dropped from the queue", key)
        except Exception:  # noqa: BLE001 - one key must not stop the queue
            db.session.rollback()
            log.exception("search: could not apply queued key %r; dropped from the queue", key)


def drain(limit: int | None = None, wait: float = 0.0) -> int:
    """Apply queued changes to the index; returns how many queue rows were applied.

    Commits the session (use it after the request's own commit). Gives up at once (0) when another writer
    holds the index: that one looks at the queue again after it lets go, so no change is left behind.
    """
    b = backend()
    done = 0
    shared = getattr(b, "transactional", False)  # PostgreSQL: several servers drain at once, each its own rows

    def batch(writer: Any, size: int) -> int:
        taking = select(SearchQueue.id, SearchQueue.key).order_by(SearchQueue.id).limit(size)
        if shared:
            taking = taking.with_for_update(skip_locked=True)
        rows = db.session.execute(taking).all()
        if rows:
            keys = {key for _id, key in rows}
            try:
                _apply(writer, keys)
            except IndexBusy:
                raise
            except OperationalError as e:
                if _busy(e):
                    raise
                db.session.rollback()
                log.warning("search: a batch of %d queued keys failed (%s); applying them one by one", len(keys), e)
                _apply_one_by_one(writer, keys)
            except Exception as e:  # noqa: BLE001 - find the bad key(s); the others go on
                db.session.rollback()
                log.warning("search: a batch of %d queued keys failed (%s); applying them one by one", len(keys), e)
                _apply_one_by_one(writer, keys)
            writer.commit()
            db.session.execute(delete(SearchQueue).where(SearchQueue.id.in_([i for i, _k in rows])))
        db.session.commit()  # also ends the read, so the next look sees what others committed meanwhile
        return len(rows)

    while True:
        applied = -1
        with b.writer(wait=wait) as writer:
            if writer is None:
                return done
            while limit is None or done < limit:
                size = BATCH if limit is None else min(BATCH, limit - done)
                try:
                    applied = _retrying(lambda: batch(writer, size))  # noqa: B023 - called at once
                except IndexBusy:  # a rebuild began: it drains the queue when it is done
                    db.session.rollback()
                    return done
                if not applied:
                    break
                done += applied
        if shared and applied == 0:
            db.session.commit()
            return done  # what is left is locked by another server's drain
        if limit is not None and done >= limit:
            return done
        if _retrying(lambda: db.session.scalar(select(SearchQueue.id).limit(1))) is None:
            db.session.commit()
            return done


def queued() -> int:
    return db.session.scalar(select(func.count()).select_from(SearchQueue)) or 0


def after_commit() -> None:
    """Queued by a commit that wrote to the search queue (:mod:`civic.search.capture`), run once it committed:
    with ``CIVIC_SEARCH_DRAIN=thread`` the drainer is woken (in a request; a web worker lives on) or the queue
    is drained before going on (a CLI command, a job or a scheduled task — whose request context is marked
``g.civic_background`` — the process may end before a thread would); with
    ``request`` a request's changes are applied to the index now, before its response leaves (tests; small
    sites; outside a request ``request`` mode leaves them queued, for ``flask civic search-drain``)."""
    if not has_app_context():
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    mode = app.config.get("SEARCH_DRAIN")
    if mode == "thread":
        if has_request_context() and not g.get("civic_background"):
            wake(app)
        else:
            drain_now(app)
    elif mode == "request" and has_request_context():
        try:
            drain()
        except Exception:  # noqa: BLE001 - the change is committed; the queue keeps it for the next drain
            log.exception("search: draining after the commit failed; the queue keeps the changes")
            db.session.rollback()


class Drainer:
    """A daemon thread per process that drains the queue when woken (after a commit that queued something)
    and every ``SEARCH_DRAIN_INTERVAL`` seconds, for rows another process left behind. It ends when
    :meth:`stop` is called or ``SEARCH_DRAIN`` is no longer ``thread`` (a later :meth:`wake` starts another)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.event = threading.Event()
        self.pid: int | None = None
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def running(self) -> bool:
        """Whether this process's thread is alive (False in a fork: the thread stayed in the parent)."""
        return self.pid == os.getpid() and self.thread is not None and self.thread.is_alive()

    def wake(self) -> None:
        with self.lock:
            if not self.running:  # not started in this process yet (or we are a fork, or it stopped)
                self.pid = os.getpid()
                self.event = threading.Event()
                self._stopping = threading.Event()
                self.thread = threading.Thread(target=self._run, args=(self.event, self._stopping),
                                               name="civic-search-drainer", daemon=True)
                self.thread.start()
        self.event.set()

    def stop(self, timeout: float = 10.0) -> None:
        """End the thread (after the drain it may be in) and wait for it."""
        with self.lock:
            thread, self.thread = self.thread, None
            self._stopping.set()
            self.event.set()
        if thread is not None and thread is not threading.current_thread() and self.pid == os.getpid():
            thread.join(timeout)

    def _wanted(self, stopping: threading.Event) -> bool:
        return not stopping.is_set() and self.app.config.get("SEARCH_DRAIN") == "thread"

    def _run(self, event: threading.Event, stopping: threading.Event) -> None:
        while self._wanted(stopping):
            event.wait(timeout=float(self.app.config.get("SEARCH_DRAIN_INTERVAL", 60)))
            event.clear()
            if not self._wanted(stopping):
                return
            with self.app.app_context():
                try:
                    drain(wait=1.0)
                except Exception:  # noqa: BLE001 - keep the thread alive; the rows stay queued
                    log.exception("search: draining the queue failed; trying again later")
                    db.session.rollback()
                finally:
                    db.session.remove()


def _drainer(app: Flask) -> Drainer:
    drainer = app.extensions.get("civic.search.drainer")
    if drainer is None:
        drainer = app.extensions.setdefault("civic.search.drainer", Drainer(app))
    return drainer


def wake(app: Flask) -> None:
    _drainer(app).wake()


def stop_drainer(app: Flask) -> None:
    """Stop the app's drainer thread, if any, and forget it (tests; a clean shutdown)."""
    drainer = app.extensions.pop("civic.search.drainer", None)
    if drainer is not None:
        drainer.stop()


def start_drainer(app: Flask) -> None:
    """A web worker's first request: in ``thread`` mode, start this process's drainer, which drains at once
    whatever waits in the queue (rows left by a process that ended before applying them)."""
    if app.config.get("SEARCH_DRAIN") == "thread" and not _drainer(app).running:
        wake(app)


def drain_now(app: Flask) -> None:
    """Drain before going on, outside a request (a CLI command, a job): a daemon thread would die with the
    process. Runs in a thread of its own (its own session: the caller's is in the middle of its commit) and
    waits for it; never raises (the rows stay queued for the next drain)."""

    def run() -> None:
        with app.app_context():
            try:
                drain(wait=1.0)  # a holder of the writer lock looks at the queue again after
            except Exception:  # noqa: BLE001 - the change is committed; the queue keeps it
                log.exception("search: draining after the commit failed; the queue keeps the changes")
                db.session.rollback()
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, name="civic-search-drain-now")
    thread.start()
    thread.join()


# Rebuilding -------------------------------------------------------------------------------------------------


def _all_documents(session: Any, progress: Progress | None, total: int) -> Iterator[IndexedDocument]:
    done = 0
    for st in registry.types():
        last = 0
        while True:
            ids = list(session.scalars(select(st.model.id).where(st.model.id > last).order_by(st.model.id)
                                       .limit(REINDEX_CHUNK)))
            if not ids:
                break
            last = ids[-1]
            built = st.build(session, st.load_objects(session, ids))
            for ident in ids:
                doc = built.get(ident)
                if doc is not None:
                    yield indexed(st, ident, doc)
            done += len(ids)  # (the session's identity map holds its objects weakly: memory stays flat)
            if progress is not None:
                progress(done, total)


def count_objects() -> int:
    return sum(db.session.scalar(select(func.count()).select_from(st.model)) or 0 for st in registry.types())


def reindex(progress: Progress | None = None) -> int:
    """Rebuild the index from the database aside from the live one, switch to it, then apply what was
    queued meanwhile. Searching goes on against the old index during the build. Returns documents indexed."""
    total = count_objects()
    count = backend().rebuild(_all_documents(db.session, progress, total))
    drain()
    return count


# Searching --------------------------------------------------------------------------------------------------


@dataclass
class Params:
    """What the person asked, already checked (``forms.SearchForm``)."""

    q: str = ""
    type: str = ""
    ward: str = ""
    programme: str = ""
    state: str = ""
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    per_page: int = PER_PAGE
    parent: str | None = None
    #: A page past the last one: the last page, said in a note (the page), or an empty page (the API).
    past_the_end: str = "last"


@dataclass
class Result:
    type: str
    type_label: str
    id: int
    title: Markup
    snippet: Markup
    url: str
    date: datetime | None
    places: list[str]
    state: str
    context: str
    object: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "type_label": self.type_label, "id": self.id, "title": self.title.striptags(),
                "title_html": str(self.title), "snippet_html": str(self.snippet), "snippet": self.snippet.striptags(),
                "url": self.url, "date": iso_time(self.date), "places": self.places,
                "state": self.state or None, "context": self.context or None}


@dataclass
class TypeCount:
    name: str
    label: str
    count: int
    capped: bool

    @property
    def shown(self) -> str:
        return f"{self.count:,}+" if self.capped else f"{self.count:,}"


@dataclass
class SearchPage:
    params: Params
    results: list[Result] = field(default_factory=list)
    counts: list[TypeCount] = field(default_factory=list)
    total: int = 0
    capped: bool = False
    notes: list[str] = field(default_factory=list)
    all_words: bool = True
    searched: bool = False
    #: The index could not be read (the page says so; the API answers 503).
    unavailable: bool = False
    #: Synonyms searched besides the words typed (``civic.search.synonyms``), for the page to say so.
    also_searched: list[str] = field(default_factory=list)
    #: "Did you mean ...?": the query with near-miss spellings corrected from the index's terms
    #: (``civic.search.suggest``), when nothing, or nothing with all the words, was found.
    suggestion: str | None = None

    @property
    def per_page(self) -> int:
        return self.params.per_page

    @property
    def page(self) -> int:
        return self.params.page

    @property
    def pages(self) -> int:
        return max(1, min(max_page(self.per_page), -(-self.total // self.per_page)))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def total_shown(self) -> str:
        return f"{self.total:,}+" if self.capped else f"{self.total:,}"

    def as_dict(self) -> dict[str, Any]:
        p = self.params
        return {
            "query": p.q, "filters": {"type": p.type or None, "ward": p.ward or None,
                                      "programme": p.programme or None, "state": p.state or None,
                                      "from": p.date_from.isoformat() if p.date_from else None,
                                      "to": p.date_to.isoformat() if p.date_to else None},
            "total": self.total, "total_is_lower_bound": self.capped,
            "counts": {c.name: c.count for c in self.counts},
            "page": self.page, "pages": self.pages, "per_page": self.per_page,
            "all_words": self.all_words, "messages": self.notes, "suggestion": self.suggestion,
            "results": [r.as_dict() for r in self.results],
        }


def clean_query(text: str | None) -> tuple[str, list[str]]:
    """The query as searched: no control characters, single spaces, at most ``MAX_QUERY_CHARS``."""
    notes: list[str] = []
    text = " ".join(clean(text).split())
    if len(text) > MAX_QUERY_CHARS:
        cut = text[:MAX_QUERY_CHARS]
        text = cut.rsplit(" ", 1)[0] if " " in cut else cut
        notes.append(f"Your search was long, so only its first {MAX_QUERY_CHARS} characters were used.")
    return text, notes


def audiences(user: Any) -> frozenset[str]:
    found = {PUBLIC}
    for st in registry.types():
        if st.audiences is not None:
            found |= set(st.audiences(user))
    return frozenset(found)


_places_cache: tuple[float, dict[str, str]] | None = None


def _places() -> dict[str, str]:
    """Ward and programme names by slug (reference data: kept a minute per process)."""
    global _places_cache
    if _places_cache is not None and _places_cache[0] > time.monotonic() and not current_app.testing:
        return _places_cache[1]
    names = {slug: name for slug, name in db.session.execute(select(Ward.slug, Ward.name))}
    names[WHOLE_CITY] = "Whole city"
    names.update({f"programme:{slug}": name for slug, name in db.session.execute(
        select(Programme.slug, Programme.name))})
    _places_cache = (time.monotonic() + 60, names)
    return names


def _url(st: SearchType, obj: Any) -> str:
    if st.url is not None:
        return st.url(obj)
    rt = resources.find(st.name)
    url = rt.url_of(obj) if rt is not None else None
    if url is not None:
        return url
    raise LookupError(f"search type {st.name!r} has no url")


def _state_label(st: SearchType, doc: Document, now: datetime) -> str:
    if doc.state and doc.state in st.states:
        return st.states[doc.state]
    if doc.starts is not None and doc.ends is not None:
        if doc.starts > now:
            return PERIOD_STATES["upcoming"]
        return PERIOD_STATES["open"] if doc.ends > now else PERIOD_STATES["past"]
    return ""


def _resolve(results: Results, query: Query, b: Backend) -> tuple[list[Result], set[str]]:
    """The hits that are still public (or in the person's audiences), as the database says now; and the keys
    of the hits the database check dropped (the index is behind on them)."""
    by_type: dict[str, list[int]] = defaultdict(list)
    for hit in results.hits:
        try:
            name, ident = parse_key(hit.key)
        except ValueError:
            continue
        if ident is not None:
            by_type[name].append(ident)
    found: dict[str, tuple[SearchType, Any, Document]] = {}
    for name, ids in by_type.items():
        st = registry.find(name)
        if st is None:
            continue
        objs = st.load_objects(db.session, ids)  # (fresh rows: the loaders populate existing objects)
        docs = st.build(db.session, objs)
        for obj in objs:
            doc = docs.get(obj.id)
            if doc is not None and (doc.audience == PUBLIC or doc.audience in query.audiences):
                found[st.key(obj.id)] = (st, obj, doc)
    dropped = {hit.key for hit in results.hits if hit.key not in found}
    if not found:
        return [], dropped
    names = _places()
    now = query.now or utcnow()
    shown: list[Result] = []
    for hit in results.hits:
        if hit.key not in found:
            continue
        st, obj, doc = found[hit.key]
        places = [names.get(w, w) for w in doc.wards]
        if doc.programme:
            places.append(names.get(f"programme:{doc.programme}", doc.programme))
        title = b.highlight(query, doc.title) if doc.title else Markup.escape(doc.context or st.label)
        shown.append(Result(
            type=st.name, type_label=st.label, id=obj.id, title=title,
            snippet=b.highlight(query, doc.body, 240), url=_url(st, obj), date=doc.date, places=places,
            state=_state_label(st, doc, now), context=doc.context if doc.title else "", object=obj))
    return shown, dropped


def _requeue(keys: set[str]) -> None:
    """Hits the database check dropped go back to the queue, so the drainer takes them out of the index (or
    puts them right); noted on the session like any change, they are written with the request's commit."""
    wanted = set()
    for key in keys:
        try:
            name, ident = parse_key(key)
        except ValueError:
            continue
        if ident is not None and registry.find(name) is not None:
            wanted.add(key)
    if wanted:
        note(db.session(), wanted)

def _last_page(results: Results, params: Params) -> int:
    total = results.total([params.type] if params.type else [])
    return max(1, min(max_page(params.per_page), -(-total // params.per_page)))


def make_query(params: Params, user: Any, text: str) -> Query:
    return Query(
        text=text, types=[params.type] if params.type else [], ward=params.ward or None,
        programme=params.programme or None, state=params.state or None,
        date_from=params.date_from, date_to=params.date_to,
        parent=params.parent, audiences=audiences(user), page=params.page, per_page=params.per_page,
        now=utcnow(), count_limit=COUNT_LIMIT, synonyms=synonyms.current())


def search(user: Any, params: Params) -> SearchPage:
    """One page of results for this person, each checked against the database; never raises for any text."""
    raw = params.q or ""
    text, notes = clean_query(raw)
    params.q = text
    asked = params.page
    params.page = max(1, min(params.page, max_page(params.per_page)))
    empty_past_the_end = False
    page = SearchPage(params=params, notes=notes)
    if not text:
        if raw:
            page.notes.append("There was nothing to search for in that: type some words, such as cycle lane or "
                              "damp.")
        return page
    page.searched = True
    query = make_query(params, user, text)
    try:
        b = backend()
        results = b.query(query)
        last = _last_page(results, params)
        if asked > last and params.past_the_end == "empty":  # the API: an empty page past the last
            empty_past_the_end = True
        elif params.page > last:  # past the last page: show the last one instead, and say so
            params.page = last
            if results.total(query.types):
                page.notes.append(f"There is no page {asked:,} of these results, so this is the last one."
                                  if last > 1 else f"There is no page {asked:,} of these results: they all fit "
                                  "on this one.")
                query.page = last
                results = b.query(query)
    except Exception:  # noqa: BLE001 - a broken or missing index must not become a server error
        log.exception("search: the index could not be searched (%s)", backend_name())
        page.searched = False
        page.unavailable = True
        page.notes.append(UNAVAILABLE)
        return page
    page.notes += results.notes
    page.all_words = results.all_words
    page.also_searched = query.synonyms.also_searched(text)
    page.results, dropped = _resolve(results, query, b)
    stale: dict[str, int] = defaultdict(int)  # counted by the index, refused by the database
    for key in dropped:
        stale[key.partition(":")[0]] += 1
    _requeue(dropped)
    for st in registry.types():
        n = max(0, results.counts.get(st.name, 0) - stale[st.name])
        page.counts.append(TypeCount(st.name, st.plural, n, st.name in results.capped))
    chosen = [c for c in page.counts if not params.type or c.name == params.type]
    page.total = sum(c.count for c in chosen)
    page.capped = any(c.capped for c in chosen)
    if params.page == 1 and not page.capped and page.total <= params.per_page:
        page.total = len(page.results)  # everything is on this page: the checked count is the count
    if not page.results and not page.total and not page.notes:
        page.notes.append("Nothing matched your search. Try fewer or different words, or fewer filters.")
    elif not results.all_words:
        page.notes.append("Nothing had all of your words, so these results have some of them.")
    if not page.total or not page.all_words:
        page.suggestion = _suggestion(text, query, b)
    if empty_past_the_end:
        page.results = []
        params.page = asked
    return page


def _suggestion(text: str, query: Query, b: Backend) -> str | None:
    try:
        return suggest.suggestion(text, query, b)
    except Exception:  # noqa: BLE001 - a suggestion is a help: its failure must not fail the search
        log.exception("search: no suggestion for %r", text)
        return None


def matching_ids(type_name: str, text: str, *, parent: str | None = None, limit: int = 500) -> list[int]:
    """Ids of public objects of a type matching the text, best first (for "search inside lists"). Not checked
    against the database: the list's own query does that."""
    text, _notes = clean_query(text)
    if not text or registry.find(type_name) is None:
        return []
    query = Query(text=text, types=[type_name], parent=parent, per_page=limit, count_limit=limit, now=utcnow(),
                  synonyms=synonyms.current(), relax=False)
    try:
        results = backend().query(query)
    except Exception:  # noqa: BLE001 - the list still filters by its own words
        log.exception("search: the list search failed")
        return []
    ids = []
    for hit in results.hits:
        _name, ident = parse_key(hit.key)
        if ident is not None:
            ids.append(ident)
    return ids


def status() -> dict[str, Any]:
    info = dict(backend().stats())
    info["queued"] = queued()
    info["types"] = [st.name for st in registry.types()]
    return info

