"""The school in the JSON API (``/api/v1``), on the core's API kit: the catalogue, one course, upcoming sessions
with the places left, and the signed-in learner's own enrolments with their progress. Read-only; the same
read-models as the pages (``skills_school/pages.py``)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, url_for
from sqlalchemy import select

from civic import api, openapi
from civic.accounts.api_tokens import api_user
from civic.api import choice_arg, envelope, iso, listed, paging, require_user, slug_arg, text_arg
from civic.db import db, paginate
from civic.errors import NotFound
from civic.openapi import BOOLEAN, INTEGER, STRING, TIME, URL, nullable, obj, page_of, query
from civic.spaces.models import Ward
from skills_school import courses, pages
from skills_school.models import AUDIENCES, LEVELS, TOPICS, Course, CourseSession, Enrolment
from skills_school.policy import visible

bp = api.blueprint("school_api", __name__)
COLLECTIONS = (
    api.Collection("courses", "school_api.courses", "The Urban Data School's published courses."),
    api.Collection("sessions", "school_api.sessions", "Upcoming in-person sessions, with the places left."),
)

_COURSE = obj(("id", "title", "summary", "topic", "level", "audience", "language", "duration_minutes",
               "instructor", "published_at", "url", "api_url"),
              id=INTEGER, title=STRING, summary=STRING, topic={"enum": list(TOPICS)}, level={"enum": list(LEVELS)},
              audience={"enum": list(AUDIENCES)}, language=STRING, duration_minutes=INTEGER,
              accessibility=STRING, prerequisites=STRING, requires_attendance=BOOLEAN,
              instructor=STRING, published_at=nullable(TIME), url=URL, api_url=URL)
_SESSION = obj(("id", "title", "course_id", "venue", "ward", "starts_at", "ends_at", "capacity", "places_left",
                "url", "calendar_url"),
               id=INTEGER, title=STRING, course_id=INTEGER, course=STRING, venue=STRING,
               ward=obj(("slug", "name"), slug=STRING, name=STRING), starts_at=TIME, ends_at=TIME,
               capacity=INTEGER, places_left=INTEGER, accessibility=STRING, url=URL, calendar_url=URL)
_LESSON = {"type": "object", "required": ["id", "title", "minutes", "required"], "properties": {
    "id": INTEGER, "title": STRING, "minutes": INTEGER, "required": BOOLEAN, "url": URL}}
_COURSE_DETAIL = {"allOf": [_COURSE, obj(("lessons", "sessions"), lessons={"type": "array", "items": _LESSON},
                                         sessions={"type": "array", "items": _SESSION})]}
_ENROLMENT = obj(("course", "enrolled_at", "completed_at", "progress_percent"),
                 course=_COURSE, enrolled_at=TIME, completed_at=nullable(TIME),
                 progress_percent={"type": "integer", "minimum": 0, "maximum": 100},
                 certificate_url=nullable(URL))
_SLUG = {"type": "string", "pattern": "^[a-z0-9-]+$", "maxLength": 100}


def course_json(course: Course) -> dict[str, Any]:
    api.last_modified(course.updated_at or course.published_at)
    return {"id": course.id, "title": course.title, "summary": course.summary, "topic": course.topic,
            "level": course.level, "audience": course.audience, "language": course.language,
            "duration_minutes": course.duration_minutes, "accessibility": course.accessibility,
            "prerequisites": course.prerequisites, "requires_attendance": course.requires_attendance,
            "instructor": course.instructor.public_name, "published_at": iso(course.published_at),
            "url": url_for("school.course", course_id=course.id, _external=True),
            "api_url": url_for("school_api.course", course_id=course.id, _external=True)}


def session_json(session: CourseSession) -> dict[str, Any]:
    return {"id": session.id, "title": session.title, "course_id": session.course_id,
            "course": session.course.title, "venue": session.venue,
            "ward": {"slug": session.ward.slug, "name": session.ward.name},
            "starts_at": iso(session.starts_at), "ends_at": iso(session.ends_at), "capacity": session.capacity,
            "places_left": session.places_left, "accessibility": session.accessibility,
            "url": url_for("school.session", session_id=session.id, _external=True),
            "calendar_url": url_for("school.session_ics", session_id=session.id, _external=True)}


@bp.get("/courses", endpoint="courses")
@openapi.operation("The course catalogue", description="Published courses, newest first.", parameters=[
    query("q", "Words in the title or summary."), query("topic", "A topic.", {"enum": list(TOPICS)}),
    query("level", "A level.", {"enum": list(LEVELS)}),
    query("audience", "Who it is for (courses for everyone are included).", {"enum": list(AUDIENCES)}),
    *openapi.paging()], responses={200: page_of(_COURSE)}, tags=["school"])
def courses_():
    f = pages.Filters(q=text_arg("q"), topic=choice_arg("topic", TOPICS), level=choice_arg("level", LEVELS),
                      audience=choice_arg("audience", AUDIENCES))
    page, per_page = paging()
    result = pages.catalogue(f, page, per_page, instructors=True)
    return listed(envelope([course_json(c) for c in result.items], page, per_page, result.total))


@bp.get("/courses/<int:course_id>")
@openapi.operation("One course", description="With its lessons (titles) and upcoming sessions.",
                   responses={200: _COURSE_DETAIL}, tags=["school"])
def course(course_id: int):
    found = db.session.get(Course, course_id)
    if found is None or not visible(api_user(), found):
        raise NotFound("We could not find that course.")
    data = course_json(found)
    data["lessons"] = [{"id": x.id, "title": x.title, "minutes": x.minutes, "required": x.required,
                        "url": url_for("school.lesson", lesson_id=x.id, _external=True)}
                       for x in courses.lessons_of(found)]
    data["sessions"] = [session_json(s) for s in pages.next_sessions_all(found.id)]
    return jsonify(data)


@bp.get("/sessions")
@openapi.operation("Upcoming sessions", description="In-person sessions of published courses, soonest first, "
                   "with the places left (0: full, a place goes on the waitlist).",
                   parameters=[query("ward", "A ward's slug.", _SLUG), *openapi.paging()],
                   responses={200: page_of(_SESSION)}, tags=["school"])
def sessions():
    ward = slug_arg("ward", lambda slug: db.session.scalar(select(Ward.id).where(Ward.slug == slug)) is not None,
                    "a ward's slug")
    ward_id = db.session.scalar(select(Ward.id).where(Ward.slug == ward)) if ward else None
    page, per_page = paging()
    result = paginate(pages.upcoming_sessions_query(ward_id), page, per_page)
    return listed(envelope([session_json(s) for s in result.items], page, per_page, result.total))


@bp.get("/me/enrolments")
@openapi.operation("My enrolments", description="Your own courses with your progress; never anyone else's.",
                   parameters=openapi.paging(), responses={200: page_of(_ENROLMENT)}, sign_in=True,
                   tags=["school"])
def my_enrolments():
    user = require_user()
    page, per_page = paging()
    result = paginate(select(Enrolment).where(Enrolment.user_id == user.id)
                      .order_by(Enrolment.enrolled_at.desc(), Enrolment.id.desc()), page, per_page)
    progress = pages.progress_of(user.id, list(result.items))
    certs = pages.certificates_by_course(user.id, [e.course_id for e in result.items])
    items = [{"course": course_json(p.enrolment.course), "enrolled_at": iso(p.enrolment.enrolled_at),
              "completed_at": iso(p.enrolment.completed_at), "progress_percent": p.percent,
              "certificate_url": url_for("school.certificate", code=certs[p.enrolment.course_id], _external=True)
              if p.enrolment.course_id in certs else None} for p in progress]
    return listed(envelope(items, page, per_page, result.total))
