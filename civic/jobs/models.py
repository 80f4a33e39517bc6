"""Background jobs that gave up: kept so admins can see (and retry) what did not go out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civic.db import Base, utcnow


class JobFailure(Base):
    __tablename__ = "job_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The job's function, e.g. ``civic.mail.deliver_job``.
    job: Mapped[str] = mapped_column(String(200))
    #: What it was for, for people: "Mail to ann@example.org: Confirm your email address".
    description: Mapped[str] = mapped_column(String(500))
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=1)
    #: The job's arguments, pickled, so an admin can retry it (bytes of a mail message, an id...).
    payload: Mapped[bytes | None]
    failed_at: Mapped[datetime] = mapped_column(default=utcnow)
    retried_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
