"""A tenant's evidence pack: a printable page (and a PDF when a converter is available) for a chosen period with
the damp and mould figures of one indoor device, and its readings as a CSV file whose SHA-256 digest is printed
on the pack, so a landlord or the council can check the file they were given was not altered after export.

- **Who**: the device's owner; council officers too (to make the pack again for the same period and check a pack
  they were handed against the site's data). Policy rule ``sensing.evidence_pack``; anyone else gets "not
  found", as for every device page.
- **The period**: UK days, first and last included, at most :data:`MAX_DAYS`, not before 2000 nor after today.
- **Reproducible**: the CSV holds the readings measured in the period that reached the site up to the pack's
  ``as_of`` time (a minute before the pack was made, to the second), one row per reading ordered by time and
  sensor, times as ``2026-11-20T08:30:00Z``, values in Python's shortest round-trip form, UTF-8
  without a byte order mark, CRLF line ends. The same device, period and ``as_of`` give the same bytes, hence the
  same digest, whenever the file is downloaded (unless a quality flag in the period is changed by hand: the flag
  is part of the file).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from citizen_sensing import damp, services
from citizen_sensing.models import Campaign, Device, Quantity, Reading, Sensor
from civic.db import db, utcnow
from civic.errors import NotFound, RuleViolation

#: The longest period of one pack, in days.
MAX_DAYS = 366
#: The pack's default: the last this many days.
DEFAULT_DAYS = 30
EARLIEST = date(2000, 1, 1)
HEADER = ("device", "quantity", "unit", "measured_at", "value", "flag")
YIELD_PER = 10000


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    as_of: datetime  # UTC, to the second: readings received after it are not in the file

    @property
    def start(self) -> datetime:
        return damp.uk_window(self.first, self.last)[0]

    @property
    def end(self) -> datetime:
        return damp.uk_window(self.first, self.last)[1]

    @property
    def as_of_text(self) -> str:
        return self.as_of.strftime("%Y-%m-%dT%H:%M:%SZ")

    def args(self) -> dict[str, str]:
        """The query string that makes this pack (and its CSV) again."""
        return {"start": self.first.isoformat(), "end": self.last.isoformat(), "as_of": self.as_of_text}


def default_as_of(now: datetime | None = None) -> datetime:
    """A minute before now, to the second: readings still arriving in a batch being committed are left out
    both when the page computes the digest and when the file is downloaded."""
    return ((now or utcnow()) - timedelta(minutes=1)).replace(microsecond=0)


def parse_as_of(raw: str | None, now: datetime | None = None) -> datetime | None:
    """``2026-11-20T08:30:00Z`` (the pack's own links) or None when not given; a RuleViolation naming ``as_of``
    for anything else."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw[:40].replace("Z", "+00:00"))
    except ValueError:
        raise RuleViolation(_("Give the time as 2026-11-20T08:30:00Z, as the pack's own link does."),
                            field="as_of") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC).replace(microsecond=0)
    if value > (now or utcnow()) or value.date() < EARLIEST:
        raise RuleViolation(_("The time the readings were received up to must be in the past."), field="as_of")
    return value


def check_period(first: date | None, last: date | None, as_of: datetime | None = None,
                 today: date | None = None) -> Period:
    """The period a person asked for, or a RuleViolation naming the field at fault."""
    today = today or damp.uk_day(utcnow())
    if first is None:
        raise RuleViolation(_("Give the first day of the period."), field="start")
    if last is None:
        raise RuleViolation(_("Give the last day of the period."), field="end")
    if first < EARLIEST:
        raise RuleViolation(_("The first day must be in 2000 or later."), field="start")
    if first > today:
        raise RuleViolation(_("The first day cannot be after today."), field="start")
    if last > today:
        raise RuleViolation(_("The last day cannot be after today."), field="end")
    if last < first:
        raise RuleViolation(_("The last day must be on or after the first day."), field="end")
    if (last - first).days + 1 > MAX_DAYS:
        raise RuleViolation(_("A pack covers at most %(n)d days: choose a shorter period.", n=MAX_DAYS),
                            field="end")
    return Period(first, last, as_of or default_as_of())


def default_period(device: Device) -> Period:
    """The last :data:`DEFAULT_DAYS` days up to the day the device was last seen."""
    _start, _end, first, last = damp.recent_window(device, DEFAULT_DAYS)
    return Period(max(first, EARLIEST), last, default_as_of())


def get_device(user: Any, device_id: int) -> Device:
    """The device, when ``user`` may make its pack (owner, officers); "not found" for anyone else."""
    return services.get_device(user, device_id, "sensing.evidence_pack")


def require_damp_device(device: Device) -> None:
    if not damp.applies_to(device):
        raise NotFound(_("An evidence pack is made for indoor devices that measure air temperature and "
                         "relative humidity."))


# The CSV -------------------------------------------------------------------------------------------------------


def _cells(*cells: str) -> str:
    """Cells as one CSV line's start (quoted only where CSV needs it: a unit an administrator typed may hold a
    comma or a quote)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    return buffer.getvalue()


def _timestamp_sql(column):
    """The time as the file writes it, ``2026-11-20T08:30:00Z`` (UTC, to the second), formatted by the database:
    half a million rows are not turned into Python datetimes one by one."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
    return func.strftime("%Y-%m-%dT%H:%M:%SZ", column)


def _chunks(device: Device, period: Period) -> Iterator[tuple[bytes, int]]:
    """The file in chunks of UTF-8 bytes with their number of readings: the header, then :data:`YIELD_PER`
    readings at a time, read from a server-side cursor (memory stays flat). Rows are ordered by time, then by
    sensor (the order the device's sensors were registered in)."""
    yield (_cells(*HEADER) + "\r\n").encode("utf-8"), 0
    prefix = {sid: _cells(device.public_key, key, unit) + "," for sid, key, unit in db.session.execute(
        select(Sensor.id, Quantity.key, Quantity.unit).join(Quantity, Quantity.id == Sensor.quantity_id)
        .where(Sensor.device_id == device.id))}
    table = Reading.__table__.c  # Core, not the ORM: no entity loading for half a million rows
    stmt = (select(table.sensor_id, _timestamp_sql(table.measured_at), table.value, table.flag)
            .where(table.device_id == device.id, table.measured_at >= period.start, table.measured_at < period.end,
                   table.received_at <= period.as_of)
            .order_by(table.measured_at, table.sensor_id))
    # The options on the statement, not on the connection (they would stay on the session's connection).
    result = db.session.connection().execute(stmt.execution_options(yield_per=YIELD_PER, stream_results=True))
    try:
        for rows in result.partitions(YIELD_PER):
            yield "".join(f"{prefix[sid]}{when},{float(value)!r},{flag or ''}\r\n"
                          for sid, when, value, flag in rows).encode("utf-8"), len(rows)
    finally:
        result.close()


def csv_lines(device: Device, period: Period) -> Iterator[bytes]:
    """The pack's CSV file, in chunks of bytes (the download streams them)."""
    for chunk, _n in _chunks(device, period):
        yield chunk


def file_name(device: Device, period: Period) -> str:
    return f"civic-evidence-{device.public_key}-{period.first.isoformat()}-to-{period.last.isoformat()}.csv"


def digest(device: Device, period: Period) -> tuple[str, int]:
    """The SHA-256 digest (hex) of the pack's CSV file and its number of readings, computed as it streams."""
    sha = hashlib.sha256()
    rows = 0
    for chunk, n in _chunks(device, period):
        sha.update(chunk)
        rows += n
    return sha.hexdigest(), rows


# The pack ------------------------------------------------------------------------------------------------------


@dataclass
class Pack:
    device: Device
    campaign: Campaign
    period: Period
    summary: damp.Summary
    charts: dict[str, Any]
    digest: str
    rows: int
    file_name: str
    place: str
    made_at: datetime
    by_owner: bool


def place_of(device: Device) -> str:
    """Where the device is, as its owner chose to show it (never the exact place of a home)."""
    point = services.public_point(device)
    if device.privacy == "exact" and point is not None:
        return _("Exactly at %(lat).5f, %(lng).5f (the owner shows the exact place).", lat=point[0], lng=point[1])
    if point is not None:
        return _("Within about 250 m of %(lat).5f, %(lng).5f in %(ward)s ward (the owner shows the place moved by "
                 "a fixed random distance, never exactly).", lat=point[0], lng=point[1], ward=device.ward.name)
    return _("%(ward)s ward (the owner shows the ward only, no place).", ward=device.ward.name)


def make(user: Any, device: Device, period: Period) -> Pack:
    """The pack's figures, charts and digest. Authorisation is checked again here, whatever the caller did."""
    from civic import policy
    policy.require(user, "sensing.evidence_pack", device)
    require_damp_device(device)
    s = damp.summary(device, period.start, period.end)
    sha, rows = digest(device, period)
    return Pack(device, db.session.get(Campaign, device.campaign_id), period, s, damp.charts(s), sha, rows,
                file_name(device, period), place_of(device), utcnow(), device.owner_id == user.id)
