"""Learning: joining a course, marking lessons complete, resuming where one left off, progress on "My learning",
completion issuing a certificate; each learner sees only their own progress."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civic.db import db
from civic.errors import PermissionDenied, RuleViolation
from skills_school import progress
from skills_school.models import Certificate, Enrolment, Lesson
from tests.support.pages import main_text


def lessons_of(course):
    return db.session.scalars(select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.position)).all()


def test_join_complete_lessons_resume_and_complete(signed_in, learner, instructor, make_course):
    course = make_course(instructor, lessons=3, title="Your first steps online")
    client = signed_in(learner)
    assert client.post(f"/school/courses/{course.id}/enrol").status_code == 302
    first, second, third = lessons_of(course)
    assert client.get(f"/school/courses/{course.id}/resume").headers["Location"].endswith(f"/lessons/{first.id}")
    response = client.post(f"/school/lessons/{first.id}/complete")
    assert response.headers["Location"].endswith(f"/lessons/{second.id}")  # on to the next lesson
    assert client.get(f"/school/courses/{course.id}/resume").headers["Location"].endswith(f"/lessons/{second.id}")
    text = main_text(client.get("/school/my"))
    assert "Your first steps online" in text and "33% done" in text
    client.post(f"/school/lessons/{second.id}/complete")
    response = client.post(f"/school/lessons/{third.id}/complete")
    certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == learner.id))
    assert certificate is not None and response.headers["Location"].endswith(f"/certificates/{certificate.code}")
    assert db.session.scalar(select(Enrolment.completed_at).where(Enrolment.user_id == learner.id)) is not None
    text = main_text(client.get("/school/my"))
    assert "Courses you have completed" in text and "Your first steps online" in text


def test_joining_twice_is_refused_with_a_reason(learner, instructor, make_course):
    course = make_course(instructor)
    progress.enrol(learner, course)
    with pytest.raises(RuleViolation, match="already on this course"):
        progress.enrol(learner, course)
    assert db.session.scalar(select(func.count()).where(Enrolment.user_id == learner.id)) == 1


def test_a_draft_cannot_be_joined_and_the_signed_out_are_asked_to_sign_in(learner, instructor, make_course):
    draft = make_course(instructor, state="draft")
    with pytest.raises(RuleViolation):
        progress.enrol(learner, draft)
    with pytest.raises(PermissionDenied):
        progress.enrol(None, make_course(instructor))


def test_completing_a_lesson_needs_the_course(signed_in, learner, instructor, make_course):
    course = make_course(instructor)
    lesson = lessons_of(course)[0]
    response = signed_in(learner).post(f"/school/lessons/{lesson.id}/complete", follow_redirects=True)
    assert "Join the course first" in main_text(response)


def test_learners_see_only_their_own_progress(signed_in, make_user, instructor, make_course):
    course = make_course(instructor, title="Coding for beginners")
    ana, ben = make_user("resident"), make_user("resident")
    progress.enrol(ana, course)
    progress.complete_lesson(ana, lessons_of(course)[0])
    db.session.commit()
    assert "Coding for beginners" not in main_text(signed_in(ben).get("/school/my"))
    assert signed_in(ben).get("/api/v1/me/enrolments").get_json()["total"] == 0
    mine = signed_in(ana).get("/api/v1/me/enrolments").get_json()
    assert mine["total"] == 1 and mine["items"][0]["progress_percent"] == 50
    # Nor the instructor's dashboard, which is the instructor's own.
    assert signed_in(ben).get(f"/school/teach/courses/{course.id}").status_code == 403
    assert "50%" in main_text(signed_in(instructor).get(f"/school/teach/courses/{course.id}"))


def test_my_learning_queries_do_not_grow(signed_in, learner, instructor, make_course, count_queries):
    client = signed_in(learner)
    for _ in range(2):
        progress.enrol(learner, make_course(instructor))
    db.session.commit()
    with count_queries() as few:
        assert client.get("/school/my").status_code == 200
    for _ in range(8):
        progress.enrol(learner, make_course(instructor))
    db.session.commit()
    with count_queries() as many:
        client.get("/school/my")
    assert many.count == few.count


def test_the_instructor_downloads_the_learners(signed_in, make_user, instructor, make_course):
    course = make_course(instructor)
    ana = make_user("resident", display_name="Ana Learner")
    progress.enrol(ana, course)
    progress.complete_lesson(ana, lessons_of(course)[0])
    db.session.commit()
    response = signed_in(instructor).get(f"/school/teach/courses/{course.id}/learners.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "name,nickname,enrolled_at,progress_percent,completed_at"
    assert lines[1].startswith(f"Ana Learner,{ana.nickname},") and ",50," in lines[1]
