"""Storage that grows: on PostgreSQL, ``sensing_readings`` is partitioned by month (declarative partitioning,
migration 0012). :func:`ensure_partitions` makes the months ahead (the scheduled task
``citizen_sensing.partitions``, daily); a month that already has rows in the default partition (a logger's
backlog) gets them moved into its new partition in the same transaction. SQLite keeps one table.

The partitions live in the schema ``sensing_partitions`` (named ``sensing_readings_y2026m12``), so the models
and the migration check see one table. docs/citizen-sensing.md says when to move to TimescaleDB.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, text

from civic.db import db, utcnow

SCHEMA = "sensing_partitions"
#: Months made ahead of the current one.
AHEAD = 3


def _month(day: date, add: int) -> date:
    n = day.year * 12 + day.month - 1 + add
    return date(n // 12, n % 12 + 1, 1)


def partition_name(first: date) -> str:
    return f"sensing_readings_y{first.year}m{first.month:02d}"


def ensure_partitions(now: datetime | None = None, ahead: int = AHEAD, behind: int = 0) -> list[str]:
    """Make the monthly partitions from ``behind`` months ago to ``ahead`` months ahead; the names made."""
    if db.session.get_bind().dialect.name != "postgresql":
        return []
    today = (now or utcnow()).date()
    made = []
    for k in range(-behind, ahead + 1):
        first, after = _month(today, k), _month(today, k + 1)
        name = partition_name(first)
        exists = db.session.scalar(text("SELECT to_regclass(:n)"), {"n": f"{SCHEMA}.{name}"})
        if exists is not None:
            continue
        bounds = {"a": datetime(first.year, first.month, 1).isoformat() + "+00:00",
                  "b": datetime(after.year, after.month, 1).isoformat() + "+00:00"}
        db.session.execute(text(f"CREATE TABLE {SCHEMA}.{name} (LIKE sensing_readings INCLUDING DEFAULTS "
                                "INCLUDING CONSTRAINTS)"))
        # The names are ours (a fixed schema, a name made of digits), the times are bound parameters.
        move = (f"WITH moved AS (DELETE FROM {SCHEMA}.sensing_readings_default "  # noqa: S608
                "WHERE measured_at >= CAST(:a AS timestamptz) AND measured_at < CAST(:b AS timestamptz) RETURNING *) "
                f"INSERT INTO {SCHEMA}.{name} SELECT * FROM moved")
        db.session.execute(text(move), bounds)
        db.session.execute(text(f"ALTER TABLE sensing_readings ATTACH PARTITION {SCHEMA}.{name} "
                                f"FOR VALUES FROM ('{bounds['a']}') TO ('{bounds['b']}')"))
        made.append(name)
    return made


def partitions_task() -> str:
    made = ensure_partitions()
    return f"{len(made)} monthly partitions made" if made else "the months ahead have their partitions"


#: Refused items are kept this long for their device's page.
REJECTIONS_KEPT_FOR = timedelta(days=30)


def prune_rejections(now: datetime | None = None) -> int:
    """Forget refused items older than :data:`REJECTIONS_KEPT_FOR` (the scheduled task, daily)."""
    from citizen_sensing.models import Rejection
    cutoff = (now or utcnow()) - REJECTIONS_KEPT_FOR
    return db.session.execute(delete(Rejection).where(Rejection.received_at < cutoff)).rowcount or 0


def prune_task() -> str:
    return f"{prune_rejections()} refused items forgotten"


def pg_array(values: Iterable[Any]) -> str:
    """A PostgreSQL array literal of numbers, times (``isoformat``, exact to the microsecond) or plain words, for
    ``CAST(:x AS <type>[])``: joined in one go, where psycopg's array dumper escapes element by element (a large
    share of a batch's time). None is NULL. Only for values that need no quoting (no comma, brace, quote or
    space): numbers, datetimes, the flags and periods."""
    return "{" + ",".join("NULL" if v is None else v.isoformat() if isinstance(v, datetime) else str(v)
                          for v in values) + "}"
