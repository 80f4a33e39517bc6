"""Work that happens with time (``flask civic tick``): tell people a consultation opened or closes in 24 hours,
and count the consultations that closed (results frozen, followers told)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from civic import events
from civic.db import db, utcnow
from civic.schedule import Task
from consultations import results
from consultations.models import Consultation

CLOSING_NOTICE = timedelta(hours=24)


def _claim(column, cid: int, now: datetime) -> bool:
    """Mark the notice as told (once: a conditional UPDATE), True when this run is the one that tells."""
    done = db.session.execute(update(Consultation).where(Consultation.id == cid, column.is_(None))
                              .values({column.key: now}))
    return bool(done.rowcount)


def tell(now: datetime | None = None) -> int:
    now = now or utcnow()
    told = 0
    live = select(Consultation.id).where(Consultation.state == "published", Consultation.hidden_at.is_(None))
    for cid in db.session.scalars(live.where(Consultation.opens_at <= now, Consultation.closes_at > now,
                                             Consultation.opening_told_at.is_(None))):
        if _claim(Consultation.opening_told_at, cid, now):
            events.publish("consultation.opened", db.session.get(Consultation, cid))
            told += 1
    for cid in db.session.scalars(live.where(Consultation.closes_at <= now + CLOSING_NOTICE,
                                             Consultation.closes_at > now, Consultation.opens_at <= now,
                                             Consultation.closing_told_at.is_(None))):
        if _claim(Consultation.closing_told_at, cid, now):
            events.publish("consultation.closing", db.session.get(Consultation, cid))
            told += 1
    return told


def tell_task() -> str:
    return f"{tell()} consultation notices"


TASKS = (
    Task("consultations.tell", tell_task, "Tell people a consultation opened, or closes in 24 hours",
         every=timedelta(minutes=5)),
    Task("consultations.count", results.count_task, "Count closed consultations and publish their results",
         every=timedelta(minutes=5)),
)
