"""Consultations as a resource of the platform: their page, comments, moderation and follows (see civic.resources).
Comments are on the consultation, never on a ballot (ballots are not resources)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import gettext as _

from civic.db import db
from civic.resources import CommentHooks, FollowHooks, Link, ModerationHooks, ResourceType
from consultations import services
from consultations.models import BudgetProject, Consultation
from consultations.policy import visible


def _may_comment(user: Any, consultation: Consultation) -> bool | str:
    if not consultation.is_published:
        return _("Comments open when the consultation is published.")
    if consultation.hidden_at is not None:
        return _("This consultation was hidden by moderation, so comments are closed.")
    return True


def _readable(consultation: Consultation) -> bool:
    return consultation.is_published and consultation.hidden_at is None


def _set_hidden(consultation: Consultation, hidden_at: datetime | None) -> None:
    services.set_hidden(consultation, hidden_at)


CONSULTATION = ResourceType(
    "consultation", Consultation, "Consultation", url=Link("consultations.show", "consultation_id"),
    title=lambda consultation: consultation.title, visible=visible,
    space=lambda consultation: consultation.process.title if consultation.process else "Consultations",
    comments=CommentHooks(may_comment=_may_comment, readable=_readable, on_count=services.on_comment_count),
    moderation=ModerationHooks(set_hidden=_set_hidden, author_id=lambda consultation: consultation.created_by_id),
    follows=FollowHooks())


# A budget's projects: comments, follows and reports (a project made from an accepted proposal carries residents'
# text, so moderation may hide it: its name and description leave the pages, the API and search; its cost stays).


def _project_open(project: BudgetProject) -> bool:
    consultation = project.budget.consultation
    return consultation.is_published and consultation.hidden_at is None and project.hidden_at is None


def _project_may_comment(user: Any, project: BudgetProject) -> bool | str:
    return True if _project_open(project) else _("Comments open when the budget is published.")


def _project_on_count(project: BudgetProject, delta: int) -> None:
    db.session.execute(BudgetProject.__table__.update().where(BudgetProject.id == project.id)
                       .values(comments_count=BudgetProject.comments_count + delta))


def _project_set_hidden(project: BudgetProject, hidden_at: datetime | None) -> None:
    """Hide (a time) or restore (None); search drops or takes back the project (``hidden_at`` is indexed)."""
    project.hidden_at = hidden_at


BUDGET_PROJECT = ResourceType(
    "budget_project", BudgetProject, "Budget project",
    url=lambda project: url_for("consultations_budgets.project", budget_id=project.budget_id, project_id=project.id),
    title=lambda project: project.title, visible=lambda user, project: visible(user, project.budget.consultation),
    space=lambda project: project.budget.consultation.title,
    comments=CommentHooks(may_comment=_project_may_comment, readable=_project_open, on_count=_project_on_count),
    moderation=ModerationHooks(set_hidden=_project_set_hidden, author_id=lambda project: project.created_by_id),
    follows=FollowHooks())
