"""The ideas' rules: each write checks the policy and the phase, and flushes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from civic import events, policy
from civic.db import db, utcnow
from civic.errors import NotFound, RuleViolation
from civic.spaces.models import Process
from civic.spaces.services import require_phase
from tests.support.ideas.models import Idea


def visible(user: Any, idea: Idea) -> bool:
    return idea.hidden_at is None or bool(getattr(user, "is_officer", False))


def get_idea(user: Any, idea_id: int) -> Idea:
    idea = db.session.get(Idea, idea_id)
    if idea is None or not visible(user, idea):
        raise NotFound("We could not find that idea.")
    return idea


def may_vote(user: Any, idea: Idea | None) -> bool | str:
    return user.email_confirmed or "Please confirm your email address first."


def publish(user: Any, process: Process, title: str, body: str = "") -> Idea:
    idea = Idea(process_id=process.id, author_id=user.id, title=title, body=body)
    db.session.add(idea)
    db.session.flush()
    events.publish("idea.published", idea, actor_id=user.id)
    return idea


def vote(user: Any, idea: Idea) -> None:
    """One more vote, while the process's phase opens ``vote`` (the ideas domain's own phase action)."""
    policy.require(user, "idea.vote", idea)
    if idea.archived:
        raise RuleViolation("This idea is archived.")
    require_phase(db.session.get(Process, idea.process_id), "idea_vote")
    db.session.execute(update(Idea).where(Idea.id == idea.id).values(votes=Idea.votes + 1))


def on_comment_count(idea: Idea, delta: int) -> None:
    db.session.execute(update(Idea).where(Idea.id == idea.id).values(comments_count=Idea.comments_count + delta))


def set_hidden(idea: Idea, hidden_at: datetime | None) -> None:
    idea.hidden_at = hidden_at


def archive_old(now: datetime | None = None, days: int = 30) -> int:
    """The scheduled task: ideas older than ``days`` are archived; how many."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    ids = list(db.session.scalars(select(Idea.id).where(Idea.archived.is_(False), Idea.created_at < cutoff)))
    if ids:
        db.session.execute(update(Idea).where(Idea.id.in_(ids)).values(archived=True))
    return len(ids)


def archive_task() -> str:
    return f"{archive_old()} ideas archived"


def forget_author(user: Any) -> None:
    """An account was deleted: its ideas stay, without their author."""
    db.session.execute(update(Idea).where(Idea.author_id == user.id).values(author_id=None))
