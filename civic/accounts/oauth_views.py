"""The OAuth 2 server's pages and endpoints (civic/accounts/oauth.py holds the rules).

- ``/oauth/authorize``: the consent page (GET), the resident's answer (POST, CSRF); ``/oauth/token`` and
  ``/oauth/revoke`` (RFC 7009) for apps (no CSRF: no cookie is involved, the app authenticates itself);
  ``/.well-known/oauth-authorization-server`` (RFC 8414), where an app finds them.
- ``/account/apps/<id>/revoke``: a resident takes back an app's access.
- ``/admin/apps``: admins register and disable apps.
"""

from __future__ import annotations

from authlib.oauth2 import OAuth2Error
from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import lazy_gettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from civic import policy
from civic.accounts import oauth
from civic.accounts.api_tokens import SCOPES
from civic.db import get_or_404
from civic.errors import DomainError
from civic.extensions import csrf, limiter
from civic.web import form_error

bp = Blueprint("oauth", __name__)


class ConsentForm(FlaskForm):
    pass


class AppForm(FlaskForm):
    name = StringField(lazy_gettext("App name"), validators=[
        InputRequired(lazy_gettext("Give the app a name, as residents will see it.")), Length(max=oauth.NAME_MAX)],
        description=lazy_gettext("Shown to residents on the consent page and in their account."))
    redirect_uris = TextAreaField(lazy_gettext("Redirect addresses"), validators=[
        InputRequired(lazy_gettext("Give at least one redirect address."))],
        description=lazy_gettext("One per line, exactly as the app will send them: https://, or http:// on "
                                 "127.0.0.1 for an app on the person's own computer."))
    kind = RadioField(lazy_gettext("Kind of app"), default="confidential", choices=[
        ("confidential", lazy_gettext("Confidential: runs on a server that can keep a secret")),
        ("public", lazy_gettext("Public: a phone, desktop or browser app (no secret; PKCE alone)"))])


class DisableForm(FlaskForm):
    pass


# The authorisation server ----------------------------------------------------------------------------------


def _refused(error: OAuth2Error):
    """A request we cannot send back to the app (unknown app, an address it did not register): say so here,
    never redirect to an address we cannot trust."""
    return render_template("accounts/oauth_error.html", error=error.error,
                           description=error.get_error_description()), 400


@bp.route("/oauth/authorize", methods=["GET", "POST"])
@login_required
def authorize():
    server = oauth.server()
    try:
        grant = server.get_consent_grant(end_user=current_user)
    except OAuth2Error as error:
        if error.redirect_uri:  # the app and its address are known: tell the app, as RFC 6749 says
            return server.handle_error_response(None, error)
        return _refused(error)
    form = ConsentForm()
    if request.method == "POST" and form.validate_on_submit():
        allowed = request.form.get("decision") == "allow"
        return server.create_authorization_response(grant_user=current_user if allowed else None, grant=grant)
    scopes = oauth._scope_list(grant.request.scope) or [oauth.DEFAULT_SCOPE]
    return render_template("accounts/oauth_consent.html", form=form, app=grant.client.app,
                           scopes=[(s, SCOPES[s]) for s in scopes], action=request.full_path)


@bp.post("/oauth/token")
@csrf.exempt
@limiter.limit("60 per minute")
def token():
    return oauth.server().create_token_response()


@bp.post("/oauth/revoke")
@csrf.exempt
@limiter.limit("60 per minute")
def revoke():
    return oauth.server().create_endpoint_response("revocation")


@bp.get("/.well-known/oauth-authorization-server")
def metadata():
    """RFC 8414: where an app finds the endpoints and what they accept."""
    return jsonify({
        "issuer": url_for("pages.home", _external=True).rstrip("/"),
        "authorization_endpoint": url_for(".authorize", _external=True),
        "token_endpoint": url_for(".token", _external=True),
        "revocation_endpoint": url_for(".revoke", _external=True),
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": oauth.AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": oauth.AUTH_METHODS,
        "service_documentation": url_for("api.reference", _external=True),
    })


# The resident: apps with access ----------------------------------------------------------------------------


@bp.post("/account/apps/<int:app_id>/revoke")
@login_required
def revoke_app(app_id: int):
    form = ConsentForm()
    if form.validate_on_submit():
        app = oauth.revoke_app(current_user, app_id)
        flash(f"“{app.name}” can no longer use Civic as you.", "success")
    return redirect(url_for("api_tokens.index", _anchor="apps"))


# Admins: registered apps -----------------------------------------------------------------------------------


def _apps_page(form: AppForm, created=None, secret: str | None = None):
    return render_template("admin/apps.html", form=form, apps=oauth.registered_apps(), created=created,
                           secret=secret)


@bp.route("/admin/apps", methods=["GET", "POST"])
@login_required
def apps():
    policy.require(current_user, "oauth.manage_apps")
    form = AppForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            app, secret = oauth.register_app(current_user, form.name.data, form.redirect_uris.data,
                                             form.kind.data == "confidential")
        except DomainError as e:
            form_error(form, e)
        else:
            # The secret is on this response only: never in the session, a flash message or a log.
            return _apps_page(AppForm(formdata=None), created=app, secret=secret)
    return _apps_page(form)


@bp.post("/admin/apps/<int:app_id>/disable")
@login_required
def disable_app(app_id: int):
    policy.require(current_user, "oauth.manage_apps")
    app = get_or_404(oauth.OAuthApp, app_id)
    if DisableForm().validate_on_submit():
        oauth.disable_app(current_user, app.id)
        flash(f"“{app.name}” is disabled: its tokens no longer work.", "success")
    return redirect(url_for(".apps"))
