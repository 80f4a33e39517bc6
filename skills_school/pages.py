"""Read-models for the school's pages and API, each in a fixed number of queries: the catalogue, the upcoming
sessions, "My learning" and the instructor's dashboard. Nothing here reads the request."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, lazyload

from civic.accounts.models import User
from civic.db import Page, db, paginate, utcnow
from civic.workqueues import WorkQueue
from skills_school.models import (
    AUDIENCES,
    LEVELS,
    TOPICS,
    Attempt,
    Booking,
    Certificate,
    Course,
    CourseSession,
    Enrolment,
    Lesson,
    LessonDone,
    Quiz,
)

PER_PAGE = 20


@dataclass
class Filters:
    q: str = ""
    topic: str | None = None
    level: str | None = None
    audience: str | None = None

    @property
    def active(self) -> bool:
        return bool(self.q or self.topic or self.level or self.audience)


def filters(q: str | None = None, topic: str | None = None, level: str | None = None,
            audience: str | None = None) -> Filters:
    """Filters from raw values: anything unknown is ignored."""
    return Filters(q=(q or "").strip()[:100], topic=topic if topic in TOPICS else None,
                   level=level if level in LEVELS else None, audience=audience if audience in AUDIENCES else None)


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def catalogue_query(f: Filters, *, instructors: bool = False):
    """Published courses matching ``f``, newest first; ``instructors``: with their instructor (the API shows
    them; the catalogue's cards do not)."""
    stmt = select(Course).where(Course.state == "published", Course.hidden_at.is_(None))
    if not instructors:
        stmt = stmt.options(lazyload(Course.instructor))
    if f.topic:
        stmt = stmt.where(Course.topic == f.topic)
    if f.level:
        stmt = stmt.where(Course.level == f.level)
    if f.audience:
        stmt = stmt.where(or_(Course.audience == f.audience, Course.audience == "everyone"))
    if f.q:
        pattern = _like(f.q)
        stmt = stmt.where(or_(Course.title.ilike(pattern, escape="\\"), Course.summary.ilike(pattern, escape="\\")))
    return stmt.order_by(Course.published_at.desc(), Course.id.desc())


def catalogue(f: Filters, page: int, per_page: int = PER_PAGE, *, instructors: bool = False) -> Page:
    """One page of published courses (two queries: the page and its count)."""
    return paginate(catalogue_query(f, instructors=instructors), page, per_page)


def next_sessions(course_ids: list[int]) -> dict[int, CourseSession]:
    """Each course's next session (one query)."""
    if not course_ids:
        return {}
    rows = db.session.scalars(select(CourseSession).where(CourseSession.course_id.in_(course_ids),
                                                          CourseSession.starts_at > utcnow())
                              .options(lazyload(CourseSession.course)).order_by(CourseSession.starts_at))
    out: dict[int, CourseSession] = {}
    for s in rows:
        out.setdefault(s.course_id, s)
    return out


def upcoming_sessions_query(ward_id: int | None = None):
    stmt = (select(CourseSession).join(Course, Course.id == CourseSession.course_id)
            .where(Course.state == "published", Course.hidden_at.is_(None), CourseSession.starts_at > utcnow())
            .options(joinedload(CourseSession.course).lazyload(Course.instructor))
            .order_by(CourseSession.starts_at, CourseSession.id))
    if ward_id:
        stmt = stmt.where(CourseSession.ward_id == ward_id)
    return stmt


def upcoming_sessions(page: int, per_page: int = PER_PAGE, ward_id: int | None = None) -> Page:
    return paginate(upcoming_sessions_query(ward_id), page, per_page)


# My learning --------------------------------------------------------------------------------------------------


@dataclass
class CourseProgress:
    enrolment: Enrolment
    steps: int = 0
    got: int = 0
    next_lesson_id: int | None = None

    @property
    def percent(self) -> int:
        return round(100 * self.got / self.steps) if self.steps else 0


@dataclass
class Learning:
    current: list[CourseProgress] = field(default_factory=list)
    completed: list[CourseProgress] = field(default_factory=list)
    bookings: list[Booking] = field(default_factory=list)
    certificates: list[Certificate] = field(default_factory=list)


def progress_of(user_id: int, enrolments: list[Enrolment]) -> list[CourseProgress]:
    """Progress on several courses at once (four queries whatever their number)."""
    course_ids = [e.course_id for e in enrolments]
    if not course_ids:
        return []
    lessons: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    for lesson_id, course_id, required in db.session.execute(
            select(Lesson.id, Lesson.course_id, Lesson.required).where(Lesson.course_id.in_(course_ids))
            .order_by(Lesson.position, Lesson.id)):
        lessons[course_id].append((lesson_id, required))
    quizzes = {lesson_id: (course_id, quiz_id) for quiz_id, lesson_id, course_id in db.session.execute(
        select(Quiz.id, Quiz.lesson_id, Quiz.course_id).where(Quiz.course_id.in_(course_ids)))}
    done = set(db.session.scalars(select(LessonDone.lesson_id).where(LessonDone.user_id == user_id,
                                                                     LessonDone.course_id.in_(course_ids))))
    passed = set(db.session.scalars(select(Attempt.quiz_id).where(
        Attempt.user_id == user_id, Attempt.passed.is_(True),
        Attempt.quiz_id.in_([q for _c, q in quizzes.values()] or [0]))))
    out = []
    for e in enrolments:
        p = CourseProgress(e)
        for lesson_id, required in lessons[e.course_id]:
            quiz = quizzes.get(lesson_id)
            if required:
                p.steps += 1
                p.got += lesson_id in done
            if quiz is not None:
                p.steps += 1
                p.got += quiz[1] in passed
            if p.next_lesson_id is None and (lesson_id not in done or (quiz is not None and quiz[1] not in passed)):
                p.next_lesson_id = lesson_id
        out.append(p)
    return out


def my_learning(user: Any) -> Learning:
    """A learner's own page: current and completed courses with progress, upcoming sessions, certificates."""
    enrolments = list(db.session.scalars(select(Enrolment).where(Enrolment.user_id == user.id)
                                         .order_by(Enrolment.enrolled_at.desc())))
    result = Learning()
    for p in progress_of(user.id, enrolments):
        (result.completed if p.enrolment.completed_at else result.current).append(p)
    result.bookings = list(db.session.scalars(
        select(Booking).join(CourseSession, CourseSession.id == Booking.session_id)
        .where(Booking.user_id == user.id, Booking.status.in_(("booked", "offered", "waiting")),
               CourseSession.ends_at > utcnow())
        .order_by(CourseSession.starts_at)))
    result.certificates = list(db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)
                                                  .order_by(Certificate.issued_at.desc())))
    return result


# The instructor's dashboard ----------------------------------------------------------------------------------


BANDS = ("Not started", "Under half", "Half or more", "Completed")


@dataclass
class SessionLine:
    session: CourseSession
    counts: Counter
    attended: int


@dataclass
class Dashboard:
    course: Course
    enrolments: list[CourseProgress]
    bands: dict[str, int]
    sessions: list[SessionLine]


def dashboard(course: Course) -> Dashboard:
    """Enrolments with progress, its distribution, sessions with their places, waitlists and attendance."""
    enrolments = list(db.session.scalars(select(Enrolment).where(Enrolment.course_id == course.id)
                                         .options(lazyload(Enrolment.course),
                                                  joinedload(Enrolment.user).lazyload(User.role_rows))
                                         .order_by(Enrolment.enrolled_at)))
    rows = _progress_for_course(course, enrolments)
    bands = dict.fromkeys(BANDS, 0)
    for p in rows:
        if p.enrolment.completed_at:
            bands["Completed"] += 1
        elif p.got == 0:
            bands["Not started"] += 1
        elif p.percent < 50:
            bands["Under half"] += 1
        else:
            bands["Half or more"] += 1
    sessions = list(db.session.scalars(select(CourseSession).where(CourseSession.course_id == course.id)
                                       .order_by(CourseSession.starts_at)))
    counts: dict[int, Counter] = defaultdict(Counter)
    attended: Counter = Counter()
    for session_id, status, came, n in db.session.execute(
            select(Booking.session_id, Booking.status, Booking.attended, func.count())
            .where(Booking.session_id.in_([s.id for s in sessions] or [0]))
            .group_by(Booking.session_id, Booking.status, Booking.attended)):
        counts[session_id][status] += n
        if came:
            attended[session_id] += n
    return Dashboard(course, rows, bands, [SessionLine(s, counts[s.id], attended[s.id]) for s in sessions])


def _progress_for_course(course: Course, enrolments: list[Enrolment]) -> list[CourseProgress]:
    lessons = list(db.session.execute(select(Lesson.id, Lesson.required).where(Lesson.course_id == course.id)
                                      .order_by(Lesson.position, Lesson.id)))
    quizzes = dict(db.session.execute(select(Quiz.lesson_id, Quiz.id).where(Quiz.course_id == course.id)).all())
    done: dict[int, set[int]] = defaultdict(set)
    for user_id, lesson_id in db.session.execute(select(LessonDone.user_id, LessonDone.lesson_id)
                                                 .where(LessonDone.course_id == course.id)):
        done[user_id].add(lesson_id)
    passed: dict[int, set[int]] = defaultdict(set)
    for user_id, quiz_id in db.session.execute(select(Attempt.user_id, Attempt.quiz_id).where(
            Attempt.quiz_id.in_(list(quizzes.values()) or [0]), Attempt.passed.is_(True))):
        passed[user_id].add(quiz_id)
    out = []
    for e in enrolments:
        p = CourseProgress(e)
        for lesson_id, required in lessons:
            quiz = quizzes.get(lesson_id)
            if required:
                p.steps += 1
                p.got += lesson_id in done[e.user_id]
            if quiz is not None:
                p.steps += 1
                p.got += quiz in passed[e.user_id]
        out.append(p)
    return out


def my_courses(user: Any) -> list[tuple[Course, int, int]]:
    """An instructor's courses with their learners and completions (two queries)."""
    courses = list(db.session.scalars(select(Course).where(Course.instructor_id == user.id)
                                      .order_by(Course.created_at.desc())))
    counts = {cid: (n, done) for cid, n, done in db.session.execute(
        select(Enrolment.course_id, func.count(), func.count(Enrolment.completed_at))
        .where(Enrolment.course_id.in_([c.id for c in courses] or [0])).group_by(Enrolment.course_id))}
    return [(c, *counts.get(c.id, (0, 0))) for c in courses]


def review_queue() -> list[Course]:
    """Courses waiting for an officer."""
    return list(db.session.scalars(select(Course).where(Course.state == "submitted").order_by(Course.submitted_at)))


def _review_count():
    return select(func.count(), func.min(Course.submitted_at)).where(Course.state == "submitted")


#: The officers' home counts the courses sent for publishing (declared in the manifest).
WORK_QUEUES = (
    WorkQueue("school.review", "school.publish", "school_admin.review",
              "%(n)d course submitted for review", "%(n)d courses submitted for review", _review_count,
              position=60),
)


def next_sessions_all(course_id: int) -> list[CourseSession]:
    return list(db.session.scalars(select(CourseSession).where(CourseSession.course_id == course_id,
                                                               CourseSession.starts_at > utcnow())
                                   .order_by(CourseSession.starts_at)))


def certificates_by_course(user_id: int, course_ids: list[int]) -> dict[int, str]:
    """The person's certificate codes by course (one query)."""
    return dict(db.session.execute(select(Certificate.course_id, Certificate.code).where(
        Certificate.user_id == user_id, Certificate.course_id.in_(course_ids or [0]))).all())
