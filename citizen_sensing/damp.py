"""Damp and mould (the Damp Busters case): dew point, hours at mould risk, a daily risk summary and the comparison
with outdoor devices of the same ward, for indoor devices that measure air temperature and relative humidity.

Everything is computed from the **hourly aggregates** (:mod:`citizen_sensing.aggregates`), never from the raw
readings: a year of one device is at most 8,784 hours of two sensors, read in one query (and the outdoor devices
of the ward in one more), whatever the number of readings.

- :func:`dew_point`: the Magnus formula with Sonntag's (1990) constants, b = 17.62, c = 243.12 °C (over water,
  good to about 0.1 °C between -45 and 60 °C);
- an hour is **at mould risk** when the mean relative humidity of its readings is 80 % or more, and in the
  **raised band** when it is 70 % or more (below 80 %); flagged readings are left out, as in every aggregate;
- :func:`summary`: the hours and the days (UK days, midnight to midnight) of a period, with the outdoor
  comparison when an outdoor device of a public campaign in the same ward measures both quantities;
- :func:`campaign_risk`: each indoor device's hours at risk over the last days, for the campaign page (one
  query for all the devices).

The tenant's evidence pack (the printable page, its CSV and digest) is :mod:`citizen_sensing.evidence`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select

from citizen_sensing.models import Aggregate, Campaign, Device, Quantity, Sensor
from civic.db import db, utcnow

LONDON = ZoneInfo("Europe/London")
TEMPERATURE = "air_temperature"
HUMIDITY = "relative_humidity"
#: Mean relative humidity (%) of an hour at or above which the hour counts as at mould risk.
MOULD_RH = 80.0
#: ... and at or above which (below MOULD_RH) it is in the raised band.
RAISED_RH = 70.0
MAGNUS_B = 17.62
MAGNUS_C = 243.12  # °C


def dew_point(temperature: float | None, humidity: float | None) -> float | None:
    """The dew point (°C) of air at ``temperature`` (°C) and relative ``humidity`` (%), by the Magnus formula;
    None when either is missing or the humidity is not above 0 %."""
    if temperature is None or humidity is None or humidity <= 0 or temperature <= -MAGNUS_C:
        return None
    gamma = math.log(min(humidity, 100.0) / 100.0) + MAGNUS_B * temperature / (MAGNUS_C + temperature)
    return MAGNUS_C * gamma / (MAGNUS_B - gamma)


def sensors_of(device: Device) -> dict[str, Sensor]:
    """The device's temperature and humidity sensors by quantity key (the first of each)."""
    found: dict[str, Sensor] = {}
    for sensor in device.sensors:
        if sensor.quantity.key in (TEMPERATURE, HUMIDITY):
            found.setdefault(sensor.quantity.key, sensor)
    return found


def applies_to(device: Device) -> bool:
    """Damp and mould figures are for indoor devices measuring both air temperature and relative humidity."""
    return device.setting == "indoor" and len(sensors_of(device)) == 2


def uk_window(first: date, last: date) -> tuple[datetime, datetime]:
    """The UTC start and end (exclusive) of the UK days ``first`` to ``last``, both included."""
    start = datetime.combine(first, time(0), LONDON).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), LONDON).astimezone(UTC)
    return start, end


def uk_day(when: datetime) -> date:
    return when.astimezone(LONDON).date()


@dataclass
class Hour:
    start: datetime
    temperature: float | None = None  # mean °C
    humidity: float | None = None  # mean %
    t_low: float | None = None
    t_high: float | None = None
    rh_low: float | None = None
    rh_high: float | None = None
    t_count: int = 0
    rh_count: int = 0

    @property
    def dew_point(self) -> float | None:
        return dew_point(self.temperature, self.humidity)


@dataclass
class Day:
    day: date
    hours: int = 0  # hours with a humidity mean
    hours_70: int = 0  # of them, mean RH >= 70 % (80 % included)
    hours_80: int = 0  # of them, mean RH >= 80 %
    t_min: float | None = None
    t_mean: float | None = None
    t_max: float | None = None
    rh_min: float | None = None
    rh_mean: float | None = None
    rh_max: float | None = None
    dew_point: float | None = None  # the mean of the hours' dew points
    outdoor_t: float | None = None
    outdoor_rh: float | None = None
    outdoor_dew_point: float | None = None
    dew_point_excess: float | None = None  # mean over the hours both have: indoor minus outdoor dew point

    @property
    def band_70(self) -> int:
        """Hours from 70 % up to (not including) 80 %."""
        return self.hours_70 - self.hours_80


@dataclass
class Outdoor:
    devices: int
    ward: str
    hours: dict[datetime, tuple[float | None, float | None]]  # hour -> (mean °C, mean %) over the devices


@dataclass
class Summary:
    device: Device
    start: datetime  # UTC
    end: datetime  # UTC, exclusive
    hours: list[Hour]
    days: list[Day]
    outdoor: Outdoor | None = None
    totals: dict[str, Any] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.hours


def _hourly(sensor_ids: dict[str, int], start: datetime, end: datetime) -> list[Hour]:
    """The device's hours from its hourly aggregates: one query, ordered by time."""
    keys = {sid: key for key, sid in sensor_ids.items()}
    rows = db.session.execute(
        select(Aggregate.sensor_id, Aggregate.starts_at, Aggregate.count, Aggregate.min_value, Aggregate.max_value,
               Aggregate.sum_value)
        .where(Aggregate.sensor_id.in_(list(keys)), Aggregate.period == "hour", Aggregate.starts_at >= start,
               Aggregate.starts_at < end)
        .order_by(Aggregate.starts_at, Aggregate.sensor_id)).all()
    hours: dict[datetime, Hour] = {}
    for sensor_id, starts_at, count, low, high, total in rows:
        if not count:
            continue
        hour = hours.get(starts_at)
        if hour is None:
            hour = hours[starts_at] = Hour(starts_at)
        if keys[sensor_id] == TEMPERATURE:
            hour.temperature, hour.t_low, hour.t_high, hour.t_count = total / count, low, high, count
        else:
            hour.humidity, hour.rh_low, hour.rh_high, hour.rh_count = total / count, low, high, count
    return list(hours.values())


def _public_campaign():
    return (Campaign.status == "approved", Campaign.hidden_at.is_(None))


def outdoor(device: Device, start: datetime, end: datetime) -> Outdoor | None:
    """The outdoor devices of public campaigns in the device's ward that measure both quantities: their mean
    temperature and humidity per hour (two queries), or None when there is none."""
    base = (select(Sensor.id, Quantity.key, Sensor.device_id).join(Device, Device.id == Sensor.device_id)
            .join(Campaign, Campaign.id == Device.campaign_id).join(Quantity, Quantity.id == Sensor.quantity_id)
            .where(Device.setting == "outdoor", Device.ward_id == device.ward_id, Device.id != device.id,
                   Quantity.key.in_((TEMPERATURE, HUMIDITY)), *_public_campaign()))
    sensors = db.session.execute(base).all()
    measures: dict[int, set[str]] = {}
    for _sid, key, device_id in sensors:
        measures.setdefault(device_id, set()).add(key)
    both = {d for d, keys in measures.items() if len(keys) == 2}
    if not both:
        return None
    key_of = {sid: key for sid, key, device_id in sensors if device_id in both}
    rows = db.session.execute(
        select(Aggregate.sensor_id, Aggregate.starts_at, Aggregate.sum_value, Aggregate.count)
        .where(Aggregate.sensor_id.in_(list(key_of)), Aggregate.period == "hour", Aggregate.starts_at >= start,
               Aggregate.starts_at < end)).all()
    sums: dict[tuple[datetime, str], list[float]] = {}
    for sensor_id, starts_at, total, count in rows:
        if count:
            s = sums.setdefault((starts_at, key_of[sensor_id]), [0.0, 0])
            s[0] += total
            s[1] += count
    hours: dict[datetime, tuple[float | None, float | None]] = {}
    for starts_at in sorted({k[0] for k in sums}):
        t = sums.get((starts_at, TEMPERATURE))
        rh = sums.get((starts_at, HUMIDITY))
        hours[starts_at] = (t[0] / t[1] if t else None, rh[0] / rh[1] if rh else None)
    return Outdoor(len(both), device.ward.name, hours)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def daily(hours: list[Hour], out: Outdoor | None = None) -> list[Day]:
    """Group the hours by UK day: hours at 70 % and 80 % or more, lowest, mean and highest temperature and
    humidity (the means weighted by the readings), the mean dew point, and the outdoor figures of the same
    hours."""
    by_day: dict[date, list[Hour]] = {}
    for hour in hours:
        by_day.setdefault(uk_day(hour.start), []).append(hour)
    days = []
    for day, its in sorted(by_day.items()):
        d = Day(day)
        t_hours = [h for h in its if h.temperature is not None]
        rh_hours = [h for h in its if h.humidity is not None]
        d.hours = len(rh_hours)
        d.hours_70 = sum(1 for h in rh_hours if h.humidity >= RAISED_RH)
        d.hours_80 = sum(1 for h in rh_hours if h.humidity >= MOULD_RH)
        if t_hours:
            d.t_min = min(h.t_low for h in t_hours)
            d.t_max = max(h.t_high for h in t_hours)
            d.t_mean = sum(h.temperature * h.t_count for h in t_hours) / sum(h.t_count for h in t_hours)
        if rh_hours:
            d.rh_min = min(h.rh_low for h in rh_hours)
            d.rh_max = max(h.rh_high for h in rh_hours)
            d.rh_mean = sum(h.humidity * h.rh_count for h in rh_hours) / sum(h.rh_count for h in rh_hours)
        d.dew_point = _mean([p for p in (h.dew_point for h in its) if p is not None])
        if out is not None:
            pairs = [(h, out.hours[h.start]) for h in its if h.start in out.hours]
            d.outdoor_t = _mean([o[0] for _h, o in pairs if o[0] is not None])
            d.outdoor_rh = _mean([o[1] for _h, o in pairs if o[1] is not None])
            out_dews = [(h.dew_point, dew_point(*o)) for h, o in pairs]
            d.outdoor_dew_point = _mean([o for _i, o in out_dews if o is not None])
            d.dew_point_excess = _mean([i - o for i, o in out_dews if i is not None and o is not None])
        days.append(d)
    return days


def summary(device: Device, start: datetime, end: datetime) -> Summary:
    """The damp and mould figures of ``device`` from ``start`` to ``end`` (UTC, end excluded): three queries at
    most (its hours; the ward's outdoor sensors and their hours)."""
    sensors = sensors_of(device)
    hours = _hourly({k: s.id for k, s in sensors.items()}, start, end) if sensors else []
    out = outdoor(device, start, end) if hours else None
    days = daily(hours, out)
    rh_hours = [h for h in hours if h.humidity is not None]
    dews = [p for p in (h.dew_point for h in hours) if p is not None]
    totals: dict[str, Any] = {
        "hours": len(rh_hours),
        "hours_70": sum(d.hours_70 for d in days),
        "hours_80": sum(d.hours_80 for d in days),
        "days": len(days),
        "days_80": sum(1 for d in days if d.hours_80),
        "days_80_6h": sum(1 for d in days if d.hours_80 >= 6),
        "t_min": min((d.t_min for d in days if d.t_min is not None), default=None),
        "t_max": max((d.t_max for d in days if d.t_max is not None), default=None),
        "t_mean": _weighted([(h.temperature, h.t_count) for h in hours if h.temperature is not None]),
        "rh_min": min((d.rh_min for d in days if d.rh_min is not None), default=None),
        "rh_max": max((d.rh_max for d in days if d.rh_max is not None), default=None),
        "rh_mean": _weighted([(h.humidity, h.rh_count) for h in rh_hours]),
        "dew_point": _mean(dews),
        "readings": sum(h.t_count + h.rh_count for h in hours),
    }
    totals["share_80"] = totals["hours_80"] / totals["hours"] if totals["hours"] else None
    totals["share_70"] = totals["hours_70"] / totals["hours"] if totals["hours"] else None
    if out is not None:
        matched = [(h, out.hours[h.start]) for h in hours if h.start in out.hours]
        totals["outdoor_t"] = _mean([o[0] for _h, o in matched if o[0] is not None])
        totals["outdoor_rh"] = _mean([o[1] for _h, o in matched if o[1] is not None])
        pairs = [(h.dew_point, dew_point(*o)) for h, o in matched]
        totals["outdoor_dew_point"] = _mean([o for _i, o in pairs if o is not None])
        totals["dew_point_excess"] = _mean([i - o for i, o in pairs if i is not None and o is not None])
        totals["outdoor_hours"] = len(matched)
    return Summary(device, start, end, hours, days, out, totals)


def _weighted(pairs: list[tuple[float, int]]) -> float | None:
    n = sum(c for _v, c in pairs)
    return sum(v * c for v, c in pairs) / n if n else None


def recent_window(device: Device, days: int = 30) -> tuple[datetime, datetime, date, date]:
    """The last ``days`` UK days up to the day the device was last seen (today when never): UTC start and end,
    first and last day."""
    last = uk_day(device.last_seen_at or utcnow())
    first = last - timedelta(days=days - 1)
    start, end = uk_window(first, last)
    return start, end, first, last


# The campaign page ---------------------------------------------------------------------------------------------


@dataclass
class DeviceRisk:
    device_id: int
    name: str
    ward: str
    hours: int
    hours_70: int
    hours_80: int

    @property
    def band_70(self) -> int:
        return self.hours_70 - self.hours_80


def campaign_risk(campaign: Campaign, days: int = 30, now: datetime | None = None) -> list[DeviceRisk]:
    """Each indoor device of the campaign with a humidity sensor: its hours with readings, at 70 % or more and at
    80 % or more over the last ``days`` days (one query, grouped by device), the riskiest first."""
    now = now or utcnow()
    mean = Aggregate.sum_value / Aggregate.count
    from civic.spaces.models import Ward
    rows = db.session.execute(
        select(Device.id, Device.name, Ward.name, func.count(),
               func.coalesce(func.sum(case((mean >= RAISED_RH, 1), else_=0)), 0),
               func.coalesce(func.sum(case((mean >= MOULD_RH, 1), else_=0)), 0))
        .select_from(Aggregate).join(Sensor, Sensor.id == Aggregate.sensor_id)
        .join(Device, Device.id == Sensor.device_id).join(Ward, Ward.id == Device.ward_id)
        .join(Quantity, Quantity.id == Sensor.quantity_id)
        .where(Device.campaign_id == campaign.id, Device.setting == "indoor", Quantity.key == HUMIDITY,
               Aggregate.period == "hour", Aggregate.count > 0, Aggregate.starts_at >= now - timedelta(days=days))
        .group_by(Device.id, Device.name, Ward.name)).all()
    risks = [DeviceRisk(i, name, ward, int(n), int(n70), int(n80)) for i, name, ward, n, n70, n80 in rows]
    return sorted(risks, key=lambda r: (-r.hours_80, -r.hours_70, r.name, r.device_id))


def measures_damp(campaign: Campaign) -> bool:
    keys = {q.key for q in campaign.quantities}
    return HUMIDITY in keys and TEMPERATURE in keys


# Charts (SVG drawn on the server; the daily table is the text alternative) ------------------------------------

WIDTH, HEIGHT = 600, 200


def _x(when: datetime, start: datetime, end: datetime) -> float:
    span = max((end - start).total_seconds(), 1.0)
    return (when - start).total_seconds() / span * WIDTH


def _y(value: float, low: float, high: float) -> float:
    return HEIGHT - (value - low) / ((high - low) or 1.0) * HEIGHT


def _polyline(points: list[tuple[datetime, float]], start: datetime, end: datetime, low: float,
              high: float) -> list[str]:
    """Runs of points (a gap of more than three hours starts a new run, so a line never bridges missing data)."""
    runs: list[list[str]] = []
    last: datetime | None = None
    for when, value in points:
        if last is None or when - last > timedelta(hours=3):
            runs.append([])
        runs[-1].append(f"{_x(when, start, end):.1f},{_y(value, low, high):.1f}")
        last = when
    return [" ".join(r) for r in runs]


def charts(s: Summary) -> dict[str, Any]:
    """The three charts' geometry: humidity per hour against the 70 % and 80 % bands; temperature and dew point
    per hour (and outdoors, when known); the hours at risk per day as bars."""
    start, end = s.start, s.end
    rh = [(h.start, h.humidity) for h in s.hours if h.humidity is not None]
    temps = [(h.start, h.temperature) for h in s.hours if h.temperature is not None]
    dews = [(h.start, h.dew_point) for h in s.hours if h.dew_point is not None]
    outdoor_t = ([(t, v[0]) for t, v in sorted(s.outdoor.hours.items()) if v[0] is not None]
                 if s.outdoor else [])
    values = [v for _t, v in temps + dews + outdoor_t]
    t_low = math.floor(min(values)) - 1 if values else 0
    t_high = math.ceil(max(values)) + 1 if values else 25
    rh_low = 20.0
    days = max((s.end - s.start).days, 1)
    bar = WIDTH / days
    bars = []
    for d in s.days:
        x = _x(datetime.combine(d.day, time(0), LONDON).astimezone(UTC), start, end)
        h80 = d.hours_80 / 24 * HEIGHT
        h70 = d.band_70 / 24 * HEIGHT
        bars.append({"x": f"{x:.1f}", "w": f"{max(bar - 1, 1):.1f}", "y80": f"{HEIGHT - h80:.1f}",
                     "h80": f"{h80:.1f}", "y70": f"{HEIGHT - h80 - h70:.1f}", "h70": f"{h70:.1f}"})
    return {
        "start": start, "end": end - timedelta(seconds=1),
        "humidity": _polyline(rh, start, end, rh_low, 100.0),
        "band_80_y": f"{_y(MOULD_RH, rh_low, 100.0):.1f}", "band_70_y": f"{_y(RAISED_RH, rh_low, 100.0):.1f}",
        "band_70_h": f"{_y(RAISED_RH, rh_low, 100.0) - _y(MOULD_RH, rh_low, 100.0):.1f}",
        "rh_low": rh_low,
        "temperature": _polyline(temps, start, end, t_low, t_high),
        "dew_point": _polyline(dews, start, end, t_low, t_high),
        "outdoor": _polyline(outdoor_t, start, end, t_low, t_high),
        "t_low": t_low, "t_high": t_high,
        "bars": bars,
    }


def fmt(value: float | None, digits: int = 1) -> str:
    """A figure for the tables: fixed decimals, or an en dash when there is none."""
    return "–" if value is None else f"{value:.{digits}f}"
