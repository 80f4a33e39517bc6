"""Who may do what in the school: the policy rules (declared in ``skills_school/manifest.py``) and who sees a
course.

- Instructors make courses; each instructor manages only their own courses (their lessons, quizzes and sessions,
  their learners' progress and attendance). Not even another instructor sees someone else's dashboard.
- Council officers publish (and unpublish) courses; administrators revoke certificates.
- A learner sees only their own progress, bookings and attempts (services look rows up by the signed-in person).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from civic.accounts import roles
from skills_school.models import Course


def may_teach(user: Any, _obj: Any = None) -> bool | str:
    return user.has_role(roles.INSTRUCTOR) or _("Only instructors can make courses.")


def may_manage(user: Any, course: Course) -> bool | str:
    """The course's own instructor, nobody else."""
    if course is not None and course.instructor_id == user.id and user.has_role(roles.INSTRUCTOR):
        return True
    return _("Only the course's instructor can do that.")


def may_publish(user: Any, _course: Any) -> bool | str:
    return user.is_officer or _("Only council officers can publish courses.")


def may_revoke(user: Any, _certificate: Any) -> bool | str:
    return user.is_admin or _("Only administrators can revoke certificates.")


def may_learn(user: Any, _course: Any) -> bool | str:
    return user.email_confirmed or _("Please confirm your email address first.")


RULES = {
    "school.teach": may_teach,
    "school.manage": may_manage,
    "school.publish": may_publish,
    "school.revoke": may_revoke,
    "school.learn": may_learn,
}


def visible(user: Any, course: Course) -> bool:
    """Published and not hidden: everyone. Otherwise its instructor and officers only."""
    if course.is_public:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return course.instructor_id == user.id or user.is_officer
