"""Writing courses and lessons (instructors), publishing them (officers), and finding them.

Every write checks the policy for the object and flushes; the request commits. A refusal of a rule is a
``RuleViolation`` naming the field at fault; a refusal of permission is ``PermissionDenied``; a course someone may
not see is ``NotFound`` (so "not yours" and "does not exist" look the same to a stranger)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from civic import events, policy, uploads
from civic.audit import audit
from civic.db import after_commit, after_rollback, db, utcnow
from civic.errors import NotFound, RuleViolation
from skills_school.models import AUDIENCES, LEVELS, TOPICS, Course, Lesson
from skills_school.policy import visible

TITLE_MIN, TITLE_MAX = 5, 150
SUMMARY_MAX = 5000
TEXT_MAX = 2000
LESSON_BODY_MAX = 50_000
LANGUAGE_MAX = 40
ALT_MAX = 300
DURATION_MAX = 60 * 24 * 30  # a month of minutes
LESSON_MINUTES_MAX = 600


@dataclass
class CourseFields:
    title: str
    summary: str
    topic: str
    level: str = "beginner"
    audience: str = "everyone"
    language: str = "English"
    duration_minutes: int = 60
    accessibility: str = ""
    prerequisites: str = ""
    requires_attendance: bool = False
    #: A cover image (an upload), its description for people who cannot see it, or the old one removed.
    cover: Any = None
    cover_alt: str = ""
    remove_cover: bool = False


@dataclass
class LessonFields:
    title: str
    body: str
    minutes: int = 10
    required: bool = True


def _clean(fields: CourseFields) -> CourseFields:
    title = (fields.title or "").strip()
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise RuleViolation(_("The title must be between %(low)d and %(high)d characters.", low=TITLE_MIN,
                              high=TITLE_MAX), field="title")
    summary = (fields.summary or "").strip()
    if not summary:
        raise RuleViolation(_("Say in a few sentences what learners will be able to do."), field="summary")
    if len(summary) > SUMMARY_MAX:
        raise RuleViolation(_("The summary can be at most %(n)d characters.", n=SUMMARY_MAX), field="summary")
    if fields.topic not in TOPICS:
        raise RuleViolation(_("Choose a topic."), field="topic")
    if fields.level not in LEVELS:
        raise RuleViolation(_("Choose a level."), field="level")
    if fields.audience not in AUDIENCES:
        raise RuleViolation(_("Choose who the course is for."), field="audience")
    language = (fields.language or "").strip() or "English"
    if len(language) > LANGUAGE_MAX:
        raise RuleViolation(_("Name the language in at most %(n)d characters.", n=LANGUAGE_MAX), field="language")
    if not isinstance(fields.duration_minutes, int) or not 0 <= fields.duration_minutes <= DURATION_MAX:
        raise RuleViolation(_("Give the course's length in minutes (up to %(n)d).", n=DURATION_MAX),
                            field="duration_minutes")
    for name in ("accessibility", "prerequisites"):
        if len(getattr(fields, name) or "") > TEXT_MAX:
            raise RuleViolation(_("This can be at most %(n)d characters.", n=TEXT_MAX), field=name)
    alt = " ".join((fields.cover_alt or "").split())
    if len(alt) > ALT_MAX:
        raise RuleViolation(_("The description of the image can be at most %(n)d characters.", n=ALT_MAX),
                            field="cover_alt")
    return CourseFields(title=title, summary=summary, topic=fields.topic, level=fields.level,
                        audience=fields.audience, language=language, duration_minutes=fields.duration_minutes,
                        accessibility=(fields.accessibility or "").strip(),
                        prerequisites=(fields.prerequisites or "").strip(),
                        requires_attendance=bool(fields.requires_attendance), cover=fields.cover,
                        cover_alt=alt, remove_cover=bool(fields.remove_cover))


COLUMNS = ("title", "summary", "topic", "level", "audience", "language", "duration_minutes", "accessibility",
           "prerequisites", "requires_attendance")


def _has_file(upload: Any) -> bool:
    return upload is not None and bool(getattr(upload, "filename", None))


def _cover(course: Course, clean: CourseFields) -> None:
    """The cover image, saved last (when all else is right); the replaced file goes once the change is
    committed, the new one if it is not."""
    new = _has_file(clean.cover)
    keeps = course.cover_path is not None and not clean.remove_cover
    if (new or keeps) and not clean.cover_alt:
        raise RuleViolation(_("Describe the image for people who cannot see it."), field="cover_alt")
    old = course.cover_path
    if new:
        name = uploads.save_image(clean.cover, "school", field="cover")
        course.cover_path = name
        after_commit(uploads.delete_image, old)
        after_rollback(uploads.delete_image, name)
    elif clean.remove_cover and old:
        course.cover_path = None
        after_commit(uploads.delete_image, old)
    course.cover_alt = clean.cover_alt if course.cover_path else ""


def create_course(user: Any, fields: CourseFields) -> Course:
    """A draft course of ``user`` (an instructor)."""
    policy.require(user, "school.teach")
    clean = _clean(fields)
    course = Course(instructor_id=user.id, **{k: getattr(clean, k) for k in COLUMNS})
    _cover(course, clean)
    db.session.add(course)
    db.session.flush()
    return course


def update_course(user: Any, course: Course, fields: CourseFields) -> Course:
    policy.require(user, "school.manage", course)
    clean = _clean(fields)
    for name in COLUMNS:
        setattr(course, name, getattr(clean, name))
    _cover(course, clean)
    course.updated_at = utcnow()
    db.session.flush()
    return course


def _cover_visible(name: str, user: Any) -> bool:
    """A cover is served to those who see its course (civic.uploads asks)."""
    course = db.session.scalar(select(Course).where(Course.cover_path == name))
    return course is not None and visible(user, course)


uploads.register_owner("school", _cover_visible)


def submit_course(user: Any, course: Course) -> None:
    """The instructor asks officers to publish the course (it needs at least one lesson)."""
    policy.require(user, "school.manage", course)
    if course.state != "draft":
        raise RuleViolation(_("This course is already waiting to be published, or published."))
    if not db.session.scalar(select(func.count()).where(Lesson.course_id == course.id)):
        raise RuleViolation(_("Add at least one lesson before you ask for the course to be published."))
    course.state = "submitted"
    course.submitted_at = utcnow()
    db.session.flush()


def publish_course(officer: Any, course: Course) -> None:
    policy.require(officer, "school.publish", course)
    if course.state == "published":
        raise RuleViolation(_("This course is already published."))
    if not db.session.scalar(select(func.count()).where(Lesson.course_id == course.id)):
        raise RuleViolation(_("A course needs at least one lesson before it can be published."))
    course.state = "published"
    course.published_at = utcnow()
    course.published_by_id = officer.id
    db.session.flush()
    audit(officer, "school.course_published", "course", course.id)
    events.publish("school.course_published", course, actor_id=officer.id)


def unpublish_course(officer: Any, course: Course) -> None:
    """Back to a draft (learners keep their progress and certificates)."""
    policy.require(officer, "school.publish", course)
    if course.state != "published":
        raise RuleViolation(_("This course is not published."))
    course.state = "draft"
    db.session.flush()
    audit(officer, "school.course_unpublished", "course", course.id)


def get_course(user: Any, course_id: int) -> Course:
    """A course this person may see, or NotFound."""
    course = db.session.get(Course, course_id)
    if course is None or not visible(user, course):
        raise NotFound(_("We could not find that course."))
    return course


def get_managed_course(user: Any, course_id: int) -> Course:
    """A course this person manages: NotFound when they may not even see it, PermissionDenied otherwise."""
    course = get_course(user, course_id)
    policy.require(user, "school.manage", course)
    return course


# Lessons ----------------------------------------------------------------------------------------------------


def _clean_lesson(fields: LessonFields) -> LessonFields:
    title = (fields.title or "").strip()
    if not 2 <= len(title) <= TITLE_MAX:
        raise RuleViolation(_("The title must be between %(low)d and %(high)d characters.", low=2, high=TITLE_MAX),
                            field="title")
    body = fields.body or ""
    if len(body) > LESSON_BODY_MAX:
        raise RuleViolation(_("The lesson can be at most %(n)d characters.", n=LESSON_BODY_MAX), field="body")
    if not isinstance(fields.minutes, int) or not 0 <= fields.minutes <= LESSON_MINUTES_MAX:
        raise RuleViolation(_("Give the time in minutes (up to %(n)d).", n=LESSON_MINUTES_MAX), field="minutes")
    return LessonFields(title=title, body=body, minutes=fields.minutes, required=bool(fields.required))


def lessons_of(course: Course) -> list[Lesson]:
    return list(db.session.scalars(select(Lesson).where(Lesson.course_id == course.id)
                                   .order_by(Lesson.position, Lesson.id)))


def add_lesson(user: Any, course: Course, fields: LessonFields) -> Lesson:
    policy.require(user, "school.manage", course)
    clean = _clean_lesson(fields)
    last = db.session.scalar(select(func.max(Lesson.position)).where(Lesson.course_id == course.id)) or 0
    lesson = Lesson(course_id=course.id, position=last + 1, **clean.__dict__)
    db.session.add(lesson)
    db.session.flush()
    return lesson


def update_lesson(user: Any, lesson: Lesson, fields: LessonFields) -> Lesson:
    policy.require(user, "school.manage", lesson.course)
    clean = _clean_lesson(fields)
    for name, value in clean.__dict__.items():
        setattr(lesson, name, value)
    lesson.updated_at = utcnow()
    db.session.flush()
    return lesson


def move_lesson(user: Any, lesson: Lesson, direction: int) -> None:
    """Swap the lesson with the one before (-1) or after (+1) it."""
    policy.require(user, "school.manage", lesson.course)
    lessons = lessons_of(lesson.course)
    index = next(i for i, x in enumerate(lessons) if x.id == lesson.id)
    other = index + (1 if direction > 0 else -1)
    if not 0 <= other < len(lessons):
        return
    lessons[index], lessons[other] = lessons[other], lessons[index]
    for position, row in enumerate(lessons, start=1):
        row.position = position
    db.session.flush()


def get_lesson(user: Any, lesson_id: int) -> Lesson:
    """A lesson of a course this person may see, or NotFound."""
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None or not visible(user, lesson.course):
        raise NotFound(_("We could not find that lesson."))
    return lesson


def get_managed_lesson(user: Any, lesson_id: int) -> Lesson:
    lesson = get_lesson(user, lesson_id)
    policy.require(user, "school.manage", lesson.course)
    return lesson


def on_comment_count(course: Course, delta: int) -> None:
    db.session.execute(update(Course).where(Course.id == course.id)
                       .values(comments_count=Course.comments_count + delta)
                       .execution_options(synchronize_session=False))


def set_hidden(course: Course, hidden_at: Any) -> None:
    course.hidden_at = hidden_at
