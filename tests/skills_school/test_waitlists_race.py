"""Places under concurrency, on PostgreSQL with real commits: many people asking for the last places at the same
moment never take more than ``capacity``; the rest are waitlisted, each with their own place in the queue; a
double click books once; parallel cancellations offer each freed place to exactly one person waiting."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from civic.accounts.models import User
from civic.db import db
from skills_school import waitlists
from skills_school.models import Booking, Course, CourseSession
from tests import factories
from tests.skills_school import factories as school
from tests.support.race import committed, delete_people, race, real_commits, tag

pytestmark = [pytest.mark.postgres, pytest.mark.no_transaction]

#: The statement each booking waits at: the session row's lock, where the decisions are serialised.
AT_THE_LOCK = "SELECT school_sessions.id"


@pytest.fixture
def world(app):
    """An instructor's course with a session of 5 places, 3 of them already taken, and 20 people."""
    with real_commits(app, connections=25):
        with committed(app):
            (instructor,) = factories.people(1, prefix=f"teach_{tag()}", roles=["instructor"])
            people = factories.people(20, prefix=f"racer_{tag()}")
            course = school.course(instructor, title=f"Racing robots {tag()}")
            session = school.session(course, capacity=5)
            early = factories.people(3, prefix=f"early_{tag()}")
            for person in early:
                waitlists.book(person, session)
            made = {"course": course.id, "session": session.id, "people": [p.id for p in people],
                    "everyone": [instructor.id, *[p.id for p in people], *[p.id for p in early]]}
        yield made
        with committed(app):
            db.session.execute(delete(Course).where(Course.id == made["course"]))
            delete_people(made["everyone"])


def book(user_id: int, session_id: int) -> str:
    return waitlists.book(db.session.get(User, user_id), db.session.get(CourseSession, session_id)).status


def cancel(user_id: int, session_id: int) -> str:
    return waitlists.cancel(db.session.get(User, user_id), db.session.get(CourseSession, session_id)).status


def bookings(session_id: int) -> list[tuple[int, str, int]]:
    return [tuple(r) for r in db.session.execute(select(Booking.user_id, Booking.status, Booking.seq)
                                                 .where(Booking.session_id == session_id).order_by(Booking.seq))]


def test_twenty_people_for_the_last_two_places(app, world):
    with real_commits(app, connections=25):
        outcomes = race(app, book, [(p, world["session"]) for p in world["people"]],
                        before=lambda sql: sql.startswith(AT_THE_LOCK) and "FOR UPDATE" in sql)
        assert outcomes.count("booked") == 2 and outcomes.count("waiting") == 18
        with committed(app):
            taken = db.session.scalar(select(CourseSession.places_taken)
                                      .where(CourseSession.id == world["session"]))
            rows = bookings(world["session"])
        assert taken == 5
        assert sum(1 for _u, status, _s in rows if status == "booked") == 5
        seqs = [s for _u, _status, s in rows]
        assert seqs == list(range(1, 24))  # one place in the queue each, none shared
        # The waitlist's order is the order in which the racers got the lock: the two booked came first.
        statuses = [status for _u, status, _s in rows]
        assert statuses == ["booked"] * 5 + ["waiting"] * 18


def test_a_double_click_books_once(app, world):
    with real_commits(app, connections=25):
        person = world["people"][0]
        outcomes = race(app, book, [(person, world["session"])] * 8,
                        before=lambda sql: sql.startswith(AT_THE_LOCK) and "FOR UPDATE" in sql)
        assert outcomes.count("booked") == 1
        assert all("already have a place" in o for o in outcomes if o != "booked")
        with committed(app):
            n = db.session.scalar(select(func.count()).where(Booking.session_id == world["session"],
                                                             Booking.user_id == person))
            taken = db.session.scalar(select(CourseSession.places_taken)
                                      .where(CourseSession.id == world["session"]))
        assert n == 1 and taken == 4


def test_parallel_cancellations_offer_each_place_once(app, world):
    with real_commits(app, connections=25):
        race(app, book, [(p, world["session"]) for p in world["people"][:10]])  # 2 booked, 8 waiting
        with committed(app):
            holders = [u for u, status, _s in bookings(world["session"]) if status == "booked"]
        outcomes = race(app, cancel, [(u, world["session"]) for u in holders],
                        before=lambda sql: sql.startswith(AT_THE_LOCK) and "FOR UPDATE" in sql)
        assert outcomes == ["cancelled"] * 5
        with committed(app):
            rows = bookings(world["session"])
            taken = db.session.scalar(select(CourseSession.places_taken)
                                      .where(CourseSession.id == world["session"]))
        offered = [seq for _u, status, seq in rows if status == "offered"]
        waiting = [seq for _u, status, seq in rows if status == "waiting"]
        assert len(offered) == 5 and len(waiting) == 3 and taken == 5
        assert max(offered) < min(waiting)  # offered to the first five waiting, in order


def book_or_resize(what: str, ident: int, session_id: int) -> str:
    session = db.session.get(CourseSession, session_id)
    if what == "resize":
        return f"offered {waitlists.resize(session, ident)}"
    return waitlists.book(db.session.get(User, ident), session).status


def test_more_places_while_people_book_never_oversells(app, world):
    with real_commits(app, connections=25):
        calls = [("book", p, world["session"]) for p in world["people"][:11]] + [("resize", 8, world["session"])]
        race(app, book_or_resize, calls, before=lambda sql: sql.startswith(AT_THE_LOCK) and "FOR UPDATE" in sql)
        with committed(app):
            rows = bookings(world["session"])
            capacity, taken = db.session.execute(select(CourseSession.capacity, CourseSession.places_taken)
                                                 .where(CourseSession.id == world["session"])).one()
        holding = [s for _u, status, s in rows if status in ("booked", "offered")]
        waiting = [s for _u, status, s in rows if status == "waiting"]
        assert capacity == 8 and taken == 8 and len(holding) == 8 and len(waiting) == 6
        assert max(holding) < min(waiting)  # first come, first served whichever came first, the places or people
