"""Courses and lessons: instructors make them, officers publish them, learners find them in the catalogue; nobody
manages someone else's course; bad input is refused beside the field."""

from __future__ import annotations

from io import BytesIO

from PIL import Image
from sqlalchemy import select

from civic.db import db
from skills_school.models import Course, Lesson
from tests.support.pages import field_error, main_text

COURSE_FORM = {"title": "Your first email", "summary": "Send and read email.", "topic": "digital-skills",
               "level": "beginner", "audience": "older-residents", "language": "English", "duration_minutes": "90",
               "accessibility": "", "prerequisites": ""}


def test_an_instructor_makes_a_course_and_an_officer_publishes_it(client_as, signed_in, make_user):
    client, instructor = client_as("instructor")
    response = client.post("/school/teach/courses/new", data=COURSE_FORM)
    course = db.session.scalar(select(Course).where(Course.title == "Your first email"))
    assert response.status_code == 302 and course.state == "draft" and course.instructor_id == instructor.id
    # Not in the catalogue, and a stranger cannot see it.
    assert "Your first email" not in client_as("resident")[0].get("/school/").get_data(as_text=True)
    assert client_as("resident")[0].get(f"/school/courses/{course.id}").status_code == 404
    # No lesson: cannot be sent for publishing.
    client.post(f"/school/teach/courses/{course.id}/submit")
    assert db.session.get(Course, course.id).state == "draft"
    client.post(f"/school/teach/courses/{course.id}/lessons/new",
                data={"title": "Opening your inbox", "body": "Tap **Mail**.", "minutes": "10", "required": "y"})
    client.post(f"/school/teach/courses/{course.id}/submit")
    db.session.expire_all()
    assert db.session.get(Course, course.id).state == "submitted"
    officer = signed_in(make_user("officer"))
    assert "Your first email" in officer.get("/school/review").get_data(as_text=True)
    officer.post(f"/school/courses/{course.id}/publish")
    db.session.expire_all()
    assert db.session.get(Course, course.id).state == "published"
    page = client_as("anonymous")[0].get("/school/").get_data(as_text=True)
    assert "Your first email" in page


def test_nobody_manages_another_instructors_course(client_as, instructor, make_course):
    course = make_course(instructor)
    other, _ = client_as("instructor")
    lesson_id = db.session.scalar(select(Lesson.id).where(Lesson.course_id == course.id))
    for path in (f"/school/teach/courses/{course.id}", f"/school/teach/courses/{course.id}/edit",
                 f"/school/teach/courses/{course.id}/learners.csv", f"/school/teach/lessons/{lesson_id}/edit",
                 f"/school/teach/lessons/{lesson_id}/quiz", f"/school/teach/courses/{course.id}/sessions/new"):
        assert other.get(path).status_code == 403, path
    assert other.post(f"/school/teach/courses/{course.id}/edit", data={**COURSE_FORM, "title": "Taken over"}
                      ).status_code == 403
    assert other.post(f"/school/teach/lessons/{lesson_id}/edit", data={"title": "Mine now", "minutes": "5"}
                      ).status_code == 403
    db.session.expire_all()
    assert db.session.get(Course, course.id).title != "Taken over"
    # A resident may not even make one.
    assert client_as("resident")[0].get("/school/teach/courses/new").status_code == 403


def test_a_draft_is_seen_by_its_instructor_only(client_as, signed_in, instructor, make_course):
    draft = make_course(instructor, state="draft", title="A draft about robots")
    assert signed_in(instructor).get(f"/school/courses/{draft.id}").status_code == 200
    assert client_as("instructor")[0].get(f"/school/courses/{draft.id}").status_code == 404
    assert client_as("anonymous")[0].get(f"/school/courses/{draft.id}").status_code == 404
    assert client_as("anonymous")[0].get(f"/api/v1/courses/{draft.id}").status_code == 404


def test_bad_input_is_shown_beside_the_field(client_as):
    client, _ = client_as("instructor")
    response = client.post("/school/teach/courses/new", data={**COURSE_FORM, "title": "Hi", "topic": "cooking",
                                                              "duration_minutes": "lots"})
    assert response.status_code == 200
    assert "between 5 and 150" in field_error(response, "title")
    assert field_error(response, "topic")
    assert field_error(response, "duration_minutes")
    assert db.session.scalar(select(Course).where(Course.title == "Hi")) is None


def test_lessons_are_markdown_sanitised(client, instructor, make_course, make_lesson):
    course = make_course(instructor, lessons=0)
    lesson = make_lesson(course, body="**Bold** <script>alert(1)</script> [link](javascript:alert(1)) "
                                      "[site](https://www.westminster.gov.uk)")
    html = client.get(f"/school/lessons/{lesson.id}").get_data(as_text=True)
    assert "<strong>Bold</strong>" in html
    assert "<script>alert(1)" not in html and "href=\"javascript" not in html
    assert 'href="https://www.westminster.gov.uk"' in html


def test_the_catalogue_filters_and_searches(client, instructor, make_course):
    make_course(instructor, title="Robots for beginners", topic="robotics")
    make_course(instructor, title="Spreadsheets at work", topic="data", level="intermediate")
    make_course(instructor, title="Hidden robots", topic="robotics", state="draft")
    text = main_text(client.get("/school/?topic=robotics"))
    assert "Robots for beginners" in text and "Spreadsheets at work" not in text and "Hidden robots" not in text
    text = main_text(client.get("/school/?q=spreadsheet"))
    assert "Spreadsheets at work" in text and "Robots for beginners" not in text
    assert client.get("/school/?topic=nonsense&level=%00&page=x").status_code == 200


def test_the_catalogue_queries_do_not_grow(client, instructor, make_course, make_session, count_queries):
    for _ in range(3):
        make_session(make_course(instructor))
    with count_queries() as few:
        assert client.get("/school/").status_code == 200
    for _ in range(15):
        make_session(make_course(instructor))
    with count_queries() as many:
        client.get("/school/")
    assert many.count == few.count


def test_lessons_can_be_reordered_by_their_instructor(signed_in, instructor, make_course):
    course = make_course(instructor, lessons=3)
    lessons = db.session.scalars(select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.position)).all()
    signed_in(instructor).post(f"/school/teach/lessons/{lessons[2].id}/move", data={"direction": "up"})
    db.session.expire_all()
    order = db.session.scalars(select(Lesson.title).where(Lesson.course_id == course.id)
                               .order_by(Lesson.position)).all()
    assert order == ["Lesson 1", "Lesson 3", "Lesson 2"]


def png() -> bytes:
    out = BytesIO()
    Image.new("RGB", (32, 18), "green").save(out, format="PNG")
    return out.getvalue()


def test_a_cover_image_needs_its_description_and_is_served_with_the_course(client_as, client):
    teacher, _ = client_as("instructor")
    response = teacher.post("/school/teach/courses/new", content_type="multipart/form-data",
                            data={**COURSE_FORM, "cover": (BytesIO(png()), "robot.png")})
    assert response.status_code == 200 and "Describe the image" in field_error(response, "cover_alt")
    teacher.post("/school/teach/courses/new", content_type="multipart/form-data",
                 data={**COURSE_FORM, "cover": (BytesIO(png()), "robot.png"),
                       "cover_alt": "A small robot on a table"})
    course = db.session.scalar(select(Course).where(Course.title == COURSE_FORM["title"]))
    assert course.cover_path.startswith("school/") and course.cover_alt == "A small robot on a table"
    served = teacher.get(f"/uploads/{course.cover_path}")
    assert served.status_code == 200
    served.close()
    assert client.get(f"/uploads/{course.cover_path}").status_code == 404  # a draft's cover: not for strangers


def test_the_instructors_list_queries_do_not_grow(signed_in, instructor, make_course, count_queries):
    client = signed_in(instructor)
    make_course(instructor)
    with count_queries() as few:
        assert client.get("/school/teach/").status_code == 200
    for _ in range(6):
        make_course(instructor)
    with count_queries() as many:
        client.get("/school/teach/")
    assert many.count == few.count
