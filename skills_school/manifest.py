"""The Urban Data School declared to the platform: everything it adds, in one place (see civic.domains)."""

from __future__ import annotations

from civic.domains import Domain
from civic.schedule import Task
from skills_school import (
    admin_views,
    api,
    certificates,
    demo,
    notices,
    pages,
    policy,
    search,
    teach_views,
    views,
    waitlists,
)
from skills_school.audit_sentences import SENTENCES as AUDIT_SENTENCES
from skills_school.resource import COURSE, SESSION


def _account_deleted(user) -> None:
    """A deleted account's places pass on; its certificates lose the name and say why they no longer stand."""
    waitlists.forget_learner(user)
    certificates.forget_learner(user)


DOMAIN = Domain(
    name="skills_school",
    blueprints=(views.bp, teach_views.bp, admin_views.bp, api.bp),
    events={
        "school.course_published": "An officer published a course",
        "school.session_added": "An instructor added an in-person session to a course",
        "school.place_offered": "A place at a session was offered to the first person on its waitlist",
        "school.course_completed": "A learner completed a course (a certificate was issued)",
    },
    resources=(COURSE, SESSION),
    area=("skills_school", "school.index"),
    search_types=(search.COURSES, search.SESSIONS),
    notice_kinds=notices.KINDS,
    notice_builders=notices.BUILDERS,
    policy_rules=policy.RULES,
    tasks=(Task("school.expire-offers", waitlists.expire_offers_task,
                "Pass places whose waitlist offer was not accepted in time to the next person waiting"),),
    api_collections=api.COLLECTIONS,
    account_handlers={"deleted": _account_deleted, "blocked": waitlists.forget_learner},
    work_queues=pages.WORK_QUEUES,
    audit_sentences=AUDIT_SENTENCES,
    seeder=demo.seed,
)
