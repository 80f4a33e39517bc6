"""Citizen sensing's tables: the quantity catalogue, campaigns run by community groups, volunteers' devices
with their sensors and ingest tokens, readings, hourly and daily aggregates, and the items a device sent that
were refused.

- A reading is keyed by its sensor and its time (the primary key): a re-sent reading is a duplicate, never a
  second row. On PostgreSQL the table is partitioned by month (migration 0012; partitions are made ahead by the
  scheduled task ``citizen_sensing.partitions``), with a BRIN index on the time.
- Aggregates hold count, minimum, maximum and sum (the mean is sum / count) per sensor, per hour and per day,
  kept up to date by every batch (an upsert), never recomputed on a page view; campaign aggregates hold the same
  per campaign and quantity (the campaign page's summary), kept by the same batch.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.db import Base, UTCDateTime, utcnow
from civic.groups.models import Group
from civic.spaces.models import Ward

#: The licences a campaign may publish its data under: key -> (name, address).
LICENCES = {
    "CC-BY-4.0": ("Creative Commons Attribution 4.0 International",
                  "https://creativecommons.org/licenses/by/4.0/"),
    "ODbL-1.0": ("Open Data Commons Open Database License 1.0", "https://opendatacommons.org/licenses/odbl/1-0/"),
}
STATUSES = ("proposed", "approved", "rejected")
JOIN_MODES = ("open", "code")
SETTINGS = ("indoor", "outdoor")
PRIVACY = ("exact", "fuzzed", "area")
FLAGS = ("spike", "flat", "expected_range", "manual")
#: The campaign summary's stripes (a device's rows are in stripe ``device id % CAMPAIGN_STRIPES``).
CAMPAIGN_STRIPES = 8


class Quantity(Base):
    """A measured quantity of the catalogue (data, extensible by admins): its unit, the physical range a value
    must lie in (outside it a reading is refused), the range expected in a place (outside it a reading is kept
    but flagged) and the jump between two readings a minute apart that is flagged as a spike."""

    __tablename__ = "sensing_quantities"
    __table_args__ = (CheckConstraint("min_value < max_value", name="range_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    unit: Mapped[str] = mapped_column(String(20))
    min_value: Mapped[float] = mapped_column(Float)
    max_value: Mapped[float] = mapped_column(Float)
    expected_min: Mapped[float | None] = mapped_column(Float)
    expected_max: Mapped[float | None] = mapped_column(Float)
    spike_per_minute: Mapped[float | None] = mapped_column(Float)
    position: Mapped[int] = mapped_column(default=0)


class Campaign(Base):
    __tablename__ = "sensing_campaigns"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES!r}", name="known_status"),
        CheckConstraint(f"join_mode IN {JOIN_MODES!r}", name="known_join_mode"),
        CheckConstraint(f"licence IN {tuple(LICENCES)!r}", name="known_licence"),
        CheckConstraint("starts_on <= ends_on", name="dates_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(150))
    purpose: Mapped[str] = mapped_column(Text, default="")
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12), default="proposed")
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    licence: Mapped[str] = mapped_column(String(20), default="CC-BY-4.0")
    join_mode: Mapped[str] = mapped_column(String(10), default="open")
    join_code: Mapped[str | None] = mapped_column(String(40))
    participants_count: Mapped[int] = mapped_column(default=0)
    comments_count: Mapped[int] = mapped_column(default=0)
    hidden_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    group: Mapped[Group] = relationship(lazy="joined")
    quantities: Mapped[list[Quantity]] = relationship(secondary="sensing_campaign_quantities",
                                                      order_by="Quantity.position", lazy="selectin")
    wards: Mapped[list[Ward]] = relationship(secondary="sensing_campaign_wards", order_by="Ward.name",
                                             lazy="selectin")

    @property
    def is_public(self) -> bool:
        return self.status == "approved" and self.hidden_at is None

    @property
    def licence_name(self) -> str:
        return LICENCES[self.licence][0]

    @property
    def licence_url(self) -> str:
        return LICENCES[self.licence][1]


class CampaignQuantity(Base):
    __tablename__ = "sensing_campaign_quantities"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("sensing_campaigns.id", ondelete="CASCADE"),
                                             primary_key=True)
    quantity_id: Mapped[int] = mapped_column(ForeignKey("sensing_quantities.id", ondelete="RESTRICT"),
                                             primary_key=True)


class CampaignWard(Base):
    __tablename__ = "sensing_campaign_wards"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("sensing_campaigns.id", ondelete="CASCADE"),
                                             primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id", ondelete="CASCADE"), primary_key=True)


class Participant(Base):
    """A volunteer who joined a campaign."""

    __tablename__ = "sensing_participants"
    __table_args__ = (UniqueConstraint("campaign_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("sensing_campaigns.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)


class Device(Base):
    """A volunteer's device in a campaign. ``latitude``/``longitude`` are where it really is (never published);
    ``offset_north_m``/``offset_east_m`` are its fuzzing offset, drawn once at registration, so a fuzzed device
    is published at the same place every time. ``public_key`` names it in addresses (openSenseMap's box id)."""

    __tablename__ = "sensing_devices"
    __table_args__ = (
        CheckConstraint(f"setting IN {SETTINGS!r}", name="known_setting"),
        CheckConstraint(f"privacy IN {PRIVACY!r}", name="known_privacy"),
        CheckConstraint("privacy != 'exact' OR setting = 'outdoor'", name="exact_only_outdoors"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_key: Mapped[str] = mapped_column(String(24), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("sensing_campaigns.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(100), default="")
    setting: Mapped[str] = mapped_column(String(10), default="indoor")
    privacy: Mapped[str] = mapped_column(String(10), default="area")
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id", ondelete="RESTRICT"), index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    offset_north_m: Mapped[float] = mapped_column(Float, default=0.0)
    offset_east_m: Mapped[float] = mapped_column(Float, default=0.0)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_created_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ward: Mapped[Ward] = relationship(lazy="joined")
    sensors: Mapped[list[Sensor]] = relationship(back_populates="device", order_by="Sensor.id", lazy="selectin")


class Sensor(Base):
    """One quantity measured by a device. ``external_id`` is what the device calls it (an openSenseMap sensor
    id, a Smart Citizen sensor number): unique within the device."""

    __tablename__ = "sensing_sensors"
    __table_args__ = (UniqueConstraint("device_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("sensing_devices.id", ondelete="CASCADE"), index=True)
    quantity_id: Mapped[int] = mapped_column(ForeignKey("sensing_quantities.id", ondelete="RESTRICT"))
    model: Mapped[str | None] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(64))

    device: Mapped[Device] = relationship(back_populates="sensors")
    quantity: Mapped[Quantity] = relationship(lazy="joined")


class Reading(Base):
    """One value of one sensor at one time. Never deleted by quality control: ``flag`` marks a doubtful one
    (left out of aggregates, still shown and exported with its flag)."""

    __tablename__ = "sensing_readings"
    __table_args__ = (
        CheckConstraint(f"flag IS NULL OR flag IN {FLAGS!r}", name="known_flag"),
        Index("ix_sensing_readings_measured_at_brin", "measured_at", postgresql_using="brin"),
        Index("ix_sensing_readings_device_id_measured_at", "device_id", "measured_at"),
    )

    sensor_id: Mapped[int] = mapped_column(ForeignKey("sensing_sensors.id", ondelete="CASCADE"), primary_key=True)
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    #: The sensor's device, copied for the device's pages and downloads (no foreign key of its own: the sensor's
    #: already ties it to the device, cascades included, and a second check per row would slow every batch).
    device_id: Mapped[int]
    value: Mapped[float] = mapped_column(Float)
    flag: Mapped[str | None] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Aggregate(Base):
    """Count, minimum, maximum and sum of a sensor's unflagged readings over an hour or a day (UTC)."""

    __tablename__ = "sensing_aggregates"
    __table_args__ = (CheckConstraint("period IN ('hour', 'day')", name="known_period"),)

    sensor_id: Mapped[int] = mapped_column(ForeignKey("sensing_sensors.id", ondelete="CASCADE"), primary_key=True)
    period: Mapped[str] = mapped_column(String(4), primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)
    sum_value: Mapped[float] = mapped_column(Float, default=0.0)

    @property
    def mean(self) -> float | None:
        return self.sum_value / self.count if self.count else None


class CampaignAggregate(Base):
    """A campaign's summary: count, minimum, maximum and sum of its devices' unflagged readings of one quantity
    over an hour or a day (UTC), i.e. its sensors' :class:`Aggregate` rows added together. Kept by the same
    upsert per batch as the sensors' (one row per quantity, hour and day the batch touches), computed again with
    them (hand flags, ``flask citizen_sensing rebuild-aggregates``), so the campaign page reads a few hundred
    rows however many devices and readings the campaign has. The key starts with the campaign, the period and
    the time: a page's range, the newest hour and the day rows to count are each one range of the index."""

    __tablename__ = "sensing_campaign_aggregates"
    __table_args__ = (CheckConstraint("period IN ('hour', 'day')", name="known_period"),)

    campaign_id: Mapped[int] = mapped_column(ForeignKey("sensing_campaigns.id", ondelete="CASCADE"),
                                             primary_key=True)
    period: Mapped[str] = mapped_column(String(4), primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    quantity_id: Mapped[int] = mapped_column(ForeignKey("sensing_quantities.id", ondelete="CASCADE"),
                                             primary_key=True)
    #: The devices are split into :data:`CAMPAIGN_STRIPES` stripes by id, each with rows of its own, so that
    #: batches of different devices arriving together rarely wait for the same row's lock; a figure of the
    #: campaign is the sum over its (at most eight) stripes.
    stripe: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)
    sum_value: Mapped[float] = mapped_column(Float, default=0.0)


class Rejection(Base):
    """An item a device sent that was refused, with the reason (the owner's device page lists the latest)."""

    __tablename__ = "sensing_rejections"
    __table_args__ = (Index("ix_sensing_rejections_device_id_received_at", "device_id", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("sensing_devices.id", ondelete="CASCADE"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(20))
    item: Mapped[str] = mapped_column(String(40))
    field: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(300))
    raw: Mapped[str] = mapped_column(String(200), default="")
from citizen_sensing.alert_models import Alert, AlertRule  # noqa: E402, F401 (alerts: docs/citizen-sensing.md)
from citizen_sensing.findings_models import Finding, Report  # noqa: E402, F401  (issue 20: results for the council)
