"""The PostgreSQL backend: the index is a table of the database (``search_documents``), so every app server
searches the same index, and a change is in it as soon as the request that made it commits.

- **Storage**: one row per document; ``tsv`` is a ``tsvector`` built from Civic's own analysis
  (:func:`civic.search.analysis.tsvector`: folded, stemmed, title words weighted ``A``, body words ``B``), with
  a GIN index; the filters are plain columns (wards a text array with a GIN index).
- **Writing**: in the transaction that changed the object (:func:`civic.search.services.apply_in_transaction`,
  from the session's ``before_commit``), ``INSERT ... ON CONFLICT (key) DO UPDATE`` and ``DELETE``. Queued keys
  (bulk loads, ``type:*``, a request that ran during a rebuild) are drained as with Whoosh, by any server at
  once: the queue's rows are taken ``FOR UPDATE SKIP LOCKED``.
- **Rebuilding**: ``DELETE`` and ``INSERT`` of every document in one transaction under an exclusive advisory
  lock; searches read the old rows until it commits. Writers take the same lock shared (``try``, never
  waiting): during a rebuild they queue their keys instead, and the rebuild drains the queue after.
- **Querying**: the query is read by the same parser as the Whoosh backend's (:func:`whoosh_backend.parse`:
  words, "phrases", prefix*, AND/OR/NOT, -word, synonyms) and written as a ``tsquery`` (``&``, ``|``, ``!``,
  ``<->``, ``:*``); ranked with ``ts_rank`` (a title word weighs three times a body word), counted per type
  with ``GROUP BY``, highlighted in Python with the same analysis (:func:`whoosh_backend.highlight`).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlalchemy import bindparam, cast, delete, func, select, text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session
from whoosh import query as wq

from civic.db import db
from civic.search.analysis import ANALYZER, lexeme, tsvector
from civic.search.backend import KNOWN_LIMIT, Hit, IndexedDocument, Query, Results
from civic.search.models import SearchDocument
from civic.search.registry import PERIOD_STATES, WHOLE_CITY
from civic.search.whoosh_backend import highlight, parsed_query

log = logging.getLogger("civic.search")
UK = ZoneInfo("Europe/London")
#: The advisory lock of the index: a rebuild holds it exclusively, writers try it shared.
LOCK = 0x63697669635F7331  # "civic_s1"
#: ``ts_rank`` weights for {D, C, B, A}: a title word (A) weighs three times a body word (B), as with Whoosh.
WEIGHTS = "{0.1, 0.2, 0.333333, 1.0}"
#: Rows written per statement.
CHUNK = 500


class Unsupported(Exception):
    """A query node without a ``tsquery`` form."""


def tsquery(q: wq.Query) -> str | None:
    """A parsed query as a ``tsquery`` literal (None: nothing to look for)."""
    if q is wq.NullQuery:
        return None
    if isinstance(q, wq.Term):
        return lexeme(q.text)
    if isinstance(q, wq.Phrase):
        words = [lexeme(w) for w in q.words]
        joiner = " <-> " if (q.slop or 1) <= 1 else f" <{int(q.slop)}> "
        return "(" + joiner.join(words) + ")" if len(words) > 1 else (words[0] if words else None)
    if isinstance(q, wq.Prefix):
        return f"{lexeme(q.text)}:*"
    if isinstance(q, wq.Wildcard):  # cyc?e: every word beginning "cyc" (docs/search.md names the difference)
        literal = re.split(r"[*?]", q.text, maxsplit=1)[0]
        return f"{lexeme(literal)}:*" if literal else None
    if isinstance(q, wq.Not):
        inner = tsquery(q.query)
        return f"!{inner}" if inner else None
    if isinstance(q, wq.AndNot):
        a, b = tsquery(q.a), tsquery(q.b)
        return f"({a} & !{b})" if a and b else a
    if isinstance(q, wq.AndMaybe):
        return tsquery(q.a)
    if isinstance(q, wq.Require):
        parts = [p for p in (tsquery(q.a), tsquery(q.b)) if p]
        return "(" + " & ".join(parts) + ")" if parts else None
    if isinstance(q, wq.And | wq.Or):
        parts = [p for p in (tsquery(s) for s in q.subqueries) if p]
        if not parts:
            return None
        joiner = " & " if isinstance(q, wq.And) else " | "
        return "(" + joiner.join(parts) + ")" if len(parts) > 1 else parts[0]
    raise Unsupported(type(q).__name__)


def _words(q: wq.Query) -> list[str]:
    """The plain words of a query (when it has a node without a ``tsquery`` form)."""
    return [t for _field, t in q.iter_all_terms() if isinstance(t, str)] if hasattr(q, "iter_all_terms") else []


def _day(moment: datetime | None):
    if moment is None:
        return None
    return (moment.astimezone(UK) if moment.tzinfo else moment.replace(tzinfo=UTC).astimezone(UK)).date()


def row(doc: IndexedDocument) -> dict[str, Any]:
    _name, _sep, ident = doc.key.partition(":")
    return {"key": doc.key, "type": doc.type, "ident": int(ident) if ident.isdigit() else 0, "title": doc.title,
            "body": doc.body, "wards": list(doc.wards), "programme": doc.programme, "state": doc.state,
            "date": doc.date, "day": _day(doc.date), "starts": doc.starts, "ends": doc.ends,
            "audience": doc.audience, "parent": doc.parent, "digest": doc.digest,
            "tsv_text": tsvector(doc.title, doc.body)}


_COLUMNS = ("key", "type", "ident", "title", "body", "wards", "programme", "state", "date", "day", "starts",
            "ends", "audience", "parent", "digest")


def _insert():
    values = {c: bindparam(c, type_=SearchDocument.__table__.c[c].type) for c in _COLUMNS}
    values["tsv"] = cast(bindparam("tsv_text"), TSVECTOR)
    return pg_insert(SearchDocument).values(values)


def _upsert():
    stmt = _insert()
    return stmt.on_conflict_do_update(index_elements=["key"],
                                      set_={c: stmt.excluded[c] for c in (*_COLUMNS[1:], "tsv")})


class IndexBusy(Exception):
    """A rebuild holds the index: write to the queue instead."""


def claim(session: Session) -> bool:
    """Take the index's lock shared for the session's transaction, without waiting: False while a rebuild
    holds it (the caller then queues its keys)."""
    return bool(session.scalar(select(func.pg_try_advisory_xact_lock_shared(LOCK))))


class PostgresWriter:
    """Writes documents through a session, in its transaction (the request's own, or the drain's)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self) -> None:
        if not claim(self.session):
            raise IndexBusy

    def digests(self, keys: Iterable[str]) -> dict[str, str]:
        keys = list(keys)
        found: dict[str, str] = {}
        for i in range(0, len(keys), CHUNK):
            found.update(self.session.execute(select(SearchDocument.key, SearchDocument.digest)
                                              .where(SearchDocument.key.in_(keys[i:i + CHUNK]))).all())
        return found

    def index(self, docs: Iterable[IndexedDocument]) -> None:
        rows = [row(d) for d in docs]
        rows.sort(key=lambda r: r["key"])  # one order for every writer: no deadlock between two
        for i in range(0, len(rows), CHUNK):
            self.session.execute(_upsert(), rows[i:i + CHUNK])

    def remove(self, keys: Iterable[str]) -> None:
        keys = sorted(keys)
        for i in range(0, len(keys), CHUNK):
            self.session.execute(delete(SearchDocument).where(SearchDocument.key.in_(keys[i:i + CHUNK])))

    def commit(self) -> None:
        """Nothing to do: the rows commit with the session's transaction."""


class PostgresBackend:
    """The index in ``search_documents``, through ``db.session`` (the request's, the command's)."""

    #: Documents are written in the transaction of the change; the queue is for what could not be.
    transactional = True

    @contextmanager
    def writer(self, wait: float = 0.0) -> Iterator[PostgresWriter | None]:
        session = db.session()
        deadline = time.monotonic() + wait
        while not claim(session):
            if time.monotonic() >= deadline:
                yield None
                return
            time.sleep(0.05)
        yield PostgresWriter(session)

    def rebuild(self, docs: Iterable[IndexedDocument], wait: float = 300.0) -> int:
        """Every document again, in one transaction of ``db.session`` (committed here), under the exclusive
        lock: searches see the old rows until the commit, and changes made meanwhile are queued."""
        session = db.session()
        deadline = time.monotonic() + wait
        while not session.scalar(select(func.pg_try_advisory_xact_lock(LOCK))):
            if time.monotonic() >= deadline:
                raise TimeoutError("a search index rebuild or write kept the index's lock")
            time.sleep(0.1)
        session.execute(delete(SearchDocument))
        count = 0
        batch: list[dict[str, Any]] = []
        insert = _insert()
        for doc in docs:
            batch.append(row(doc))
            count += 1
            if len(batch) >= CHUNK:
                session.execute(insert, batch)
                batch = []
        if batch:
            session.execute(insert, batch)
        try:
            with session.begin_nested():  # the new rows out of GIN's pending list, and fresh statistics: without
                # them the planner may read the whole table instead of the index (four times slower at 50,000)
                session.execute(text("SELECT gin_clean_pending_list('ix_search_documents_tsv'::regclass)"))
                session.execute(text("ANALYZE search_documents"))
        except Exception:  # noqa: BLE001 - an optimisation only (e.g. the role does not own the table)
            log.warning("search: could not tidy the search index after the rebuild", exc_info=True)
        session.commit()
        return count

    # Searching ----------------------------------------------------------------------------------------------

    def _where(self, q: Query) -> tuple[list[str], dict[str, Any]]:
        clauses = ["audience = ANY(:audiences)"]
        params: dict[str, Any] = {"audiences": sorted(q.audiences)}
        if q.ward:
            clauses.append("wards && CAST(:wards AS varchar[])")
            params["wards"] = [q.ward, WHOLE_CITY]
        if q.programme:
            clauses.append("programme = :programme")
            params["programme"] = q.programme
        if q.parent:
            clauses.append("parent = :parent")
            params["parent"] = q.parent
        if q.state in PERIOD_STATES:
            params["now"] = q.now or datetime.now(UTC)
            if q.state == "open":
                clauses.append("starts <= :now AND ends > :now")
            elif q.state == "upcoming":
                clauses.append("starts > :now")
            else:
                clauses.append("ends <= :now")
        elif q.state:
            clauses.append("state = :state")
            params["state"] = q.state
        if q.date_from:
            clauses.append("day >= :date_from")
            params["date_from"] = q.date_from
        if q.date_to:
            clauses.append("day <= :date_to")
            params["date_to"] = q.date_to
        return clauses, params

    def _tsquery(self, q: wq.Query) -> str | None:
        try:
            return tsquery(q)
        except Unsupported:
            words = [lexeme(w) for w in _words(q)]
            return " & ".join(words) or None

    def query(self, query: Query) -> Results:
        with db.session().begin_nested():  # an error here must not end the request's transaction
            return self._query(query)

    def _query(self, query: Query) -> Results:
        parsed = parsed_query(query)
        results = Results(hits=[], counts={}, notes=list(parsed.notes))
        if parsed.query is None:
            return results
        clauses, params = self._where(query)
        tsq = self._tsquery(parsed.query)
        if tsq:
            self._search(query, tsq, clauses, params, results)
        if not results.counts and parsed.relaxed is not None and query.relax:
            relaxed = self._tsquery(parsed.relaxed)
            if relaxed:
                self._search(query, relaxed, clauses, params, results)
                if results.counts:
                    results.all_words = False
        return results

    def _search(self, query: Query, tsq: str, clauses: list[str], params: dict[str, Any], results: Results) -> None:
        """Counts per type and the page of hits in one statement: the matching rows are read once (ranked as
        they are read), then grouped for the counts and sorted for the page."""
        where = " AND ".join(["tsv @@ CAST(:q AS tsquery)", *clauses])
        wanted = "type = ANY(:types)" if query.types else "TRUE"
        found = db.session().execute(text(
            "WITH matching AS MATERIALIZED ("  # noqa: S608 - fixed clauses, values bound
            "  SELECT key, type, ident, ts_rank(CAST(:weights AS real[]), tsv, CAST(:q AS tsquery)) AS score"
            f"  FROM search_documents WHERE {where}) "
            "SELECT type, count(*) AS n, NULL AS key, NULL AS score FROM matching GROUP BY type "
            "UNION ALL (SELECT type, NULL, key, score FROM matching "
            f"  WHERE {wanted} ORDER BY score DESC, type, ident LIMIT :limit OFFSET :offset)"),
            {**params, "q": tsq, "weights": WEIGHTS, "types": list(query.types), "limit": query.per_page,
             "offset": (query.page - 1) * query.per_page}).all()
        for name, n, key, score in found:
            if key is None:
                results.counts[name] = min(n, query.count_limit)
                if n >= query.count_limit:
                    results.capped.add(name)
            else:
                results.hits.append(Hit(key, float(score)))
        if not results.counts:
            results.hits = []

    def highlight(self, query: Query, text: str, limit: int = 0) -> Markup:
        return highlight(query, text, limit)

    def known_terms(self, terms: Iterable[str], audiences: frozenset[str]) -> dict[str, int]:
        """Terms in a row the audiences may see: one statement, a GIN lookup per term (a term in no row
        costs next to nothing), each counted up to ``KNOWN_LIMIT``. Removed documents have no row."""
        wanted = sorted(set(terms))
        if not wanted:
            return {}
        with db.session().begin_nested():
            found = db.session().execute(text(
                "SELECT t.term, (SELECT count(*) FROM (SELECT 1 FROM search_documents"
                "  WHERE tsv @@ CAST(quote_literal(t.term) AS tsquery) AND audience = ANY(:audiences)"
                "  LIMIT :limit) AS m) AS n FROM unnest(CAST(:terms AS text[])) AS t(term)"),
                {"terms": wanted, "audiences": sorted(audiences), "limit": KNOWN_LIMIT}).all()
        return {term: n for term, n in found if n}

    def terms(self, text: str) -> Iterator[str]:
        return (t.text for t in ANALYZER(text))

    def stats(self) -> dict[str, object]:
        documents = db.session.scalar(select(func.count()).select_from(SearchDocument)) or 0
        return {"backend": "postgres", "table": SearchDocument.__tablename__, "documents": documents}

    def clear(self) -> None:
        db.session.execute(delete(SearchDocument))
