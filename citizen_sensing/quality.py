"""Quality control: doubtful readings are flagged, never deleted. A flagged reading is left out of the
aggregates but stays visible and exportable with its flag; organisers flag and unflag by hand (audit-logged).

- ``spike``: the value jumps from the sensor's previous reading faster than its quantity allows
  (``spike_per_minute``, per minute between the two readings, at least one minute);
- ``flat``: the sensor has given exactly the same value :data:`FLAT_RUN` times in a row (a stuck sensor);
- ``expected_range``: inside the physical range, but outside the range expected in a city
  (``expected_min``/``expected_max`` of the quantity).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import select, text, update

from citizen_sensing.models import FLAGS, Device, Reading
from citizen_sensing.storage import pg_array
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


#: PostgreSQL: the last readings before each sensor's first new one, for every sensor of the batch in one query.
PG_HISTORY = text(
    "SELECT k.s, h.measured_at, h.value, h.flag FROM unnest(CAST(:s AS integer[]), CAST(:t AS timestamptz[])) "
    "AS k(s, t) CROSS JOIN LATERAL (SELECT r.measured_at, r.value, r.flag FROM sensing_readings r "
    "WHERE r.sensor_id = k.s AND r.measured_at < k.t ORDER BY r.measured_at DESC LIMIT :n) AS h")


def _histories(firsts: dict[int, datetime]) -> dict[int, list[tuple[datetime, float, str | None]]]:
    """Per sensor, its last readings (up to FLAT_RUN - 1, oldest first) before the given time."""
    found: dict[int, list[tuple[datetime, float, str | None]]] = {s: [] for s in firsts}
    if db.session.get_bind().dialect.name == "postgresql":
        for start in range(0, len(firsts), 2000):
            part = list(firsts.items())[start:start + 2000]
            for s, t, v, f in db.session.execute(PG_HISTORY, {"s": pg_array(p[0] for p in part),
                                                              "t": pg_array(p[1] for p in part), "n": FLAT_RUN - 1}):
                found[s].append((t, v, f))  # aware datetimes compare by instant, whatever their zone
        for rows in found.values():
            rows.sort(key=lambda r: r[0])
        return found
    for sensor_id, before in firsts.items():  # SQLite: in-process, a query per sensor costs little
        rows = db.session.execute(select(Reading.measured_at, Reading.value, Reading.flag)
                                  .where(Reading.sensor_id == sensor_id, Reading.measured_at < before)
                                  .order_by(Reading.measured_at.desc()).limit(FLAT_RUN - 1)).all()
        found[sensor_id] = list(reversed([(t, v, f) for t, v, f in rows]))
    return found


def flag(outcomes: Sequence[Outcome]) -> None:
    """Set ``flag`` on the outcomes that look wrong (of one device or several; one query for the sensors'
    history on PostgreSQL)."""
    by_sensor: dict[int, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_sensor[o.sensor.id].append(o)
    for batch in by_sensor.values():
        batch.sort(key=lambda o: o.measured_at)
    histories = _histories({sensor_id: batch[0].measured_at for sensor_id, batch in by_sensor.items()})
    for sensor_id, batch in by_sensor.items():
        quantity = batch[0].sensor.quantity
        history = histories[sensor_id]
        good = next(((t, v) for t, v, f in reversed(history) if f is None), None)  # the last unflagged reading
        recent = [v for _t, v, _f in history]  # the last values, flagged or not (for a stuck sensor)
        low, high, spike = quantity.expected_min, quantity.expected_max, quantity.spike_per_minute
        for o in batch:
            if low is not None and o.value < low or high is not None and o.value > high:
                o.flag = "expected_range"
            elif spike is not None and good is not None:
                minutes = max((o.measured_at - good[0]).total_seconds() / 60, 1.0)
                if abs(o.value - good[1]) / minutes > spike:
                    o.flag = "spike"
            if o.flag is None and len(recent) >= FLAT_RUN - 1 and all(v == o.value for v in recent):
                o.flag = "flat"
            recent.append(o.value)
            if len(recent) > FLAT_RUN - 1:
                recent.pop(0)
            if o.flag is None:
                good = (o.measured_at, o.value)


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
