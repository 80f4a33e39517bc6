"""The school in the rest of the platform: search (courses, sessions), follows (a course: its new sessions), area
alerts (sessions in a person's wards), comments on a course (questions to the instructor), reports and hiding,
and the demo data."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from civic.accounts import services as accounts
from civic.comments import services as comments
from civic.db import db, utcnow
from civic.notifications import services as notifications
from civic.spaces.models import Ward
from skills_school import courses, progress, sessions, waitlists
from skills_school.courses import lessons_of
from skills_school.demo import seed
from skills_school.models import Booking, Course, CourseSession
from tests.factories import PASSWORD
from tests.notifications.conftest import told
from tests.support.pages import main_text
from tests.support.search import keys


def test_courses_and_sessions_are_searchable(find, instructor, make_course, make_session):
    course = make_course(instructor, title="Robotics workshop for teenagers", topic="robotics")
    draft = make_course(instructor, title="Robotics draft nobody sees", state="draft")
    session = make_session(course, title="Line-following robots at Maida Vale Library", ward="Maida Vale")
    found = keys(find("robotics"))
    assert f"course:{course.id}" in found and f"course:{draft.id}" not in found
    assert f"course_session:{session.id}" in keys(find("line following"))
    assert keys(find("robots", type="course_session", ward="maida-vale")) == [f"course_session:{session.id}"]


def test_followers_and_area_alerts_hear_of_new_sessions(app, instructor, make_user, make_course):
    course = make_course(instructor, title="Coding for beginners")
    follower, neighbour, elsewhere = make_user("resident"), make_user("resident"), make_user("resident")
    notifications.follow(follower, "course", course.id)
    maida = db.session.scalar(select(Ward.id).where(Ward.name == "Maida Vale"))
    notifications.save_alerts(neighbour, ward_ids=[maida], programme_ids=[])
    pimlico = db.session.scalar(select(Ward.id).where(Ward.name == "Pimlico North"))
    notifications.save_alerts(elsewhere, ward_ids=[pimlico], programme_ids=[])
    db.session.commit()
    starts = utcnow() + timedelta(days=5)
    sessions.add_session(instructor, course, sessions.SessionFields(
        title="Python club at Maida Vale Library", venue="Maida Vale Library", ward_id=maida, starts_at=starts,
        ends_at=starts + timedelta(hours=2), capacity=10))
    db.session.commit()
    assert [n.kind for n in told(follower)] == ["school_new_session"]
    assert [n.kind for n in told(neighbour)] == ["school_area_session"]
    assert told(elsewhere) == []


def test_questions_to_the_instructor_and_hiding(signed_in, instructor, make_user, make_course, report_by, client):
    course = make_course(instructor, title="Understanding open data")
    asker = make_user("resident")
    comments.post_comment(asker, "course", course.id, "Do I need a laptop?", 0)
    db.session.commit()
    text = main_text(client.get(f"/school/courses/{course.id}"))
    assert "Do I need a laptop?" in text and "Comments (1)" in text
    report_by(3, "course", course.id)  # the hiding threshold
    db.session.expire_all()
    assert db.session.get(Course, course.id).hidden_at is not None
    assert client.get(f"/school/courses/{course.id}").status_code == 404
    assert "Understanding open data" not in main_text(client.get("/school/"))
    assert signed_in(instructor).get(f"/school/courses/{course.id}").status_code == 200  # its instructor still sees it


def test_the_demo_data(app, make_user):
    make_user("instructor", nickname="demo_instructor")
    make_user("officer", nickname="demo_officer")
    seed()
    seed()  # idempotent
    db.session.commit()
    topics = set(db.session.scalars(select(Course.topic)))
    assert topics == {"digital-skills", "data", "coding", "robotics", "online-safety"}
    assert db.session.scalar(select(func.count()).select_from(Course)) == 6
    wards = set(db.session.scalars(select(CourseSession.ward_id)))
    assert len(wards) >= 5
    full = [s for s in db.session.scalars(select(CourseSession)) if s.places_left == 0]
    assert full and db.session.scalar(select(func.count()).where(Booking.session_id == full[0].id,
                                                                 Booking.status == "waiting")) > 0
    nearly = [s for s in db.session.scalars(select(CourseSession)) if s.places_left == 1]
    assert nearly


def test_a_deleted_account_gives_its_place_on_and_its_certificate_loses_the_name(
        instructor, make_user, make_course, make_session, make_people):
    course = make_course(instructor, lessons=1)
    session = make_session(course, capacity=1)
    leaver = make_user("resident", display_name="Leaving Learner")
    (waiting,) = make_people(1)
    waitlists.book(leaver, session)
    waitlists.book(waiting, session)
    certificate = progress.complete_lesson(leaver, lessons_of(course)[0]).certificate
    accounts.delete_account(leaver, PASSWORD)
    db.session.commit()
    assert waitlists.booking_of(waiting, session).status == "offered"
    db.session.refresh(certificate)
    assert certificate.name == "Deleted participant" and certificate.revoked_at is not None


def test_the_instructor_hears_of_questions_on_their_course(make_user, instructor, make_course):
    course = make_course(instructor, state="submitted", title="Python club")
    courses.publish_course(make_user("officer"), course)
    db.session.commit()
    comments.post_comment(make_user("resident"), "course", course.id, "Is it for beginners?", 0)
    db.session.commit()
    assert told(instructor), "the instructor follows their course once it is published"
