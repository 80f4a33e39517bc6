"""Moderation services. For now: writing and reading the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from civic.accounts.models import User
from civic.db import db
from civic.moderation.models import AuditEntry


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
                object_id: int | None = None, since: datetime | None = None, until: datetime | None = None) -> Select:
    stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    if object_id is not None:
        stmt = stmt.where(AuditEntry.object_id == object_id)
    if actor:
        stmt = stmt.join(User, AuditEntry.actor_id == User.id).where(User.nickname == actor.lower().lstrip("@"))
    if since:
        stmt = stmt.where(AuditEntry.at >= since)
    if until:
        stmt = stmt.where(AuditEntry.at < until)
    return stmt


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
