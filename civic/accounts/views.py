"""Sign-up, sign-in (password and OpenID Connect), confirmation, resets, my account, profiles."""

from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from civic.accounts import forms, oidc, services
from civic.accounts.models import User
from civic.db import db, writes_on_get
from civic.errors import DomainError, TooManyAttempts
from civic.extensions import limiter
from civic.groups.services import groups_of
from civic.web import form_error, safe_next

bp = Blueprint("accounts", __name__)


def _start_session(user: User, remember: bool = False) -> None:
    """Sign in with a fresh session: nothing from before sign-in is carried over."""
    session.clear()
    login_user(user, remember=remember)
    session.permanent = False
    # When this session proved who it is: an account without a password creates API tokens only shortly after.
    session["signed_in_at"] = int(time.time())


def _end_session() -> None:
    """Sign out: empty the session, then let Flask-Login mark the remember cookie for deletion
    (clearing the session after ``logout_user`` would drop that mark and keep the device signed in)."""
    session.clear()
    logout_user()


@bp.route("/sign-up", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def sign_up():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.account"))
    form = forms.SignUpForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    next_path = safe_next(form.next.data, "")
    if form.validate_on_submit():
        try:
            services.sign_up(form.display_name.data, form.nickname.data, form.email.data, form.password.data,
                             next_path=next_path)
        except DomainError as e:
            form_error(form, e)
        else:
            return redirect(url_for("accounts.check_email", next=next_path or None))
    return render_template("accounts/sign_up.html", form=form, next_path=next_path)


@bp.get("/sign-up/check-your-email")
def check_email():
    return render_template("accounts/check_email.html", next_path=safe_next(request.args.get("next"), ""))


@bp.get("/confirm/<token>")
@writes_on_get
def confirm(token: str):
    try:
        user = services.confirm_email(token)
    except DomainError as e:
        return render_template("accounts/link_problem.html", message=e.message), 400
    next_path = safe_next(services.confirmation_next(token), "")
    if not current_user.is_authenticated:
        flash("Thank you: your email address is confirmed. Sign in to carry on.", "success")
        return redirect(url_for("accounts.sign_in", email=user.email, next=next_path or None))
    flash("Thank you: your email address is confirmed.", "success")
    return redirect(next_path or url_for("accounts.account"))


@bp.post("/confirm/resend")
@login_required
@limiter.limit("5 per hour")
def resend_confirmation():
    if not current_user.email_confirmed:
        services.send_confirmation(current_user)
        flash(f"We have sent a new link to {current_user.email}.", "success")
    return redirect(url_for("accounts.account"))


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit("60 per minute", methods=["POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), url_for("pages.home")))
    form = forms.SignInForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        form.email.data = request.args.get("email", "")
    if form.validate_on_submit():
        try:
            user = services.sign_in(form.email.data, form.password.data, request.remote_addr or "unknown")
        except TooManyAttempts as e:
            form.form_errors.append(e.message)
            return render_template("accounts/sign_in.html", form=form, oidc_enabled=oidc.enabled()), 429
        except services.AccountBlocked as e:
            form.form_errors.append(e.message)
            return render_template("accounts/sign_in.html", form=form, oidc_enabled=oidc.enabled(), blocked=True)
        except DomainError as e:
            form_error(form, e)
            # The failure is recorded in this transaction; the page is a normal 200 so it commits.
        else:
            _start_session(user, remember=bool(form.remember.data))
            if getattr(user, "first_sign_in", False):
                flash(f"Welcome, {user.display_name}: you are signed in for the first time.", "success")
            else:
                flash(f"Welcome back, {user.display_name}.", "success")
            return redirect(safe_next(form.next.data, url_for("pages.home")))
    return render_template("accounts/sign_in.html", form=form, oidc_enabled=oidc.enabled(),
                           blocked=request.method == "GET" and request.args.get("blocked") == "1",
                           next_path=safe_next(form.next.data, ""))


@bp.post("/sign-out")
def sign_out():
    form = forms.EmptyForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            services.sign_out(current_user._get_current_object())
        _end_session()
        flash(gettext("You are signed out. Any other browser or device signed in to your account is signed out "
                      "too."), "success")
    return redirect(url_for("pages.home"))


@bp.get("/sign-in/council")
@limiter.limit("30 per minute")
def oidc_start():
    if not oidc.enabled():
        abort(404)
    session["oidc_next"] = safe_next(request.args.get("next"), url_for("pages.home"))
    return oidc.client().authorize_redirect(url_for("accounts.oidc_callback", _external=True))


@bp.get("/sign-in/council/callback")
@writes_on_get
def oidc_callback():
    if not oidc.enabled():
        abort(404)
    next_url = session.pop("oidc_next", url_for("pages.home"))
    if "error" in request.args:
        flash("Sign-in with your council account was cancelled or refused. You can try again.", "error")
        return redirect(url_for("accounts.sign_in"))
    try:
        token = oidc.client().authorize_access_token()
        claims = token.get("userinfo") or {}
    except Exception:  # noqa: BLE001 - any protocol failure (bad state, bad signature, network) ends here
        current_app.logger.warning("OpenID sign-in failed", exc_info=True)
        flash("We could not sign you in with your council account. Please try again.", "error")
        return redirect(url_for("accounts.sign_in"))
    try:
        user = services.sign_in_with_oidc(current_app.config["OIDC_ISSUER"].rstrip("/"), dict(claims))
    except services.AccountBlocked as e:
        flash(e.message, "error")
        return redirect(url_for("accounts.sign_in", blocked=1))  # the page says how to appeal
    except DomainError as e:
        flash(e.message, "error")
        return redirect(url_for("accounts.sign_in"))
    _start_session(user)
    flash(f"Welcome, {user.display_name}.", "success")
    return redirect(next_url)


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def forgot_password():
    form = forms.ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        return render_template("accounts/reset_sent.html", email=form.email.data)
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        user = services.user_for_reset(token)
    except DomainError as e:
        return render_template("accounts/link_problem.html", message=e.message), 400
    form = forms.ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(user, form.password.data)
        except DomainError as e:
            form_error(form, e)
        else:
            _end_session()
            flash(gettext("Your password is changed. Every device was signed out and your API tokens were "
                          "revoked. Sign in with your new password."), "success")
            return redirect(url_for("accounts.sign_in", email=user.email))
    return render_template("accounts/reset_password.html", form=form)


@bp.get("/account")
@login_required
def account():
    return render_template("accounts/account.html", profile_form=forms.ProfileForm(obj=current_user),
                           password_form=forms.ChangePasswordForm(), email_form=forms.ChangeEmailForm(),
                           delete_form=forms.DeleteAccountForm(), resend_form=forms.EmptyForm())


def _account_with(**override):
    """Re-render "my account" with one failed form in place of its empty twin."""
    ctx = {"profile_form": forms.ProfileForm(formdata=None, obj=current_user),
           "password_form": forms.ChangePasswordForm(formdata=None),
           "email_form": forms.ChangeEmailForm(formdata=None),
           "delete_form": forms.DeleteAccountForm(formdata=None), "resend_form": forms.EmptyForm(formdata=None)}
    ctx.update(override)
    return render_template("accounts/account.html", **ctx)


@bp.post("/account/profile")
@login_required
def update_profile():
    form = forms.ProfileForm()
    if form.validate_on_submit():
        try:
            services.update_profile(current_user, form.display_name.data)
        except DomainError as e:
            form_error(form, e)
        else:
            flash("Your name is saved.", "success")
            return redirect(url_for("accounts.account"))
    return _account_with(profile_form=form)


@bp.post("/account/password")
@login_required
def change_password():
    form = forms.ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data or "", form.password.data)
        except DomainError as e:
            form_error(form, e)
        else:
            # The token rotated: other devices are signed out, this one signs in again with the new token.
            # Pass the user itself, not the ``current_user`` proxy (which would then point at itself).
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
            _start_session(current_user._get_current_object(), remember=remembered)
            flash(gettext("Your password is changed. Other devices have been signed out and your API tokens "
                          "revoked."), "success")
            return redirect(url_for("accounts.account"))
    return _account_with(password_form=form)


@bp.post("/account/email")
@login_required
@limiter.limit("10 per hour")
def change_email():
    form = forms.ChangeEmailForm()
    if form.validate_on_submit():
        try:
            services.request_email_change(current_user, form.email.data, form.password.data or "")
        except DomainError as e:
            form_error(form, e)
        else:
            flash(f"We have sent a link to {form.email.data.strip()}. Your email address changes when you "
                  "follow it.", "success")
            return redirect(url_for("accounts.account"))
    return _account_with(email_form=form)


@bp.get("/account/email/confirm/<token>")
@writes_on_get
def confirm_new_email(token: str):
    try:
        services.confirm_new_email(token)
    except DomainError as e:
        return render_template("accounts/link_problem.html", message=e.message), 400
    flash("Your new email address is confirmed.", "success")
    return redirect(url_for("accounts.account") if current_user.is_authenticated else url_for("accounts.sign_in"))


@bp.post("/account/delete")
@login_required
def delete_account():
    form = forms.DeleteAccountForm()
    if form.validate_on_submit():
        try:
            services.delete_account(current_user, form.password.data)
        except DomainError as e:
            form_error(form, e)
        else:
            _end_session()
            flash("Your account is deleted. What you wrote stays, shown as by a deleted participant.", "success")
            return redirect(url_for("pages.home"))
    return _account_with(delete_form=form)


@bp.get("/u/<nickname>")
def profile(nickname: str):
    user = db.session.scalar(select(User).where(User.nickname == nickname.lower()))
    if user is None or user.deleted_at is not None:
        abort(404)
    return render_template("accounts/profile.html", user=user, groups=groups_of(user))
