"""Job functions for the tests: module-level, so every backend (RQ included) can import them by path."""

from __future__ import annotations

import threading

from sqlalchemy import select

from civic.db import db
from civic.spaces.models import Ward

CALLS: list[tuple] = []
_lock = threading.Lock()


def record(*args) -> None:
    with _lock:
        CALLS.append((threading.current_thread().name, *args))


def explode(message: str) -> None:
    raise ValueError(message)


def rename_ward(old: str, new: str) -> None:
    """A job that writes: it commits its own work."""
    ward = db.session.scalars(select(Ward).where(Ward.name == old)).one()
    ward.name = new
    db.session.commit()


def rename_ward_without_commit(old: str, new: str) -> None:
    ward = db.session.scalars(select(Ward).where(Ward.name == old)).one()
    ward.name = new
