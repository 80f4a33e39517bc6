"""Admin and officer pages: users and roles, the audit log, background jobs that failed and scheduled tasks."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from civic import policy, schedule
from civic.accounts import roles
from civic.accounts import services as accounts
from civic.accounts.models import User
from civic.admin import forms
from civic.admin.history import history_of
from civic.audit import audit_actions, audit_query
from civic.db import db, get_or_404, paginate
from civic.errors import DomainError
from civic.exports import stream_csv
from civic.jobs import backend_name, retry_delays
from civic.jobs import services as jobs
from civic.jobs.models import JobFailure
from civic.spaces.models import Ward
from civic.web import digits, form_error, page_arg

bp = Blueprint("admin", __name__, url_prefix="/admin")
LONDON = ZoneInfo("Europe/London")


@bp.before_request
@login_required
def _signed_in():
    return None


@bp.get("/")
def index():
    policy.require(current_user, "admin.view_users")
    failed_jobs = jobs.unresolved_count() if policy.can(current_user, "jobs.manage") else None
    return render_template("admin/index.html", failed_jobs=failed_jobs)


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
    return render_template("admin/users.html", form=form, page=page, labels=roles.LABELS)


@bp.get("/users/<int:user_id>")
def user(user_id: int):
    policy.require(current_user, "admin.view_users")
    return _user_page(get_or_404(User, user_id))


def _user_page(target: User, role_form: forms.RoleForm | None = None):
    history = history_of(target)
    return render_template("admin/user.html", user=target, role_form=role_form or forms.RoleForm(formdata=None),
                           labels=roles.LABELS, history=history)


@bp.post("/users/<int:user_id>/roles")
def change_role(user_id: int):
    policy.require(current_user, "roles.grant")  # first: the answer never tells whether the account exists
    target = get_or_404(User, user_id)
    policy.require(current_user, "roles.grant", target)
    form = forms.RoleForm()
    if form.validate_on_submit():
        grant = request.form.get("action") != "remove"
        try:
            if grant:
                accounts.grant_role(current_user, target, form.role.data, form.reason.data)
            else:
                accounts.remove_role(current_user, target, form.role.data, form.reason.data)
        except DomainError as e:
            form_error(form, e)
        else:
            verb = "granted to" if grant else "removed from"
            flash(f"{roles.LABELS[form.role.data]} {verb} @{target.nickname}.", "success")
            return redirect(url_for("admin.user", user_id=target.id))
    return _user_page(target, form)


def _audit_filters() -> tuple[forms.AuditFilterForm, dict]:
    form = forms.AuditFilterForm(request.args)
    form.action.choices = [("", "Any action")] + [(a, a) for a in audit_actions()]
    form.validate()
    since = until = None
    if form.since.data:
        since = datetime.combine(form.since.data, time.min, LONDON)
    if form.until.data:
        until = datetime.combine(form.until.data + timedelta(days=1), time.min, LONDON)
    return form, {"action": form.action.data or None, "actor": form.actor.data or None, "since": since,
                  "until": until}


@bp.get("/audit")
def audit_log():
    policy.require(current_user, "audit.view")
    form, filters = _audit_filters()
    page = paginate(audit_query(**filters), page_arg(), 50)
    return render_template("admin/audit.html", form=form, page=page)


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
