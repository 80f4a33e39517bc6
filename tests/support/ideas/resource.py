"""Ideas as a resource of the platform: commentable, reportable, followable; the URL written once."""

from __future__ import annotations

from civic.resources import CommentHooks, FollowHooks, Link, ModerationHooks, ResourceType
from tests.support.ideas import services
from tests.support.ideas.models import Idea

IDEA = ResourceType(
    "idea", Idea, "Idea", url=Link("ideas.show", "idea_id"), title=lambda idea: idea.title,
    visible=services.visible,
    comments=CommentHooks(may_comment=lambda user, idea: not idea.archived or "This idea is archived.",
                          readable=lambda idea: idea.hidden_at is None, on_count=services.on_comment_count),
    moderation=ModerationHooks(set_hidden=services.set_hidden),
    follows=FollowHooks())
