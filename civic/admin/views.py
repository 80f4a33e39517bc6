"""Admin and officer pages: users and roles, the audit log, background jobs that failed and scheduled tasks."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from civic import canned, policy, resources, schedule, workqueues
from civic.accounts import invitations, roles
from civic.accounts import services as accounts
from civic.accounts.models import User
from civic.admin import forms
from civic.admin import queues as _queues  # noqa: F401  (declares the core's work queues)
from civic.admin.history import action_label
from civic.admin.history import describe as describe_entry
from civic.admin.person_history import history_of
from civic.audit import audit_actions, audit_query
from civic.db import db, get_or_404, paginate
from civic.errors import DomainError
from civic.exports import stream_csv
from civic.jobs import backend_name, retry_delays
from civic.jobs import services as jobs
from civic.jobs.models import JobFailure
from civic.spaces import services as spaces
from civic.spaces.models import Ward
from civic.web import attempt, digits, form_error, page_arg

bp = Blueprint("admin", __name__, url_prefix="/admin")
LONDON = ZoneInfo("Europe/London")


@bp.before_request
@login_required
def _signed_in():
    return None


def waiting() -> list[workqueues.Waiting]:
    """The signed-in person's work queues with their counts, read once a request (one query; none for residents,
    who see no queue)."""
    if "civic_waiting" not in g:
        g.civic_waiting = workqueues.counts(current_user)
    return g.civic_waiting


@bp.app_template_global()
def staff_waiting() -> int:
    """For the header: how many items wait in the signed-in person's queues (0 for residents, with no query)."""
    return sum(w.count for w in waiting())


@bp.get("/")
def index():
    policy.require(current_user, "admin.view_users")
    return render_template("admin/index.html", waiting=waiting())


def _ward_choices() -> list[tuple[str, str]]:
    return [("", "Any ward")] + [(str(w.id), w.name) for w in db.session.scalars(select(Ward).order_by(Ward.name))]


@bp.get("/users")
def users():
    policy.require(current_user, "admin.view_users")
    form = forms.UserFilterForm(request.args)
    form.ward.choices = _ward_choices()
    form.validate()
    ward_id = digits(form.ward.data)
    stmt = accounts.users_query(text=form.q.data or "", role=form.role.data or "", ward_id=ward_id,
                                status=form.status.data or "")
    page = paginate(stmt, page_arg(), 25)
    return _users_page(form, page)


def _users_page(form, page, invite_form: forms.InviteRoleForm | None = None):
    may_invite = policy.can(current_user, "roles.grant")
    return render_template("admin/users.html", form=form, page=page, labels=roles.LABELS,
                           invite_form=invite_form or forms.InviteRoleForm(formdata=None, prefix="invite"),
                           invitations=invitations.pending() if may_invite else [])


@bp.post("/invitations")
def invite_role():
    """Offer a role to an address without an account, in two steps like a role change (the form, then a page
    naming the address and the role to confirm); an address that has an account goes to its page instead."""
    policy.require(current_user, "roles.grant")
    form = forms.InviteRoleForm(prefix="invite")
    if form.validate_on_submit():
        existing = invitations.existing_account(form.email.data)
        if existing is not None:
            flash(f"{form.email.data.strip()} already has an account, {existing.display_name} (@{existing.nickname}): "
                  "grant the role here.", "info")
            return redirect(url_for("admin.user", user_id=existing.id, _anchor="roles-title"))
        if request.form.get("confirm") != "yes":
            return render_template("admin/confirm_invite.html", form=form, role_label=roles.LABELS[form.role.data])
        try:
            invitations.invite(current_user, form.email.data, form.role.data, form.reason.data)
        except DomainError as e:
            form_error(form, e)
        else:
            flash(f"Invitation sent to {form.email.data.strip().lower()}: the {roles.LABELS[form.role.data]} role is "
                  "theirs once they confirm the address.", "success")
            return redirect(url_for("admin.users"))
    filters = forms.UserFilterForm(formdata=None)
    filters.ward.choices = _ward_choices()
    return _users_page(filters, paginate(accounts.users_query(), 1, 25), form)


@bp.get("/users/<int:user_id>")
def user(user_id: int):
    policy.require(current_user, "admin.view_users")
    return _user_page(get_or_404(User, user_id))


def _role_forms(target: User, grant: forms.RoleForm | None = None,
                remove: forms.RoleForm | None = None) -> tuple[forms.RoleForm, forms.RoleForm]:
    grant = grant or forms.RoleForm(formdata=None, prefix="grant")
    remove = remove or forms.RoleForm(formdata=None, prefix="remove")
    grant.role.choices = [(r, roles.LABELS[r]) for r in roles.GRANTABLE if r not in target.role_names]
    remove.role.choices = [(r, roles.LABELS[r]) for r in roles.GRANTABLE if r in target.role_names]
    return grant, remove


def _user_page(target: User, grant_form: forms.RoleForm | None = None, remove_form: forms.RoleForm | None = None):
    history = history_of(target)
    grant_form, remove_form = _role_forms(target, grant_form, remove_form)
    return render_template("admin/user.html", user=target, grant_form=grant_form, remove_form=remove_form,
                           labels=roles.LABELS, history=history)


def _role_change(user_id: int, grant: bool):
    """Grant or remove one role in two steps: the form, then a page naming the person and the role to confirm
    (``confirm=yes``), then the change, the audit entry and the mail to the person."""
    policy.require(current_user, "roles.grant")  # first: the answer never tells whether the account exists
    target = get_or_404(User, user_id)
    policy.require(current_user, "roles.grant", target)
    prefix = "grant" if grant else "remove"
    form = forms.RoleForm(prefix=prefix)
    grant_form, remove_form = _role_forms(target, *((form, None) if grant else (None, form)))
    if form.validate_on_submit():
        role = form.role.data
        if request.form.get("confirm") != "yes":
            return render_template("admin/confirm_role.html", user=target, form=form, grant=grant,
                                   role_label=roles.LABELS[role])
        try:
            if grant:
                accounts.grant_role(current_user, target, role, form.reason.data)
            else:
                accounts.remove_role(current_user, target, role, form.reason.data)
        except DomainError as e:
            form_error(form, e)
        else:
            verb = "is now" if grant else "is no longer"
            flash(f"{target.display_name} (@{target.nickname}) {verb} {roles.LABELS[role]}. "
                  "They have been sent an email.", "success")
            return redirect(url_for("admin.user", user_id=target.id))
    return _user_page(target, grant_form, remove_form)


@bp.post("/users/<int:user_id>/roles/grant")
def grant_role(user_id: int):
    return _role_change(user_id, grant=True)


@bp.post("/users/<int:user_id>/roles/remove")
def remove_role(user_id: int):
    return _role_change(user_id, grant=False)


def _audit_filters() -> tuple[forms.AuditFilterForm, dict]:
    form = forms.AuditFilterForm(request.args)
    form.action.choices = [("", "Any action")] + [(a, action_label(a)) for a in audit_actions()]
    form.validate()
    since = until = None
    if form.since.data:
        since = datetime.combine(form.since.data, time.min, LONDON)
    if form.until.data:
        until = datetime.combine(form.until.data + timedelta(days=1), time.min, LONDON)
    return form, {"action": form.action.data or None, "actor": form.actor.data or None, "since": since,
                  "until": until, "text": (form.q.data or "").strip() or None}


@bp.get("/audit")
def audit_log():
    policy.require(current_user, "audit.view")
    form, filters = _audit_filters()
    page = paginate(audit_query(**filters), page_arg(), 50)
    return render_template("admin/audit.html", form=form, page=page, describe=describe_entry)


@bp.get("/audit.csv")
def audit_csv():
    policy.require(current_user, "audit.view")
    _form, filters = _audit_filters()
    stmt = audit_query(**filters).execution_options(yield_per=500)

    def rows():
        # A generator function: the query runs while the response streams, after the request's commit.
        for e in db.session.scalars(stmt):
            yield (e.id, e.at.isoformat(), e.actor.nickname if e.actor else "", e.action, e.object_type,
                   e.object_id or "", e.object_label, json.dumps(e.before, sort_keys=True),
                   json.dumps(e.after, sort_keys=True), e.reason)

    return stream_csv("civic-audit-log.csv", ["id", "at_utc", "actor", "action", "object_type", "object_id",
                                              "object", "before", "after", "reason"], rows())


# Background jobs that gave up ---------------------------------------------------------------------------------

QUEUE_LABELS = {"rq": "Redis queue (RQ), run by flask civic worker",
                "thread": "background sender inside each web process",
                "sync": "at once, as soon as the request has committed (tests and scripts)"}


@bp.get("/jobs")
def job_failures():
    policy.require(current_user, "jobs.manage")
    show = request.args.get("show", "open")
    if show not in jobs.FILTERS:
        show = "open"
    page = paginate(jobs.failures_query(show), page_arg(), 25)
    delays = retry_delays(current_app.config)
    return render_template("admin/jobs.html", page=page, show=show, filters=jobs.FILTERS,
                           queue=QUEUE_LABELS[backend_name(current_app.config)], attempts=len(delays) + 1,
                           tasks=schedule.states())


def _job_action(failure_id: int, act, done: str):
    policy.require(current_user, "jobs.manage")
    failure = get_or_404(JobFailure, failure_id)
    if forms.ActionForm().validate_on_submit():
        try:
            act(current_user, failure)
        except DomainError as e:
            flash(e.message, "error")
        else:
            flash(done.format(what=failure.description or failure.job), "success")
    else:
        flash("The form expired. Please try again.", "error")
    return redirect(url_for("admin.job_failures"))


@bp.post("/jobs/<int:failure_id>/retry")
def retry_job(failure_id: int):
    return _job_action(failure_id, jobs.retry, "Trying again: {what}.")


@bp.post("/jobs/<int:failure_id>/resolve")
def resolve_job(failure_id: int):
    return _job_action(failure_id, jobs.resolve, "Marked as resolved: {what}.")


# Prepared texts (canned reasons, answer templates) ------------------------------------------------------------


def _canned_page(add_form: forms.CannedForm | None = None, edit_forms: dict | None = None):
    groups = [(p, canned.for_purpose(p.key)) for p in canned.purposes()]
    add_form = add_form or forms.CannedForm(formdata=None, prefix="new")
    add_form.purpose.choices = [(p.key, p.label) for p in canned.purposes()]
    edit_forms = dict(edit_forms or {})
    for _purpose, rows in groups:
        for row in rows:
            edit_forms.setdefault(row.id, forms.CannedForm(formdata=None, prefix=f"text-{row.id}",
                                                           data={"title": row.title, "body": row.body}))
    return render_template("admin/canned.html", groups=groups, add_form=add_form, edit_forms=edit_forms)


@bp.route("/canned", methods=["GET", "POST"])
def canned_texts():
    policy.require(current_user, "canned.manage")
    if request.method == "GET":
        return _canned_page()
    form = forms.CannedForm(prefix="new")
    form.purpose.choices = [(p.key, p.label) for p in canned.purposes()]
    ok, row = attempt(form, lambda: canned.add(current_user, form.purpose.data, form.title.data, form.body.data))
    if ok:
        flash(f"The text “{row.title}” is added.", "success")
        return redirect(url_for("admin.canned_texts"))
    return _canned_page(add_form=form)


@bp.post("/canned/<int:canned_id>")
def edit_canned(canned_id: int):
    policy.require(current_user, "canned.manage")
    row = canned.get_or_404(canned_id)
    form = forms.CannedForm(prefix=f"text-{row.id}")
    form.purpose.choices = [(row.purpose, row.purpose)]
    ok, _ = attempt(form, lambda: canned.edit(current_user, row, form.title.data, form.body.data))
    if ok:
        flash(f"The text “{row.title}” is saved.", "success")
        return redirect(url_for("admin.canned_texts"))
    return _canned_page(edit_forms={row.id: form})


@bp.post("/canned/<int:canned_id>/remove")
def remove_canned(canned_id: int):
    policy.require(current_user, "canned.manage")
    row = canned.get_or_404(canned_id)
    if forms.ActionForm().validate_on_submit():
        title = row.title
        canned.remove(current_user, row)
        flash(f"The text “{title}” is removed.", "success")
    else:
        flash("The form expired. Please try again.", "error")
    return redirect(url_for("admin.canned_texts"))


# Participatory processes: one place to set each up ------------------------------------------------------------


@bp.get("/processes")
def processes():
    """Every process, drafts first, each with the links to set it up: details, phases, what each domain adds."""
    policy.require(current_user, "process.manage")
    page = paginate(spaces.list_query(current_user, which=None), page_arg(), 25)
    settings = [c for c in resources.components()
                if c.settings_endpoint and c.settings_endpoint in current_app.view_functions]
    return render_template("admin/processes.html", page=page, settings=settings, status=spaces.status)
