"""Consultations in the platform's search: published ones not hidden by moderation, with their period (open now,
upcoming, finished) and their wards."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from civic import search
from consultations.models import Budget, BudgetProject, Consultation
from consultations.resource import BUDGET_PROJECT


def _document(consultation: Consultation) -> search.Document | None:
    if not consultation.is_published or consultation.hidden_at is not None:
        return None
    questions = "\n".join(q.title for q in consultation.questions)
    return search.Document(
        title=consultation.title, body=search.plain(f"{consultation.introduction}\n\n{questions}"),
        ward=search.WHOLE_CITY if consultation.whole_city else [w.slug for w in consultation.wards],
        programme=consultation.process.programme.slug if consultation.process else None,
        date=consultation.published_at, starts=consultation.opens_at, ends=consultation.closes_at,
        parent=f"process:{consultation.process_id}" if consultation.process_id else None)


CONSULTATIONS = search.SearchType(
    name="consultation", label="Consultation", plural="Consultations", model=Consultation, to_document=_document,
    indexed_columns=frozenset({"title", "introduction", "state", "published_at", "hidden_at", "opens_at",
                               "closes_at", "whole_city", "process_id"}),
    states=dict(search.PERIOD_STATES), position=30)


def _project(project: BudgetProject) -> search.Document | None:
    """A budget's project, while its budget is published and not hidden (indexed again when the budget's
    consultation changes: its children)."""
    consultation = project.budget.consultation
    if not consultation.is_published or consultation.hidden_at is not None or project.hidden_at is not None:
        return None
    return search.Document(
        title=project.title, body=search.plain(project.description),
        ward=project.ward.slug if project.ward is not None else search.WHOLE_CITY,
        programme=project.programme.slug if project.programme is not None else None,
        date=consultation.published_at, starts=consultation.opens_at, ends=consultation.closes_at,
        parent=f"consultation:{consultation.id}", context=consultation.title)


def _project_children(parent_type: str, ids: Sequence[int]):
    if parent_type == "consultation":
        return (select(BudgetProject.id).join(Budget, Budget.id == BudgetProject.budget_id)
                .where(Budget.consultation_id.in_(list(ids))))
    return None


BUDGET_PROJECTS = search.SearchType(
    name="budget_project", label="Budget project", plural="Budget projects", model=BudgetProject,
    to_document=_project, children=_project_children, url=BUDGET_PROJECT.url,
    indexed_columns=frozenset({"title", "description", "ward_id", "programme_id", "hidden_at", "budget_id"}),
    states=dict(search.PERIOD_STATES), position=35)
