"""Notifications tests: helpers to read what people were told (a domain's notification tests import them too)."""

from __future__ import annotations

from sqlalchemy import select

from civic.db import db
from civic.notifications.models import Notification, NotificationEvent


def told(user, *, kind: str | None = None) -> list[Notification]:
    """The notifications a person has, oldest first (hidden events included: tests check the flag)."""
    db.session.expire_all()
    stmt = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    if kind is not None:
        stmt = stmt.where(Notification.kind == kind)
    return list(db.session.scalars(stmt))


def kinds_of(user) -> list[str]:
    return [n.kind for n in told(user)]


def event_of(n: Notification) -> NotificationEvent:
    return db.session.get(NotificationEvent, n.event_id)
