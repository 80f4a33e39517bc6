"""Factories for the Urban Data School, on top of the core's (``tests/factories.py``): plain functions that work
in a test's savepoint and in a race test's real commits.

- ``course(instructor, **fields)``: a published course (``state="draft"`` for a draft) with ``lessons`` lessons.
- ``lesson(course, **fields)``; ``quiz(lesson, questions=[(text, kind, [(answer, right, feedback)])])``.
- ``session(course, **fields)``: a session starting in a week, in Church Street, with ``capacity`` places.
- ``enrol(user, course)``; ``book(user, session)`` (through the service).
"""

from __future__ import annotations

from datetime import timedelta

from civic.db import db, utcnow
from skills_school import waitlists
from skills_school.models import Choice, Course, CourseSession, Enrolment, Lesson, Question, Quiz
from tests import factories


def course(instructor, *, lessons: int = 2, state: str = "published", commit: bool = True, **fields) -> Course:
    fields.setdefault("title", f"Test course number {factories.unique()}")
    fields.setdefault("summary", "Learn something **useful**.")
    fields.setdefault("topic", "digital-skills")
    if state == "published":
        fields.setdefault("published_at", utcnow())
    made = Course(instructor_id=instructor.id, state=state, **fields)
    db.session.add(made)
    db.session.flush()
    for n in range(lessons):
        lesson(made, title=f"Lesson {n + 1}", position=n + 1, commit=False)
    factories.save(commit)
    return made


def lesson(course: Course, *, commit: bool = True, **fields) -> Lesson:
    fields.setdefault("title", f"Lesson {factories.unique()}")
    fields.setdefault("body", "Read this *carefully*.")
    made = Lesson(course_id=course.id, **fields)
    db.session.add(made)
    factories.save(commit)
    return made


def quiz(lesson: Lesson, questions=None, *, pass_mark: int = 50, retry_minutes: int = 10,
         commit: bool = True) -> Quiz:
    questions = questions or [("Which is a strong password?", "single",
                               [("TeapotRiverCloud", True, "Yes: three random words."),
                                ("password1", False, "Too easy to guess.")])]
    made = Quiz(lesson_id=lesson.id, course_id=lesson.course_id, pass_mark=pass_mark, retry_minutes=retry_minutes)
    db.session.add(made)
    db.session.flush()
    for position, (text, kind, answers) in enumerate(questions, start=1):
        db.session.add(Question(quiz_id=made.id, position=position, text=text, kind=kind,
                                choices=[Choice(text=a, correct=c, feedback=f) for a, c, f in answers]))
    factories.save(commit)
    db.session.expire(made)
    return made


def session(course: Course, *, capacity: int = 5, starts_in: timedelta = timedelta(days=7), ward: str = "Church Street",
            commit: bool = True, **fields) -> CourseSession:
    starts = utcnow() + starts_in
    fields.setdefault("title", f"Workshop {factories.unique()}")
    fields.setdefault("venue", "Church Street Library, NW8 8EU")
    made = CourseSession(course_id=course.id, ward_id=factories.ward_named(ward).id, starts_at=starts,
                         ends_at=starts + timedelta(hours=2), capacity=capacity, **fields)
    db.session.add(made)
    factories.save(commit)
    return made


def enrol(user, course: Course, *, commit: bool = True) -> Enrolment:
    made = Enrolment(course_id=course.id, user_id=user.id)
    db.session.add(made)
    factories.save(commit)
    return made


def book(user, session: CourseSession, *, commit: bool = True):
    made = waitlists.book(user, session)
    factories.save(commit)
    return made
