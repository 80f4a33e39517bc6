"""Places at in-person sessions: booking, the first-come-first-served waitlist, cancelling, offers from the
waitlist with a deadline, accepting, declining, and the scheduled tick that passes expired offers on.

How exactly ``capacity`` places are ever taken, even when many people ask for the last place at once:

* Every change to a session's places first locks the session's row (``SELECT ... FOR UPDATE`` on PostgreSQL;
  on SQLite writers already queue at ``BEGIN IMMEDIATE``), so the decisions about one session are made one at a
  time, each on the latest committed counts.
* ``places_taken`` counts the bookings that hold a place (``booked`` and ``offered``) and changes only in SQL
  (``SET places_taken = places_taken + 1 WHERE places_taken < capacity``); a check constraint
  (``places_taken <= capacity``) stands behind it.
* ``queue_seq`` numbers each booking in the order the lock was granted: the waitlist's order.
* ``school_bookings`` is unique per session and person: a double click books once.

A place freed by a cancellation (or a declined or expired offer) is offered to the first person waiting, held for
them until the deadline (``SCHOOL_OFFER_HOURS``, 48 hours unless set; never past the session's start) and told by
notification and email; with nobody waiting the place is simply free again."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from civic import events, mail, policy
from civic.db import db, utcnow
from civic.errors import PermissionDenied, RuleViolation
from skills_school import progress
from skills_school.models import Booking, CourseSession

HOLDING = ("booked", "offered")
ACTIVE = ("booked", "offered", "waiting")


def _signed_in(user: Any) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Please sign in first."))


def _lock(session_id: int) -> None:
    """Take the session row's lock for the rest of the transaction (no-op on SQLite, which is serialised)."""
    db.session.execute(select(CourseSession.id).where(CourseSession.id == session_id).with_for_update())


def _execute(stmt: Any) -> Any:
    return db.session.execute(stmt.execution_options(synchronize_session=False))


def _refresh(session: CourseSession) -> None:
    db.session.expire(session, ["places_taken", "queue_seq"])


def booking_of(user: Any, session: CourseSession) -> Booking | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(Booking).where(Booking.session_id == session.id, Booking.user_id == user.id)
                             .execution_options(populate_existing=True))


def book(user: Any, session: CourseSession) -> Booking:
    """A place, or (when every place is taken) a place on the waitlist. Refused: booking twice, a session that
    has started or passed, a course that is not published."""
    _signed_in(user)
    policy.require(user, "school.learn", session.course)
    if not session.course.is_public:
        raise RuleViolation(_("This course is not open for learners."))
    if session.starts_at <= utcnow():
        raise RuleViolation(_("This session has already started or is over, so it cannot be booked."))
    _lock(session.id)  # first: a person's own double click queues here too
    booking = booking_of(user, session)
    if booking is not None and booking.status in ACTIVE:
        if booking.status == "waiting":
            raise RuleViolation(_("You are already on the waitlist for this session."))
        raise RuleViolation(_("You already have a place at this session."))
    progress.enrol(user, session.course, again_ok=True)
    seq = _execute(update(CourseSession).where(CourseSession.id == session.id)
                   .values(queue_seq=CourseSession.queue_seq + 1).returning(CourseSession.queue_seq)).scalar_one()
    taken = _execute(update(CourseSession).where(CourseSession.id == session.id,
                                                 CourseSession.places_taken < CourseSession.capacity)
                     .values(places_taken=CourseSession.places_taken + 1)
                     .returning(CourseSession.places_taken)).scalar_one_or_none()
    status = "booked" if taken is not None else "waiting"
    now = utcnow()
    if booking is None:
        booking = Booking(session_id=session.id, user_id=user.id, status=status, seq=seq, created_at=now)
        db.session.add(booking)
    else:  # they cancelled (or let an offer pass) and come back: to the end of the queue
        booking.status, booking.seq, booking.updated_at = status, seq, now
        booking.offer_expires_at, booking.attended = None, None
    db.session.flush()
    _refresh(session)
    return booking


def cancel(user: Any, session: CourseSession) -> Booking:
    """Give up a place (it goes to the first person waiting) or leave the waitlist."""
    _signed_in(user)
    if session.starts_at <= utcnow():
        raise RuleViolation(_("This session has already started or is over."))
    _lock(session.id)
    booking = booking_of(user, session)
    if booking is None or booking.status not in ACTIVE:
        raise RuleViolation(_("You have no place at this session and are not on its waitlist."))
    held = booking.status in HOLDING
    booking.status, booking.updated_at, booking.offer_expires_at = "cancelled", utcnow(), None
    db.session.flush()
    if held:
        _pass_place_on(session)
    return booking


def accept(user: Any, session: CourseSession) -> Booking:
    """Take the place offered from the waitlist, before its deadline."""
    _signed_in(user)
    _lock(session.id)
    booking = booking_of(user, session)
    if booking is None or booking.status != "offered":
        raise RuleViolation(_("There is no place waiting for you to accept at this session."))
    if booking.offer_expires_at is None or booking.offer_expires_at <= utcnow():
        raise RuleViolation(_("Sorry, the time to accept this place has passed, so it goes to the next person "
                              "waiting. You can join the waitlist again."))
    booking.status, booking.offer_expires_at, booking.updated_at = "booked", None, utcnow()
    db.session.flush()
    return booking


def decline(user: Any, session: CourseSession) -> Booking:
    """Say no to a place offered: it goes to the next person waiting."""
    _signed_in(user)
    _lock(session.id)
    booking = booking_of(user, session)
    if booking is None or booking.status != "offered":
        raise RuleViolation(_("There is no place waiting for you to accept at this session."))
    booking.status, booking.offer_expires_at, booking.updated_at = "cancelled", None, utcnow()
    db.session.flush()
    _pass_place_on(session)
    return booking


def _deadline(session: CourseSession, now: datetime) -> datetime:
    hours = current_app.config.get("SCHOOL_OFFER_HOURS", 48)
    return min(now + timedelta(hours=hours), session.starts_at)


def _pass_place_on(session: CourseSession) -> Booking | None:
    """A held place is free (the session's lock is held): offer it to the first person waiting, or free it."""
    now = utcnow()
    nxt = None
    if session.starts_at > now:
        nxt = db.session.scalar(select(Booking).where(Booking.session_id == session.id, Booking.status == "waiting")
                                .order_by(Booking.seq, Booking.id).limit(1)
                                .execution_options(populate_existing=True))
    if nxt is None:
        _execute(update(CourseSession).where(CourseSession.id == session.id, CourseSession.places_taken > 0)
                 .values(places_taken=CourseSession.places_taken - 1))
        _refresh(session)
        return None
    nxt.status, nxt.offer_expires_at, nxt.updated_at = "offered", _deadline(session, now), now
    db.session.flush()
    events.publish("school.place_offered", nxt, actor_id=None)
    if nxt.user.email and nxt.user.is_active:
        mail.send(nxt.user.email, _("A place is free for you: %(title)s", title=session.title), "school_offer",
                  user=nxt.user, session=session, booking=nxt,
                  url=mail.link("school.session", session_id=session.id))
    return nxt


def expire_offers(now: datetime | None = None) -> int:
    """Offers past their deadline lapse and their places pass on; how many lapsed."""
    now = now or utcnow()
    due = list(db.session.execute(select(Booking.id, Booking.session_id).where(
        Booking.status == "offered", Booking.offer_expires_at <= now).order_by(Booking.session_id, Booking.id)))
    lapsed = 0
    for booking_id, session_id in due:
        _lock(session_id)
        booking = db.session.get(Booking, booking_id, populate_existing=True)
        if booking is None or booking.status != "offered" or booking.offer_expires_at > now:
            continue  # accepted meanwhile
        booking.status, booking.offer_expires_at, booking.updated_at = "expired", None, now
        db.session.flush()
        _pass_place_on(db.session.get(CourseSession, session_id))
        lapsed += 1
    return lapsed


def expire_offers_task() -> str:
    return f"{expire_offers()} waitlist offers lapsed and passed on"


def waitlist_position(booking: Booking) -> int:
    """1 for the first person waiting."""
    return 1 + (db.session.scalar(select(func.count()).where(
        Booking.session_id == booking.session_id, Booking.status == "waiting", Booking.seq < booking.seq)) or 0)


def forget_learner(user: Any) -> None:
    """An account was deleted (or blocked): its places and waitlist places go, each held place to the next
    person waiting (the account's own handler, declared in the manifest)."""
    rows = list(db.session.execute(select(Booking.id, Booking.session_id).where(
        Booking.user_id == user.id, Booking.status.in_(ACTIVE)).order_by(Booking.session_id)))
    for booking_id, session_id in rows:
        _lock(session_id)
        booking = db.session.get(Booking, booking_id, populate_existing=True)
        if booking is None or booking.status not in ACTIVE:
            continue
        held = booking.status in HOLDING
        booking.status, booking.offer_expires_at, booking.updated_at = "cancelled", None, utcnow()
        db.session.flush()
        session = db.session.get(CourseSession, session_id)
        if held and session.starts_at > utcnow():
            _pass_place_on(session)
        elif held:
            _execute(update(CourseSession).where(CourseSession.id == session_id, CourseSession.places_taken > 0)
                     .values(places_taken=CourseSession.places_taken - 1))
            _refresh(session)


def resize(session: CourseSession, capacity: int) -> int:
    """Change a session's places (the instructor's edit; the caller checked permission). Never below the places
    already taken; new places go to the people waiting, first come first served. How many were offered."""
    _lock(session.id)
    taken = db.session.scalar(select(CourseSession.places_taken).where(CourseSession.id == session.id))
    if capacity < taken:
        raise RuleViolation(_("%(n)d people already have (or are offered) a place: the session needs at least "
                              "that many places.", n=taken), field="capacity")
    _execute(update(CourseSession).where(CourseSession.id == session.id).values(capacity=capacity))
    db.session.expire(session, ["capacity", "places_taken", "queue_seq"])
    offered = 0
    while session.starts_at > utcnow():
        grown = _execute(update(CourseSession).where(CourseSession.id == session.id,
                                                     CourseSession.places_taken < CourseSession.capacity)
                         .values(places_taken=CourseSession.places_taken + 1)
                         .returning(CourseSession.places_taken)).scalar_one_or_none()
        if grown is None:
            break
        if _pass_place_on(session) is None:  # nobody waiting: _pass_place_on gave the place back
            break
        offered += 1
    _refresh(session)
    return offered
