"""The Urban Data School's tables: courses and their lessons, enrolments and progress, quizzes and attempts,
in-person sessions with their bookings and waitlists, and certificates.

Counters that concurrent requests touch (a session's ``places_taken`` and ``queue_seq``) change in SQL, under the
session row's lock (``skills_school/waitlists.py``); a check constraint keeps ``places_taken`` within
``capacity`` whatever happens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.accounts.models import User
from civic.db import Base, utcnow
from civic.spaces.models import Ward

#: The words people see for each value are in ``skills_school/catalogue.py``.
TOPICS = ("digital-skills", "data", "coding", "robotics", "online-safety")
LEVELS = ("beginner", "intermediate", "advanced")
AUDIENCES = ("young-people", "adults", "older-residents", "council-staff", "everyone")
COURSE_STATES = ("draft", "submitted", "published")
#: A booking's life: ``booked`` (a place), ``waiting`` (on the waitlist), ``offered`` (a place held for them until
#: ``offer_expires_at``), ``cancelled`` (they gave it up), ``expired`` (the offer passed them by).
BOOKING_STATES = ("booked", "waiting", "offered", "cancelled", "expired")
QUESTION_KINDS = ("single", "multiple")


class Course(Base):
    __tablename__ = "school_courses"
    __table_args__ = (
        CheckConstraint(f"state IN {COURSE_STATES!r}", name="known_state"),
        CheckConstraint(f"topic IN {TOPICS!r}", name="known_topic"),
        CheckConstraint(f"level IN {LEVELS!r}", name="known_level"),
        CheckConstraint(f"audience IN {AUDIENCES!r}", name="known_audience"),
        CheckConstraint("duration_minutes >= 0", name="duration_not_negative"),
        Index("ix_school_courses_state_published", "state", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instructor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(150))
    summary: Mapped[str] = mapped_column(Text)  # Markdown
    topic: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(20), default="beginner")
    audience: Mapped[str] = mapped_column(String(20), default="everyone")
    language: Mapped[str] = mapped_column(String(40), default="English")
    duration_minutes: Mapped[int] = mapped_column(default=60)
    accessibility: Mapped[str] = mapped_column(Text, default="")
    prerequisites: Mapped[str] = mapped_column(Text, default="")
    cover_path: Mapped[str | None] = mapped_column(String(200))
    cover_alt: Mapped[str] = mapped_column(String(300), default="")
    #: Completion needs an attended in-person session too.
    requires_attendance: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(12), default="draft")
    comments_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    hidden_at: Mapped[datetime | None]

    instructor: Mapped[User] = relationship(foreign_keys=[instructor_id], lazy="joined")

    @property
    def author_id(self) -> int:  # who wrote it, for moderation
        return self.instructor_id

    @property
    def is_public(self) -> bool:
        return self.state == "published" and self.hidden_at is None


class Lesson(Base):
    __tablename__ = "school_lessons"
    __table_args__ = (CheckConstraint("minutes >= 0", name="minutes_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("school_courses.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(150))
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown
    minutes: Mapped[int] = mapped_column(default=10)
    #: Completion needs it (an optional lesson is extra reading).
    required: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]

    course: Mapped[Course] = relationship(lazy="joined")


class Enrolment(Base):
    """A learner on a course: where they left off, and when they completed it."""

    __tablename__ = "school_enrolments"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("school_courses.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_lesson_id: Mapped[int | None] = mapped_column(ForeignKey("school_lessons.id", ondelete="SET NULL"))
    completed_at: Mapped[datetime | None]

    course: Mapped[Course] = relationship(lazy="joined")
    user: Mapped[User] = relationship(lazy="joined")


class LessonDone(Base):
    """A learner marked a lesson complete."""

    __tablename__ = "school_lesson_done"
    __table_args__ = (UniqueConstraint("lesson_id", "user_id"), Index("ix_school_lesson_done_course_user",
                                                                        "course_id", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("school_lessons.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("school_courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    done_at: Mapped[datetime] = mapped_column(default=utcnow)


class Quiz(Base):
    """The quiz at the end of a lesson: passed at ``pass_mark`` per cent; another try after ``retry_minutes``."""

    __tablename__ = "school_quizzes"
    __table_args__ = (
        CheckConstraint("pass_mark >= 0 AND pass_mark <= 100", name="pass_mark_percent"),
        CheckConstraint("retry_minutes >= 0", name="retry_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("school_lessons.id", ondelete="CASCADE"), unique=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("school_courses.id", ondelete="CASCADE"), index=True)
    pass_mark: Mapped[int] = mapped_column(default=70)
    retry_minutes: Mapped[int] = mapped_column(default=10)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # The class itself, not its name: consultations have a Question and a Choice too (one declarative registry for every domain).
    questions: Mapped[list[Question]] = relationship(lambda: Question, lazy="selectin",
                                                     order_by=lambda: (Question.position, Question.id),
                                                     cascade="all, delete-orphan")


class Question(Base):
    __tablename__ = "school_questions"
    __table_args__ = (CheckConstraint(f"kind IN {QUESTION_KINDS!r}", name="known_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("school_quizzes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=1)
    text: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(10), default="single")

    choices: Mapped[list[Choice]] = relationship(lambda: Choice, lazy="selectin",
                                                 order_by=lambda: Choice.id,
                                                 cascade="all, delete-orphan")


class Choice(Base):
    __tablename__ = "school_choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("school_questions.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(300))
    correct: Mapped[bool] = mapped_column(default=False)
    #: Shown to the learner who chose it, after marking.
    feedback: Mapped[str] = mapped_column(String(500), default="")


class Attempt(Base):
    __tablename__ = "school_attempts"
    __table_args__ = (Index("ix_school_attempts_quiz_user", "quiz_id", "user_id", "submitted_at"),
                      CheckConstraint("score >= 0 AND score <= 100", name="score_percent"))

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("school_quizzes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    score: Mapped[int] = mapped_column(default=0)  # per cent of questions right
    passed: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)


class AttemptAnswer(Base):
    """One question of an attempt: the choices given and whether that was right (for item statistics)."""

    __tablename__ = "school_attempt_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("school_attempts.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("school_questions.id", ondelete="CASCADE"), index=True)
    choice_ids: Mapped[str] = mapped_column(String(200), default="")  # "12,14"
    correct: Mapped[bool] = mapped_column(default=False)


class CourseSession(Base):
    """An in-person session of a course (a robotics workshop at a library), with ``capacity`` places.

    ``places_taken`` counts bookings that hold a place (``booked`` and ``offered``); ``queue_seq`` numbers
    bookings in the order they arrived (the waitlist's order). Both change only under the row's lock."""

    __tablename__ = "school_sessions"
    __table_args__ = (
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("places_taken >= 0 AND places_taken <= capacity", name="places_within_capacity"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_school_sessions_course_starts", "course_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("school_courses.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(150))
    venue: Mapped[str] = mapped_column(String(200))
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    capacity: Mapped[int] = mapped_column(default=12)
    places_taken: Mapped[int] = mapped_column(default=0)
    queue_seq: Mapped[int] = mapped_column(default=0)
    accessibility: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship(lazy="joined")
    ward: Mapped[Ward] = relationship(lazy="joined")

    @property
    def places_left(self) -> int:
        return max(0, self.capacity - self.places_taken)


class Booking(Base):
    """A person's place at a session, or their place on its waitlist (see ``BOOKING_STATES``)."""

    __tablename__ = "school_bookings"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id"),
        CheckConstraint(f"status IN {BOOKING_STATES!r}", name="known_status"),
        Index("ix_school_bookings_session_status_seq", "session_id", "status", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("school_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    #: The arrival order in the session (first come, first served).
    seq: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]
    offer_expires_at: Mapped[datetime | None] = mapped_column(index=True)
    #: Marked by the instructor: True came, False did not, None not marked yet.
    attended: Mapped[bool | None]

    session: Mapped[CourseSession] = relationship(lazy="joined")
    user: Mapped[User] = relationship(lazy="joined")


class Certificate(Base):
    """Issued when a learner completes a course; verified by anyone at its code's page; revoked with a reason."""

    __tablename__ = "school_certificates"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("school_courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The name printed on it, as it was when issued.
    name: Mapped[str] = mapped_column(String(80))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str] = mapped_column(String(500), default="")
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    course: Mapped[Course] = relationship(lazy="joined")
