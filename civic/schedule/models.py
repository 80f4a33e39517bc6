"""One row per scheduled task: its lease (who runs it now, until when) and how its last run went."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civic.db import Base


class ScheduledTask(Base):
    """A registered task's state. A tick takes the lease with one atomic UPDATE (see :mod:`civic.schedule`)."""

    __tablename__ = "scheduled_tasks"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    #: The lease: while it is in the future, another tick leaves the task alone.
    locked_until: Mapped[datetime | None]
    #: Which tick holds the lease (host, process and a random part), so only it releases the lease.
    locked_by: Mapped[str | None] = mapped_column(String(100))
    last_started: Mapped[datetime | None]
    last_finished: Mapped[datetime | None]
    #: ``ok`` or ``failed`` (None before the first run ends).
    last_outcome: Mapped[str | None] = mapped_column(String(20))
    #: What the task said it did, e.g. "phase changes announced: 2".
    last_summary: Mapped[str] = mapped_column(String(500), default="")
    #: The error of the last run that failed ("" after a run that succeeded).
    last_error: Mapped[str] = mapped_column(Text, default="")
