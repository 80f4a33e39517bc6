"""Officers' pages of participatory budgets (blueprint ``consultations_budgets_admin``): create and edit a budget
in a process, add, edit and remove its projects by hand or from the process's accepted proposals, and publish it.
Extending the closing time is the consultation's (``consultations_admin.extend``).

Every route asks the policy first (``consultation.manage``), so a resident learns nothing about drafts.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from civic import policy
from civic.db import db
from civic.errors import RuleViolation
from civic.spaces import services as spaces
from civic.spaces.models import Process
from civic.spaces.services import to_uk, uk_to_utc
from civic.web import attempt, digits, form_error
from consultations import budget_pages, budgets
from consultations.budget_forms import BudgetForm, FromSourceForm, ProjectForm, budget_form
from consultations.forms import ExtendForm

bp = Blueprint("consultations_budgets_admin", __name__)


def _process_choices(form: BudgetForm) -> None:
    form.process_slug.choices = [("", _("Choose a process"))] + [
        (p.slug, p.title) for p in db.session.scalars(select(Process).order_by(Process.title))]


def _details(form: BudgetForm) -> budgets.Details:
    opens = uk_to_utc(form.opens_at.data, form.opens_at_time.data, field="opens_at_time")
    closes = uk_to_utc(form.closes_at.data, form.closes_at_time.data, field="closes_at_time")
    return budgets.Details(
        title=form.title.data, introduction=form.introduction.data or "", process_slug=form.process_slug.data or None,
        opens_at=opens, closes_at=closes, total=form.total.data, by_ward=bool(form.by_ward.data),
        ward_amounts={wid: f.data for wid, f in zip(form.ward_ids, form.ward_fields, strict=True)},
        rule=form.rule.data, min_projects=form.min_projects.data, max_projects=form.max_projects.data,
        min_share_percent=form.min_share_percent.data)


@bp.route("/budgets/new", methods=["GET", "POST"])
@bp.route("/processes/<slug>/budgets/new", methods=["GET", "POST"])
@login_required
def new(slug: str | None = None):
    policy.require(current_user, "consultation.manage")
    form = budget_form(spaces.wards())
    _process_choices(form)
    if request.method == "GET" and (slug or request.args.get("process")):
        form.process_slug.data = slug or request.args["process"]
    ok, budget = attempt(form, lambda: budgets.create(current_user, _details(form)))
    if ok:
        flash(_("The draft budget is saved. Add its projects, then publish it."), "success")
        return redirect(url_for(".manage", budget_id=budget.id))
    return render_template("consultations/budget_form.html", form=form, budget=None)


@bp.route("/budgets/<int:budget_id>/edit", methods=["GET", "POST"])
@login_required
def edit(budget_id: int):
    budget = budgets.get_managed(current_user, budget_id)
    c = budget.consultation
    opens, closes = to_uk(c.opens_at), to_uk(c.closes_at)
    data = {"title": c.title, "introduction": c.introduction, "process_slug": c.process.slug if c.process else "",
            "opens_at": opens.date(), "opens_at_time": opens.time(), "closes_at": closes.date(),
            "closes_at_time": closes.time(), "by_ward": budget.by_ward,
            "total": budgets.plain(budget.total) if not budget.by_ward else "", "rule": budget.rule,
            "min_projects": budget.min_projects, "max_projects": budget.max_projects,
            "min_share_percent": budget.min_share_percent}
    for h in budget.headings:
        if h.ward_id is not None:
            data[f"ward_{h.ward_id}"] = budgets.plain(h.amount)
    form = budget_form(spaces.wards(), data=data)
    _process_choices(form)
    ok, _result = attempt(form, lambda: budgets.update(current_user, budget, _details(form)))
    if ok:
        flash(_("The budget is saved."), "success")
        return redirect(url_for(".manage", budget_id=budget.id))
    return render_template("consultations/budget_form.html", form=form, budget=budget)


@bp.get("/budgets/<int:budget_id>/manage")
@login_required
def manage(budget_id: int):
    budget = budgets.get_managed(current_user, budget_id)
    items = budgets.projects(budget)
    counts: dict[int, int] = {}
    for p in items:
        counts[p.heading_id] = counts.get(p.heading_id, 0) + 1
    refusal = budgets.publish_refusal(budget, counts) if not budget.consultation.is_published else None
    return render_template("consultations/budget_manage.html", budget=budget, consultation=budget.consultation,
                           projects=items, status=budgets.status(budget), frozen=budgets.is_frozen(budget),
                           refusal=refusal, rule_text=budget_pages.rule_text(budget),
                           extend_form=ExtendForm(formdata=None), title=budgets.heading_title)


def _project_choices(form: ProjectForm, budget) -> None:
    wards = spaces.wards()
    if budget.by_ward:
        funded = {h.ward_id for h in budget.headings}
        wards = [w for w in wards if w.id in funded]
        form.ward_id.choices = [("", _("Choose a ward"))] + [(str(w.id), w.name) for w in wards]
    else:
        form.ward_id.choices = [("", _("None: the whole city"))] + [(str(w.id), w.name) for w in wards]
    form.programme_id.choices = [("", _("None"))] + [(str(p.id), p.name) for p in spaces.programmes()]


def _project_details(form: ProjectForm) -> budgets.ProjectDetails:
    return budgets.ProjectDetails(
        title=form.title.data, description=form.description.data or "", cost=form.cost.data,
        ward_id=digits(form.ward_id.data), programme_id=digits(form.programme_id.data),
        latitude=form.latitude.data, longitude=form.longitude.data, image=form.image.data,
        image_alt=form.image_alt.data or "", remove_image=bool(form.remove_image.data))


@bp.route("/budgets/<int:budget_id>/projects/new", methods=["GET", "POST"])
@login_required
def new_project(budget_id: int):
    budget = budgets.get_managed(current_user, budget_id)
    form = ProjectForm()
    _project_choices(form, budget)
    if request.method == "GET" and not budget.by_ward:
        form.programme_id.data = str(budget.consultation.process.programme_id) if budget.consultation.process else ""
    ok, _project = attempt(form, lambda: budgets.add_project(current_user, budget, _project_details(form)))
    if ok:
        flash(_("The project is added."), "success")
        return redirect(url_for(".manage", budget_id=budget.id))
    return render_template("consultations/budget_project_form.html", form=form, budget=budget, project=None)


@bp.route("/budgets/<int:budget_id>/projects/<int:project_id>/edit", methods=["GET", "POST"])
@login_required
def edit_project(budget_id: int, project_id: int):
    budget = budgets.get_managed(current_user, budget_id)
    project = budgets.project_of(budget, project_id)
    form = ProjectForm(data={
        "title": project.title, "description": project.description, "cost": budgets.plain(project.cost),
        "ward_id": str(project.ward_id or ""), "programme_id": str(project.programme_id or ""),
        "latitude": "" if project.latitude is None else str(project.latitude),
        "longitude": "" if project.longitude is None else str(project.longitude), "image_alt": project.image_alt})
    _project_choices(form, budget)
    ok, _p = attempt(form, lambda: budgets.update_project(current_user, budget, project, _project_details(form)))
    if ok:
        flash(_("The project is saved."), "success")
        return redirect(url_for(".manage", budget_id=budget.id))
    return render_template("consultations/budget_project_form.html", form=form, budget=budget, project=project)


@bp.post("/budgets/<int:budget_id>/projects/<int:project_id>/remove")
@login_required
def remove_project(budget_id: int, project_id: int):
    budget = budgets.get_managed(current_user, budget_id)
    project = budgets.project_of(budget, project_id)
    try:
        budgets.remove_project(current_user, budget, project)
        flash(_("The project is removed."), "success")
    except RuleViolation as e:
        flash(e.message, "error")
    return redirect(url_for(".manage", budget_id=budget.id))


@bp.route("/budgets/<int:budget_id>/sources", methods=["GET", "POST"])
@login_required
def sources(budget_id: int):
    """The process's accepted proposals, each with "Add to the budget" (or the project already made from it)."""
    budget = budgets.get_managed(current_user, budget_id)
    form = FromSourceForm()
    if form.validate_on_submit():
        kind, _sep, ident = (form.source.data or "").partition(":")
        try:
            budgets.add_from_source(current_user, budget, kind, digits(ident) or -1, cost=form.cost.data)
            flash(_("The project is added."), "success")
            return redirect(url_for(".sources", budget_id=budget.id))
        except RuleViolation as e:
            form_error(form, e)
    return render_template("consultations/budget_sources.html", budget=budget, consultation=budget.consultation,
                           candidates=budgets.candidates(current_user, budget), form=form,
                           frozen=budgets.is_frozen(budget))


@bp.post("/budgets/<int:budget_id>/publish")
@login_required
def publish(budget_id: int):
    budget = budgets.get_managed(current_user, budget_id)
    try:
        budgets.publish(current_user, budget)
        flash(_("The budget is published."), "success")
    except RuleViolation as e:
        flash(e.message, "error")
    return redirect(url_for(".manage", budget_id=budget.id))


@bp.get("/budgets/<int:budget_id>/preview")
@login_required
def preview(budget_id: int):
    """The budget's page as a voter will see it, without a way to cast."""
    from consultations.budget_views import _page

    budget = budgets.get_managed(current_user, budget_id)
    return _page(budget, preview=True)
