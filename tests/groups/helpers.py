"""Reading group state afresh from the database, for assertions."""

from __future__ import annotations

from sqlalchemy import func, select

from civic.audit import AuditEntry
from civic.db import db
from civic.groups.models import Group, Membership


def members_count(group: Group) -> int:
    """The stored counter, read afresh from the database."""
    return db.session.scalar(select(Group.members_count).where(Group.id == group.id).execution_options(
        populate_existing=True))


def active_members(group: Group) -> int:
    """The truth the counter must match."""
    return db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.group_id == group.id, Membership.status == "active"))


def membership(group: Group, user) -> Membership | None:
    return db.session.scalar(select(Membership).where(Membership.group_id == group.id,
                                                      Membership.user_id == user.id)
                             .execution_options(populate_existing=True))


def status(group: Group, user) -> tuple[str, str] | None:
    m = membership(group, user)
    return (m.status, m.role) if m else None


def audit_entries(group: Group) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "group",
                                                            AuditEntry.object_id == group.id)
                                   .order_by(AuditEntry.id)))
