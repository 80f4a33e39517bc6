"""The school's waiting work on the officers' home: courses sent for publishing, counted and linked to the list."""

from __future__ import annotations

from datetime import timedelta

from civic.db import utcnow
from tests.skills_school.factories import course
from tests.support.pages import main_text


def test_courses_submitted_for_review_are_counted_on_the_officers_home(client_as, make_user):
    instructor = make_user("instructor")
    course(instructor, state="submitted", submitted_at=utcnow() - timedelta(days=3))
    course(instructor, state="submitted", submitted_at=utcnow())
    course(instructor, state="draft")
    course(instructor)  # published
    client, _officer = client_as("officer")
    page = client.get("/admin/")
    assert "2 courses submitted for review (oldest 3 days)" in main_text(page)
    assert 'href="/school/review"' in page.get_data(as_text=True)


def test_residents_and_instructors_see_no_school_queue(client_as, make_user):
    course(make_user("instructor"), state="submitted", submitted_at=utcnow())
    for role in ("resident", "instructor"):
        client, _user = client_as(role)
        assert client.get("/admin/").status_code in (302, 403, 404)
        assert "submitted for review" not in client.get("/").get_data(as_text=True)
