"""Alert rules and alerts (docs/citizen-sensing.md, "Alerts"): an organiser sets rules per campaign; an alert is
one rule's condition holding for one device, from when it opened until it closed.

- At most one open alert per rule and device: the partial unique index ``uq_sensing_alerts_open``
  (``closed_at IS NULL``), so two evaluations at once (the tick and an ingest) open one alert, never two; the
  loser's ``INSERT ... ON CONFLICT DO NOTHING`` inserts nothing and tells nobody.
- Closed alerts are kept: the history of a device and of a campaign.

Imported at the end of :mod:`citizen_sensing.models`, so the models are all known wherever those are.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from citizen_sensing.models import Device, Quantity

#: above/below a value for a duration; no reading for a duration; the same value for a duration.
RULE_KINDS = ("threshold", "offline", "stuck")
COMPARISONS = ("above", "below")


class AlertRule(Base):
    """A campaign's rule. ``minutes`` is the duration the condition must last (a threshold's, the silence of an
    offline device, a stuck sensor's run). ``quantity_id`` names the quantity a threshold watches (required)
    and a stuck rule's (optional: none watches every sensor). A rule switched off keeps its history."""

    __tablename__ = "sensing_alert_rules"
    __table_args__ = (
        CheckConstraint(f"kind IN {RULE_KINDS!r}", name="known_kind"),
        CheckConstraint("minutes > 0", name="positive_minutes"),
        CheckConstraint("kind != 'threshold' OR (quantity_id IS NOT NULL AND comparison IS NOT NULL "
                        "AND value IS NOT NULL)", name="threshold_complete"),
        CheckConstraint(f"comparison IS NULL OR comparison IN {COMPARISONS!r}", name="known_comparison"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("sensing_campaigns.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    quantity_id: Mapped[int | None] = mapped_column(ForeignKey("sensing_quantities.id", ondelete="RESTRICT"))
    comparison: Mapped[str | None] = mapped_column(String(8))
    value: Mapped[float | None] = mapped_column(Float)
    minutes: Mapped[int]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    quantity: Mapped[Quantity | None] = relationship(lazy="joined")

    @property
    def hours(self) -> float:
        return self.minutes / 60


class Alert(Base):
    """One opening of a rule's condition for one device. ``since`` is the earliest time the condition is known
    to have held (a threshold's or stuck run's first reading looked at, an offline device's last contact);
    ``value`` the reading that made it (none for an offline device); ``sensor_id`` the sensor concerned."""

    __tablename__ = "sensing_alerts"
    __table_args__ = (
        Index("uq_sensing_alerts_open", "rule_id", "device_id", unique=True,
              postgresql_where=text("closed_at IS NULL"), sqlite_where=text("closed_at IS NULL")),
        Index("ix_sensing_alerts_device_id_opened_at", "device_id", "opened_at"),
        Index("ix_sensing_alerts_rule_id_opened_at", "rule_id", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("sensing_alert_rules.id", ondelete="CASCADE"))
    device_id: Mapped[int] = mapped_column(ForeignKey("sensing_devices.id", ondelete="CASCADE"))
    sensor_id: Mapped[int | None] = mapped_column(ForeignKey("sensing_sensors.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    value: Mapped[float | None] = mapped_column(Float)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    rule: Mapped[AlertRule] = relationship(lazy="joined")
    device: Mapped[Device] = relationship(lazy="joined")
