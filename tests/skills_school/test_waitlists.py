"""Places at in-person sessions: booking, the waitlist in arrival order, cancelling, an offer to the first person
waiting (notice and email), accepting before the deadline, the tick passing expired offers on, attendance, the
.ics file; and every refusal with its reason."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from civic import schedule
from civic.db import db, utcnow
from civic.errors import RuleViolation
from civic.notifications.models import Notification
from skills_school import progress, sessions, waitlists
from skills_school.courses import lessons_of
from skills_school.models import Booking, CourseSession, Enrolment
from tests.support.pages import field_error, main_text


@pytest.fixture
def course(instructor, make_course):
    return make_course(instructor, title="Robotics for young people")


def status(user, session):
    return db.session.scalar(select(Booking.status).where(Booking.session_id == session.id,
                                                          Booking.user_id == user.id)
                             .execution_options(populate_existing=True))


def taken(session):
    return db.session.scalar(select(CourseSession.places_taken).where(CourseSession.id == session.id))


def test_places_then_the_waitlist_in_arrival_order(course, make_session, make_people):
    session = make_session(course, capacity=2)
    a, b, c, d = make_people(4)
    outcomes = [waitlists.book(p, session).status for p in (a, b, c, d)]
    assert outcomes == ["booked", "booked", "waiting", "waiting"]
    assert taken(session) == 2
    assert waitlists.waitlist_position(waitlists.booking_of(d, session)) == 2
    # Booking enrols on the course.
    assert db.session.scalar(select(Enrolment.id).where(Enrolment.user_id == c.id)) is not None


def test_a_cancellation_offers_the_place_to_the_first_waiting_by_notice_and_mail(
        app, course, make_session, make_people, smtp_server):
    session = make_session(course, capacity=1)
    first, second, third = make_people(3)
    for p in (first, second, third):
        waitlists.book(p, session)
    db.session.commit()
    waitlists.cancel(first, session)
    db.session.commit()
    assert (status(first, session), status(second, session), status(third, session)) == (
        "cancelled", "offered", "waiting")
    assert taken(session) == 1  # held for the person offered
    offer = waitlists.booking_of(second, session)
    assert timedelta(hours=47) < offer.offer_expires_at - utcnow() <= timedelta(hours=48)
    mail = smtp_server.to(second.email)
    assert mail and "A place is free for you" in mail[-1]["Subject"]
    assert f"/school/sessions/{session.id}" in mail[-1].get_body(("plain",)).get_content()
    assert db.session.scalar(select(Notification.id).where(Notification.user_id == second.id)) is not None
    waitlists.accept(second, session)
    db.session.commit()
    assert status(second, session) == "booked" and taken(session) == 1


def test_declining_passes_the_place_on_and_nobody_waiting_frees_it(course, make_session, make_people):
    session = make_session(course, capacity=1)
    a, b = make_people(2)
    waitlists.book(a, session)
    waitlists.book(b, session)
    waitlists.cancel(a, session)
    waitlists.decline(b, session)
    assert status(b, session) == "cancelled" and taken(session) == 0


def test_an_expired_offer_is_refused_and_the_tick_passes_it_on(app, course, make_session, make_people):
    session = make_session(course, capacity=1)
    a, b, c = make_people(3)
    for p in (a, b, c):
        waitlists.book(p, session)
    waitlists.cancel(a, session)
    db.session.execute(db_update_offer(session, b, utcnow() - timedelta(minutes=1)))
    with pytest.raises(RuleViolation, match="time to accept this place has passed"):
        waitlists.accept(b, session)
    db.session.commit()
    (outcome,) = schedule.run(["school.expire-offers"])
    assert outcome.status == "ok" and outcome.summary.startswith("1 waitlist offer")
    assert status(b, session) == "expired" and status(c, session) == "offered" and taken(session) == 1


def db_update_offer(session, user, when):
    return update(Booking).where(Booking.session_id == session.id, Booking.user_id == user.id) \
        .values(offer_expires_at=when).execution_options(synchronize_session=False)


def test_refusals_have_reasons(course, make_session, make_people):
    session = make_session(course, capacity=3)
    (a,) = make_people(1)
    waitlists.book(a, session)
    with pytest.raises(RuleViolation, match="already have a place"):
        waitlists.book(a, session)
    past = make_session(course, starts_in=timedelta(hours=-1))
    with pytest.raises(RuleViolation, match="already started or is over"):
        waitlists.book(a, past)
    with pytest.raises(RuleViolation, match="no place waiting for you"):
        waitlists.accept(a, session)
    other = make_session(course)
    with pytest.raises(RuleViolation, match="no place at this session"):
        waitlists.cancel(a, other)
    assert taken(session) == 1


def test_rebooking_after_cancelling_goes_to_the_end_of_the_queue(course, make_session, make_people):
    session = make_session(course, capacity=1)
    a, b = make_people(2)
    waitlists.book(a, session)
    waitlists.cancel(a, session)
    waitlists.book(b, session)
    assert waitlists.book(a, session).status == "waiting"


def test_the_pages_book_and_cancel(signed_in, course, make_session, make_user):
    session = make_session(course, capacity=1)
    anna, bob = make_user("resident"), make_user("resident")
    page = main_text(signed_in(anna).post(f"/school/sessions/{session.id}/book", follow_redirects=True))
    assert "Your place is booked" in page and "You have a place" in page
    page = main_text(signed_in(bob).post(f"/school/sessions/{session.id}/book", follow_redirects=True))
    assert "you are on the waitlist" in page and "number 1 in the queue" in page
    page = main_text(signed_in(bob).post(f"/school/sessions/{session.id}/book", follow_redirects=True))
    assert "already on the waitlist" in page
    signed_in(anna).post(f"/school/sessions/{session.id}/cancel")
    page = main_text(signed_in(bob).get(f"/school/sessions/{session.id}"))
    assert "A place is offered to you" in page and "Accept the place" in page
    signed_in(bob).post(f"/school/sessions/{session.id}/accept")
    assert status(bob, session) == "booked"


def test_attendance_is_marked_by_the_instructor_and_completes_courses(
        signed_in, instructor, make_course, make_session, make_people):
    course = make_course(instructor, lessons=1, requires_attendance=True)
    session = make_session(course, capacity=3)
    came, absent = make_people(2)
    waitlists.book(came, session)
    waitlists.book(absent, session)
    lesson = course_lessons(course)[0]
    progress.complete_lesson(came, lesson)
    assert progress.progress(came, course).complete is False  # attendance is still needed
    db.session.execute(db_move_session(session, utcnow() - timedelta(hours=1)))
    db.session.commit()
    db.session.expire_all()
    client = signed_in(instructor)
    response = client.post(f"/school/teach/sessions/{session.id}/attendance", data={"attended": [str(came.id)]},
                           follow_redirects=True)
    assert "Attendance saved: 1 came" in main_text(response)
    db.session.expire_all()
    assert db.session.scalar(select(Booking.attended).where(Booking.user_id == came.id)) is True
    assert db.session.scalar(select(Booking.attended).where(Booking.user_id == absent.id)) is False
    assert progress.progress(came, course).complete
    # Only people with a place can be marked.
    with pytest.raises(RuleViolation):
        sessions.mark_attendance(instructor, session, {999999})


def course_lessons(course):
    return lessons_of(course)


def db_move_session(session, starts):
    return update(CourseSession).where(CourseSession.id == session.id) \
        .values(starts_at=starts, ends_at=starts + timedelta(hours=2)).execution_options(synchronize_session=False)


def test_the_calendar_file(client, course, make_session):
    session = make_session(course, title="Robotics workshop, Church Street; Saturday")
    response = client.get(f"/school/sessions/{session.id}/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    body = response.get_data(as_text=True)
    assert body.startswith("BEGIN:VCALENDAR\r\n") and "BEGIN:VEVENT" in body
    assert "SUMMARY:Robotics workshop\\, Church Street\\; Saturday" in body
    assert f"DTSTART:{session.starts_at.strftime('%Y%m%dT%H%M%SZ')}" in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))


def test_the_instructor_sees_the_waitlist_in_order(signed_in, instructor, course, make_session, make_people):
    session = make_session(course, capacity=1)
    people = make_people(3)
    for p in people:
        waitlists.book(p, session)
    db.session.commit()
    text = main_text(signed_in(instructor).get(f"/school/teach/sessions/{session.id}"))
    assert text.index(people[1].display_name) < text.index(people[2].display_name)
    assert signed_in(people[0]).get(f"/school/teach/sessions/{session.id}").status_code == 403


def test_the_sessions_list_queries_do_not_grow(client, course, make_session, count_queries):
    for _ in range(2):
        make_session(course)
    with count_queries() as few:
        assert client.get("/school/sessions/").status_code == 200
    for ward in ("Maida Vale", "Marylebone", "Pimlico North", "Queen's Park", "West End", "Bayswater"):
        make_session(course, ward=ward)
    with count_queries() as many:
        client.get("/school/sessions/")
    assert many.count == few.count


def session_form(session, **changes) -> dict:
    london = session.starts_at.astimezone(ZoneInfo("Europe/London"))
    data = {"title": session.title, "venue": session.venue, "ward": str(session.ward_id),
            "starts_at": london.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (london + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "capacity": str(session.capacity), "accessibility": ""}
    return {**data, **changes}


def test_more_places_go_to_the_people_waiting(signed_in, instructor, course, make_session, make_people):
    session = make_session(course, capacity=1)
    people = make_people(4)
    for p in people:
        waitlists.book(p, session)
    db.session.commit()
    response = signed_in(instructor).post(f"/school/teach/sessions/{session.id}/edit",
                                          data=session_form(session, capacity="3"), follow_redirects=True)
    assert "2 places were offered to people waiting" in main_text(response)
    assert [status(p, session) for p in people] == ["booked", "offered", "offered", "waiting"]
    assert taken(session) == 3


def test_fewer_places_than_taken_are_refused_beside_the_field(signed_in, instructor, course, make_session,
                                                               make_people):
    session = make_session(course, capacity=3)
    for p in make_people(2):
        waitlists.book(p, session)
    db.session.commit()
    response = signed_in(instructor).post(f"/school/teach/sessions/{session.id}/edit",
                                          data=session_form(session, capacity="1"))
    assert response.status_code == 200
    assert "2 people already have" in field_error(response, "capacity")
    db.session.expire_all()
    assert db.session.get(CourseSession, session.id).capacity == 3


def test_another_instructor_cannot_change_the_session(client_as, course, make_session):
    session = make_session(course, capacity=3)
    other, _ = client_as("instructor")
    assert other.post(f"/school/teach/sessions/{session.id}/edit",
                      data=session_form(session, capacity="30")).status_code == 403
    db.session.expire_all()
    assert db.session.get(CourseSession, session.id).capacity == 3
