"""What the school tells people (declared in ``skills_school/manifest.py``): a new session of a course they
follow, a session in their area (area alerts), and a place offered to them from a waitlist (also sent by email,
whatever their choices: it has a deadline)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from civic.db import db
from civic.notifications.registry import AreaWatchers, Followers, Kind, Notice, Users
from civic.spaces.models import Programme
from skills_school.models import Booking, Course, CourseSession
from skills_school.resource import COURSE, SESSION

PERSONAL, FOLLOWING, AREA = "About you", "Things you follow", "Your area"
SPACE = "Urban Data School"
PROGRAMME = "empowering-people"

KINDS = (
    Kind("school_place_offered", "A place at a session is free for you (from its waitlist)",
         "A place is free for you at “{title}”: accept it before the deadline", email_default="immediate",
         group=PERSONAL, position=14, email_fixed=True),
    Kind("school_new_session", "New sessions of courses you follow", "New session: “{title}”",
         email_default="daily", group=FOLLOWING, position=36),
    Kind("school_area_session", "New Urban Data School sessions in your area",
         "New session in your area: “{title}”", email_default="daily", group=AREA, position=53),
)


def _session_added(session: CourseSession, actor_id: int | None = None, **_: Any) -> Notice | None:
    course = session.course
    if not course.is_public:
        return None
    return Notice(key=f"course_session:{session.id}:added", title=session.title, url=SESSION.url(session),
                  actor_id=actor_id, space=SPACE, excerpt=f"{course.title} – {session.venue}",
                  resource=("course", course.id), subject=("course_session", session.id),
                  audiences=[Followers("school_new_session", "course", course.id),
                             AreaWatchers("school_area_session", [session.ward_id], _programme_id())])


def _programme_id() -> int | None:
    """The school belongs to the Empowering People programme: area alerts limited to programmes see it there."""
    return db.session.scalar(select(Programme.id).where(Programme.slug == PROGRAMME))


def _course_published(course: Course, actor_id: int | None = None, **_: Any) -> Notice | None:
    """Nobody is told yet; the instructor follows their course, so they hear its comments."""
    if not course.is_public:
        return None
    return Notice(key=f"course:{course.id}:published", title=course.title, url=COURSE.url(course),
                  actor_id=actor_id, space=SPACE, resource=("course", course.id), subject=("course", course.id),
                  audiences=[], follows=[(course.instructor_id, "course", course.id, "own")])


def _place_offered(booking: Booking, **_: Any) -> Notice | None:
    session = booking.session
    stamp = booking.offer_expires_at.isoformat() if booking.offer_expires_at else "now"
    return Notice(key=f"course_session:{session.id}:offer:{booking.user_id}:{stamp}", title=session.title,
                  url=SESSION.url(session), space=SPACE, resource=("course", session.course_id),
                  audiences=[Users("school_place_offered", [booking.user_id])])


BUILDERS = {
    "school.session_added": _session_added,
    "school.course_published": _course_published,
    "school.place_offered": _place_offered,
}
