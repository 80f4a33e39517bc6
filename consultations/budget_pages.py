"""Read-models of participatory budgets for pages and the API: the list, a budget's page (its projects with
filters, the map's points, the viewer's running total and whether they may vote), a project's page. A fixed
number of queries each, whatever the number of projects (a budget holds at most
:data:`consultations.budgets.MAX_PROJECTS`, all on its page: the ballot is one form)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager

from civic.db import Page, paginate, utcnow
from consultations import ballots, budgets
from consultations.models import Budget, BudgetProject, Consultation
from consultations.pages import STATUS_LABELS, who_may_take_part

PER_PAGE = 20


def listing(user: Any, page: int, *, process_id: int | None = None, per_page: int = PER_PAGE) -> Page:
    """Budgets (officers also see drafts), newest opening first: two queries (the count and the page, each
    budget's consultation joined), plus the headings of the page's budgets (``selectin``) and their questions."""
    stmt: Select = (select(Budget).join(Budget.consultation).options(contains_eager(Budget.consultation)))
    if not getattr(user, "is_officer", False):
        stmt = stmt.where(Consultation.state == "published", Consultation.hidden_at.is_(None))
    if process_id is not None:
        stmt = stmt.where(Consultation.process_id == process_id)
    return paginate(stmt.order_by(Consultation.opens_at.desc(), Budget.id.desc()), page, per_page)


@dataclass
class Filters:
    ward_slug: str = ""
    programme_slug: str = ""

    def keep(self, project: BudgetProject) -> bool:
        if self.ward_slug and (project.ward is None or project.ward.slug != self.ward_slug):
            return False
        return not (self.programme_slug
                    and (project.programme is None or project.programme.slug != self.programme_slug))

    @property
    def active(self) -> bool:
        return bool(self.ward_slug or self.programme_slug)


def _chosen_ids(raw: Iterable[Any]) -> list[int]:
    out = []
    for value in raw:
        text = str(value).strip()
        if text.isascii() and text.isdigit() and len(text) < 11:
            out.append(int(text))
    return out


def budget_view(user: Any, budget: Budget, *, filters: Filters | None = None, chosen: Iterable[Any] = (),
                preview: bool = False) -> dict[str, Any]:
    """Everything the budget's page shows. The projects are read once; the roll once (not at all signed out)."""
    filters = filters or Filters()
    consultation = budget.consultation
    status = budgets.status(budget)
    entry = ballots.roll_entry(consultation, user) if status != "draft" else None
    refusal = budgets.voter_refusal(user, budget, entry)
    all_projects = budgets.projects(budget)
    ward_id = getattr(user, "ward_id", None) if getattr(user, "is_authenticated", False) else None
    mine = {h.id for h in budgets.voter_headings(budget, ward_id)}
    chosen_ids = _chosen_ids(chosen)
    lines = budgets.totals(budget, all_projects, ward_id, chosen_ids, strict=False)
    chosen_set = {p.id for line in lines for p in line.chosen}
    shown = [p for p in all_projects if filters.keep(p)]
    wards_in = sorted({p.ward for p in all_projects if p.ward is not None}, key=lambda w: w.name)
    programmes_in = sorted({p.programme for p in all_projects if p.programme is not None},
                           key=lambda p: (p.position, p.name))
    return {"budget": budget, "consultation": consultation, "status": status,
            "status_label": STATUS_LABELS[status], "who": who_may_take_part(consultation), "refusal": refusal,
            "may_vote": refusal is None or preview, "voted": entry, "projects": shown, "all_count": len(all_projects),
            "hidden_chosen": [p for line in lines for p in line.chosen if not filters.keep(p)],
            "choosable": mine, "chosen": chosen_set, "lines": lines, "filters": filters, "wards": wards_in,
            "programmes": programmes_in, "located": any(p.latitude is not None for p in shown),
            "rule_text": rule_text(budget), "preview": preview,
            "masked": {p.id for p in all_projects if masked(user, p)}, "hidden_text": hidden_text()}


def rule_text(budget: Budget) -> str:
    parts = []
    if budget.rule == "approval":
        if budget.max_projects is not None and budget.min_projects == budget.max_projects:
            parts.append(_("Choose %(n)d projects whose costs fit the budget.", n=budget.max_projects))
        elif budget.max_projects is not None:
            parts.append(_("Choose from %(low)d to %(high)d projects whose costs fit the budget.",
                           low=budget.min_projects, high=budget.max_projects))
        else:
            parts.append(_("Choose at least %(low)d projects whose costs fit the budget.", low=budget.min_projects))
    else:
        parts.append(_("Choose the projects you want, as long as their costs fit the budget."))
        if budget.min_projects > 1:
            parts.append(_("Choose at least %(n)d projects.", n=budget.min_projects))
    if budget.min_share_percent:
        parts.append(_("Spend at least %(percent)d%% of the money.", percent=budget.min_share_percent))
    if budget.by_ward:
        parts.append(_("Each ward has its own money: you choose among the projects of your ward."))
    return " ".join(parts)


def hidden_text() -> str:
    """What stands for a project hidden by moderation, where residents see it (its cost stays)."""
    return _("This project was hidden by the moderators.")


def masked(user: Any, project: BudgetProject) -> bool:
    """Whether this person sees the placeholder instead of the project's name and description: a project hidden
    by moderation, to anyone but officers."""
    return project.hidden_at is not None and not getattr(user, "is_officer", False)


def project_json(project: BudgetProject, *, detail: bool = False) -> dict[str, Any]:
    """A project for the API, which is public: a project hidden by moderation keeps its cost, not its words."""
    hidden = project.hidden_at is not None
    data = {"id": project.id, "title": hidden_text() if hidden else project.title, "cost": budgets.plain(project.cost),
            "ward": project.ward.slug if project.ward is not None else None,
            "programme": project.programme.slug if project.programme is not None else None,
            "heading": project.heading_id,
            "location": ({"latitude": project.latitude, "longitude": project.longitude}
                         if project.latitude is not None else None),
            "source": ({"type": project.source_type, "id": project.source_id} if project.source_type else None),
            "funded": project.funded_at is not None, "hidden": hidden}
    if detail:
        data["description"] = "" if hidden else project.description
    return data


def features(budget: Budget, projects: Iterable[BudgetProject], url_for_project) -> list[dict[str, Any]]:
    from civic import maps

    return [maps.feature(p.id, p.latitude, p.longitude, {
        "title": hidden_text() if p.hidden_at is not None else p.title, "url": url_for_project(p),
        "cost": budgets.pounds(p.cost),
        "ward": p.ward.name if p.ward is not None else ""}) for p in projects if p.latitude is not None]


def now_open(budget: Budget) -> bool:
    c = budget.consultation
    return c.is_published and c.opens_at <= utcnow() < c.closes_at
