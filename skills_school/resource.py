"""Courses and sessions as resources of the platform: courses take comments (questions to the instructor), can be
reported and hidden, and followed (to hear of new sessions); sessions have their own page (see civic.resources)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from civic.resources import CommentHooks, FollowHooks, Link, ModerationHooks, ResourceType
from skills_school import courses
from skills_school.models import Course, CourseSession
from skills_school.policy import visible


def _may_comment(_user: Any, course: Course) -> bool | str:
    if course.hidden_at is not None:
        return _("This course was hidden by moderation, so comments are closed.")
    if course.state != "published":
        return _("Comments open when the course is published.")
    return True


COURSE = ResourceType(
    "course", Course, "Course", url=Link("school.course", "course_id"), title=lambda c: c.title,
    visible=visible, space=lambda c: "Urban Data School",
    comments=CommentHooks(may_comment=_may_comment, readable=lambda c: c.is_public,
                          on_count=courses.on_comment_count),
    moderation=ModerationHooks(set_hidden=courses.set_hidden),
    follows=FollowHooks())

SESSION = ResourceType(
    "course_session", CourseSession, "Session", url=Link("school.session", "session_id"),
    title=lambda s: s.title, visible=lambda user, s: visible(user, s.course), space=lambda s: "Urban Data School")
