"""Hourly and daily aggregates (count, minimum, maximum, sum; the mean is sum / count) per sensor, in UTC.

Each batch adds its accepted, unflagged readings with one upsert (:func:`add`); a flag set or cleared by hand
computes that hour and day again from the raw readings (:func:`rebuild_buckets`); ``flask citizen_sensing
rebuild-aggregates`` computes everything again (:func:`rebuild`). Pages and the API read the aggregates, never
the raw rows, for anything longer than a day.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, func, insert, select, text

from citizen_sensing.models import Aggregate, Reading
from citizen_sensing.storage import pg_array
from civic.db import db

if TYPE_CHECKING:
    from citizen_sensing.ingest import Outcome

PERIODS = ("hour", "day")


def bucket(when: datetime, period: str) -> datetime:
    when = when.replace(minute=0, second=0, microsecond=0)
    return when.replace(hour=0) if period == "day" else when


def _dialect() -> str:
    return db.session.get_bind().dialect.name


_UPSERTS: dict[str, Any] = {}


def _upsert_statement(dialect: str):
    """The upsert, built once per dialect (a statement is immutable; its compiled form is cached too)."""
    stmt = _UPSERTS.get(dialect)
    if stmt is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
            least, greatest = func.least, func.greatest
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
            least, greatest = func.min, func.max
        stmt = dialect_insert(Aggregate.__table__)
        table = Aggregate.__table__.c
        stmt = _UPSERTS[dialect] = stmt.on_conflict_do_update(
            index_elements=[table.sensor_id, table.period, table.starts_at],
            set_={"count": table.count + stmt.excluded.count,
                  "min_value": least(func.coalesce(table.min_value, stmt.excluded.min_value),
                                     stmt.excluded.min_value),
                  "max_value": greatest(func.coalesce(table.max_value, stmt.excluded.max_value),
                                        stmt.excluded.max_value),
                  "sum_value": table.sum_value + stmt.excluded.sum_value})
    return stmt


#: PostgreSQL: the batch's buckets as arrays, unnested into one upsert (one statement however many sensors).
PG_UPSERT = text(
    "INSERT INTO sensing_aggregates (sensor_id, period, starts_at, count, min_value, max_value, sum_value) "
    "SELECT * FROM unnest(CAST(:s AS integer[]), CAST(:p AS varchar[]), CAST(:t AS timestamptz[]), "
    "CAST(:c AS bigint[]), CAST(:lo AS double precision[]), CAST(:hi AS double precision[]), "
    "CAST(:total AS double precision[])) "
    "ON CONFLICT (sensor_id, period, starts_at) DO UPDATE SET count = sensing_aggregates.count + excluded.count, "
    "min_value = least(coalesce(sensing_aggregates.min_value, excluded.min_value), excluded.min_value), "
    "max_value = greatest(coalesce(sensing_aggregates.max_value, excluded.max_value), excluded.max_value), "
    "sum_value = sensing_aggregates.sum_value + excluded.sum_value")


def _upsert(rows: list[dict]) -> None:
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(PG_UPSERT, {key: pg_array(r[column] for r in rows) for key, column in (
            ("s", "sensor_id"), ("p", "period"), ("t", "starts_at"), ("c", "count"), ("lo", "min_value"),
            ("hi", "max_value"), ("total", "sum_value"))})
        return
    connection.execute(_upsert_statement(_dialect()), rows)  # compiled once, sent for every row


def add(outcomes: Sequence[Outcome]) -> None:
    """Add the batch's readings to their hours and days (one statement). Buckets are found by arithmetic on
    the time (seconds since 1970, UTC), not by building a datetime per reading."""
    totals: dict[tuple[int, str, int], list[float]] = {}
    for o in outcomes:
        seconds = int(o.measured_at.timestamp())
        for key in ((o.sensor.id, "hour", seconds - seconds % 3600), (o.sensor.id, "day", seconds - seconds % 86400)):
            t = totals.get(key)
            if t is None:
                totals[key] = [1, o.value, o.value, o.value]
            else:
                t[0] += 1
                if o.value < t[1]:
                    t[1] = o.value
                if o.value > t[2]:
                    t[2] = o.value
                t[3] += o.value
    _upsert([{"sensor_id": s, "period": p, "starts_at": datetime.fromtimestamp(b, UTC), "count": c, "min_value": lo,
              "max_value": hi, "sum_value": total} for (s, p, b), (c, lo, hi, total) in sorted(totals.items())])


def _compute(sensor_id: int, period: str, start: datetime, end: datetime) -> None:
    db.session.execute(delete(Aggregate).where(Aggregate.sensor_id == sensor_id, Aggregate.period == period,
                                               Aggregate.starts_at == start))
    count, low, high, total = db.session.execute(
        select(func.count(), func.min(Reading.value), func.max(Reading.value), func.sum(Reading.value))
        .where(Reading.sensor_id == sensor_id, Reading.measured_at >= start, Reading.measured_at < end,
               Reading.flag.is_(None))).one()
    if count:
        db.session.execute(insert(Aggregate).values(sensor_id=sensor_id, period=period, starts_at=start, count=count,
                                                    min_value=low, max_value=high, sum_value=total))


def rebuild_buckets(sensor_id: int, times: Iterable[datetime]) -> None:
    """Compute the hours and days holding ``times`` again from the raw readings."""
    for when in set(times):
        hour = bucket(when, "hour")
        day = bucket(when, "day")
        _compute(sensor_id, "hour", hour, hour + timedelta(hours=1))
        _compute(sensor_id, "day", day, day + timedelta(days=1))


def rebuild(sensor_ids: Sequence[int] | None = None) -> int:
    """Compute every aggregate again from the raw readings (all sensors, or these): how many rows were written.
    Done in the database, a sensor at a time, never holding the readings in memory."""
    if sensor_ids is None:
        sensor_ids = list(db.session.scalars(select(Reading.sensor_id).distinct()))
    written = 0
    for sensor_id in sensor_ids:
        db.session.execute(delete(Aggregate).where(Aggregate.sensor_id == sensor_id))
        for period in PERIODS:
            if _dialect() == "postgresql":
                start = func.date_trunc(period, func.timezone("UTC", Reading.measured_at))
            else:
                fmt = "%Y-%m-%d %H:00:00" if period == "hour" else "%Y-%m-%d 00:00:00"
                start = func.strftime(fmt, Reading.measured_at)
            rows = db.session.execute(
                select(start.label("start"), func.count(), func.min(Reading.value), func.max(Reading.value),
                       func.sum(Reading.value))
                .where(and_(Reading.sensor_id == sensor_id, Reading.flag.is_(None)))
                .group_by(start).order_by(start)).all()
            values = []
            for begins, count, low, high, total in rows:
                if isinstance(begins, str):
                    begins = datetime.fromisoformat(begins)
                if begins.tzinfo is None:
                    begins = begins.replace(tzinfo=UTC)
                values.append({"sensor_id": sensor_id, "period": period, "starts_at": begins, "count": count,
                               "min_value": low, "max_value": high, "sum_value": total})
            for start_at in range(0, len(values), 2000):
                db.session.execute(insert(Aggregate), values[start_at:start_at + 2000])
            written += len(values)
    return written
