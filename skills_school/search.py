"""Courses and sessions in the platform's search (declared in ``skills_school/manifest.py``)."""

from __future__ import annotations

from sqlalchemy import select

from civic import search
from skills_school.models import Course, CourseSession
from skills_school.resource import COURSE, SESSION

#: The topics as the search's state filter names them.
TOPICS = {"digital-skills": "Digital skills", "data": "Data", "coding": "Coding", "robotics": "Robotics",
          "online-safety": "Online safety"}


def _course(course: Course) -> search.Document | None:
    if not course.is_public:
        return None
    return search.Document(title=course.title, body=search.plain(f"{course.summary}\n\n{course.prerequisites}"),
                           ward=search.WHOLE_CITY, state=course.topic, date=course.published_at)


def _session(session: CourseSession) -> search.Document | None:
    if not session.course.is_public:
        return None
    return search.Document(title=session.title, body=f"{session.venue}\n{session.course.title}",
                           ward=session.ward.slug, date=session.created_at, starts=session.starts_at,
                           ends=session.ends_at, parent=f"course:{session.course_id}", context=session.course.title)


def _children(parent_type: str, ids):
    if parent_type == "course":
        return select(CourseSession.id).where(CourseSession.course_id.in_(list(ids)))
    return None


COURSES = search.SearchType(
    name="course", label="Course", plural="Courses", model=Course, to_document=_course, url=COURSE.url,
    indexed_columns=frozenset({"title", "summary", "prerequisites", "topic", "state", "published_at",
                               "hidden_at"}),
    states=TOPICS, position=60)

SESSIONS = search.SearchType(
    name="course_session", label="Course session", plural="Course sessions", model=CourseSession,
    to_document=_session, url=SESSION.url, children=_children,
    indexed_columns=frozenset({"title", "venue", "ward_id", "starts_at", "ends_at"}),
    position=61)
