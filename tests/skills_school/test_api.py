"""The school in the JSON API: the catalogue, one course, sessions with the places left, my enrolments; and a
schemathesis walk of these operations against their description."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from civic.db import db
from skills_school import waitlists

HOST = {"Host": "civic.test"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


def test_the_catalogue(client, instructor, make_course):
    make_course(instructor, title="Robots for beginners", topic="robotics")
    make_course(instructor, title="Data at work", topic="data")
    make_course(instructor, title="A draft", state="draft")
    body = client.get("/api/v1/courses?topic=robotics").get_json()
    assert [c["title"] for c in body["items"]] == ["Robots for beginners"] and body["total"] == 1
    assert body["items"][0]["url"].startswith("http://civic.test/school/courses/")
    assert client.get("/api/v1/courses").get_json()["total"] == 2
    bad = client.get("/api/v1/courses?topic=cooking")
    assert bad.status_code == 400 and bad.get_json()["field"] == "topic"


def test_one_course_and_its_sessions_with_places_left(client, instructor, make_course, make_session, make_people):
    course = make_course(instructor, lessons=2)
    session = make_session(course, capacity=3, ward="Maida Vale")
    for person in make_people(2):
        waitlists.book(person, session)
    db.session.commit()
    body = client.get(f"/api/v1/courses/{course.id}").get_json()
    assert [x["title"] for x in body["lessons"]] == ["Lesson 1", "Lesson 2"]
    assert body["sessions"][0]["places_left"] == 1
    listed = client.get("/api/v1/sessions?ward=maida-vale").get_json()
    assert [s["id"] for s in listed["items"]] == [session.id] and listed["items"][0]["places_left"] == 1
    assert client.get("/api/v1/sessions?ward=atlantis").status_code == 400
    assert client.get("/api/v1/courses/2147483647").status_code == 404


def test_my_enrolments_need_sign_in(client):
    response = client.get("/api/v1/me/enrolments")
    assert response.status_code == 401 and response.get_json()["status"] == 401


def test_the_index_lists_the_collections(client):
    listed = {c["name"] for c in client.get("/api/v1/").get_json()["collections"]}
    assert {"courses", "sessions"} <= listed


def test_the_school_operations_keep_to_their_description(app, instructor, make_course, make_session):
    course = make_course(instructor)
    make_session(course)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, headers=HOST)
    operations = [r.ok() for r in schema.get_all_operations()]
    mine = [o for o in operations if o.path.startswith(("/api/v1/courses", "/api/v1/sessions", "/api/v1/me/"))]
    assert len(mine) == 4
    real = {"course_id": course.id}
    for operation in mine:
        names = {p.name for p in operation.path_parameters}
        case = operation.Case(path_parameters={n: real[n] for n in names})
        case.validate_response(case.call(headers=HOST), checks=CHECKS)

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        def walk(case):
            response = case.call(headers=HOST)
            assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
            case.validate_response(response, checks=CHECKS)

        walk()
