"""Participatory processes: the list, a process page with its timeline, officers' editing of processes and phases.

Thin: parse, call a service (which checks permission and the rules), render. Officers' pages check
``process.manage`` before anything else, so a resident gets 403 whatever the address names.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from civic import policy, resources
from civic.db import paginate, utcnow
from civic.errors import RuleViolation
from civic.spaces import forms, services
from civic.spaces import phases as phase_actions
from civic.spaces.models import Phase, Process
from civic.web import form_error, page_arg

bp = Blueprint("spaces", __name__, url_prefix="/processes")

PER_PAGE = 20


# The list ---------------------------------------------------------------------------------------------------


@bp.get("/")
def index():
    form = forms.FilterForm(request.args)
    form.programme.choices = [("", "Any programme")] + [(p.slug, p.name) for p in services.programmes()]
    form.ward.choices = [("", "Any ward")] + [(w.slug, w.name) for w in services.wards()]
    form.validate()
    programme = form.programme.data if form.programme.data and not form.programme.errors else None
    ward = form.ward.data if form.ward.data and not form.ward.errors else None
    which = request.args.get("status", "active")
    if which not in services.STATUSES:
        which = "active"
    now = utcnow()
    stmt = services.list_query(current_user, which=which, programme_slug=programme, ward_slug=ward, now=now)
    page = paginate(stmt, page_arg(), PER_PAGE)
    counts = services.status_counts(current_user, programme_slug=programme, ward_slug=ward, now=now)
    filters = {k: v for k, v in (("programme", programme), ("ward", ward)) if v}
    return render_template("spaces/index.html", form=form, page=page, which=which, counts=counts,
                           filters=filters, now=now, active_phase=services.active_phase,
                           labels=services.STATUS_LABELS, statuses=services.STATUSES,
                           manage=services.may_manage(current_user))


# The process page -------------------------------------------------------------------------------------------


def _components(process: Process) -> list[dict[str, str]]:
    """Links to what domains add to a process (proposals...), for endpoints that exist."""
    return [{"title": c.title, "url": url_for(c.endpoint, slug=process.slug),
             "settings_url": url_for(c.settings_endpoint, slug=process.slug)
             if c.settings_endpoint in current_app.view_functions else None,
             "settings_label": c.settings_label or f"{c.title}: settings"}
            for c in resources.components() if c.endpoint in current_app.view_functions]


def _start_buttons(process: Process, open_keys: list[str]) -> list[dict[str, str]]:
    """A start button for each open action that names one ("Make a proposal" while proposals are open)."""
    buttons = []
    for key in open_keys:
        action = phase_actions.get(key)
        if action.start is not None and action.start[1] in current_app.view_functions:
            buttons.append({"text": action.start[0], "url": url_for(action.start[1], slug=process.slug)})
    return buttons


@bp.get("/<slug>")
def show(slug: str):
    process = services.get_visible(current_user, slug)
    now = utcnow()
    current = services.active_phase(process, now)
    open_keys = services.open_actions(process, now)
    return render_template("spaces/show.html", process=process, current=current, now=now,
                           status=services.status(process, now),
                           open_actions=open_keys,
                           start_buttons=_start_buttons(process, open_keys) if process.is_published else [],
                           action_words=services.action_labels(), action_help=services.action_help(),
                           components=_components(process), manage=services.may_manage(current_user))


# Creating and editing processes -----------------------------------------------------------------------------


def _process_form(process: Process | None = None) -> forms.ProcessForm:
    form = forms.ProcessForm(obj=process) if process is not None else forms.ProcessForm()
    form.programme.choices = [("", "Choose a programme")] + [(p.slug, p.name) for p in services.programmes()]
    form.wards.choices = [(w.name, w.name) for w in services.wards()]
    if process is not None and request.method == "GET":
        form.programme.data = process.programme.slug
        form.scope.data = "city" if process.whole_city else "wards"
        form.wards.data = [w.name for w in process.wards]
    return form


def _process_fields(form: forms.ProcessForm) -> dict[str, Any]:
    return {
        "title": form.title.data, "subtitle": form.subtitle.data, "description": form.description.data,
        "programme_slug": form.programme.data,
        "ward_names": form.wards.data if form.scope.data == "wards" else None,
        "banner": form.banner.data, "banner_alt": form.banner_alt.data,
    }


def _submitted_and_valid(form: forms.ProcessForm) -> bool:
    """Validate a sent form, all of it at once (so every mistake is listed), including the scope."""
    if not form.is_submitted():
        return False
    valid = form.validate()
    if form.scope.data == "wards" and not form.wards.data:
        form.wards.errors = ["Choose at least one ward, or choose “The whole city”."]
        valid = False
    return valid


def _render_process_form(form: forms.ProcessForm, process: Process | None):
    file_lost = request.method == "POST" and services._has_file(request.files.get("banner"))
    return render_template("spaces/form.html", form=form, process=process, file_lost=file_lost)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    policy.require(current_user, "process.manage")
    form = _process_form()
    if _submitted_and_valid(form):
        try:
            process = services.create_process(current_user, published=False, **_process_fields(form))
        except RuleViolation as e:
            form_error(form, e)
        else:
            flash(f"The process “{process.title}” is created as a draft. Add its phases, then publish it.",
                  "success")
            return redirect(url_for(".phases", slug=process.slug))
    return _render_process_form(form, None)


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    policy.require(current_user, "process.manage")
    process = services.get_by_slug(slug)
    form = _process_form(process)
    if _submitted_and_valid(form):
        try:
            services.update_process(current_user, process, remove_banner=bool(form.remove_banner.data),
                                    **_process_fields(form))
        except RuleViolation as e:
            form_error(form, e)
        else:
            flash("The process's details are saved.", "success")
            return redirect(url_for(".show", slug=process.slug))
    return _render_process_form(form, process)


def _posted(slug: str, act, message: str, back: str = ".show"):
    policy.require(current_user, "process.manage")
    process = services.get_by_slug(slug)
    if forms.ActionForm().validate_on_submit():
        try:
            act(current_user, process)
        except RuleViolation as e:
            flash(e.message, "error")
        else:
            flash(message.format(title=process.title), "success")
    else:
        flash("The form expired. Please try again.", "error")
    return redirect(url_for(back, slug=process.slug))


@bp.post("/<slug>/publish")
@login_required
def publish(slug: str):
    return _posted(slug, services.publish, "“{title}” is published: everyone can see it now.")


@bp.post("/<slug>/unpublish")
@login_required
def unpublish(slug: str):
    return _posted(slug, services.unpublish, "“{title}” is a draft again: only officers can see it.")


# Phases -----------------------------------------------------------------------------------------------------


def _phase_times(form: forms.PhaseForm) -> dict[str, Any] | None:
    """The form's UK dates and times as UTC; None (with the message beside the field) when one is wrong."""
    times: dict[str, Any] = {}
    for name in ("starts_at", "ends_at"):
        day, at = getattr(form, name).data, getattr(form, f"{name}_time").data
        if day is None or at is None:
            return None
        try:
            times[name] = services.uk_to_utc(day, at, field=f"{name}_time")
        except RuleViolation as e:
            form_error(form, e)
            return None
    return times


def _phase_values(form: forms.PhaseForm) -> dict[str, Any]:
    return {"title": form.title.data, "description": form.description.data,
            "actions": form.chosen_actions()}


def _phases_page(process: Process, form: forms.PhaseForm, phase: Phase | None = None, status: int = 200):
    return render_template("spaces/phases.html", process=process, form=form, phase=phase,
                           now=utcnow(), current=services.active_phase(process),
                           action_words=services.action_labels()), status


@bp.get("/<slug>/phases")
@login_required
def phases(slug: str):
    policy.require(current_user, "process.manage")
    process = services.get_by_slug(slug)
    form = forms.phase_form(formdata=None)
    start = services.next_phase_start(process)
    if start is not None:
        local = services.to_uk(start)
        form.starts_at.data, form.starts_at_time.data = local.date(), local.time()
    return _phases_page(process, form)


@bp.post("/<slug>/phases")
@login_required
def add_phase(slug: str):
    policy.require(current_user, "process.manage")
    process = services.get_by_slug(slug)
    form = forms.phase_form()
    if form.validate_on_submit() and (times := _phase_times(form)) is not None:
        try:
            phase = services.add_phase(current_user, process, **times, **_phase_values(form))
        except RuleViolation as e:
            form_error(form, e)
        else:
            flash(f"The phase “{phase.title}” is added.", "success")
            return redirect(url_for(".phases", slug=process.slug))
    return _phases_page(process, form)


@bp.route("/<slug>/phases/<int:phase_id>/edit", methods=["GET", "POST"])
@login_required
def edit_phase(slug: str, phase_id: int):
    policy.require(current_user, "process.manage")
    process = services.get_by_slug(slug)
    phase = services.get_phase(process, phase_id)
    form = forms.phase_form(obj=phase)
    if request.method == "GET":
        for key in phase.actions:
            if f"allow_{key}" in form:
                form[f"allow_{key}"].data = True
        for name in ("starts_at", "ends_at"):
            local = services.to_uk(getattr(phase, name))
            getattr(form, name).data, getattr(form, f"{name}_time").data = local.date(), local.time()
    if form.validate_on_submit() and (times := _phase_times(form)) is not None:
        try:
            services.update_phase(current_user, phase, **times, **_phase_values(form))
        except RuleViolation as e:
            form_error(form, e)
        else:
            flash(f"The phase “{phase.title}” is saved.", "success")
            return redirect(url_for(".phases", slug=process.slug))
    return render_template("spaces/phase_form.html", process=process, phase=phase, form=form)


@bp.post("/<slug>/phases/<int:phase_id>/remove")
@login_required
def remove_phase(slug: str, phase_id: int):
    policy.require(current_user, "process.manage")
    process = services.get_by_slug(slug)
    phase = services.get_phase(process, phase_id)
    title = phase.title
    if forms.ActionForm().validate_on_submit():
        services.remove_phase(current_user, phase)
        flash(f"The phase “{title}” is removed.", "success")
    else:
        flash("The form expired. Please try again.", "error")
    return redirect(url_for(".phases", slug=process.slug))
