"""In-person sessions of a course (instructors add them and mark attendance), the upcoming list and the .ics
calendar file. Booking a place is in ``skills_school/waitlists.py``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from civic import events, policy
from civic.db import db, utcnow
from civic.errors import NotFound, RuleViolation
from civic.spaces.models import Ward
from skills_school import progress, waitlists
from skills_school.models import Booking, Course, CourseSession
from skills_school.policy import visible

CAPACITY_MAX = 500
TEXT_MAX = 2000


@dataclass
class SessionFields:
    title: str
    venue: str
    ward_id: int | None
    starts_at: datetime | None
    ends_at: datetime | None
    capacity: int
    accessibility: str = ""


def _clean(fields: SessionFields) -> SessionFields:
    title = (fields.title or "").strip()
    if not 3 <= len(title) <= 150:
        raise RuleViolation(_("Give the session a name of 3 to 150 characters."), field="title")
    venue = (fields.venue or "").strip()
    if not 3 <= len(venue) <= 200:
        raise RuleViolation(_("Say where it happens: the venue and its address."), field="venue")
    if fields.ward_id is None or db.session.get(Ward, fields.ward_id) is None:
        raise RuleViolation(_("Choose the ward where it happens."), field="ward")
    if fields.starts_at is None:
        raise RuleViolation(_("Give the day and time it starts."), field="starts_at")
    if fields.ends_at is None or fields.ends_at <= fields.starts_at:
        raise RuleViolation(_("It must end after it starts."), field="ends_at")
    if fields.ends_at - fields.starts_at > timedelta(hours=12):
        raise RuleViolation(_("A session lasts at most 12 hours."), field="ends_at")
    if not isinstance(fields.capacity, int) or not 1 <= fields.capacity <= CAPACITY_MAX:
        raise RuleViolation(_("Give the number of places, from 1 to %(n)d.", n=CAPACITY_MAX), field="capacity")
    if len(fields.accessibility or "") > TEXT_MAX:
        raise RuleViolation(_("This can be at most %(n)d characters.", n=TEXT_MAX), field="accessibility")
    return SessionFields(title, venue, fields.ward_id, fields.starts_at, fields.ends_at, fields.capacity,
                         (fields.accessibility or "").strip())


def add_session(user: Any, course: Course, fields: SessionFields) -> CourseSession:
    policy.require(user, "school.manage", course)
    clean = _clean(fields)
    if clean.starts_at <= utcnow():
        raise RuleViolation(_("A new session must start in the future."), field="starts_at")
    session = CourseSession(course_id=course.id, title=clean.title, venue=clean.venue, ward_id=clean.ward_id,
                            starts_at=clean.starts_at, ends_at=clean.ends_at, capacity=clean.capacity,
                            accessibility=clean.accessibility)
    db.session.add(session)
    db.session.flush()
    events.publish("school.session_added", session, actor_id=user.id)
    return session


def update_session(user: Any, session: CourseSession, fields: SessionFields) -> int:
    """Change a session before it starts; more places go to the people waiting (``waitlists.resize``), fewer
    than those taken are refused. How many places were offered."""
    policy.require(user, "school.manage", session.course)
    if session.starts_at <= utcnow():
        raise RuleViolation(_("This session has started or is over, so it can no longer be changed."))
    clean = _clean(fields)
    if clean.starts_at <= utcnow():
        raise RuleViolation(_("The session must start in the future."), field="starts_at")
    offered = waitlists.resize(session, clean.capacity)
    session.title, session.venue, session.ward_id = clean.title, clean.venue, clean.ward_id
    session.starts_at, session.ends_at, session.accessibility = clean.starts_at, clean.ends_at, clean.accessibility
    db.session.flush()
    return offered


def get_session(user: Any, session_id: int) -> CourseSession:
    session = db.session.get(CourseSession, session_id)
    if session is None or not visible(user, session.course):
        raise NotFound(_("We could not find that session."))
    return session


def get_managed_session(user: Any, session_id: int) -> CourseSession:
    session = get_session(user, session_id)
    policy.require(user, "school.manage", session.course)
    return session


def sessions_of(course: Course, *, upcoming: bool = True) -> list[CourseSession]:
    stmt = select(CourseSession).where(CourseSession.course_id == course.id).order_by(CourseSession.starts_at)
    if upcoming:
        stmt = stmt.where(CourseSession.ends_at > utcnow())
    return list(db.session.scalars(stmt))


def bookings_of(session: CourseSession) -> list[Booking]:
    """Everyone on the list, in arrival order (for the instructor)."""
    return list(db.session.scalars(select(Booking).where(Booking.session_id == session.id)
                                   .order_by(Booking.seq, Booking.id)))


def mark_attendance(user: Any, session: CourseSession, attended_ids: set[int]) -> int:
    """The instructor ticks who came (the others with a place did not). Attending may complete courses."""
    policy.require(user, "school.manage", session.course)
    if session.starts_at > utcnow():
        raise RuleViolation(_("Attendance can be marked once the session has started."))
    booked = [b for b in bookings_of(session) if b.status == "booked"]
    known = {b.user_id for b in booked}
    if not attended_ids <= known:
        raise RuleViolation(_("Only people with a place at this session can be marked as attending."),
                            field="attended")
    for booking in booked:
        booking.attended = booking.user_id in attended_ids
    db.session.flush()
    for booking in booked:
        if booking.attended:
            progress.check_completion(booking.user, session.course)
    return len(attended_ids)


def ics(session: CourseSession, url: str) -> str:
    """The session as an iCalendar (RFC 5545) file with one event."""

    def stamp(value: datetime) -> str:
        return value.strftime("%Y%m%dT%H%M%SZ")

    def text(value: str) -> str:
        value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
        return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")

    def fold(line: str) -> str:
        out, raw = [], line.encode()
        while len(raw) > 73:
            cut = 73
            while cut and (raw[cut] & 0xC0) == 0x80:  # never inside a UTF-8 character
                cut -= 1
            out.append(raw[:cut].decode())
            raw = raw[cut:]
        out.append(raw.decode())
        return "\r\n ".join(out)

    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Civic Westminster//Urban Data School//EN",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "BEGIN:VEVENT",
             f"UID:school-session-{session.id}@civic.localhost", f"DTSTAMP:{stamp(utcnow())}",
             f"DTSTART:{stamp(session.starts_at)}", f"DTEND:{stamp(session.ends_at)}",
             f"SUMMARY:{text(session.title)}", f"LOCATION:{text(session.venue + ', ' + session.ward.name)}",
             f"DESCRIPTION:{text(session.course.title + ' – ' + url)}", f"URL:{url}",
             "END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(fold(line) for line in lines) + "\r\n"
