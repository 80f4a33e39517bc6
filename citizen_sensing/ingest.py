"""The one ingest service: every format (our JSON and CSV, openSenseMap's, Sensor.Community's, Smart Citizen's,
the web form, the CSV upload; later the MQTT bridge) turns what a device sent into :class:`Item`\\ s and calls
:func:`ingest`.

The rules, once:

- a value is a finite number (a number or the text of one) inside its quantity's physical range;
- a time is ISO 8601; without a zone it is UTC (and the answer says so); without a time, the reading is taken
  as measured when it arrived; not more than :data:`FUTURE` ahead, not before :data:`EARLIEST`;
- a reading already stored (same sensor, same time) is a duplicate: answered, never stored twice (the primary
  key says so, under concurrency too);
- every item is answered (accepted, duplicate, rejected with the field and the reason) and every good item is
  kept when others are bad;
- the accepted rows go in with one multi-row statement (``INSERT ... ON CONFLICT DO NOTHING RETURNING``), the
  aggregates are brought up to date with one upsert (:mod:`citizen_sensing.aggregates`), quality control flags
  doubtful readings without dropping them (:mod:`citizen_sensing.quality`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import insert, or_, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from citizen_sensing import aggregates, alerts, quality
from citizen_sensing.models import Device, Reading, Rejection, Sensor
from citizen_sensing.storage import pg_array
from civic.db import db, utcnow

#: The most readings one request may carry, and its largest body.
MAX_READINGS = 2500
MAX_BYTES = 1024 * 1024
FUTURE = timedelta(minutes=1)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
#: Refused items kept for the owner's device page, per request.
REJECTIONS_KEPT = 50
#: A device's last contact is written again only when the one stored is older than this.
LAST_SEEN_STEP = timedelta(minutes=1)


@dataclass
class Item:
    """One reading as a format read it, before the rules: ``label`` names it in the answer (its position, its
    line, its value type); ``problem`` is the format's own refusal (field, reason), e.g. an unknown sensor."""

    label: str
    sensor: Sensor | None
    value: Any
    time: Any = None
    problem: tuple[str, str] | None = None


@dataclass
class Outcome:
    item: str
    status: str  # accepted | duplicate | rejected
    field: str | None = None
    reason: str | None = None
    sensor: Sensor | None = None
    measured_at: datetime | None = None
    value: float | None = None
    flag: str | None = None
    raw: str = ""

    def as_json(self) -> dict[str, Any]:
        """The item's answer: its label and status; the field and reason of a refusal; a stored reading's flag."""
        if self.status == "rejected":
            return {"item": self.item, "status": self.status, "field": self.field, "reason": self.reason}
        if self.flag:
            return {"item": self.item, "status": self.status, "flag": self.flag}
        return {"item": self.item, "status": self.status}


@dataclass
class Result:
    outcomes: list[Outcome]
    notes: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def accepted(self) -> int:
        return self.count("accepted")

    @property
    def duplicates(self) -> int:
        return self.count("duplicate")

    @property
    def rejected(self) -> int:
        return self.count("rejected")

    def first_rejection(self) -> Outcome | None:
        return next((o for o in self.outcomes if o.status == "rejected"), None)

    def as_json(self) -> dict[str, Any]:
        counts = Counter(o.status for o in self.outcomes)
        return {"accepted": counts["accepted"], "duplicates": counts["duplicate"], "rejected": counts["rejected"],
                "notes": self.notes, "items": [o.as_json() for o in self.outcomes]}


# The rules for one item -------------------------------------------------------------------------------------


class Refused(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def parse_value(raw: Any) -> float:
    if isinstance(raw, bool) or raw is None or isinstance(raw, dict | list):
        raise Refused("value", _("The value must be a number."))
    if isinstance(raw, int | float):
        try:
            number = float(raw)
        except OverflowError:
            raise Refused("value", _("The value is not a finite number.")) from None
    elif isinstance(raw, str):
        text = raw.strip()
        if not text:
            raise Refused("value", _("The value is empty."))
        if len(text) > 40:
            raise Refused("value", _("The value must be a number."))
        try:
            number = float(text)
        except ValueError:
            raise Refused("value", _("The value must be a number, not “%(text)s”.", text=text[:20])) from None
    else:
        raise Refused("value", _("The value must be a number."))
    if not math.isfinite(number):
        raise Refused("value", _("The value is not a finite number."))
    return number


def parse_time(raw: Any, now: datetime, notes: set[str]) -> datetime:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        notes.add("no_time")
        return now
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, str):
        text = raw.strip()
        if len(text) > 40 or not text.isascii() or not text[:4].isdigit():
            raise Refused("timestamp", _("The time must be in ISO 8601, like 2026-11-20T08:15:00Z."))
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise Refused("timestamp", _("The time must be in ISO 8601, like 2026-11-20T08:15:00Z.")) from None
    else:
        raise Refused("timestamp", _("The time must be text in ISO 8601, like 2026-11-20T08:15:00Z."))
    if value.tzinfo is None:
        notes.add("utc")
        value = value.replace(tzinfo=UTC)
    try:
        value = value.astimezone(UTC)
    except OverflowError:
        raise Refused("timestamp", _("The time is not a real time.")) from None
    if value > now + FUTURE:
        raise Refused("timestamp", _("The time is in the future: check the device's clock."))
    if value < EARLIEST:
        raise Refused("timestamp", _("The time is before 2000: check the device's clock."))
    return value


def _raw(item: Item) -> str:
    text = repr(item.value) if not isinstance(item.value, str) else item.value
    return text[:200]


def check(items: Sequence[Item], now: datetime | None = None) -> tuple[list[Outcome], list[str]]:
    """Each item against the rules (nothing is read from or written to the database): an outcome per item,
    ``accepted`` meaning "passes the rules", and the notes for the answer.

    The loop runs once per reading (2,500 a request at most), so what does not change within a batch is looked up
    once: each sensor's id and its quantity's range, and each time's text (a batch names one time for each of its
    quantities) is read once."""
    now = now or utcnow()
    notes: set[str] = set()
    outcomes: list[Outcome] = []
    append = outcomes.append
    seen: set[tuple[int, datetime]] = set()
    limits: dict[Sensor, tuple[int, float, float]] = {}
    times: dict[str, datetime] = {}
    isfinite = math.isfinite
    for item in items:
        sensor = item.sensor
        try:
            if item.problem is not None:
                raise Refused(*item.problem)
            if sensor is None:
                raise Refused("sensor", _("This device has no such sensor."))
            limit = limits.get(sensor)
            if limit is None:
                quantity = sensor.quantity
                limit = limits[sensor] = (sensor.id, quantity.min_value, quantity.max_value)
            raw = item.value
            value = raw if type(raw) is float and isfinite(raw) else parse_value(raw)
            if not limit[1] <= value <= limit[2]:
                quantity = sensor.quantity
                raise Refused("value", _("%(value)s %(unit)s is outside the physical range of %(name)s "
                                         "(%(low)s to %(high)s).", value=f"{value:g}", unit=quantity.unit,
                                         name=quantity.name, low=f"{quantity.min_value:g}",
                                         high=f"{quantity.max_value:g}"))
            raw_time = item.time
            if type(raw_time) is str:
                when = times.get(raw_time)
                if when is None:
                    when = times[raw_time] = parse_time(raw_time, now, notes)
            else:
                when = parse_time(raw_time, now, notes)
        except Refused as refused:
            append(Outcome(item.label, "rejected", refused.field, refused.reason, raw=_raw(item)))
            continue
        key = (limit[0], when)
        if key in seen:
            append(Outcome(item.label, "duplicate", None, None, sensor, when, value))
        else:
            seen.add(key)
            append(Outcome(item.label, "accepted", None, None, sensor, when, value))
    words = []
    if "utc" in notes:
        words.append(_("Times without a time zone were read as UTC."))
    if "no_time" in notes:
        words.append(_("Readings without a time were given the time they arrived."))
    return outcomes, words


_INSERTS: dict[str, Any] = {}


def _insert_statement():
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING sensor_id, measured_at``, built once per dialect."""
    dialect = db.session.get_bind().dialect.name
    stmt = _INSERTS.get(dialect)
    if stmt is None:
        table = Reading.__table__
        insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = _INSERTS[dialect] = insert_(table).on_conflict_do_nothing().returning(table.c.sensor_id,
                                                                                   table.c.measured_at)
    return stmt


def _existing(outcomes: Sequence[Outcome]) -> set[tuple[int, datetime]]:
    keys = [(o.sensor.id, o.measured_at) for o in outcomes if o.status == "accepted"]
    if not keys:
        return set()
    found: set[tuple[int, datetime]] = set()
    for start in range(0, len(keys), 500):
        part = keys[start:start + 500]
        found |= {(s, t) for s, t in db.session.execute(
            select(Reading.sensor_id, Reading.measured_at)
            .where(tuple_(Reading.sensor_id, Reading.measured_at).in_(part)))}
    return found


#: PostgreSQL: the batch as arrays, unnested into one INSERT (a short statement whatever the batch's size: psycopg
#: parses it once, where a multi-row VALUES of 6,000 parameters would be parsed for every batch).
PG_ROWS = ("INSERT INTO sensing_readings (sensor_id, measured_at, device_id, value, flag, received_at) "
           "SELECT s, t, d, v, f, :received_at FROM unnest(CAST(:s AS integer[]), CAST(:t AS timestamptz[]), "
           "CAST(:d AS integer[]), CAST(:v AS double precision[]), CAST(:f AS varchar[])) AS u(s, t, d, v, f)")
#: The first try: a plain INSERT, in a savepoint (a re-sent reading makes it fail on the primary key).
PG_INSERT_NEW = text(PG_ROWS)
#: When a reading of the batch is there already: each one stored at most once, the stored ones named.
PG_INSERT = text(PG_ROWS + " ON CONFLICT DO NOTHING RETURNING sensor_id, measured_at")
UNIQUE_VIOLATION = "23505"


def _store(fresh: Sequence[Outcome], now: datetime) -> set[tuple[int, datetime]] | None:
    """Insert the batch (of one device or several); None when every reading was stored, else the (sensor, time)
    keys stored (any other was there already: the primary key decides, under concurrency too).

    On PostgreSQL a plain INSERT is tried first, in a savepoint: ``ON CONFLICT`` makes PostgreSQL insert each row
    speculatively (about twice the work per row), which only a re-sent batch needs. When the primary key refuses
    one reading, the savepoint is rolled back and the batch goes in again with ``ON CONFLICT DO NOTHING``. A
    concurrent copy of the batch makes the plain INSERT wait for it, then fail the same way."""
    session = db.session
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        ids = {o.sensor: 0 for o in fresh}
        for sensor in ids:
            ids[sensor] = (sensor.id, sensor.device_id)
        params = {"received_at": now, "s": pg_array(ids[o.sensor][0] for o in fresh),
                  "t": pg_array(o.measured_at for o in fresh), "d": pg_array(ids[o.sensor][1] for o in fresh),
                  "v": pg_array(repr(o.value) for o in fresh), "f": pg_array(o.flag for o in fresh)}
        try:
            with session.begin_nested():  # the SAVEPOINT is sent when the session gives out its connection
                session.connection().execute(PG_INSERT_NEW, params)
            return None
        except IntegrityError as error:
            if getattr(error.orig, "sqlstate", None) != UNIQUE_VIOLATION:
                raise
        return {(s, t.astimezone(UTC)) for s, t in connection.execute(PG_INSERT, params)}
    # SQLite: one statement compiled once, sent as multi-row INSERTs (SQLAlchemy's "insertmanyvalues").
    rows = [{"sensor_id": o.sensor.id, "measured_at": o.measured_at, "device_id": o.sensor.device_id,
             "value": o.value, "flag": o.flag, "received_at": now} for o in fresh]
    return {(s, t) for s, t in connection.execute(_insert_statement(), rows)}


def preview(device: Device, items: Sequence[Item], *, now: datetime | None = None) -> Result:
    """What :func:`ingest` would do, without writing anything (the upload's preview)."""
    outcomes, notes = check(items, now)
    stored = _existing(outcomes)
    for o in outcomes:
        if o.status == "accepted" and (o.sensor.id, o.measured_at) in stored:
            o.status = "duplicate"
    return Result(outcomes, notes)


def ingest(device: Device, items: Sequence[Item], *, source: str, now: datetime | None = None) -> Result:
    """Store what passes the rules, answer for every item. Flushes; the caller's transaction commits."""
    return ingest_many([(device, items)], source=source, now=now)[0]


def ingest_many(batches: Sequence[tuple[Device, Sequence[Item]]], *, source: str,
                now: datetime | None = None) -> list[Result]:
    """:func:`ingest` for several devices at once (the MQTT bridge's batch): the same rules per device, and one
    statement each for the readings, the quality history, the aggregates, the devices' last contact and the
    refused items, however many devices. A result per device, in order. Flushes; the caller commits."""
    now = now or utcnow()
    results: list[Result] = []
    fresh: list[Outcome] = []
    refused: list[dict[str, Any]] = []
    seen: list[Device] = []
    for device, items in batches:
        outcomes, notes = check(items, now)
        results.append(Result(outcomes, notes))
        accepted = [o for o in outcomes if o.status == "accepted"]
        if accepted:
            fresh += accepted
            seen.append(device)
        refused += [{"device_id": device.id, "received_at": now, "source": source[:20], "item": o.item[:40],
                     "field": o.field, "reason": (o.reason or "")[:300], "raw": o.raw}
                    for o in [o for o in outcomes if o.status == "rejected"][:REJECTIONS_KEPT]]
    if refused:
        db.session.execute(insert(Rejection), refused)
    if fresh:
        quality.flag(fresh)
        stored = _store(fresh, now)
        if stored is not None:
            for o in fresh:
                if (o.sensor.id, o.measured_at) not in stored:
                    o.status = "duplicate"
                    o.flag = None
        # The last contact, to the minute: a device sending every second is not rewritten every second.
        db.session.execute(update(Device).where(Device.id.in_({d.id for d in seen}),
                                                or_(Device.last_seen_at.is_(None),
                                                    Device.last_seen_at < now - LAST_SEEN_STEP))
                           .values(last_seen_at=now).execution_options(synchronize_session=False))
        for device in seen:  # (what the update wrote, without the session comparing it with every device it holds)
            if device.last_seen_at is None or device.last_seen_at < now - LAST_SEEN_STEP:
                set_committed_value(device, "last_seen_at", now)
            alerts.readings_arrived(device.id)  # its alert rules, evaluated after the commit
        # Last: the campaign's summary rows are the ones concurrent batches share (locked until the commit).
        aggregates.add([o for o in fresh if o.status == "accepted" and o.flag is None],
                       {d.id: d.campaign_id for d in seen})
    return results
