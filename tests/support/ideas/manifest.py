"""The ideas domain declared in one place: the whole of what it adds to the platform."""

from __future__ import annotations

from civic.domains import Domain
from civic.schedule import Task
from civic.spaces.phases import Action
from tests.support.ideas import api, notices, search, services, views
from tests.support.ideas.resource import IDEA

DOMAIN = Domain(
    name="ideas",
    blueprints=(views.bp, api.bp),
    events={"idea.published": "Someone shared an idea"},
    resources=(IDEA,),
    search_types=(search.IDEAS,),
    notice_kinds=notices.KINDS,
    notice_builders=notices.BUILDERS,
    policy_rules={"idea.vote": services.may_vote},
    phase_actions=(Action("idea_vote", "Voting for ideas", "Residents can vote for the ideas they like.", 90),),
    tasks=(Task("ideas.archive", services.archive_task, "Archive ideas older than 30 days"),),
    api_collections=api.COLLECTIONS,
    account_handlers={"deleted": services.forget_author},
)
