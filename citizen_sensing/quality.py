"""Quality control: doubtful readings are flagged, never deleted. A flagged reading is left out of the
aggregates but stays visible and exportable with its flag; organisers flag and unflag by hand (audit-logged).

- ``spike``: the value jumps from the sensor's previous reading faster than its quantity allows
  (``spike_per_minute``, per minute between the two readings, at least one minute);
- ``flat``: the sensor has given exactly the same value :data:`FLAT_RUN` times in a row (a stuck sensor);
- ``expected_range``: inside the physical range, but outside the range expected in a city
  (``expected_min``/``expected_max`` of the quantity).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence
from datetime import datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import select, text, update

from citizen_sensing.models import FLAGS, Device, Reading
from civic import events, policy
from civic.audit import audit
from civic.db import db
from civic.errors import NotFound, RuleViolation

if TYPE_CHECKING:
    from citizen_sensing.ingest import Outcome

#: This many identical values in a row flag the last ones as ``flat``.
FLAT_RUN = 12

FLAG_LABELS = {"spike": "Spike", "flat": "Stuck (flat line)", "expected_range": "Outside the expected range",
               "manual": "Flagged by an organiser"}


def _history(sensor_id: int, before: datetime) -> list[tuple[datetime, float, str | None]]:
    rows = db.session.execute(select(Reading.measured_at, Reading.value, Reading.flag)
                              .where(Reading.sensor_id == sensor_id, Reading.measured_at < before)
                              .order_by(Reading.measured_at.desc()).limit(FLAT_RUN - 1)).all()
    return list(reversed([(t, v, f) for t, v, f in rows]))


#: PostgreSQL: every sensor's last readings before its batch, in one statement (each read backwards on the
#: primary key, at most FLAT_RUN - 1), instead of one query per sensor.
PG_HISTORIES = text(
    "SELECT u.s, h.measured_at, h.value, h.flag FROM unnest(CAST(:s AS integer[]), CAST(:b AS timestamptz[])) "
    "AS u(s, b) CROSS JOIN LATERAL (SELECT measured_at, value, flag FROM sensing_readings "
    "WHERE sensor_id = u.s AND measured_at < u.b ORDER BY measured_at DESC LIMIT :n) h "
    "ORDER BY u.s, h.measured_at")


def _histories(firsts: dict[int, datetime]) -> dict[int, list[tuple[datetime, float, str | None]]]:
    """Each sensor's last :data:`FLAT_RUN` - 1 readings before the given time, oldest first."""
    if db.session.get_bind().dialect.name != "postgresql":
        return {sensor_id: _history(sensor_id, before) for sensor_id, before in firsts.items()}
    out: dict[int, list] = {sensor_id: [] for sensor_id in firsts}
    for sensor_id, t, v, f in db.session.execute(PG_HISTORIES, {"s": list(firsts), "b": list(firsts.values()),
                                                                "n": FLAT_RUN - 1}):
        out[sensor_id].append((t, v, f))
    return out


def flag(device: Device, outcomes: Sequence[Outcome]) -> None:
    """Set ``flag`` on the outcomes that look wrong (one query for the batch's sensors' history on PostgreSQL,
    one per sensor elsewhere)."""
    by_sensor: dict[Any, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_sensor[o.sensor].append(o)
    when = attrgetter("measured_at")
    for batch in by_sensor.values():
        batch.sort(key=when)
    histories = _histories({sensor.id: batch[0].measured_at for sensor, batch in by_sensor.items()})
    for sensor, batch in by_sensor.items():
        quantity = sensor.quantity
        history = histories[sensor.id]
        good = next(((t, v) for t, v, f in reversed(history) if f is None), None)  # the last unflagged reading
        recent = deque((v for _t, v, _f in history), maxlen=FLAT_RUN - 1)  # the last values, flagged or not
        low, high, spike = quantity.expected_min, quantity.expected_max, quantity.spike_per_minute
        for o in batch:
            value = o.value
            if low is not None and value < low or high is not None and value > high:
                o.flag = "expected_range"
            elif spike is not None and good is not None:
                minutes = max((o.measured_at - good[0]).total_seconds() / 60, 1.0)
                if abs(value - good[1]) / minutes > spike:
                    o.flag = "spike"
            if o.flag is None and len(recent) == FLAT_RUN - 1 and recent.count(value) == FLAT_RUN - 1:
                o.flag = "flat"
            recent.append(value)
            if o.flag is None:
                good = (o.measured_at, value)


def set_flag(user: Any, sensor_id: int, measured_at: datetime, flagged: bool, reason: str = "") -> Reading:
    """An organiser of the campaign flags (``manual``) or clears the flag of one reading; audit-logged, and the
    hour's and day's aggregates are computed again from the raw readings."""
    from citizen_sensing import aggregates
    from citizen_sensing.models import Campaign

    reading = db.session.scalar(select(Reading).where(Reading.sensor_id == sensor_id,
                                                      Reading.measured_at == measured_at))
    if reading is None:
        raise NotFound(_("We could not find that reading."))
    device = db.session.get(Device, reading.device_id)
    campaign = db.session.get(Campaign, device.campaign_id)
    policy.require(user, "sensing.manage", campaign)
    before = reading.flag
    after = "manual" if flagged else None
    if before == after:
        raise RuleViolation(_("The reading is already flagged.") if flagged else _("The reading is not flagged."))
    db.session.execute(update(Reading).where(Reading.sensor_id == sensor_id, Reading.measured_at == measured_at)
                       .values(flag=after))
    aggregates.rebuild_buckets(sensor_id, [measured_at])
    audit(user, "sensing.reading_flagged" if flagged else "sensing.reading_unflagged", "sensing_sensor", sensor_id,
          label=f"{device.name}: {measured_at.isoformat()}", before={"flag": before}, after={"flag": after},
          reason=reason)
    if flagged:
        events.publish("sensing.reading_flagged", device, actor_id=user.id, when=measured_at.isoformat())
    db.session.refresh(reading)
    return reading


assert set(FLAG_LABELS) == set(FLAGS)
