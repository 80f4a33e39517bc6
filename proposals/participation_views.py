"""HTML routes for supports, endorsements, official answers and the process's proposal settings.

They are added to the proposals blueprint (``proposals.views.bp``). Thin: parse, call a rule in
``proposals.participation``, then redirect back to the proposal page with a message. A refusal of a rule
becomes that message; a refusal of permission (officers' pages) and unknown objects reach the app's
error handler (403, 404).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from civic import policy
from civic.db import db, get_or_404
from civic.errors import DomainError, RuleViolation
from civic.groups.models import Group
from civic.web import attempt, form_error, page_arg
from proposals import participation, services
from proposals.models import Proposal
from proposals.participation_forms import AnswerForm, CategoryForm, RenameCategoryForm, SettingsForm
from proposals.views import bp


def _proposal(proposal_id: int) -> Proposal:
    """The proposal, or 404 for a draft or hidden one that this person may not see."""
    proposal = get_or_404(Proposal, proposal_id)
    if not services.visible(current_user, proposal):
        abort(404)
    return proposal


def _back(proposal: Proposal, anchor: str):
    return redirect(url_for("proposals.show", proposal_id=proposal.id, _anchor=anchor))


# Supports ---------------------------------------------------------------------------------------------------


@bp.post("/proposals/<int:proposal_id>/support")
@login_required
def support(proposal_id: int):
    proposal = _proposal(proposal_id)
    try:
        added = participation.support(current_user, proposal)
    except RuleViolation as e:
        flash(e.message, "error")
    else:
        settings = participation.settings_for(proposal.process)
        if not added:
            flash("You already support this proposal.", "info")
        elif settings.min_supports and not participation.support_counts(current_user, proposal):
            flash(f"Thank you: your support is recorded. Your supports count once you have supported "
                  f"{settings.min_supports} proposals in this process.", "success")
        else:
            flash("Thank you: your support is counted.", "success")
    return _back(proposal, "support")


@bp.post("/proposals/<int:proposal_id>/unsupport")
@login_required
def unsupport(proposal_id: int):
    proposal = _proposal(proposal_id)
    try:
        removed = participation.unsupport(current_user, proposal)
    except RuleViolation as e:
        flash(e.message, "error")
    else:
        if removed:
            flash("Your support is withdrawn.", "success")
        else:
            flash("You were not supporting this proposal.", "info")
    return _back(proposal, "support")


# Endorsements -----------------------------------------------------------------------------------------------


def _group() -> Group | None:
    raw = request.form.get("group", "")
    if not raw:
        return None
    group = db.session.get(Group, int(raw)) if raw.isdigit() else None
    if group is None:
        abort(404)
    return group


@bp.post("/proposals/<int:proposal_id>/endorse")
@login_required
def endorse(proposal_id: int):
    proposal = _proposal(proposal_id)
    group = _group()
    who = f"{group.name} endorses" if group else "You endorse"
    try:
        added = participation.endorse(current_user, proposal, group)
    except RuleViolation as e:
        flash(e.message, "error")
    else:
        if added:
            flash(f"{who} this proposal publicly.", "success")
        else:
            flash(f"{who} this proposal already.", "info")
    return _back(proposal, "endorsements")


@bp.post("/proposals/<int:proposal_id>/unendorse")
@login_required
def unendorse(proposal_id: int):
    proposal = _proposal(proposal_id)
    group = _group()
    try:
        removed = participation.unendorse(current_user, proposal, group)
    except RuleViolation as e:
        flash(e.message, "error")
    else:
        whose = f"The endorsement by {group.name}" if group else "Your endorsement"
        if removed:
            flash(f"{whose} is withdrawn.", "success")
        else:
            flash(f"{whose} was not there.", "info")
    return _back(proposal, "endorsements")


# Official answers -------------------------------------------------------------------------------------------


@bp.route("/proposals/<int:proposal_id>/answer", methods=["GET", "POST"])
@login_required
def answer(proposal_id: int):
    proposal = get_or_404(Proposal, proposal_id)
    policy.require(current_user, "proposal.answer", proposal)
    form = AnswerForm(data={"state": proposal.answer_state, "text": proposal.answer_text,
                            "cost": f"{proposal.answer_cost:.2f}" if proposal.answer_cost is not None else "",
                            "delivery": proposal.answer_delivery})
    refusal = participation.answer_refusal(proposal)
    ok, _result = attempt(form, lambda: participation.answer(
        current_user, proposal, form.state.data, form.text.data, cost=form.cost.data or None,
        delivery=form.delivery.data or ""))
    if ok:
        flash(f"The answer is saved: {participation.ANSWER_LABELS[proposal.answer_state]}.", "success")
        return _back(proposal, "answer")
    return render_template("proposals/answer.html", proposal=proposal, form=form, refusal=refusal,
                           answer_labels=participation.ANSWER_LABELS)


# Settings of a process --------------------------------------------------------------------------------------


def _settings_page(process, *, form=None, add_form=None, rename_forms=None):
    settings = participation.get_or_create_settings(process)
    categories = participation.categories_page(process, page_arg())
    rename_forms = dict(rename_forms or {})
    for category in categories.items:
        if category.id not in rename_forms:
            rename_forms[category.id] = RenameCategoryForm(formdata=None, prefix=f"category-{category.id}",
                                                           data={"name": category.name})
    return render_template("proposals/settings.html", process=process, settings=settings,
                           form=form or SettingsForm(formdata=None, obj=settings),
                           add_form=add_form or CategoryForm(formdata=None), categories=categories,
                           rename_forms=rename_forms)


def _officer_process(slug: str):
    process = participation.process_by_slug(slug)
    policy.require(current_user, "proposal.settings", process)
    return process


@bp.route("/processes/<slug>/proposals/settings", methods=["GET", "POST"])
@login_required
def settings(slug: str):
    process = _officer_process(slug)
    form = SettingsForm(obj=participation.get_or_create_settings(process))
    ok, _result = attempt(form, lambda: participation.update_settings(
        current_user, process, **{name: getattr(form, name).data for name in participation.SETTING_FIELDS}))
    if ok:
        flash("The proposal settings are saved.", "success")
        return redirect(url_for(".settings", slug=process.slug))
    return _settings_page(process, form=form)


@bp.post("/processes/<slug>/proposals/settings/categories")
@login_required
def add_category(slug: str):
    process = _officer_process(slug)
    form = CategoryForm()
    ok, category = attempt(form, lambda: participation.add_category(current_user, process, form.name.data))
    if ok:
        flash(f"The category “{category.name}” is added.", "success")
        return redirect(url_for(".settings", slug=process.slug, _anchor="categories"))
    return _settings_page(process, add_form=form)


@bp.post("/processes/<slug>/proposals/settings/categories/<int:category_id>")
@login_required
def rename_category(slug: str, category_id: int):
    process = _officer_process(slug)
    category = participation.get_category(process, category_id)
    form = RenameCategoryForm(prefix=f"category-{category.id}")
    if form.validate_on_submit():
        old = category.name
        try:
            participation.rename_category(current_user, category, form.name.data)
        except RuleViolation as e:
            form_error(form, e)
        else:
            flash(f"The category “{old}” is now called “{category.name}”.", "success")
            return redirect(url_for(".settings", slug=process.slug, _anchor="categories"))
    return _settings_page(process, rename_forms={category.id: form})


@bp.post("/processes/<slug>/proposals/settings/categories/<int:category_id>/remove")
@login_required
def remove_category(slug: str, category_id: int):
    process = _officer_process(slug)
    category = participation.get_category(process, category_id)
    name = category.name
    try:
        participation.remove_category(current_user, category)
    except DomainError as e:  # pragma: no cover - only permission, which _officer_process checked
        flash(e.message, "error")
    else:
        flash(f"The category “{name}” is removed; proposals tagged with it keep everything else.", "success")
    return redirect(url_for(".settings", slug=process.slug, _anchor="categories"))
