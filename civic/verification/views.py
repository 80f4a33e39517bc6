"""Residency verification pages: self-service, manual requests, the officers' queue, the register, revoking."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from civic import canned, policy
from civic.accounts.forms import EmptyForm
from civic.accounts.models import User
from civic.db import get_or_404, paginate
from civic.errors import DomainError, PermissionDenied, RuleViolation, TooManyAttempts
from civic.exports import download_name, stream_csv
from civic.verification import forms, services
from civic.verification.models import VerificationRequest
from civic.web import form_error, page_arg, safe_next

bp = Blueprint("verification", __name__, url_prefix="/verify")

#: Where the postcode and date of birth of a failed self-service attempt wait for the manual request form (the
#: answers are carried forward, not asked again); both are dropped once a request is sent or the person verified.
SESSION_POSTCODE = "verify_postcode"
SESSION_BORN = "verify_born"


@bp.before_request
@login_required
def _signed_in():
    return None


def _start_page(form: forms.SelfServiceForm, status: int = 200, no_match: bool = False):
    return render_template(
        "verification/start.html", form=form, no_match=no_match,
        latest=services.latest_request(current_user),
        attempts_left=services.attempts_left(current_user) if not current_user.is_verified else 0,
        withdraw_form=EmptyForm(formdata=None)), status


@bp.route("/", methods=["GET", "POST"])
def start():
    form = forms.SelfServiceForm()
    if form.validate_on_submit():
        try:
            ward = services.verify_with_register(current_user, form.postcode.data, form.date_of_birth.data)
        except TooManyAttempts as e:
            form.form_errors.append(e.message)
            return _start_page(form, 429)
        except (services.NoMatch, services.AlreadyClaimed) as e:
            # A 200 commits the recorded attempt; the postcode waits for the manual request form.
            form_error(form, e)
            session[SESSION_POSTCODE] = services.normalise_postcode(form.postcode.data)
            session[SESSION_BORN] = form.date_of_birth.data.isoformat()
            return _start_page(form, no_match=True)
        except PermissionDenied:
            raise
        except DomainError as e:
            form_error(form, e)
            return _start_page(form)
        _forget_answers()
        flash(f"Thank you: you are now a verified resident of {ward.name}.", "success")
        return redirect(url_for(".start"))
    return _start_page(form)


@bp.route("/request", methods=["GET", "POST"])
def request_manual():
    policy.require(current_user, "verification.request")
    if services.pending_request(current_user) is not None:
        flash("You already have a request waiting for an officer.", "info")
        return redirect(url_for(".start"))
    form = forms.ManualRequestForm()
    form.ward.choices = [("", "Choose your ward")] + [(str(w.id), w.name) for w in services.wards()]
    chosen = None  # the ward we filled in from the postcode (the page says so)
    if request.method == "GET":
        form.postcode.data = session.get(SESSION_POSTCODE) or request.args.get("postcode", "")
        born = services.parse_date(session.get(SESSION_BORN))
        if born is not None:
            form.date_of_birth.process(None, born)
        chosen = _ward_from_postcode(form)
    elif not form.ward.data:  # sent without a ward: fill it from the postcode where the sector is known
        chosen = _ward_from_postcode(form)
        if chosen is not None:
            form.ward.errors = []
    if request.method == "POST" and form.validate_on_submit() and chosen is None:
        try:
            services.request_manual(current_user, form.postcode.data, form.ward.data, form.date_of_birth.data,
                                    form.statement.data)
        except DomainError as e:
            form_error(form, e)
        else:
            _forget_answers()
            flash("Your request has been sent. An officer will look at it and we will email you the decision.",
                  "success")
            return redirect(url_for(".start"))
    return render_template("verification/request.html", form=form, chosen=chosen)


def _forget_answers() -> None:
    session.pop(SESSION_POSTCODE, None)
    session.pop(SESSION_BORN, None)


def _ward_from_postcode(form: forms.ManualRequestForm):
    """Fill the ward from the postcode's sector (the shipped table) when the form has none; the ward, or None."""
    if form.ward.data or not form.postcode.data:
        return None
    try:
        ward = services.ward_for_postcode(services.normalise_postcode(form.postcode.data))
    except DomainError:
        return None
    if ward is not None:
        form.ward.data = str(ward.id)
        form.ward.raw_data = [form.ward.data]
    return ward


@bp.post("/request/<int:request_id>/withdraw")
def withdraw(request_id: int):
    req = get_or_404(VerificationRequest, request_id)
    if EmptyForm().validate_on_submit():
        services.withdraw(current_user, req)
        flash("Your request has been withdrawn.", "success")
    return redirect(url_for(".start"))


# Officers -------------------------------------------------------------------------------------------------


@bp.get("/requests")
def queue():
    policy.require(current_user, "verification.decide")
    form = forms.QueueFilterForm(request.args)
    form.validate()
    page = paginate(services.queue_query(form.status.data or None, form.q.data or ""), page_arg(),
                    current_app.config["PAGE_SIZE"])
    hints = services.sector_wards(r.postcode for r in page.items)
    return render_template("verification/queue.html", form=form, page=page, hints=hints,
                           sector=services.postcode_sector, bulk_form=_bulk_form(formdata=None),
                           args={k: v for k, v in request.args.items() if k in ("status", "q", "page")})


def _bulk_form(**kwargs) -> forms.BulkDecisionForm:
    form = forms.BulkDecisionForm(**kwargs)
    form.canned.choices = canned.choices("verification.refuse")
    return form


@bp.post("/requests/bulk")
def bulk():
    """One decision and one reason for the ticked requests; each is decided as one request is, in a savepoint of
    its own, and those that cannot be (already decided, the officer's own) are named while the others go on."""
    policy.require(current_user, "verification.decide")
    form = _bulk_form()
    back = url_for(".queue", **{k: v for k, v in request.args.items() if k in ("status", "q", "page")})
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(back)
    approve = form.decision.data == "approve"
    if approve and form.canned.data:
        flash("The prepared reasons are for refusals: write the reason for the approval.", "error")
        return redirect(back)
    reason = canned.compose("verification.refuse", form.canned.data, form.reason.data) if not approve \
        else form.reason.data
    ids = [int(v) for v in request.form.getlist("ids") if v.isdigit() and len(v) < 10]
    try:
        done, refused = services.bulk_decide(current_user, ids, approve, reason)
    except RuleViolation as e:
        flash(e.message, "error")
        return redirect(back)
    if done:
        verb = "Approved" if approve else "Refused"
        flash(f"{verb}: {len(done)} {'request' if len(done) == 1 else 'requests'}. We have emailed them.", "success")
    for who, why in refused:
        flash(f"Not decided: the request from {who}. {why}", "error")
    return redirect(back)


def _request_page(req: VerificationRequest, form: forms.DecisionForm | None = None):
    return render_template(
        "verification/show_request.html", req=req, form=form or forms.DecisionForm(formdata=None),
        sector=services.postcode_sector(req.postcode), sector_ward=services.ward_for_postcode(req.postcode),
        register=services.register_check(req), canned_texts=canned.for_purpose("verification.refuse"))


def _request_for_officer(request_id: int) -> VerificationRequest:
    """The request, for officers only: the role is checked before the lookup, so a resident gets the same 403
    for a request that exists and for one that does not (403 against 404 would tell whether it exists)."""
    policy.require(current_user, "verification.decide")
    req = get_or_404(VerificationRequest, request_id)
    policy.require(current_user, "verification.decide", req)
    return req


@bp.get("/requests/<int:request_id>")
def show_request(request_id: int):
    return _request_page(_request_for_officer(request_id))


@bp.post("/requests/<int:request_id>/decide")
def decide(request_id: int):
    req = _request_for_officer(request_id)
    data = request.form.copy()
    if data.get("canned"):  # a prepared reason goes first in the reason
        data["reason"] = canned.compose("verification.refuse", data.get("canned"), data.get("reason"))
    form = forms.DecisionForm(formdata=data)
    decision = request.form.get("decision")
    if decision not in ("approve", "refuse"):
        form.form_errors.append("Choose to approve or refuse the request.")
    elif form.validate_on_submit():
        try:
            services.decide(current_user, req, decision == "approve", form.reason.data)
        except DomainError as e:
            form_error(form, e)
        else:
            verb = "approved" if decision == "approve" else "refused"
            flash(f"Request from @{req.user.nickname} {verb}. We have emailed them.", "success")
            return redirect(url_for(".queue"))
    return _request_page(req, form)


# Admins ---------------------------------------------------------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
def register():
    policy.require(current_user, "register.upload")
    form = forms.RegisterUploadForm()
    result = None
    step = request.form.get("step", "upload")  # "check", "report" (the check as CSV) or "upload"
    if form.validate_on_submit():
        upload = form.file.data
        try:
            result = services.upload_register(current_user, upload.filename or "", upload.read(),
                                              check_only=step in ("check", "report"), replace=bool(form.replace.data))
        except DomainError as e:
            form_error(form, e)
        else:
            if step == "report":
                return _register_report(result)
    page = paginate(services.uploads_query(), page_arg(), current_app.config["PAGE_SIZE"])
    size, claimed = services.register_size()
    return render_template("verification/register.html", form=form, result=result, page=page, size=size,
                           claimed=claimed)


def _register_report(result: services.UploadResult):
    """The check of a file as CSV: every problem and conflict with its line and what the line said."""
    rows = [(e.line, "problem", e.reason, e.value) for e in result.errors]
    rows += [(c.line, "conflict", c.reason, c.value) for c in result.conflicts]
    rows.sort(key=lambda r: r[0])
    response = stream_csv(download_name(f"register-check-{result.filename.rsplit('.', 1)[0]}", "csv"),
                          ["line", "kind", "reason", "what_the_line_said"], rows, guarded=[False, False, True, True])
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/revoke/<int:user_id>")
def revoke(user_id: int):
    policy.require(current_user, "verification.revoke")  # first: the answer never tells whether the account exists
    target = get_or_404(User, user_id)
    policy.require(current_user, "verification.revoke", target)
    back = safe_next(request.form.get("next"), url_for("admin.user", user_id=target.id))
    form = forms.RevokeForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(back)
    try:
        services.revoke(current_user, target, form.reason.data)
    except DomainError as e:
        flash(e.message, "error")
    else:
        flash(f"Verification of @{target.nickname} revoked; their register entry can be used again.", "success")
    return redirect(back)
