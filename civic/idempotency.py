"""Writes safe to retry: the ``Idempotency-Key`` header on the API's ``POST`` requests (docs/api.md).

A client that sends ``Idempotency-Key: <key>`` (1 to 255 visible ASCII characters, e.g. a UUID) with a
``POST`` may send the same request again — after a timeout, a dropped connection — and the write happens once:

- the first request stores the key with the person, the method, the path and a SHA-256 digest of the body, and,
  in the same transaction as the write, the response's status, body and ``Location``;
- a later request with the same key, person, method, path and body gets the stored response again, with
  ``Idempotent-Replayed: true``, and writes nothing;
- the same key with another method, path or body is a 422 with the code ``idempotency_key_reused``;
- two requests with one key at the same moment make one write: the key's row is inserted before the view runs,
  under a unique constraint on (person, key), so the second waits for the first's transaction and then replays
  its response (PostgreSQL; SQLite runs one write at a time anyway).

Only successes are kept: a refusal (4xx) rolls the request's transaction back, the key's row with it, so the
corrected request may use the same key. Keys are kept for :data:`KEEP` (24 hours); the scheduled task
``api.idempotency-keys`` deletes expired ones, and an expired key is treated as new.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from flask import Response, g, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from civic import schedule
from civic.db import Base, db, utcnow
from civic.web import json_error

HEADER = "Idempotency-Key"
KEEP = timedelta(hours=24)
KEY_MAX = 255
TASK = "api.idempotency-keys"


class IdempotencyKey(Base):
    """A key a person sent with an API write, what it was sent with, and the response it got."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(KEY_MAX))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(2000))
    #: SHA-256 of the request's body, in hexadecimal.
    body_digest: Mapped[str] = mapped_column(String(64))
    #: The response, written in the same transaction as the write (None only inside that transaction).
    status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


def _valid(key: str) -> bool:
    return 0 < len(key) <= KEY_MAX and key.isascii() and key.isprintable()


def _digest() -> str:
    return hashlib.sha256(request.get_data(cache=True)).hexdigest()


def _replay(row: IdempotencyKey) -> Response | tuple[Response, int]:
    if (row.method, row.path, row.body_digest) != (request.method, request.path, _digest()):
        return json_error(_("This Idempotency-Key was already used for a different request. Use a new key for "
                            "each new write."), 422, HEADER, code="idempotency_key_reused")
    if row.status is None:  # cannot be seen from outside its transaction; kept for safety
        return json_error(_("A request with this Idempotency-Key is still being processed. Try again shortly."),
                          409, HEADER, code="conflict")
    response = Response(row.response_body or "", status=row.status, mimetype="application/json")
    if row.location:
        response.headers["Location"] = row.location
    response.headers["Idempotent-Replayed"] = "true"
    g.idempotency_replayed = True
    return response


def before_request():
    """Blueprint hook (after authentication): replay a known key, or claim a new one for this request."""
    g.idempotency_key = None
    raw = request.headers.get(HEADER)
    if raw is None or request.method != "POST" or not current_user.is_authenticated:
        return None  # without a person the view answers 401; other methods are idempotent already
    key = raw.strip()
    if not _valid(key):
        return json_error(_("The Idempotency-Key must be 1 to %(max)d visible ASCII characters, such as a UUID.",
                            max=KEY_MAX), 400, HEADER)
    user_id = current_user.id
    now = utcnow()
    mine = (IdempotencyKey.user_id == user_id) & (IdempotencyKey.key == key)
    row = db.session.scalar(select(IdempotencyKey).where(mine))
    if row is not None and row.expires_at <= now:
        db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row.id))
        row = None
    if row is not None:
        return _replay(row)
    row = IdempotencyKey(user_id=user_id, key=key, method=request.method, path=request.path,
                         body_digest=_digest(), created_at=now, expires_at=now + KEEP)
    try:
        with db.session.begin_nested():  # a racer with the same key waits here for the first one's commit
            db.session.add(row)
    except IntegrityError:
        row = db.session.scalar(select(IdempotencyKey).where(mine).execution_options(populate_existing=True))
        if row is None:  # the first one was refused and rolled back: nothing to replay, go ahead with none
            return None
        return _replay(row)
    g.idempotency_key = row
    return None


def after_request(response: Response) -> Response:
    """Blueprint hook (before the request cycle commits): keep a success's response with its key."""
    row = getattr(g, "idempotency_key", None)
    if row is not None and response.status_code < 400 and not response.is_streamed:
        row.status = response.status_code
        row.response_body = response.get_data(as_text=True)
        row.location = response.headers.get("Location")
        db.session.flush()
    return response


def delete_expired() -> str:
    """The scheduled task: forget the keys older than :data:`KEEP`."""
    gone = db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= utcnow())).rowcount
    return f"expired idempotency keys deleted: {gone}"


def register() -> None:
    schedule.task(TASK, delete_expired, description="Delete the API's idempotency keys older than 24 hours",
                  every=timedelta(hours=1))

