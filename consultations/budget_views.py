"""Public pages of participatory budgets: the list, a budget with its projects (filters, map, the running total
that an "Update total" button recalculates without JavaScript), the review step, casting (the receipt shown
once, as for any consultation) and a project's page.

Thin: read the request, call :mod:`consultations.budgets`, render.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from civic import maps, policy
from civic.comments import services as comments
from civic.errors import NotFound, RuleViolation
from civic.spaces import services as spaces
from civic.web import page_arg
from consultations import ballots, budget_pages, budgets
from consultations.models import BudgetProject

bp = Blueprint("consultations_budgets", __name__)


def _slug(name: str) -> str:
    raw = (request.args.get(name) or "").strip()
    return raw if len(raw) <= 60 and raw.replace("-", "").isalnum() and raw.isascii() else ""


def _filters() -> budget_pages.Filters:
    return budget_pages.Filters(ward_slug=_slug("ward"), programme_slug=_slug("programme"))


@bp.get("/budgets/")
def index():
    listing = budget_pages.listing(current_user, page_arg())
    return render_template("consultations/budgets.html", listing=listing, status=budgets.status,
                           labels=budget_pages.STATUS_LABELS, process=None)


@bp.get("/processes/<slug>/budgets")
def in_process(slug: str):
    process = spaces.get_visible(current_user, slug)
    listing = budget_pages.listing(current_user, page_arg(), process_id=process.id)
    return render_template("consultations/budgets.html", listing=listing, status=budgets.status,
                           labels=budget_pages.STATUS_LABELS, process=process)


def _page(budget, *, errors=None, chosen=(), status=200, preview=False):
    context = budget_pages.budget_view(current_user, budget, filters=_filters(), chosen=chosen, preview=preview)
    return render_template("consultations/budget.html", errors=errors or {}, **context), status


@bp.get("/budgets/<int:budget_id>")
def show(budget_id: int):
    budget = budgets.get_visible(current_user, budget_id)
    return _page(budget, chosen=request.args.getlist("projects"))


@bp.get("/consultations/<int:consultation_id>/budget")
def by_consultation(consultation_id: int):
    """A budget's consultation page sends here (the consultation's generic ballot does not take budgets)."""
    from consultations import services

    consultation = services.get_visible(current_user, consultation_id)
    budget = budgets.of_consultation(consultation)
    if budget is None:
        raise NotFound("We could not find that budget.")
    return redirect(url_for(".show", budget_id=budget.id))


def _chosen() -> list[str]:
    return request.form.getlist(budgets.FIELD)


@bp.post("/budgets/<int:budget_id>/review")
@login_required
def review(budget_id: int):
    """"Update total" (the page again, with the running total of the choice), or the review step: the projects
    as they will be cast, their total against the money, and the warning that the ballot is final."""
    budget = budgets.get_visible(current_user, budget_id)
    if request.form.get("action") == "update":
        return _page(budget, chosen=_chosen())
    policy.require(current_user, "consultation.vote", budget.consultation)
    refusal = budgets.voter_refusal(current_user, budget)
    if refusal:
        return _page(budget, errors={"ballot": refusal}, status=409)
    all_projects = budgets.projects(budget)
    try:
        budgets.check_choice(budget, all_projects, current_user.ward_id, _chosen())
    except RuleViolation as e:
        return _page(budget, errors={e.field or budgets.FIELD: e.message}, chosen=_chosen())
    lines = budgets.totals(budget, all_projects, current_user.ward_id, [int(v) for v in _chosen()])
    return render_template("consultations/budget_review.html", budget=budget, consultation=budget.consultation,
                           lines=lines, chosen=[p.id for line in lines for p in line.chosen])


@bp.post("/budgets/<int:budget_id>/vote")
@login_required
def vote(budget_id: int):
    """Cast the budget ballot; the receipt is shown on this response, once."""
    budget = budgets.get_visible(current_user, budget_id)
    policy.require(current_user, "consultation.vote", budget.consultation)
    refusal = budgets.voter_refusal(current_user, budget)
    if refusal:
        return _page(budget, errors={"ballot": refusal}, status=409)
    try:
        code = budgets.cast(current_user, budget, _chosen())
    except RuleViolation as e:
        if e.field:
            return _page(budget, errors={e.field: e.message}, chosen=_chosen())
        return _page(budget, errors={"ballot": e.message}, status=409)
    return render_template("consultations/receipt.html", consultation=budget.consultation, code=ballots.shown(code),
                           back=url_for(".show", budget_id=budget.id))


@bp.get("/budgets/<int:budget_id>/projects.geojson")
def geojson(budget_id: int):
    budget = budgets.get_visible(current_user, budget_id)
    filters = _filters()
    shown = [p for p in budgets.projects(budget) if filters.keep(p)]
    return maps.stream_geojson(budget_pages.features(
        budget, shown, lambda p: url_for(".project", budget_id=budget.id, project_id=p.id)))


@bp.get("/budgets/<int:budget_id>/projects/<int:project_id>")
def project(budget_id: int, project_id: int):
    budget = budgets.get_visible(current_user, budget_id)
    item: BudgetProject = budgets.project_of(budget, project_id)
    thread = None
    if budget.consultation.is_published and budget.consultation.hidden_at is None and item.hidden_at is None:
        thread = comments.thread("budget_project", item.id, current_user, order=request.args.get("order", "oldest"))
    masked = budget_pages.masked(current_user, item)
    source_url = None
    if item.source_type:
        from civic import resources

        rt = resources.find(item.source_type)
        source_url = rt.url_by_id(item.source_id) if rt is not None else None
    return render_template("consultations/budget_project.html", budget=budget, consultation=budget.consultation,
                           project=item, thread=thread, source_url=source_url, status=budgets.status(budget),
                           masked=masked, name=budget_pages.hidden_text() if masked else item.title)
