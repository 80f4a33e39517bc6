"""Keeping the index in step: record what changed, in the transaction that changed it.

Session events, for every session:

- ``after_flush``: objects of searchable models (and of their ``related`` models) that were added, changed
  (in a column their documents are built from) or deleted are noted in ``session.info``;
- ``do_orm_execute``: an ``UPDATE`` or ``DELETE`` statement on a searchable model (``delete_comment`` soft
  deletes with one) notes the rows it is about to touch (one ``SELECT`` of their ids; statements that set only
  columns no document uses, such as counters, are let through without it);
- ``before_commit``: with the PostgreSQL backend the documents are written to ``search_documents`` there and
  then, in the same transaction (:func:`civic.search.services.apply_in_transaction`); what cannot be (``type:*``,
  many children, a rebuild running) and, with Whoosh, all of it: the notes become rows of ``search_queue``,
  in the same transaction; a rollback takes them
  away with the change, so a rolled-back request never leaves a ghost in the index. The same commit queues
  :func:`civic.search.services.after_commit` on the session's after-commit queue (:func:`civic.db.after_commit`):
  it wakes the process's drainer (``CIVIC_SEARCH_DRAIN=thread``; outside a request, in a CLI command or a job,
  the queue is drained before the commit returns, as the process may end soon), or drains before a request's
  response leaves (``request``).

Inserts made with ``session.execute(insert(Model), rows)`` carry no ids and are not seen: a bulk loader calls
:func:`civic.search.services.enqueue` (or the reindex) itself, as the demo data does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session

from civic.db import after_commit_of, pending_after_commit
from civic.search import registry
from civic.search.models import SearchQueue
from civic.search.services import PENDING, after_commit, apply_in_transaction, in_transaction, note


def _changed(obj: Any, columns: frozenset[str] | None) -> bool:
    """Whether a flushed object changed in a column (or relationship) its document is built from."""
    state = inspect(obj)
    names = columns if columns is not None else state.mapper.attrs.keys()
    return any(name in state.attrs and state.attrs[name].history.has_changes() for name in names)


def _ids(value: Any) -> list[int]:
    if value is None:
        return []
    if isinstance(value, int):
        return [value]
    return [v for v in value if v is not None]


def _keys_for(obj: Any, kind: str) -> set[str]:
    keys: set[str] = set()
    model = type(obj)
    st = registry.for_model(model)
    if st is not None and (kind != "dirty" or _changed(obj, st.indexed_columns)):
        ident = getattr(obj, "id", None)
        if ident is not None:
            keys.add(st.key(ident))
    for related_type, ids_of in registry.related_to(model):
        keys.update(related_type.key(i) for i in _ids(ids_of(obj)))
    return keys


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    keys: set[str] = set()
    for kind, objects in (("new", session.new), ("dirty", session.dirty), ("deleted", session.deleted)):
        for obj in objects:
            keys |= _keys_for(obj, kind)
    if keys:
        note(session, keys)


def _set_columns(statement: Any) -> set[str] | None:
    """The columns an UPDATE sets, or None when that cannot be told."""
    values = getattr(statement, "_values", None) or {}
    multi = getattr(statement, "_multi_values", None)
    ordered = getattr(statement, "_ordered_values", None)
    if multi or not isinstance(values, dict):
        return None
    pairs = list(values) + [k for k, _v in (ordered or [])]
    names = {getattr(k, "key", None) or getattr(k, "name", None) or str(k) for k in pairs}
    return names or None


@event.listens_for(Session, "do_orm_execute")
def _bulk_statement(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    st = registry.for_model(mapper.class_) if mapper is not None else None
    if st is None:
        return
    statement = state.statement
    if state.is_update and st.indexed_columns is not None:
        columns = _set_columns(statement)
        if columns is not None and not columns & st.indexed_columns:
            return
    where = getattr(statement, "whereclause", None)
    if where is None:
        note(state.session, {f"{st.name}:*"})
        return
    ids = state.session.execute(select(st.model.id).where(where)).scalars().all()
    note(state.session, {st.key(i) for i in ids})


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.info.get(PENDING) is None and not (session.new or session.dirty or session.deleted):
        return
    session.flush()  # what the commit would flush, so its changes are noted too
    keys = session.info.pop(PENDING, None)
    if keys and in_transaction():  # PostgreSQL: the documents are written now, in this transaction
        keys = apply_in_transaction(session, keys)
    if keys:
        session.execute(insert(SearchQueue), [{"key": k} for k in sorted(keys)])
        if after_commit not in pending_after_commit(session):
            after_commit_of(session, after_commit)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(PENDING, None)
