"""The notifications' outbox: what must be told is written in the transaction that published the event, and
delivered until it succeeds.

1. :func:`record` (a recorder of :func:`civic.events.record_with`) runs when an event is published, inside the
   publishing transaction: for an event that has builders it inserts a ``notification_outbox`` row (the event
   type, its subject and data as JSON, rows by class and id) and queues :func:`drain` of that row for after
   the commit. A rolled-back request leaves no row; a committed one always does.
2. :func:`drain` delivers rows, each in a transaction of its own: it deletes the row (``DELETE ... RETURNING``,
   so two drainers never deliver one row twice), makes the notices (:func:`services.make_notices`) and commits
   both together. When that fails (a builder raises, the database connection broke between the request's
   commit and the delivery) the transaction rolls back, the row stays, and its ``attempts`` and
   ``last_error`` are noted when the database lets us.
3. The scheduled task ``notifications.outbox`` (``civic/notifications/tasks.py``, at every ``flask civic
   tick``) drains what is left after its commit: rows that failed, and rows older than :data:`GRACE` whose
   after-commit drain never ran (the process died). A row is tried up to :data:`MAX_ATTEMPTS` times, then
   kept for people to look at (logged at ERROR once).

Delivery is idempotent (an event's key is unique and a notification is unique per person and event), so a
row delivered twice after a lost acknowledgement tells nobody twice.
"""

from __future__ import annotations

import importlib
import json
import logging
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_request_context
from sqlalchemy import delete, func, insert, inspect, or_, select, update

from civic.db import after_commit, db, utcnow
from civic.notifications import registry, services
from civic.notifications.models import NotificationOutbox

log = logging.getLogger("civic.notifications")

#: After this many failed deliveries a row is no longer tried (it stays, for people to look at).
MAX_ATTEMPTS = 20
#: A row never tried is left to its own request's drain for this long before the tick takes it.
GRACE = timedelta(seconds=30)
#: Rows one tick hands over at most.
BATCH = 500


# Recording ---------------------------------------------------------------------------------------------------


class Unrecordable(TypeError):
    """A value in an event's data that cannot be written down (the event is then told the old way)."""


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {"__dict__": {str(k): _encode(v) for k, v in value.items()}}
    if isinstance(value, datetime):
        return {"__time__": value.isoformat()}
    state = inspect(value, raiseerr=False)
    if state is not None and hasattr(state, "mapper"):
        if state.identity is None:
            db.session.flush()
        identity = state.identity
        if identity is None or len(identity) != 1:
            raise Unrecordable(f"a {type(value).__name__} without a single primary key")
        cls = state.mapper.class_
        return {"__row__": [f"{cls.__module__}:{cls.__qualname__}", identity[0]]}
    raise Unrecordable(f"a {type(value).__name__}")


def _class_of(path: str) -> type | None:
    """The mapped class named ``module:QualName`` (imported by name: the core imports no domain statically)."""
    module, _, name = path.partition(":")
    try:
        found: Any = importlib.import_module(module)
        for part in name.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        return None
    return found if isinstance(found, type) and hasattr(found, "__mapper__") else None


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if "__row__" in value:
            path, ident = value["__row__"]
            cls = _class_of(path)
            return db.session.get(cls, ident) if cls is not None else None
        if "__time__" in value:
            return datetime.fromisoformat(value["__time__"])
        return {k: _decode(v) for k, v in value["__dict__"].items()}
    return value


def record(event_type: str, subject: Any, data: dict[str, Any]) -> None:
    """Write the event into the outbox, in the publishing transaction, and drain it after the commit."""
    if not registry.builders(event_type):
        return
    try:
        payload = json.dumps({"subject": _encode(subject), "data": _encode(data)})
    except Unrecordable as e:  # a mistake in a domain's event: tell the old way rather than refuse its action
        if current_app.testing:
            raise
        log.warning("event %s cannot go through the outbox (%s): told after the commit only", event_type, e)
        after_commit(_tell_now, event_type, subject, data)
        return
    row_id = db.session.execute(insert(NotificationOutbox).values(event_type=event_type, payload=payload)
                                .returning(NotificationOutbox.id)).scalar_one()
    after_commit(drain, [row_id])


def _tell_now(event_type: str, subject: Any, data: dict[str, Any]) -> None:
    services.handle(event_type, subject, **data)
    db.session.commit()


# Delivering --------------------------------------------------------------------------------------------------


def due_ids(now: datetime | None = None, limit: int = BATCH) -> list[int]:
    """Rows the tick should deliver: failed ones (not given up) and ones nobody tried within :data:`GRACE`."""
    now = now or utcnow()
    return list(db.session.scalars(
        select(NotificationOutbox.id)
        .where(NotificationOutbox.attempts < MAX_ATTEMPTS,
               or_(NotificationOutbox.attempts > 0, NotificationOutbox.created_at <= now - GRACE))
        .order_by(NotificationOutbox.id).limit(limit)))


def _deliver(row_id: int) -> bool:
    row = db.session.execute(delete(NotificationOutbox).where(NotificationOutbox.id == row_id)
                             .returning(NotificationOutbox.event_type, NotificationOutbox.payload)).one_or_none()
    if row is None:  # delivered already (by another drain)
        return False
    payload = json.loads(row.payload)
    subject = _decode(payload["subject"])
    if payload["subject"] is not None and subject is None:  # what it was about is gone: nothing to tell
        log.info("%s: its subject %s no longer exists; nobody is told", row.event_type, payload["subject"])
        return True
    services.make_notices(row.event_type, subject, _decode(payload["data"]))
    return True


def _note_failure(row_id: int, error: BaseException) -> None:
    try:
        attempts = db.session.execute(
            update(NotificationOutbox).where(NotificationOutbox.id == row_id)
            .values(attempts=NotificationOutbox.attempts + 1, last_error=f"{type(error).__name__}: {error}"[:2000],
                    tried_at=utcnow())
            .returning(NotificationOutbox.attempts)).scalar_one_or_none()
        db.session.commit()
    except Exception:  # noqa: BLE001 - the database is still away: the row stays as it was, for the tick
        db.session.rollback()
        log.warning("outbox row %d: could not note the failed attempt either", row_id, exc_info=True)
        return
    if attempts == MAX_ATTEMPTS:
        log.error("outbox row %d failed %d times; it is no longer tried", row_id, attempts)


def drain(ids: list[int] | None = None) -> int:
    """Deliver these outbox rows (or every due one), each in its own committed transaction; returns how many
    were delivered. A failure leaves its row for the next tick; it is logged, and raised under test outside a
    request once the others are done (as :func:`services.handle` does), so a mistake cannot hide."""
    delivered = 0
    errors: list[BaseException] = []
    for row_id in (due_ids() if ids is None else ids):
        try:
            delivered += _deliver(row_id)
            db.session.commit()
        except Exception as e:  # noqa: BLE001 - kept for the next tick
            db.session.rollback()
            log.exception("could not deliver the notifications of outbox row %d", row_id)
            _note_failure(row_id, e)
            errors.append(e)
    if errors and current_app.testing and not has_request_context():
        raise errors[0]
    return delivered


def waiting() -> int:
    """Rows in the outbox (delivered ones are deleted)."""
    return db.session.scalar(select(func.count()).select_from(NotificationOutbox)) or 0
