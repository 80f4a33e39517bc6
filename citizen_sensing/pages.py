"""Read-models for the pages and the API, each in a fixed number of queries whatever the data.

- :func:`campaign_list`: approved campaigns, a page at a time;
- :func:`campaign_view`: progress (devices, readings, coverage by ward), device status, latest readings;
- :func:`chart`: a quantity's series over a range, from the campaign's summary (hours up to a week, days
  beyond), and a day of one sensor from its raw readings;
- :func:`device_view`: the owner's page (recent readings, refused items).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ARRAY, Integer, func, literal, select, true
from sqlalchemy.orm import aliased, lazyload

from citizen_sensing.models import Campaign, CampaignAggregate, Device, Quantity, Reading, Rejection, Sensor
from civic.db import Page, db, paginate, utcnow
from civic.spaces.models import Ward
from civic.workqueues import WorkQueue

LONDON = ZoneInfo("Europe/London")
#: Last seen within this long: online; within LATE: late; else (or never): offline.
ONLINE = timedelta(hours=1)
LATE = timedelta(hours=24)
RANGES = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=31),
          "year": timedelta(days=366)}
LATEST = 10


def status_of(device: Device, now: datetime | None = None) -> str:
    if device.retired_at is not None:
        return "retired"
    if device.last_seen_at is None:
        return "offline"
    age = (now or utcnow()) - device.last_seen_at
    return "online" if age <= ONLINE else "late" if age <= LATE else "offline"


STATUS_LABELS = {"online": "Online", "late": "Late", "offline": "Offline", "retired": "Retired"}


def campaign_list(page: int, per_page: int = 20) -> Page:
    stmt = (select(Campaign).where(Campaign.status == "approved", Campaign.hidden_at.is_(None))
            .order_by(Campaign.starts_on.desc(), Campaign.id.desc()))
    return paginate(stmt, page, per_page)


def _proposed():
    return Campaign.status == "proposed", Campaign.hidden_at.is_(None)


def proposed_list(page: int, per_page: int = 20) -> Page:
    """Campaigns waiting for an officer's decision, oldest first."""
    return paginate(select(Campaign).where(*_proposed()).order_by(Campaign.created_at, Campaign.id), page, per_page)


def _proposed_count():
    return select(func.count(), func.min(Campaign.created_at)).where(*_proposed())


#: The officers' home counts the campaigns awaiting approval (declared in the manifest).
WORK_QUEUES = (
    WorkQueue("sensing.proposed", "sensing.decide", "citizen_sensing_admin.proposed",
              "%(n)d campaign awaiting approval", "%(n)d campaigns awaiting approval", _proposed_count,
              position=70),
)


@dataclass
class CampaignView:
    campaign: Campaign
    devices: list[Device]
    readings: int
    coverage: list[tuple[str, int]]
    latest: list[tuple[Reading, Sensor, Quantity, Device]]
    statuses: dict[int, str] = field(default_factory=dict)


def campaign_view(campaign: Campaign, newest_hour: datetime | None = None) -> CampaignView:
    """Progress, devices and the latest readings. The counts come from the campaign's summary
    (:class:`CampaignAggregate`), not from its sensors' rows nor its readings. ``newest_hour``: the newest hour
    with readings when the caller knows it already (the week's chart does)."""
    devices = list(db.session.scalars(select(Device).where(Device.campaign_id == campaign.id)
                                      .options(lazyload(Device.sensors)).order_by(Device.name, Device.id)))
    # The readings counted and the newest hour with readings: two ranges of the summary's key, one statement.
    day_rows = (select(func.coalesce(func.sum(CampaignAggregate.count), 0))
                .where(CampaignAggregate.campaign_id == campaign.id, CampaignAggregate.period == "day"))
    newest_row = (select(func.max(CampaignAggregate.starts_at))
                  .where(CampaignAggregate.campaign_id == campaign.id, CampaignAggregate.period == "hour",
                         CampaignAggregate.starts_at >= utcnow() - timedelta(days=7)))
    readings, newest = db.session.execute(select(day_rows.scalar_subquery(), newest_row.scalar_subquery())).one()
    newest = newest_hour or newest
    if isinstance(newest, str):  # SQLite gives the scalar subquery's time as its text
        newest = datetime.fromisoformat(newest).replace(tzinfo=UTC)
    coverage = [(name, n) for name, n in db.session.execute(
        select(Ward.name, func.count(Device.id)).join(Device, Device.ward_id == Ward.id)
        .where(Device.campaign_id == campaign.id, Device.retired_at.is_(None))
        .group_by(Ward.name).order_by(Ward.name))]
    latest_rows = _latest(devices, newest)
    now = utcnow()
    return CampaignView(campaign, devices, int(readings), coverage, latest_rows,
                        {d.id: status_of(d, now) for d in devices})


def _latest(devices: list[Device], newest: datetime | None) -> list[tuple[Reading, Sensor, Quantity, Device]]:
    """The campaign's :data:`LATEST` newest readings, from ``newest`` on (the start of the newest hour the summary
    knows, so nothing older than an hour is read), with their sensors: one statement. On PostgreSQL each device's
    newest readings are read backwards on its (device, time) index, at most :data:`LATEST` each, and only those
    are sorted (not every reading of the hour)."""
    if newest is None or not devices:
        return []
    ids = [d.id for d in devices]
    if db.session.get_bind().dialect.name == "postgresql":
        device_ids = select(func.unnest(literal(ids, ARRAY(Integer))).label("id")).subquery()
        per_device = (select(Reading).where(Reading.device_id == device_ids.c.id, Reading.measured_at >= newest)
                      .order_by(Reading.measured_at.desc(), Reading.sensor_id).limit(LATEST).lateral())
        newest_readings = (select(per_device).select_from(device_ids).join(per_device, true())
                           .order_by(per_device.c.measured_at.desc(), per_device.c.sensor_id).limit(LATEST)
                           .subquery())
    else:
        newest_readings = (select(Reading).where(Reading.device_id.in_(ids), Reading.measured_at >= newest)
                           .order_by(Reading.measured_at.desc(), Reading.sensor_id).limit(LATEST).subquery())
    reading = aliased(Reading, newest_readings)
    by_id = {d.id: d for d in devices}
    rows = db.session.execute(select(reading, Sensor).join(Sensor, Sensor.id == reading.sensor_id)
                              .order_by(reading.measured_at.desc(), reading.sensor_id)).all()
    return [(r, s, s.quantity, by_id[r.device_id]) for r, s in rows]


@dataclass
class Series:
    quantity: Quantity
    period: str
    points: list[tuple[datetime, float, float, float, int]]  # start, mean, min, max, count

    def rows(self) -> list[tuple[str, str, str, str, int]]:
        """The data table's rows, the time in UK time (formatted here once: a table may have hundreds)."""
        fmt = "%d %b %Y, %H:%M" if self.period == "hour" else "%d %b %Y"
        return [(start.astimezone(LONDON).strftime(fmt), f"{mean:.1f}", f"{low:g}", f"{high:g}", n)
                for start, mean, low, high, n in self.points]


def newest_hour(series: list[Series]) -> datetime | None:
    """The newest hour the hourly series hold (None for daily series, or none at all)."""
    starts = [p[0] for s in series if s.period == "hour" for p in s.points[-1:]]
    return max(starts) if starts else None


def chart(campaign: Campaign, range_key: str, now: datetime | None = None) -> list[Series]:
    """Each quantity of the campaign: the mean over its devices' unflagged readings per hour (a day or a week)
    or per day (longer), from the campaign's summary (its stripes added up): one query on one range of its key."""
    now = now or utcnow()
    span = RANGES.get(range_key, RANGES["week"])
    period = "hour" if span <= RANGES["week"] else "day"
    rows = db.session.execute(
        select(CampaignAggregate.quantity_id, CampaignAggregate.starts_at, func.sum(CampaignAggregate.sum_value),
               func.sum(CampaignAggregate.count), func.min(CampaignAggregate.min_value),
               func.max(CampaignAggregate.max_value))
        .where(CampaignAggregate.campaign_id == campaign.id, CampaignAggregate.period == period,
               CampaignAggregate.starts_at >= now - span)
        .group_by(CampaignAggregate.quantity_id, CampaignAggregate.starts_at)
        .order_by(CampaignAggregate.quantity_id, CampaignAggregate.starts_at)).all()
    by_quantity: dict[int, list] = {}
    for quantity_id, start, total, count, low, high in rows:
        if count:
            by_quantity.setdefault(quantity_id, []).append((start, float(total) / int(count), low, high, int(count)))
    return [Series(q, period, by_quantity.get(q.id, [])) for q in campaign.quantities]


def series_data(series: Series) -> dict[str, Any]:
    """A series for the chart script (times in seconds since 1970; the labels through gettext)."""
    from flask_babel import gettext as _
    return {"x": [int(p[0].timestamp()) for p in series.points], "mean": [round(p[1], 2) for p in series.points],
            "min": [p[2] for p in series.points], "max": [p[3] for p in series.points],
            "label": series.quantity.name, "unit": series.quantity.unit, "lowest": _("Lowest"),
            "highest": _("Highest")}


def sensor_day(sensor: Sensor, day_start: datetime) -> list[tuple[datetime, float, str | None]]:
    """One sensor's raw readings over one day (for its chart): one query on the (sensor, time) key."""
    return [tuple(r) for r in db.session.execute(
        select(Reading.measured_at, Reading.value, Reading.flag)
        .where(Reading.sensor_id == sensor.id, Reading.measured_at >= day_start,
               Reading.measured_at < day_start + timedelta(days=1)).order_by(Reading.measured_at))]


@dataclass
class DeviceView:
    device: Device
    campaign: Campaign
    readings: list[tuple[Reading, Sensor]]
    rejections: list[Rejection]
    status: str


def device_view(device: Device, limit: int = 50) -> DeviceView:
    readings = [tuple(r) for r in db.session.execute(
        select(Reading, Sensor).join(Sensor, Sensor.id == Reading.sensor_id)
        .where(Reading.device_id == device.id).order_by(Reading.measured_at.desc()).limit(limit))]
    rejections = list(db.session.scalars(select(Rejection).where(Rejection.device_id == device.id)
                                         .order_by(Rejection.received_at.desc(), Rejection.id.desc()).limit(limit)))
    return DeviceView(device, db.session.get(Campaign, device.campaign_id), readings, rejections, status_of(device))


def svg_points(points: list[tuple[datetime, float]], width: int = 600, height: int = 200) -> dict[str, Any]:
    """Scale a series into an SVG polyline's points, with the extremes for the axis labels."""
    if not points:
        return {"points": "", "low": None, "high": None, "start": None, "end": None}
    t0, t1 = points[0][0], points[-1][0]
    span = max((t1 - t0).total_seconds(), 1.0)
    low = min(v for _t, v in points)
    high = max(v for _t, v in points)
    rise = (high - low) or 1.0
    coords = " ".join(f"{(t - t0).total_seconds() / span * width:.1f},{height - (v - low) / rise * height:.1f}"
                      for t, v in points)
    return {"points": coords, "low": low, "high": high, "start": t0, "end": t1}


@dataclass
class DayChart:
    sensor: Sensor
    points: dict[str, Any]  # svg_points of the raw readings
    hours: list[tuple[str, str, str, str, int]]  # the table: hour (UK time), mean, lowest, highest, readings
    flagged: int


def device_day(device: Device, day: date) -> list[DayChart]:
    """Each sensor's raw readings over one day (UTC), at full resolution: the chart's points, and an hourly
    summary as its table (1,440 rows would be no alternative for anyone). One query per sensor."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    charts = []
    for sensor in device.sensors:
        rows = sensor_day(sensor, start)
        good = [(t, v) for t, v, f in rows if f is None]
        by_hour: dict[datetime, list[float]] = {}
        for t, v in good:
            by_hour.setdefault(t.replace(minute=0, second=0, microsecond=0), []).append(v)
        hours = [(h.astimezone(LONDON).strftime("%H:%M"), f"{sum(vs) / len(vs):.1f}", f"{min(vs):g}", f"{max(vs):g}",
                  len(vs)) for h, vs in sorted(by_hour.items())]
        charts.append(DayChart(sensor, svg_points(good), hours, len(rows) - len(good)))
    return charts
