"""Officers' HTML routes of proposals, on their own blueprint (``proposals_admin``): the official answer to a
proposal, and a process's proposal settings and categories. The addresses sit beside the public ones
(``/proposals/<id>/answer``, ``/processes/<slug>/proposals/settings``).

Thin: parse, call a rule in ``proposals.answers``, ``proposals.settings`` or ``proposals.categories``, then
redirect with a message or render the form again with the refusal beside its field. A refusal of permission and
unknown objects reach the app's error handler (403, 404). Showing the settings page writes nothing: a process
whose officers never saved its settings shows the defaults, and the row is created on the first save.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from civic import policy
from civic.db import get_or_404
from civic.errors import DomainError, RuleViolation
from civic.spaces import services as spaces
from civic.web import attempt, form_error, page_arg
from proposals import answers, categories
from proposals import settings as proposal_settings
from proposals.admin_forms import AnswerForm, CategoryForm, RenameCategoryForm, SettingsForm
from proposals.models import Proposal

bp = Blueprint("proposals_admin", __name__)


# Official answers -------------------------------------------------------------------------------------------


@bp.route("/proposals/<int:proposal_id>/answer", methods=["GET", "POST"])
@login_required
def answer(proposal_id: int):
    policy.require(current_user, "proposal.answer")  # first: a 404 would tell a resident which drafts exist
    proposal = get_or_404(Proposal, proposal_id)
    policy.require(current_user, "proposal.answer", proposal)
    form = AnswerForm(data={"state": proposal.answer_state, "text": proposal.answer_text,
                            "cost": f"{proposal.answer_cost:.2f}" if proposal.answer_cost is not None else "",
                            "delivery": proposal.answer_delivery})
    refusal = answers.answer_refusal(proposal)
    ok, _result = attempt(form, lambda: answers.answer(
        current_user, proposal, form.state.data, form.text.data, cost=form.cost.data or None,
        delivery=form.delivery.data or ""))
    if ok:
        flash(f"The answer is saved: {answers.ANSWER_LABELS[proposal.answer_state]}.", "success")
        return redirect(url_for("proposals.show", proposal_id=proposal.id, _anchor="answer"))
    return render_template("proposals/answer.html", proposal=proposal, form=form, refusal=refusal)


# Settings of a process --------------------------------------------------------------------------------------


def _settings_page(process, *, form=None, add_form=None, rename_forms=None):
    settings = proposal_settings.settings_for(process)  # the defaults, unsaved, until officers save
    page = categories.categories_page(process, page_arg())
    rename_forms = dict(rename_forms or {})
    for category in page.items:
        if category.id not in rename_forms:
            rename_forms[category.id] = RenameCategoryForm(formdata=None, prefix=f"category-{category.id}",
                                                           data={"name": category.name})
    return render_template("proposals/settings.html", process=process, settings=settings,
                           form=form or SettingsForm(formdata=None, obj=settings),
                           add_form=add_form or CategoryForm(formdata=None), categories=page,
                           rename_forms=rename_forms)


def _officer_process(slug: str):
    process = spaces.get_by_slug(slug)
    policy.require(current_user, "proposal.settings", process)
    return process


@bp.route("/processes/<slug>/proposals/settings", methods=["GET", "POST"])
@login_required
def settings(slug: str):
    process = _officer_process(slug)
    form = SettingsForm(obj=proposal_settings.settings_for(process))
    ok, _result = attempt(form, lambda: proposal_settings.update_settings(
        current_user, process, **{name: getattr(form, name).data for name in proposal_settings.SETTING_FIELDS}))
    if ok:
        flash("The proposal settings are saved.", "success")
        return redirect(url_for(".settings", slug=process.slug))
    return _settings_page(process, form=form)


@bp.post("/processes/<slug>/proposals/settings/categories")
@login_required
def add_category(slug: str):
    process = _officer_process(slug)
    form = CategoryForm()
    ok, category = attempt(form, lambda: categories.add_category(current_user, process, form.name.data))
    if ok:
        flash(f"The category “{category.name}” is added.", "success")
        return redirect(url_for(".settings", slug=process.slug, _anchor="categories"))
    return _settings_page(process, add_form=form)


@bp.post("/processes/<slug>/proposals/settings/categories/<int:category_id>")
@login_required
def rename_category(slug: str, category_id: int):
    process = _officer_process(slug)
    category = categories.get_category(process, category_id)
    form = RenameCategoryForm(prefix=f"category-{category.id}")
    if form.validate_on_submit():
        old = category.name
        try:
            categories.rename_category(current_user, category, form.name.data)
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
    category = categories.get_category(process, category_id)
    name = category.name
    try:
        categories.remove_category(current_user, category)
    except DomainError as e:  # pragma: no cover - only permission, which _officer_process checked
        flash(e.message, "error")
    else:
        flash(f"The category “{name}” is removed; proposals tagged with it keep everything else.", "success")
    return redirect(url_for(".settings", slug=process.slug, _anchor="categories"))
