"""Learning: enrolling on a course, marking lessons complete, where to resume, progress and completion.

A learner's progress is read only by them (every function takes the signed-in person and reads their own rows)
and by the course's instructor (``skills_school/dashboard.py``). A course is complete when its required lessons
are done, its quizzes passed and, if the course says so, an in-person session attended; completing issues the
certificate (``skills_school/certificates.py``) in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from civic import events, policy
from civic.db import db, utcnow
from civic.errors import PermissionDenied, RuleViolation
from skills_school import certificates
from skills_school.models import Attempt, Booking, Course, CourseSession, Enrolment, Lesson, LessonDone, Quiz


@dataclass
class Progress:
    """One learner on one course (``enrolment`` None when they have not joined)."""

    enrolment: Enrolment | None
    lessons: list[Lesson]
    done: set[int] = field(default_factory=set)
    quizzes: dict[int, int] = field(default_factory=dict)  # lesson id -> quiz id
    passed: set[int] = field(default_factory=set)  # quiz ids passed
    attended: bool = False
    certificate: Any = None

    @property
    def required(self) -> list[Lesson]:
        return [x for x in self.lessons if x.required]

    @property
    def percent(self) -> int:
        """Required lessons done and quizzes passed, as a share of all of them."""
        steps = len(self.required) + len(self.quizzes)
        if not steps:
            return 0
        got = sum(1 for x in self.required if x.id in self.done) + sum(
            1 for q in self.quizzes.values() if q in self.passed)
        return round(100 * got / steps)

    @property
    def next_lesson(self) -> Lesson | None:
        """Where to resume: the first lesson not marked complete (or whose quiz is not passed)."""
        for lesson in self.lessons:
            quiz = self.quizzes.get(lesson.id)
            if lesson.id not in self.done or (quiz is not None and quiz not in self.passed):
                return lesson
        return None

    @property
    def complete(self) -> bool:
        return self.enrolment is not None and self.enrolment.completed_at is not None


def _signed_in(user: Any) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Please sign in first."))


def enrolment_of(user: Any, course: Course) -> Enrolment | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(Enrolment).where(Enrolment.course_id == course.id,
                                                     Enrolment.user_id == user.id))


def enrol(user: Any, course: Course, *, again_ok: bool = False) -> Enrolment:
    """Join a published course. Joining twice is refused (``again_ok``: the existing enrolment is returned, as
    when booking a session enrols)."""
    _signed_in(user)
    policy.require(user, "school.learn", course)
    if not course.is_public:
        raise RuleViolation(_("This course is not open for learners yet."))
    found = enrolment_of(user, course)
    if found is not None:
        if again_ok:
            return found
        raise RuleViolation(_("You are already on this course."))
    try:
        with db.session.begin_nested():
            db.session.execute(insert(Enrolment).values(course_id=course.id, user_id=user.id,
                                                        enrolled_at=utcnow()))
    except IntegrityError:  # a double click: the other request enrolled them
        if not again_ok:
            raise RuleViolation(_("You are already on this course.")) from None
    return enrolment_of(user, course)


def progress(user: Any, course: Course, lessons: list[Lesson] | None = None) -> Progress:
    """The person's progress on the course, in a fixed number of queries."""
    if lessons is None:
        lessons = list(db.session.scalars(select(Lesson).where(Lesson.course_id == course.id)
                                          .order_by(Lesson.position, Lesson.id)))
    quizzes = dict(db.session.execute(select(Quiz.lesson_id, Quiz.id).where(Quiz.course_id == course.id)).all())
    enrolment = enrolment_of(user, course)
    result = Progress(enrolment=enrolment, lessons=lessons, quizzes=quizzes)
    if enrolment is None:
        return result
    result.done = set(db.session.scalars(select(LessonDone.lesson_id).where(
        LessonDone.course_id == course.id, LessonDone.user_id == user.id)))
    if quizzes:
        result.passed = set(db.session.scalars(select(Attempt.quiz_id).where(
            Attempt.quiz_id.in_(list(quizzes.values())), Attempt.user_id == user.id, Attempt.passed.is_(True))))
    result.attended = _attended(user.id, course.id)
    result.certificate = certificates.certificate_of(user.id, course.id)
    return result


def _attended(user_id: int, course_id: int) -> bool:
    return db.session.scalar(select(Booking.id).join(CourseSession, CourseSession.id == Booking.session_id).where(
        CourseSession.course_id == course_id, Booking.user_id == user_id, Booking.attended.is_(True))
        .limit(1)) is not None


def complete_lesson(user: Any, lesson: Lesson) -> Progress:
    """Mark the lesson complete (again: nothing changes) and complete the course if that was the last step."""
    _signed_in(user)
    course = lesson.course
    enrolment = enrolment_of(user, course)
    if enrolment is None:
        raise RuleViolation(_("Join the course first, so that we can keep your progress."))
    if db.session.scalar(select(LessonDone.id).where(LessonDone.lesson_id == lesson.id,
                                                     LessonDone.user_id == user.id)) is None:
        try:
            with db.session.begin_nested():
                db.session.execute(insert(LessonDone).values(lesson_id=lesson.id, course_id=course.id,
                                                             user_id=user.id, done_at=utcnow()))
        except IntegrityError:
            pass  # a double click
    enrolment.last_lesson_id = lesson.id
    db.session.flush()
    return check_completion(user, course)


def check_completion(user: Any, course: Course) -> Progress:
    """Complete the course when every step is done: stamp the enrolment, issue the certificate, tell the core."""
    now = progress(user, course)
    enrolment = now.enrolment
    if enrolment is None or enrolment.completed_at is not None:
        return now
    if not now.required and not now.quizzes:
        return now
    if any(x.id not in now.done for x in now.required):
        return now
    if any(q not in now.passed for q in now.quizzes.values()):
        return now
    if course.requires_attendance and not now.attended:
        return now
    enrolment.completed_at = utcnow()
    now.certificate = certificates.issue(user, course)
    db.session.flush()
    events.publish("school.course_completed", course, user_id=user.id, certificate=now.certificate.code)
    return now


def my_enrolments(user: Any) -> list[Enrolment]:
    return list(db.session.scalars(select(Enrolment).where(Enrolment.user_id == user.id)
                                   .order_by(Enrolment.completed_at.is_not(None), Enrolment.enrolled_at.desc())))
