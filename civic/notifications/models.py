"""Follows, notification events, notifications, preferences, area alerts and digest runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.accounts.models import User
from civic.db import Base, utcnow

#: How a person wants email about one kind of notification.
EMAIL_CHOICES = ("immediate", "daily", "weekly", "never")


class Follow(Base):
    """A person follows a resource (any type registered as ``followable``)."""

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("user_id", "resource_type", "resource_id"),
        Index("ix_follows_resource", "resource_type", "resource_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    resource_type: Mapped[str] = mapped_column(String(40))
    resource_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationEvent(Base):
    """One thing that happened, told to many people. ``key`` makes it happen once.

    ``subject`` is what the event is about (a comment); ``resource`` the thing it hangs on (the
    proposal). Hiding either by moderation sets ``hidden`` and the event disappears everywhere.
    """

    __tablename__ = "notification_events"
    __table_args__ = (
        Index("ix_notification_events_subject", "subject_type", "subject_id"),
        Index("ix_notification_events_resource", "resource_type", "resource_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    event_type: Mapped[str] = mapped_column(String(60))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(500))
    #: Digests group by this: a process title, a group name, "Your account".
    space: Mapped[str] = mapped_column(String(200), default="")
    excerpt: Mapped[str] = mapped_column(Text, default="")
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[int | None]
    resource_type: Mapped[str | None] = mapped_column(String(40))
    resource_id: Mapped[int | None]
    hidden: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="joined")


class Notification(Base):
    """One person told about one event, for one reason (``kind``). At most one per person and event."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "event_id"),
        CheckConstraint(f"email IN {EMAIL_CHOICES!r}", name="known_email"),
        Index("ix_notifications_user_unread", "user_id", "read_at"),
        Index("ix_notifications_email_pending", "email", "emailed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("notification_events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    #: The person's email choice for this kind when the notification was made.
    email: Mapped[str] = mapped_column(String(10), default="never")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    #: When it left by email (alone, or in a digest); None while waiting or never to be sent.
    emailed_at: Mapped[datetime | None]

    event: Mapped[NotificationEvent] = relationship(lazy="joined", innerjoin=True)


class NotificationPreference(Base):
    """A person's email choice for one kind; no row = the kind's default."""

    __tablename__ = "notification_preferences"
    __table_args__ = (
        UniqueConstraint("user_id", "kind"),
        CheckConstraint(f"email IN {EMAIL_CHOICES!r}", name="known_email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    email: Mapped[str] = mapped_column(String(10))


class NotificationSettings(Base):
    """Per person: automatic follows, and the area alert (wards, programmes, a point and radius)."""

    __tablename__ = "notification_settings"
    __table_args__ = (CheckConstraint("radius_m IS NULL OR (radius_m > 0 AND radius_m <= 5000)", name="radius"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    follow_own: Mapped[bool] = mapped_column(default=True)
    follow_commented: Mapped[bool] = mapped_column(default=True)
    alerts_enabled: Mapped[bool] = mapped_column(default=False)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    radius_m: Mapped[int | None]
    #: cos(latitude), kept so distances can be compared in plain SQL on every database.
    cos_latitude: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime | None]


class AlertWard(Base):
    __tablename__ = "alert_wards"
    __table_args__ = (UniqueConstraint("user_id", "ward_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id", ondelete="CASCADE"), index=True)


class AlertProgramme(Base):
    __tablename__ = "alert_programmes"
    __table_args__ = (UniqueConstraint("user_id", "programme_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)


class DigestRun(Base):
    """A digest sent to one person for one period: the unique key makes a second run a no-op."""

    __tablename__ = "digest_runs"
    __table_args__ = (
        UniqueConstraint("user_id", "period", "period_start"),
        CheckConstraint("period IN ('daily', 'weekly')", name="known_period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[datetime]
    items: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


__all__ = ["AlertProgramme", "AlertWard", "DigestRun", "Follow", "Notification", "NotificationEvent",
           "NotificationPreference", "NotificationSettings", "EMAIL_CHOICES"]


class NotificationOutbox(Base):
    """An event still to be turned into notifications: written in the transaction that published it, deleted
    in the transaction that delivered it (``civic/notifications/outbox.py``)."""

    __tablename__ = "notification_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_type: Mapped[str] = mapped_column(String(80))
    #: JSON: {"subject": ..., "data": {...}}, rows as {"__row__": ["module:Class", id]}.
    payload: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    tried_at: Mapped[datetime | None]
