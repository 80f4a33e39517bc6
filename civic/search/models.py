"""The search outbox: which objects changed, written in the same transaction as the change itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from civic.db import Base, utcnow


class SearchQueue(Base):
    """One row per changed object (``"proposal:12"``; ``"proposal:*"`` for all of a type).

    Rows are inserted by the session's ``before_commit`` hook, so they commit or roll back with the change;
    the index is then brought in step from the database by whoever holds the index's writer lock, and the
    rows it applied are deleted (see :func:`civic.search.services.drain`).
    """

    __tablename__ = "search_queue"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
