"""The audit log: who did what to which object, when, with the state before and after and the reason.

Every package that changes something an officer or admin answers for calls :func:`audit` in the same
transaction as the change. The log is append-only: no route edits or deletes an entry, and a trigger
(PostgreSQL and SQLite, migration 0002) refuses UPDATE and DELETE on ``audit_log``. Admins read it through
:func:`audit_query` (``/admin/audit``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, Select, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.db import Base, db, utcnow

if TYPE_CHECKING:
    from civic.accounts.models import User


class AuditEntry(Base):
    """One entry of the log. Append-only (see the module's docstring)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_object", "object_type", "object_id"),
        Index("ix_audit_log_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    object_label: Mapped[str] = mapped_column(String(200), default="")
    before: Mapped[Any | None] = mapped_column(JSON)
    after: Mapped[Any | None] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text, default="")

    # The users table is the accounts package's; the log names it, it does not import it.
    actor: Mapped[User | None] = relationship("User", lazy="joined")


def audit(actor: User | None, action: str, object_type: str, object_id: int | None, *,
          label: str = "", before: Any = None, after: Any = None, reason: str = "") -> AuditEntry:
    """Append one entry to the audit log (flushed with the caller's transaction)."""
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        action=action, object_type=object_type, object_id=object_id,
        object_label=label[:200], before=before, after=after, reason=reason or "",
    )
    db.session.add(entry)
    return entry


def audit_query(*, action: str | None = None, actor: str | None = None, object_type: str | None = None,
                object_id: int | None = None, since: datetime | None = None, until: datetime | None = None,
                text: str | None = None) -> Select:
    """The log, newest first, narrowed by the filters given; ``text``: words in the object's name or the reason."""
    stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if text:
        like = f"%{text.strip().lower()}%"
        stmt = stmt.where(func.lower(AuditEntry.object_label).like(like) | func.lower(AuditEntry.reason).like(like))
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    if object_id is not None:
        stmt = stmt.where(AuditEntry.object_id == object_id)
    if actor:
        stmt = stmt.where(AuditEntry.actor.has(nickname=actor.lower().lstrip("@")))
    if since:
        stmt = stmt.where(AuditEntry.at >= since)
    if until:
        stmt = stmt.where(AuditEntry.at < until)
    return stmt


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
