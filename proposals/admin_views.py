"""Officers' HTML routes of proposals, on their own blueprint (``proposals_admin``): the official answer to a
proposal, and a process's proposal settings and categories. The addresses sit beside the public ones
(``/proposals/<id>/answer``, ``/processes/<slug>/proposals/settings``).

Thin: parse, call a rule in ``proposals.answers``, ``proposals.settings`` or ``proposals.categories``, then
redirect with a message or render the form again with the refusal beside its field. A refusal of permission and
unknown objects reach the app's error handler (403, 404). Showing the settings page writes nothing: a process
whose officers never saved its settings shows the defaults, and the row is created on the first save.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from civic import canned, policy
from civic.db import get_or_404
from civic.errors import DomainError, RuleViolation
from civic.exports import download_name, stream_csv
from civic.spaces import services as spaces
from civic.web import attempt, digits, form_error, page_arg
from proposals import answering, answers, categories, staff_export
from proposals import settings as proposal_settings
from proposals.admin_forms import AnswerForm, BulkAnswerForm, CategoryForm, RenameCategoryForm, SettingsForm
from proposals.models import Proposal

bp = Blueprint("proposals_admin", __name__)


# Official answers -------------------------------------------------------------------------------------------


@bp.route("/proposals/<int:proposal_id>/answer", methods=["GET", "POST"])
@login_required
def answer(proposal_id: int):
    policy.require(current_user, "proposal.answer")  # first: a 404 would tell a resident which drafts exist
    proposal = get_or_404(Proposal, proposal_id)
    policy.require(current_user, "proposal.answer", proposal)
    filters = answering.QueueFilters.from_args(request.args)
    from_queue = request.args.get("queue") == "1"
    template = canned.get(answering.ANSWER_TEMPLATES, request.args.get("template"))
    draft = answers.draft_of(current_user, proposal)
    start = ((draft.state, draft.text, draft.cost, draft.delivery) if draft is not None else
             (proposal.answer_state, proposal.answer_text, proposal.answer_cost, proposal.answer_delivery))
    form = AnswerForm(data={"state": start[0], "text": template.body if template is not None else start[1],
                            "cost": f"{start[2]:.2f}" if start[2] is not None else "", "delivery": start[3]})
    refusal = answers.answer_refusal(proposal)
    then = request.form.get("then")
    as_draft = then in ("draft", "draft_next")
    save = answers.save_draft if as_draft else answers.answer
    ok, _result = attempt(form, lambda: save(
        current_user, proposal, form.state.data, form.text.data, cost=form.cost.data or None,
        delivery=form.delivery.data or ""))
    if ok:
        if as_draft:
            flash(f"The answer to “{proposal.title}” is saved as a draft: residents do not see it and nobody is "
                  "told until it is published.", "success")
        else:
            flash(f"The answer to “{proposal.title}” is saved: {answers.ANSWER_LABELS[proposal.answer_state]}.",
                  "success")
        if form.state.data != "accepted" and ((form.cost.data or "").strip()
                                              or (form.delivery.data or "").strip()):
            flash("The cost and the delivery note are kept only for accepted proposals, so they were not saved.",
                  "info")
        if then in ("next", "draft_next"):
            following = answering.next_after(current_user, proposal, filters)
            if following is not None:
                return redirect(url_for(".answer", proposal_id=following.id, queue="1", **filters.as_args()))
            flash("That was the last proposal in the queue with these filters.", "success")
            return redirect(url_for(".awaiting", **filters.as_args()))
        if from_queue:
            return redirect(url_for(".awaiting", **filters.as_args()))
        return redirect(url_for("proposals.show", proposal_id=proposal.id, _anchor="answer"))
    return render_template("proposals/answer.html", proposal=proposal, form=form, refusal=refusal,
                           from_queue=from_queue, draft=draft, filters=filters.as_args(),
                           templates=canned.for_purpose(answering.ANSWER_TEMPLATES), template=template)


# The answering queue, across processes ----------------------------------------------------------------------


def _queue_page(filters: answering.QueueFilters, bulk_form: BulkAnswerForm | None = None, status: int = 200):
    processes, wards = answering.filter_choices()
    page = answering.queue(current_user, filters, page_arg())
    category_choices = [(str(c.id), c.name) for c in answering.categories_of(filters.process)]
    if bulk_form is None:
        bulk_form = BulkAnswerForm(formdata=None)
    bulk_form.category.choices = [("", "No category")] + category_choices
    bulk_form.template.choices = canned.choices(answering.ANSWER_TEMPLATES)
    return render_template("proposals/awaiting.html", page=page, filters=filters, args=filters.as_args(),
                           drafts=answering.drafts_for(current_user, page.items),
                           drafts_waiting=answering.drafts_waiting(current_user),
                           processes=processes, wards=wards, states=answering.QUEUE_STATES, bulk_form=bulk_form,
                           has_categories=bool(category_choices)), status


@bp.get("/proposals/awaiting-answer")
@login_required
def awaiting():
    policy.require(current_user, "proposal.answer")
    return _queue_page(answering.QueueFilters.from_args(request.args))


@bp.post("/proposals/awaiting-answer/bulk")
@login_required
def bulk_answer():
    policy.require(current_user, "proposal.answer")
    filters = answering.QueueFilters.from_args(request.args)
    form = BulkAnswerForm()
    form.category.choices = [("", "No category")] + [
        (str(c.id), c.name) for c in answering.categories_of(filters.process)]
    form.template.choices = canned.choices(answering.ANSWER_TEMPLATES)
    ids = [digits(v) for v in request.form.getlist("ids")]
    if form.validate_on_submit():
        try:
            if form.action.data == "publish":
                result = answering.publish_drafts(current_user, [i for i in ids if i])
            elif form.action.data == "evaluating":
                text = canned.compose(answering.ANSWER_TEMPLATES, form.template.data, form.text.data)
                result = answering.bulk_evaluating(current_user, [i for i in ids if i], text)
            else:
                result = answering.bulk_category(current_user, [i for i in ids if i], digits(form.category.data))
        except RuleViolation as e:
            form_error(form, e)
        else:
            if result.done:
                flash(f"Done for {len(result.done)} "
                      f"{'proposal' if len(result.done) == 1 else 'proposals'}.", "success")
            for proposal, why in result.refused:
                flash(f"Not changed: “{proposal.title}”. {why}", "error")
            return redirect(url_for(".awaiting", **filters.as_args()))
    return _queue_page(filters, form)


# The staff export ---------------------------------------------------------------------------------------------


@bp.get("/processes/<slug>/proposals/staff-export.csv")
@login_required
def staff_export_csv(slug: str):
    policy.require(current_user, "proposal.answer")
    process = spaces.get_by_slug(slug)
    excel = request.args.get("excel", "") in ("1", "true", "yes")
    response = stream_csv(download_name(f"{process.slug}-proposals-staff{'-excel' if excel else ''}", "csv"),
                          list(staff_export.FIELDS), staff_export.rows(process.id), guarded=staff_export.GUARDED,
                          excel=excel)
    response.headers["Cache-Control"] = "private, no-store"
    return response


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
    ok = False
    if form.is_submitted():
        valid = form.validate()
        values = {name: getattr(form, name).data for name in proposal_settings.SETTING_FIELDS}
        found = [p for p in proposal_settings.problems(values) if not getattr(form, p.field).errors]
        for problem in found:  # every problem at once, each beside its field
            form_error(form, problem)
        if valid and not found:
            ok, _result = attempt(form, lambda: proposal_settings.update_settings(current_user, process, **values))
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
