from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.accounts.models import User
from civic.db import Base, utcnow
from civic.spaces.models import Ward


class RegisterEntry(Base):
    """One resident in the register an admin uploads. Postcode and date of birth are never stored:
    only a keyed hash (HMAC-SHA256) of the two together."""

    __tablename__ = "register_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    lookup_hash: Mapped[str] = mapped_column(String(64), unique=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id", ondelete="CASCADE"), index=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("register_uploads.id", ondelete="CASCADE"), index=True)
    #: The account that used this entry; unique, so one entry verifies one account.
    claimed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True)
    claimed_at: Mapped[datetime | None]

    ward: Mapped[Ward] = relationship()


class RegisterUpload(Base):
    __tablename__ = "register_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(200), default="")
    rows_added: Mapped[int] = mapped_column(default=0)
    #: Rows already in the register (or repeated in the file), left as they were.
    rows_skipped: Mapped[int] = mapped_column(default=0)
    #: Rows refused as invalid (bad postcode, date or ward); reported by line number at upload time.
    rows_rejected: Mapped[int] = mapped_column(default=0)

    uploaded_by: Mapped[User | None] = relationship(lazy="joined")


class VerificationAttempt(Base):
    """A self-service attempt, kept to limit guessing (a few a day per account)."""

    __tablename__ = "verification_attempts"
    __table_args__ = (Index("ix_verification_attempts_user_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    matched: Mapped[bool] = mapped_column(default=False)


class VerificationRequest(Base):
    """A resident's request for manual verification, decided by an officer."""

    __tablename__ = "verification_requests"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'refused', 'withdrawn')", name="known_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id"))
    postcode: Mapped[str] = mapped_column(String(10))
    date_of_birth: Mapped[date | None]
    statement: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    ward: Mapped[Ward] = relationship(lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
