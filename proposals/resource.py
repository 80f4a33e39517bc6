"""Proposals as a resource of the platform: their page, comments, moderation and follows (see civic.resources)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for
from sqlalchemy import select

from civic import uploads
from civic.db import db
from civic.errors import RuleViolation
from civic.resources import (
    CommentHooks,
    CreationHooks,
    FollowHooks,
    Link,
    ModerationHooks,
    ResourceType,
    Source,
    SourceHooks,
)
from civic.spaces.services import require_phase
from proposals import origins, services
from proposals.models import Proposal
from proposals.policy import visible


def _title(proposal: Proposal) -> str:
    return proposal.title


def _may_comment(user: Any, proposal: Proposal) -> bool | str:
    """True, or why commenting on this proposal is closed (its state, or the process's phase)."""
    if proposal.state == "draft":
        return "Comments open when the proposal is published."
    if proposal.hidden_at is not None:
        return "This proposal was hidden by moderation, so comments are closed."
    if proposal.state == "withdrawn":
        return "This proposal was withdrawn, so comments are closed."
    try:
        require_phase(proposal.process, "comment")
    except RuleViolation as e:
        return e.message
    return True


def _comments_readable(proposal: Proposal) -> bool:
    """Shown while the proposal is public: published or withdrawn, not hidden, in a published process."""
    return proposal.is_visible and proposal.process.is_published


def _set_hidden(proposal: Proposal, hidden_at: datetime | None) -> None:
    """Moderation hides (a time) or restores (None) the proposal."""
    proposal.hidden_at = hidden_at


def _photo_visible(name: str, user: Any) -> bool:
    """A proposal's photo is served to those who see the proposal (civic.uploads asks): not once it is hidden,
    nor while it is a draft or its process is unpublished, except to those who still see the proposal."""
    proposal = db.session.scalar(select(Proposal).where(Proposal.photo_path == name))
    return proposal is not None and visible(user, proposal)


uploads.register_owner("proposals", _photo_visible)


def _as_source(proposal: Proposal) -> Source:
    return Source("proposal", proposal.id, proposal.title, description=proposal.body, cost=proposal.answer_cost,
                  ward_id=proposal.ward_id, latitude=proposal.latitude, longitude=proposal.longitude,
                  url=url_for("proposals.show", proposal_id=proposal.id))


def _accepted_query():
    return select(Proposal).where(Proposal.answer_state == "accepted", Proposal.state == "published",
                                  Proposal.hidden_at.is_(None))


def _accepted(process_id: int) -> list[Source]:
    """The process's accepted proposals (published, not hidden), for another domain to build on (a budget's
    projects): one statement."""
    rows = db.session.scalars(_accepted_query().where(Proposal.process_id == process_id)
                              .order_by(Proposal.title, Proposal.id))
    return [_as_source(p) for p in rows]


def _accepted_one(proposal_id: int) -> Source | None:
    proposal = db.session.scalar(_accepted_query().where(Proposal.id == proposal_id))
    return _as_source(proposal) if proposal is not None else None


PROPOSAL = ResourceType(
    "proposal", Proposal, "Proposal", url=Link("proposals.show", "proposal_id"), title=_title,
    visible=visible, space=lambda proposal: proposal.process.title,
    comments=CommentHooks(may_comment=_may_comment, readable=_comments_readable, on_count=services.on_comment_count),
    moderation=ModerationHooks(set_hidden=_set_hidden),
    follows=FollowHooks(),
    sources=SourceHooks(accepted=_accepted, get=_accepted_one),
    creation=CreationHooks(targets=origins.targets, create=origins.create))
