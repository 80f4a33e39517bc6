"""Personal access tokens for the JSON API, and the authentication every ``/api/`` blueprint shares.

A person creates a named token in "my account"; it is shown once (``civic_`` + 43 URL-safe characters) and
only its SHA-256 digest is stored. A JSON API authenticates a request either by
``Authorization: Bearer civic_...`` or by the browser session; a write with the session must carry the
CSRF token in an ``X-CSRFToken`` header, a write with a bearer token needs none (no cookie is involved, so a
forged cross-site request cannot carry it). A token stops working when it is revoked, when its owner changes
or resets the password (every token is revoked then: :func:`revoke_all`), or is blocked or deletes the account.
Creating one asks for the current password (see :func:`create_token`).

A token has scopes (``read``: read as the person; ``write``: act as them) and may expire. A token without the
scope a request needs is refused with 403 ``insufficient_scope``; an expired one is 401 ``invalid_token``. The
OAuth 2 server's access tokens (``civicoa_...``, :mod:`civic.accounts.oauth`) are read here too, with their
scopes, so an app's token works on the API exactly as a personal one.

A domain's API blueprint gets this through :func:`civic.api.blueprint` (which calls :func:`protect_api`).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.csrf import validate_csrf
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError
from wtforms import PasswordField, RadioField, SelectField, StringField
from wtforms.validators import InputRequired, Length
from wtforms.validators import ValidationError as WTFValidationError

from civic import logs, policy
from civic.accounts import oidc, passwords
from civic.accounts.models import ApiToken, OAuthApp, OAuthToken, User
from civic.db import Page, begins_immediate, db, paginate, utcnow
from civic.errors import NotFound, RuleViolation
from civic.extensions import csrf, limiter
from civic.web import form_error, json_error, page_arg

PREFIX = "civic_"
NAME_MAX = 80
#: Active tokens one person may hold at once.
MAX_ACTIVE = 20
#: An account without a password may create tokens this long after signing in (with its OpenID provider).
FRESH_SIGN_IN_MINUTES = 10
FRESH_SIGN_IN = timedelta(minutes=FRESH_SIGN_IN_MINUTES)
#: ``last_used_at`` is written at most this often per token (one UPDATE per minute, not per request).
LAST_USED_RESOLUTION = timedelta(seconds=60)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: The scopes a token may hold, and what each lets it do (shown on the pages and the consent page).
SCOPES = {"read": "Read the API as you (who you are, and what you may do about each proposal)",
          "write": "Act as you: support proposals and comment"}
#: The choices of the token form: the scopes, and how many days a token works (0: until revoked).
SCOPE_CHOICES = {"read": "read", "write": "read write"}
EXPIRY_DAYS = (7, 30, 90, 365, 0)
DEFAULT_EXPIRY_DAYS = 90
OAUTH_ACCESS_PREFIX = "civicoa_"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# Services ---------------------------------------------------------------------------------------------------


def normal_scopes(scopes: str) -> str:
    """``scopes`` in the one order (``read write``); an unknown one is a refusal naming the field."""
    asked = set((scopes or "").split())
    if not asked or asked - SCOPES.keys():
        raise RuleViolation("Choose what the token may do: read only, or read and write.", field="scopes")
    return " ".join(s for s in SCOPES if s in asked)


def create_token(user: User, name: str, password: str | None, *,
                 recently_signed_in: bool = False, scopes: str = "read write",
                 expires_in_days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user``: the row and the token itself, which is never stored and shown only now.

    The person proves it is them: with their current ``password``, or, for an account without one (signed in
    with the council's OpenID provider only), by having signed in within the last ``FRESH_SIGN_IN``
    (``recently_signed_in``, which the view reads from the session). A stolen session alone cannot mint a
    token that outlives it.
    """
    policy.require(user, "account.api_tokens")
    name = " ".join((name or "").split())
    if not name:
        raise RuleViolation("Give the token a name, for example the script or app that will use it.", field="name")
    if len(name) > NAME_MAX:
        raise RuleViolation(f"Use at most {NAME_MAX} characters for the name.", field="name")
    if user.password_hash:
        if not passwords.verify(user.password_hash, password or ""):
            raise RuleViolation(gettext("Your password is not right."), field="password")
    elif not recently_signed_in:
        raise RuleViolation(gettext(
            "Your account has no password here, so sign in again with your council account first: you can then "
            "create a token for %(minutes)d minutes.", minutes=FRESH_SIGN_IN_MINUTES))
    active = db.session.scalar(select(func.count()).select_from(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None),
        ApiToken.expires_at.is_(None) | (ApiToken.expires_at > utcnow()))) or 0
    if active >= MAX_ACTIVE:
        raise RuleViolation(f"You already have {MAX_ACTIVE} tokens. Revoke one you no longer use first.",
                            field="name")
    scopes = normal_scopes(scopes)
    if expires_in_days is not None and expires_in_days not in EXPIRY_DAYS:
        raise RuleViolation("Choose when the token stops working.", field="expires")
    raw = PREFIX + secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
    token = ApiToken(user_id=user.id, name=name, token_hash=digest(raw), scopes=scopes, expires_at=expires_at)
    db.session.add(token)
    db.session.flush()
    logs.security("token.created", user_id=user.id, token_id=token.id)
    return token, raw


def revoke_all(user: User) -> int:
    """Revoke every token of the person (their password changed or was reset), the apps' included. How many
    personal tokens were working."""
    db.session.execute(update(OAuthToken).where(OAuthToken.user_id == user.id, OAuthToken.revoked_at.is_(None))
                       .values(revoked_at=utcnow()).execution_options(synchronize_session=False))
    return db.session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                              .values(revoked_at=utcnow()).execution_options(synchronize_session=False)).rowcount


def tokens_of(user: User, page: int = 1, per_page: int = 20) -> Page:
    """The person's tokens not revoked, newest first (expired ones stay listed, marked, until revoked)."""
    stmt = (select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
    return paginate(stmt, page, per_page)


def revoke(user: User, token_id: int) -> ApiToken:
    """Revoke one of the person's own tokens; someone else's token is "not found" (nothing is revealed)."""
    policy.require(user, "account.api_tokens")
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFound("We could not find that token. It may have been revoked already.")
    db.session.execute(update(ApiToken).where(ApiToken.id == token.id, ApiToken.revoked_at.is_(None))
                       .values(revoked_at=utcnow()))
    db.session.refresh(token)
    return token


@dataclass(frozen=True)
class Credential:
    """Who a bearer token acts for, what it may do, and whether it has expired."""

    user: User
    scopes: frozenset[str]
    expired: bool = False


def authenticate(raw: str) -> User | None:
    """The active owner of a valid, unrevoked, unexpired token, or None. Notes when the token was last used."""
    found = identify(raw)
    return found.user if found is not None and not found.expired else None


def identify(raw: str) -> Credential | None:
    """The credential behind a bearer token (a personal one, ``civic_...``, or an app's, ``civicoa_...``): None
    when it is unknown, revoked or its owner is blocked or deleted; ``expired`` when its time is up."""
    if len(raw) > 200:
        return None
    if raw.startswith(OAUTH_ACCESS_PREFIX):
        return _identify_app_token(raw)
    if not raw.startswith(PREFIX):
        return None
    row = db.session.execute(
        select(ApiToken.id, ApiToken.last_used_at, ApiToken.scopes, ApiToken.expires_at, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == digest(raw), ApiToken.revoked_at.is_(None))
    ).one_or_none()
    if row is None:
        return None
    token_id, last_used_at, scopes, expires_at, user = row
    if not user.is_active:  # blocked or deleted
        return None
    now = utcnow()
    if expires_at is not None and expires_at <= now:
        return Credential(user, frozenset(), expired=True)
    _note_use(token_id, last_used_at, now)
    return Credential(user, frozenset(scopes.split()))


def _identify_app_token(raw: str) -> Credential | None:
    row = db.session.execute(
        select(OAuthToken.scope, OAuthToken.access_expires_at, User)
        .join(User, User.id == OAuthToken.user_id).join(OAuthApp, OAuthApp.id == OAuthToken.app_id)
        .where(OAuthToken.access_token_hash == digest(raw), OAuthToken.revoked_at.is_(None),
               OAuthApp.disabled_at.is_(None))
    ).one_or_none()
    if row is None or not row[2].is_active:
        return None
    scope, expires_at, user = row
    if expires_at <= utcnow():
        return Credential(user, frozenset(), expired=True)
    return Credential(user, frozenset(scope.split()))


def _note_use(token_id: int, last_used_at: datetime | None, now: datetime) -> None:
    if last_used_at is None or now - last_used_at >= LAST_USED_RESOLUTION:
        if db.session.get_bind().dialect.name == "sqlite" and not begins_immediate():
            # A reading request's SQLite transaction began without the write lock (civic.db.begins_immediate):
            # noting the use is worth no refusal when another writer got there first; the next use notes it.
            try:
                with db.session.begin_nested():
                    db.session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
            except OperationalError:
                pass
        else:
            db.session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))


@policy.rule("account.api_tokens")
def _may_hold_tokens(user: User, _obj: object) -> bool | str:
    return user.email_confirmed or "Please confirm your email address before you create API tokens."


# Authentication of JSON API blueprints -----------------------------------------------------------------------


def protect_api(bp: Blueprint) -> None:
    """Authenticate every request of a JSON API blueprint by bearer token or session (see the module doc).

    The blueprint is exempt from the app's form CSRF check; session-authenticated writes are checked here.
    """
    csrf.exempt(bp)
    bp.before_request(_authenticate_api_request)


def _authenticate_api_request():
    g.api_auth = None
    header = request.headers.get("Authorization", "").strip()
    if header:
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            return _token_refused("Send your token as “Authorization: Bearer civic_...”.", "invalid_request")
        found = identify(raw.strip())
        if found is None:
            return _token_refused("This access token is not valid: it may have been revoked.", "invalid_token")
        if found.expired:
            return _token_refused("This access token has expired: create a new one.", "invalid_token")
        needed = "read" if request.method in SAFE_METHODS else "write"
        if needed not in found.scopes:
            return _scope_refused(needed)
        g._login_user = found.user  # Flask-Login's current user for this request only; no session is written
        g.api_auth = "token"
        g.api_scopes = found.scopes
        return None
    if current_user.is_authenticated:
        g.api_auth = "session"
        if request.method not in SAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
            try:
                validate_csrf(request.headers.get("X-CSRFToken") or request.headers.get("X-CSRF-Token"))
            except WTFValidationError:
                return json_error("A request signed in with the browser session must carry the page's CSRF "
                                  "token in an X-CSRFToken header (or use a personal access token).",
                                  400, "X-CSRFToken")
    return None


def _token_refused(message: str, code: str):
    """401 for a malformed or unknown token, with the RFC 6750 ``error`` a client acts on (docs/api.md)."""
    response, status = json_error(message, 401, "Authorization", code=code)
    response.headers["WWW-Authenticate"] = f'Bearer realm="civic", error="{code}"'
    return response, status


def _scope_refused(needed: str):
    """403 for a token without the scope the request needs (RFC 6750 ``insufficient_scope``)."""
    message = ("This token may only read: create a token that may read and write to do this."
               if needed == "write" else "This token may not read the API as you.")
    response, status = json_error(message, 403, "Authorization", code="insufficient_scope", scope=needed)
    response.headers["WWW-Authenticate"] = f'Bearer realm="civic", error="insufficient_scope", scope="{needed}"'
    return response, status


def api_user() -> User | None:
    """The person behind this API request (token or session), or None when nobody is signed in."""
    return current_user._get_current_object() if current_user.is_authenticated else None


# "My account → API tokens" -----------------------------------------------------------------------------------


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[
        InputRequired("Give the token a name, for example the script or app that will use it."),
        Length(max=NAME_MAX, message=f"Use at most {NAME_MAX} characters for the name.")],
        description="So you recognise it later, for example “Ward newsletter script”.")
    scopes = RadioField(lazy_gettext("What it may do"), default="read",
                        choices=[("read", lazy_gettext("Read only: see the API as you, never act")),
                                 ("write", lazy_gettext("Read and write: support proposals and comment as you"))])
    expires = SelectField(lazy_gettext("Works for"), default=str(DEFAULT_EXPIRY_DAYS),
                          choices=[(str(d), lazy_gettext("%(days)d days", days=d)) for d in EXPIRY_DAYS if d]
                          + [("0", lazy_gettext("Until I revoke it"))],
                          description=lazy_gettext("After that it stops working; you can revoke it any time."))
    password = PasswordField(lazy_gettext("Your password"),
                             description=lazy_gettext("To make sure it is you: a token can act as you."))


class RevokeForm(FlaskForm):
    pass


bp = Blueprint("api_tokens", __name__, url_prefix="/account/api-tokens")


def _render(form: TokenForm, new_token: str | None = None, new_name: str | None = None, status: int = 200):
    from civic.accounts import oauth  # the apps with access (the OAuth server's module imports this one)

    page = tokens_of(current_user, page_arg())
    return render_template("accounts/tokens.html", form=form, page=page, new_token=new_token, new_name=new_name,
                           fresh_minutes=FRESH_SIGN_IN_MINUTES, oidc_enabled=oidc.enabled(), now=utcnow(),
                           apps=oauth.apps_with_access(current_user), scope_labels=SCOPES), status


@bp.get("/")
@login_required
def index():
    return _render(TokenForm(formdata=None))


def _recently_signed_in() -> bool:
    """Whether this session signed in (password or OpenID) within FRESH_SIGN_IN (see accounts.views)."""
    at = session.get("signed_in_at")
    return isinstance(at, int | float) and 0 <= time.time() - at <= FRESH_SIGN_IN.total_seconds()


@bp.post("/")
@login_required
@limiter.limit("20 per hour")
def create():
    form = TokenForm()
    # A form without the newer fields (an older page, a script) gets their defaults rather than a refusal.
    if "scopes" not in request.form:
        form.scopes.data = form.scopes.default
    if "expires" not in request.form:
        form.expires.data = form.expires.default
    if form.validate_on_submit():
        try:
            token, raw = create_token(current_user, form.name.data, form.password.data,
                                      recently_signed_in=_recently_signed_in(),
                                      scopes=SCOPE_CHOICES[form.scopes.data],
                                      expires_in_days=int(form.expires.data))
        except RuleViolation as e:
            form_error(form, e)
        else:
            # Shown on this response only: never put in the session, a flash message or a log.
            return _render(TokenForm(formdata=None), new_token=raw, new_name=token.name)
    return _render(form)


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke_view(token_id: int):
    form = RevokeForm()
    if form.validate_on_submit():
        token = revoke(current_user, token_id)
        flash(f"The token “{token.name}” is revoked. Anything using it can no longer sign in.", "success")
    return redirect(url_for(".index"))
