"""Hourly and daily aggregates (count, minimum, maximum, sum; the mean is sum / count) per sensor, in UTC, and
the same per campaign and quantity (the campaign's summary, :class:`~citizen_sensing.models.CampaignAggregate`).

Each batch adds its accepted, unflagged readings with one upsert per table (:func:`add`): the sensors' hours
and days, then the campaign's (the batch's readings added up per quantity first, so a batch of 1,000 readings
touches a few rows). A flag set or cleared by hand computes that hour and day again from the raw readings, and
the campaign's from its sensors' (:func:`rebuild_buckets`); ``flask citizen_sensing rebuild-aggregates``
computes everything again (:func:`rebuild`, :func:`rebuild_campaigns`). Pages and the API read the aggregates,
never the raw rows, for anything longer than a day.

Concurrency (PostgreSQL): every writer takes the rows in the same order (a sensor's rows, then the campaign's,
each sorted by their key), so two batches never wait for each other in a circle; the upserts add to the row
as it is when the lock is granted (``count = count + excluded.count``), so concurrent batches of one campaign
each count once. The campaign rows are the ones concurrent batches share: they are split into
:data:`~citizen_sensing.models.CAMPAIGN_STRIPES` stripes by device (a batch writes its device's stripe), so
batches of different devices seldom meet on one row, and they are written last in
:func:`citizen_sensing.ingest.ingest`, so a lock is held only until the request commits. A campaign's figure is the
sum of its stripes' rows (at most eight per quantity and hour).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, func, insert, literal, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from citizen_sensing.models import CAMPAIGN_STRIPES, Aggregate, CampaignAggregate, Device, Reading, Sensor
from civic.db import db

if TYPE_CHECKING:
    from citizen_sensing.ingest import Outcome

PERIODS = ("hour", "day")
HOUR, DAY = 3600, 86400


def bucket(when: datetime, period: str) -> datetime:
    when = when.replace(minute=0, second=0, microsecond=0)
    return when.replace(hour=0) if period == "day" else when


def _dialect() -> str:
    return db.session.get_bind().dialect.name


# The upserts ---------------------------------------------------------------------------------------------------

#: PostgreSQL: the rows as arrays, unnested into one short statement (prepared once, whatever the batch).
PG_SENSOR_UPSERT = text(
    "INSERT INTO sensing_aggregates (sensor_id, period, starts_at, count, min_value, max_value, sum_value) "
    "SELECT * FROM unnest(CAST(:k AS integer[]), CAST(:p AS varchar[]), CAST(:t AS timestamptz[]), "
    "CAST(:c AS bigint[]), CAST(:lo AS double precision[]), CAST(:hi AS double precision[]), "
    "CAST(:sm AS double precision[])) "
    "ON CONFLICT (sensor_id, period, starts_at) DO UPDATE SET count = sensing_aggregates.count + excluded.count, "
    "min_value = least(sensing_aggregates.min_value, excluded.min_value), "
    "max_value = greatest(sensing_aggregates.max_value, excluded.max_value), "
    "sum_value = sensing_aggregates.sum_value + excluded.sum_value")
PG_CAMPAIGN_UPSERT = text(
    "INSERT INTO sensing_campaign_aggregates (campaign_id, period, starts_at, quantity_id, stripe, count, "
    "min_value, max_value, sum_value) "
    "SELECT * FROM unnest(CAST(:campaign AS integer[]), CAST(:p AS varchar[]), CAST(:t AS timestamptz[]), "
    "CAST(:k AS integer[]), CAST(:stripe AS smallint[]), CAST(:c AS bigint[]), CAST(:lo AS double precision[]), "
    "CAST(:hi AS double precision[]), CAST(:sm AS double precision[])) "
    "ON CONFLICT (campaign_id, period, starts_at, quantity_id, stripe) DO UPDATE SET "
    "count = sensing_campaign_aggregates.count + excluded.count, "
    "min_value = least(sensing_campaign_aggregates.min_value, excluded.min_value), "
    "max_value = greatest(sensing_campaign_aggregates.max_value, excluded.max_value), "
    "sum_value = sensing_campaign_aggregates.sum_value + excluded.sum_value")

_UPSERTS: dict[tuple[str, str], Any] = {}


def _upsert_statement(dialect: str, model: type = Aggregate):
    """The upsert through SQLAlchemy (SQLite), built once per dialect and table (its compiled form is cached)."""
    stmt = _UPSERTS.get((dialect, model.__tablename__))
    if stmt is None:
        if dialect == "postgresql":
            dialect_insert, least, greatest = pg_insert, func.least, func.greatest
        else:
            dialect_insert, least, greatest = sqlite_insert, func.min, func.max
        table = model.__table__
        stmt = dialect_insert(table)
        c = table.c
        stmt = _UPSERTS[(dialect, model.__tablename__)] = stmt.on_conflict_do_update(
            index_elements=list(table.primary_key.columns),
            set_={"count": c.count + stmt.excluded.count,
                  "min_value": least(func.coalesce(c.min_value, stmt.excluded.min_value), stmt.excluded.min_value),
                  "max_value": greatest(func.coalesce(c.max_value, stmt.excluded.max_value),
                                        stmt.excluded.max_value),
                  "sum_value": c.sum_value + stmt.excluded.sum_value})
    return stmt


def _add(totals: dict[Any, list], key: Any, count: int, low: float, high: float, total: float) -> None:
    t = totals.get(key)
    if t is None:
        totals[key] = [count, low, high, total]
    else:
        t[0] += count
        if low < t[1]:
            t[1] = low
        if high > t[2]:
            t[2] = high
        t[3] += total


def totals(outcomes: Sequence[Outcome]) -> tuple[dict[tuple[int, int], list], dict[int, tuple[int, int]]]:
    """The readings added up per (sensor, hour), the hour as seconds since 1970 (UTC): [count, min, max, sum];
    and each sensor's (quantity, device). Arithmetic on the time, no datetime built per reading."""
    hours: dict[tuple[int, int], list] = {}
    sensor_of: dict[int, tuple[int, int]] = {}
    sensor = None
    sensor_id = 0
    for o in outcomes:
        if o.sensor is not sensor:
            sensor = o.sensor
            sensor_id = sensor.id
            sensor_of[sensor_id] = (sensor.quantity_id, sensor.device_id)
        seconds = int(o.measured_at.timestamp())
        key = (sensor_id, seconds - seconds % HOUR)
        value = o.value
        t = hours.get(key)
        if t is None:
            hours[key] = [1, value, value, value]
        else:
            t[0] += 1
            if value < t[1]:
                t[1] = value
            if value > t[2]:
                t[2] = value
            t[3] += value
    return hours, sensor_of


def add(outcomes: Sequence[Outcome], campaigns: int | dict[int, int] | None = None) -> None:
    """Add the batch's readings to their sensors' hours and days (one statement), then to their campaigns'
    summaries (one statement; each device's stripe). ``campaigns``: the campaign of the readings' devices (a
    device id -> campaign id map, or one campaign id for a batch of one device); looked up when not given."""
    if not outcomes:
        return
    hours, sensor_of = totals(outcomes)
    devices = {device for _q, device in sensor_of.values()}
    if isinstance(campaigns, int):
        campaigns = dict.fromkeys(devices, campaigns)
    if campaigns is None or not devices <= campaigns.keys():
        campaigns = dict(db.session.execute(select(Device.id, Device.campaign_id).where(Device.id.in_(devices))).all())
    sensor_rows: dict[tuple[int, str, int], list] = {}
    campaign_rows: dict[tuple[int, str, int, int, int], list] = {}
    for (sensor_id, hour), (count, low, high, total) in hours.items():
        quantity, device = sensor_of[sensor_id]
        campaign, stripe = campaigns[device], device % CAMPAIGN_STRIPES
        sensor_rows[(sensor_id, "hour", hour)] = [count, low, high, total]
        _add(sensor_rows, (sensor_id, "day", hour - hour % DAY), count, low, high, total)
        _add(campaign_rows, (campaign, "hour", hour, quantity, stripe), count, low, high, total)
        _add(campaign_rows, (campaign, "day", hour - hour % DAY, quantity, stripe), count, low, high, total)
    # Sorted by their keys (the primary keys' order): every writer takes the rows in the same order.
    sensor_sorted = sorted(sensor_rows.items())
    campaign_sorted = sorted(campaign_rows.items())
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(PG_SENSOR_UPSERT, {
            "k": [k[0] for k, _v in sensor_sorted], "p": [k[1] for k, _v in sensor_sorted],
            "t": [datetime.fromtimestamp(k[2], UTC) for k, _v in sensor_sorted],
            **_columns([v for _k, v in sensor_sorted])})
        connection.execute(PG_CAMPAIGN_UPSERT, {
            "campaign": [k[0] for k, _v in campaign_sorted], "p": [k[1] for k, _v in campaign_sorted],
            "t": [datetime.fromtimestamp(k[2], UTC) for k, _v in campaign_sorted],
            "k": [k[3] for k, _v in campaign_sorted], "stripe": [k[4] for k, _v in campaign_sorted],
            **_columns([v for _k, v in campaign_sorted])})
        return
    connection.execute(_upsert_statement(connection.dialect.name), [
        {"sensor_id": s, "period": p, "starts_at": datetime.fromtimestamp(b, UTC), "count": c, "min_value": lo,
         "max_value": hi, "sum_value": total} for (s, p, b), (c, lo, hi, total) in sensor_sorted])
    connection.execute(_upsert_statement(connection.dialect.name, CampaignAggregate), [
        {"campaign_id": campaign, "period": p, "starts_at": datetime.fromtimestamp(b, UTC), "quantity_id": q,
         "stripe": stripe, "count": c, "min_value": lo, "max_value": hi, "sum_value": total}
        for (campaign, p, b, q, stripe), (c, lo, hi, total) in campaign_sorted])


def _columns(values: list[list]) -> dict[str, list]:
    return {"c": [v[0] for v in values], "lo": [v[1] for v in values], "hi": [v[2] for v in values],
            "sm": [v[3] for v in values]}


# Computing again -----------------------------------------------------------------------------------------------


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


def _campaign_sums(campaign_id: int):
    """The campaign's sensors' aggregates added up per period, start and quantity (a select to filter)."""
    stripe = Device.id % CAMPAIGN_STRIPES
    return (select(literal(campaign_id).label("campaign_id"), Aggregate.period, Aggregate.starts_at,
                   Sensor.quantity_id, stripe.label("stripe"), func.sum(Aggregate.count),
                   func.min(Aggregate.min_value), func.max(Aggregate.max_value), func.sum(Aggregate.sum_value))
            .join(Sensor, Sensor.id == Aggregate.sensor_id).join(Device, Device.id == Sensor.device_id)
            .where(Device.campaign_id == campaign_id)
            .group_by(Aggregate.period, Aggregate.starts_at, Sensor.quantity_id, stripe))


def _compute_campaign(campaign_id: int, stripe: int, quantity_id: int, period: str, start: datetime) -> None:
    """One campaign row computed again from its sensors' rows. The row is made if missing and locked first (in
    the order ingest takes it): a batch of the campaign that wrote its sensors' rows before this commits first,
    and is then seen by the sum (a new statement, a new snapshot); one that comes after waits for the lock and
    adds its readings to the row this leaves."""
    key = (CampaignAggregate.campaign_id == campaign_id, CampaignAggregate.period == period,
           CampaignAggregate.starts_at == start, CampaignAggregate.quantity_id == quantity_id,
           CampaignAggregate.stripe == stripe)
    dialect = _dialect()
    insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(insert_(CampaignAggregate).values(campaign_id=campaign_id, period=period, starts_at=start,
                                                         quantity_id=quantity_id, stripe=stripe, count=0,
                                                         sum_value=0.0)
                       .on_conflict_do_nothing())
    lock = select(CampaignAggregate.count).where(*key)
    db.session.execute(lock.with_for_update() if dialect == "postgresql" else lock)
    count, low, high, total = db.session.execute(
        select(func.coalesce(func.sum(Aggregate.count), 0), func.min(Aggregate.min_value),
               func.max(Aggregate.max_value), func.coalesce(func.sum(Aggregate.sum_value), 0.0))
        .join(Sensor, Sensor.id == Aggregate.sensor_id).join(Device, Device.id == Sensor.device_id)
        .where(Device.campaign_id == campaign_id, Device.id % CAMPAIGN_STRIPES == stripe,
               Sensor.quantity_id == quantity_id, Aggregate.period == period, Aggregate.starts_at == start)).one()
    if count:
        db.session.execute(update(CampaignAggregate).where(*key)
                           .values(count=count, min_value=low, max_value=high, sum_value=total))
    else:
        db.session.execute(delete(CampaignAggregate).where(*key))


def rebuild_buckets(sensor_id: int, times: Iterable[datetime]) -> None:
    """Compute the hours and days holding ``times`` again from the raw readings, and the campaign's rows of the
    same hours and days from its sensors' (days before hours, the order the upserts take them)."""
    sensor = db.session.get(Sensor, sensor_id)
    campaign_id = db.session.scalar(select(Device.campaign_id).where(Device.id == sensor.device_id))
    buckets = sorted({(period, bucket(when, period)) for when in times for period in PERIODS})
    for period, start in buckets:
        _compute(sensor_id, period, start, start + (timedelta(days=1) if period == "day" else timedelta(hours=1)))
    for period, start in buckets:
        _compute_campaign(campaign_id, sensor.device_id % CAMPAIGN_STRIPES, sensor.quantity_id, period, start)


def rebuild(sensor_ids: Sequence[int] | None = None) -> int:
    """Compute every aggregate again from the raw readings (all sensors, or these): how many rows were written.
    Done in the database, a sensor at a time, never holding the readings in memory. The campaigns' summaries are
    :func:`rebuild_campaigns`' (the command runs both)."""
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


def rebuild_campaigns(campaign_ids: Sequence[int] | None = None) -> int:
    """Compute the campaigns' summaries (all, or these) again from their sensors' aggregates, in the database:
    how many rows were written. Run it after :func:`rebuild`, or alone when only the summaries are in doubt."""
    from citizen_sensing.models import Campaign
    if campaign_ids is None:
        campaign_ids = list(db.session.scalars(select(Campaign.id).order_by(Campaign.id)))
    written = 0
    columns = [CampaignAggregate.campaign_id, CampaignAggregate.period, CampaignAggregate.starts_at,
               CampaignAggregate.quantity_id, CampaignAggregate.stripe, CampaignAggregate.count,
               CampaignAggregate.min_value, CampaignAggregate.max_value, CampaignAggregate.sum_value]
    for campaign_id in campaign_ids:
        db.session.execute(delete(CampaignAggregate).where(CampaignAggregate.campaign_id == campaign_id))
        result = db.session.execute(insert(CampaignAggregate).from_select(columns, _campaign_sums(campaign_id)))
        written += max(result.rowcount or 0, 0)
    return written


def campaign_recount(campaign_id: int, period: str = "day") -> dict[tuple[datetime, int], tuple]:
    """The campaign's rows computed from the raw readings (for checks and tests, not for pages): per (start,
    quantity), (count, min, max, sum) of the unflagged readings."""
    out: dict[tuple[datetime, int], list] = {}
    rows = db.session.execute(
        select(Reading.measured_at, Reading.value, Sensor.quantity_id).join(Sensor, Sensor.id == Reading.sensor_id)
        .join(Device, Device.id == Reading.device_id)
        .where(Device.campaign_id == campaign_id, Reading.flag.is_(None)))
    for when, value, quantity in rows:
        _add(out, (bucket(when, period), quantity), 1, value, value, value)
    return {k: tuple(v) for k, v in out.items()}

