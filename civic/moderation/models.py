from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civic.db import Base, utcnow

REPORT_REASONS = ("spam", "offensive", "does_not_belong", "illegal", "other")


class Moderation(Base):
    """The moderation state of one reportable resource: its report count and whether it is hidden."""

    __tablename__ = "moderations"
    __table_args__ = (UniqueConstraint("resource_type", "resource_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_type: Mapped[str] = mapped_column(String(40))
    resource_id: Mapped[int]
    reports_count: Mapped[int] = mapped_column(default=0)
    hidden_at: Mapped[datetime | None]
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    hidden_reason: Mapped[str] = mapped_column(Text, default="")
    #: "open" while reports wait for an officer, "decided" once acted on.
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]


class Report(Base):
    """One person's report of one resource (once per person and resource)."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("moderation_id", "user_id"),
        CheckConstraint(f"reason IN {REPORT_REASONS!r}", name="known_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    moderation_id: Mapped[int] = mapped_column(ForeignKey("moderations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    details: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    dismissed_at: Mapped[datetime | None]


class Block(Base):
    """An officer's decision to block a person, with its justification; lifted by ``lifted_at``."""

    __tablename__ = "blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    blocked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    justification: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lifted_at: Mapped[datetime | None]
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Appeal(Base):
    """An appeal against a decision (a hide or a block), once per decision; decided by another officer."""

    __tablename__ = "appeals"
    __table_args__ = (
        CheckConstraint("(moderation_id IS NULL) <> (block_id IS NULL)", name="one_decision"),
        CheckConstraint("status IN ('pending', 'upheld', 'reversed')", name="known_status"),
        UniqueConstraint("moderation_id", "appellant_id"),
        UniqueConstraint("block_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appellant_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    moderation_id: Mapped[int | None] = mapped_column(ForeignKey("moderations.id", ondelete="CASCADE"))
    block_id: Mapped[int | None] = mapped_column(ForeignKey("blocks.id", ondelete="CASCADE"))
    statement: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")
