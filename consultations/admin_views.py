"""Officers' pages of consultations (blueprint ``consultations_admin``): create and edit a consultation, its
questions and options, preview it as a voter sees it, publish it, extend its closing time, and enter paper
ballots collected at a community event.

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
from civic.spaces.models import Process, Ward
from civic.spaces.services import to_uk, uk_to_utc
from civic.web import attempt, digits, form_error
from consultations import ballots, budgets, kinds, pages, services
from consultations.forms import (
    ConsultationForm,
    EditQuestionForm,
    ExtendForm,
    FindVoterForm,
    OptionForm,
    QuestionForm,
)

bp = Blueprint("consultations_admin", __name__)


def _choices(form: ConsultationForm) -> None:
    form.process_slug.choices = [("", _("None: a consultation standing alone"))] + [
        (p.slug, p.title) for p in db.session.scalars(select(Process).order_by(Process.title))]
    form.wards.choices = [(w.id, w.name) for w in db.session.scalars(select(Ward).order_by(Ward.name))]


def _details(form: ConsultationForm) -> services.Details:
    opens = uk_to_utc(form.opens_at.data, form.opens_at_time.data, field="opens_at_time")
    closes = uk_to_utc(form.closes_at.data, form.closes_at_time.data, field="closes_at_time")
    return services.Details(title=form.title.data, introduction=form.introduction.data or "", opens_at=opens,
                            closes_at=closes, process_slug=form.process_slug.data or None,
                            ward_ids=tuple(form.wards.data or ()), minimum_age=bool(form.minimum_age.data))


@bp.route("/consultations/new", methods=["GET", "POST"])
@login_required
def new():
    policy.require(current_user, "consultation.manage")
    form = ConsultationForm()
    _choices(form)
    ok, consultation = attempt(form, lambda: services.create(current_user, _details(form)))
    if ok:
        flash(_("The draft is saved. Add its questions, then preview and publish it."), "success")
        return redirect(url_for(".manage", consultation_id=consultation.id))
    return render_template("consultations/form.html", form=form, consultation=None)


@bp.route("/consultations/<int:consultation_id>/edit", methods=["GET", "POST"])
@login_required
def edit(consultation_id: int):
    consultation = services.get_managed(current_user, consultation_id)
    budget = budgets.of_consultation(consultation) if budgets.is_budget(consultation) else None
    if budget is not None:
        return redirect(url_for("consultations_budgets_admin.edit", budget_id=budget.id))
    opens, closes = to_uk(consultation.opens_at), to_uk(consultation.closes_at)
    form = ConsultationForm(data={
        "title": consultation.title, "introduction": consultation.introduction,
        "process_slug": consultation.process.slug if consultation.process else "",
        "opens_at": opens.date(), "opens_at_time": opens.time(), "closes_at": closes.date(),
        "closes_at_time": closes.time(), "wards": [w.id for w in consultation.wards],
        "minimum_age": bool(consultation.minimum_age)})
    _choices(form)
    ok, _result = attempt(form, lambda: services.update(current_user, consultation, _details(form)))
    if ok:
        flash(_("The consultation is saved."), "success")
        return redirect(url_for(".manage", consultation_id=consultation.id))
    return render_template("consultations/form.html", form=form, consultation=consultation)


def _manage_page(consultation, *, question_form=None, option_forms=None, extend_form=None):
    question_form = question_form or QuestionForm(formdata=None)
    question_form.kind.choices = [(k.key, k.label) for k in kinds.selectable_kinds()]
    option_forms = option_forms or {}
    for q in consultation.questions:
        option_forms.setdefault(q.id, OptionForm(formdata=None, prefix=f"q{q.id}"))
    return render_template("consultations/manage.html", consultation=consultation,
                           status=services.status(consultation), question_form=question_form,
                           option_forms=option_forms, extend_form=extend_form or ExtendForm(formdata=None),
                           refusal=services.publish_refusal(consultation), who=pages.who_may_take_part(consultation),
                           editable=services.status(consultation) in ("draft", "upcoming"))


@bp.get("/consultations/<int:consultation_id>/manage")
@login_required
def manage(consultation_id: int):
    consultation = services.get_managed(current_user, consultation_id)
    budget = budgets.of_consultation(consultation) if budgets.is_budget(consultation) else None
    if budget is not None:  # a participatory budget is managed on its own page
        return redirect(url_for("consultations_budgets_admin.manage", budget_id=budget.id))
    return _manage_page(consultation)


@bp.post("/consultations/<int:consultation_id>/questions")
@login_required
def add_question(consultation_id: int):
    consultation = services.get_managed(current_user, consultation_id)
    form = QuestionForm()
    form.kind.choices = [(k.key, k.label) for k in kinds.selectable_kinds()]
    ok, _q = attempt(form, lambda: services.add_question(
        current_user, consultation, kind=form.kind.data, title=form.title.data,
        description=form.description.data or "", min_choices=form.min_choices.data,
        max_choices=form.max_choices.data, options=(form.options.data or "").splitlines()))
    if ok:
        flash(_("The question is added."), "success")
        return redirect(url_for(".manage", consultation_id=consultation.id))
    return _manage_page(consultation, question_form=form)


@bp.route("/consultations/<int:consultation_id>/questions/<int:question_id>/edit", methods=["GET", "POST"])
@login_required
def edit_question(consultation_id: int, question_id: int):
    consultation = services.get_managed(current_user, consultation_id)
    question = services.question_of(consultation, question_id)
    form = EditQuestionForm(obj=question)
    ok, _q = attempt(form, lambda: services.update_question(
        current_user, question, title=form.title.data, description=form.description.data or "",
        min_choices=form.min_choices.data, max_choices=form.max_choices.data))
    if ok:
        flash(_("The question is saved."), "success")
        return redirect(url_for(".manage", consultation_id=consultation.id))
    return render_template("consultations/question_form.html", consultation=consultation, question=question,
                           form=form)


@bp.post("/consultations/<int:consultation_id>/questions/<int:question_id>/remove")
@login_required
def remove_question(consultation_id: int, question_id: int):
    consultation = services.get_managed(current_user, consultation_id)
    question = services.question_of(consultation, question_id)
    try:
        services.remove_question(current_user, question)
        flash(_("The question is removed."), "success")
    except RuleViolation as e:
        flash(e.message, "error")
    return redirect(url_for(".manage", consultation_id=consultation.id))


@bp.post("/consultations/<int:consultation_id>/questions/<int:question_id>/options")
@login_required
def add_option(consultation_id: int, question_id: int):
    consultation = services.get_managed(current_user, consultation_id)
    question = services.question_of(consultation, question_id)
    form = OptionForm(prefix=f"q{question.id}")
    ok, _o = attempt(form, lambda: services.add_option(current_user, question, text=form.text.data,
                                                        description=form.description.data or "",
                                                        image=form.image.data, image_alt=form.image_alt.data or ""))
    if ok:
        flash(_("The option is added."), "success")
        return redirect(url_for(".manage", consultation_id=consultation.id, _anchor=f"question-{question.id}"))
    return _manage_page(consultation, option_forms={question.id: form})


@bp.post("/consultations/<int:consultation_id>/options/<int:option_id>/remove")
@login_required
def remove_option(consultation_id: int, option_id: int):
    consultation = services.get_managed(current_user, consultation_id)
    option = next((o for q in consultation.questions for o in q.options if o.id == option_id), None)
    if option is None:
        raise services.NotFound(_("That option is not in this consultation."))
    try:
        services.remove_option(current_user, option)
        flash(_("The option is removed."), "success")
    except RuleViolation as e:
        flash(e.message, "error")
    return redirect(url_for(".manage", consultation_id=consultation.id))


@bp.get("/consultations/<int:consultation_id>/preview")
@login_required
def preview(consultation_id: int):
    """The consultation as a voter will see it (the ballot form without a way to cast)."""
    consultation = services.get_managed(current_user, consultation_id)
    context = pages.consultation_view(current_user, consultation)
    return render_template("consultations/show.html", errors={}, values={}, preview=True, **context)


@bp.post("/consultations/<int:consultation_id>/publish")
@login_required
def publish(consultation_id: int):
    consultation = services.get_managed(current_user, consultation_id)
    try:
        services.publish(current_user, consultation)
        flash(_("The consultation is published."), "success")
    except RuleViolation as e:
        flash(e.message, "error")
    return redirect(url_for(".manage", consultation_id=consultation.id))


@bp.post("/consultations/<int:consultation_id>/extend")
@login_required
def extend(consultation_id: int):
    consultation = services.get_managed(current_user, consultation_id)
    form = ExtendForm()
    ok, _c = attempt(form, lambda: services.extend(
        current_user, consultation, uk_to_utc(form.closes_at.data, form.closes_at_time.data, field="closes_at_time"),
        form.reason.data or ""))
    if ok:
        flash(_("The closing time is extended."), "success")
        return redirect(url_for(".manage", consultation_id=consultation.id))
    return _manage_page(consultation, extend_form=form)


# Paper ballots ----------------------------------------------------------------------------------------------


@bp.route("/consultations/<int:consultation_id>/paper", methods=["GET", "POST"])
@login_required
def paper(consultation_id: int):
    """Find the voter (by name, or in the register by postcode and date of birth), then enter their ballot."""
    consultation = services.get_managed(current_user, consultation_id)
    find = FindVoterForm(request.args)
    people, voter, errors, code = [], None, {}, None
    try:
        if request.method == "POST" or request.args.get("user_id"):
            source = request.form if request.method == "POST" else request.args
            user_id = digits(source.get("user_id"))
            if user_id:
                voter = ballots.paper_voter_for_user(current_user, consultation, user_id)
            elif source.get("postcode") or source.get("date_of_birth"):
                voter = ballots.find_in_register(current_user, consultation, source.get("postcode", ""),
                                                 source.get("date_of_birth", ""))
        elif request.args.get("postcode") or request.args.get("date_of_birth"):
            voter = ballots.find_in_register(current_user, consultation, request.args.get("postcode", ""),
                                             request.args.get("date_of_birth", ""))
        elif request.args.get("name"):
            people = ballots.find_by_name(current_user, consultation, request.args["name"])
    except RuleViolation as e:
        form_error(find, e)
    if request.method == "POST" and voter is not None:
        answers = {}
        for q in consultation.questions:
            try:
                answers[q.id] = kinds.get(q.kind).from_form(q, request.form)
            except RuleViolation as e:
                errors[e.field or f"q{q.id}"] = e.message
        if not errors:
            try:
                code = ballots.cast_paper(current_user, consultation, voter, request.form.get("event_name", ""),
                                          answers)
            except RuleViolation as e:
                errors[e.field or "ballot"] = e.message
    elif request.method == "POST":
        errors["ballot"] = _("Find the voter first.")
    return render_template("consultations/paper.html", consultation=consultation, find=find, people=people,
                           voter=voter, errors=errors, code=ballots.shown(code) if code else None,
                           questions=pages.questions(consultation), values=_values(),
                           event_name=request.form.get("event_name", ""))


def _values() -> dict[str, list[str]]:
    return {key: request.form.getlist(key) for key in request.form} if request.method == "POST" else {}
