"""The OAuth 2 authorisation server: third-party apps act for a resident without ever seeing their password.

An admin registers an app (:func:`register_app`: a name, its redirect addresses, confidential or public); a
confidential app's secret is shown once and stored as a SHA-256 digest. A resident who follows an app's link
to ``/oauth/authorize`` signs in, sees the consent page naming the app and what it asks to do, and allows or
denies; allowing sends a one-use code (ten minutes) to the app's registered address, which the app exchanges
at ``/oauth/token`` for an access token (an hour) and a refresh token (60 days, replaced at each use).

- **Authorisation code with PKCE, S256 only**, for every app (RFC 7636; "plain" and no challenge are
  refused), built on Authlib's server (``authlib.integrations.flask_oauth2``).
- **Scopes** are the personal tokens' (``read``, ``write``; none asked: ``read``); an access token works on
  ``/api/v1`` exactly as a personal token with those scopes (:func:`civic.accounts.api_tokens.identify`).
- **Revocation**: the app at ``/oauth/revoke`` (RFC 7009, its own tokens only); the resident on their
  account page ("Apps with access"); an admin disabling the app; the resident's password changing.
- Registering, disabling and revoking are written to the audit log.

Only digests of codes, tokens and secrets are stored. Documented in docs/api.md ("Apps: OAuth 2") and
docs/accounts.md.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload, FlaskOAuth2Request
from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError, OAuth2Request
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import Flask, current_app
from flask import request as flask_request
from sqlalchemy import delete, or_, select, update

from civic import policy, schedule
from civic.accounts.api_tokens import OAUTH_ACCESS_PREFIX, SCOPES
from civic.accounts.models import OAuthApp, OAuthCode, OAuthToken, User
from civic.audit import audit
from civic.db import db, utcnow
from civic.errors import NotFound, RuleViolation

ACCESS_SECONDS = 3600
REFRESH_LIFETIME = timedelta(days=60)
CODE_LIFETIME = timedelta(minutes=10)
REFRESH_PREFIX = "civicor_"
SECRET_PREFIX = "civicsecret_"
CLIENT_PREFIX = "civicapp_"
NAME_MAX = 80
MAX_REDIRECT_URIS = 10
#: Every way an app may prove itself at the token and revocation endpoints (each app: one of them,
#: :meth:`Client.check_endpoint_auth_method`).
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
DEFAULT_SCOPE = "read"
#: Codes and tokens that can no longer be used are deleted this long after (the scheduled task below).
KEEP_DEAD = timedelta(days=30)
TASK = "oauth.dead-credentials"


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _scope_list(scope: str | None) -> list[str]:
    return [s for s in SCOPES if s in set((scope or "").split())]


# Authlib's view of our rows ---------------------------------------------------------------------------------


class Client:
    """An :class:`OAuthApp` as Authlib's ``ClientMixin``."""

    def __init__(self, app: OAuthApp):
        self.app = app

    def get_client_id(self) -> str:
        return self.app.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.app.redirect_uri_list
        return uris[0] if len(uris) == 1 else None  # several: the app must say which

    def get_allowed_scope(self, scope: str | None) -> str:
        return " ".join(_scope_list(scope)) if scope else DEFAULT_SCOPE

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.app.redirect_uri_list  # exactly as registered

    def check_client_secret(self, client_secret: str) -> bool:
        return self.app.secret_hash is not None and hmac.compare_digest(self.app.secret_hash, digest(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.app.confidential:
            return method in ("client_secret_basic", "client_secret_post")
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


class Code:
    """An :class:`OAuthCode` as Authlib's ``AuthorizationCodeMixin``."""

    def __init__(self, row: OAuthCode):
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str | None:
        return self.row.redirect_uri or None

    def get_scope(self) -> str:
        return self.row.scope


class Token:
    """An :class:`OAuthToken` as Authlib's ``TokenMixin``."""

    def __init__(self, row: OAuthToken):
        self.row = row

    def check_client(self, client: Client) -> bool:
        return self.row.app_id == client.app.id

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return ACCESS_SECONDS

    def is_expired(self) -> bool:
        return self.row.access_expires_at <= utcnow()

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None

    def get_user(self) -> User | None:
        return db.session.get(User, self.row.user_id)

    def get_client(self) -> Client:
        return Client(self.row.app)


def _active_user(user_id: int) -> User | None:
    user = db.session.get(User, user_id)
    return user if user is not None and user.is_active else None


class S256Challenge(CodeChallenge):
    """PKCE for every app, S256 only: no challenge, or ``plain``, is refused at the authorisation request."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge and code_challenge_method=S256.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only code_challenge_method=S256 is accepted.")
        return super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def save_authorization_code(self, code: str, request) -> None:
        now = utcnow()
        db.session.add(OAuthCode(
            code_hash=digest(code), app_id=request.client.app.id, user_id=request.user.id,
            redirect_uri=request.payload.redirect_uri or "", scope=request.scope or DEFAULT_SCOPE,
            code_challenge=request.payload.data["code_challenge"],
            code_challenge_method=request.payload.data["code_challenge_method"],
            created_at=now, expires_at=now + CODE_LIFETIME))
        db.session.flush()

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        row = db.session.scalar(select(OAuthCode).where(OAuthCode.code_hash == digest(code),
                                                        OAuthCode.app_id == client.app.id))
        if row is None or row.used_at is not None or row.expires_at <= utcnow():
            return None
        return Code(row)

    def delete_authorization_code(self, authorization_code: Code) -> None:
        # Used once: of two requests racing with one code, the second finds it used and gets nothing.
        done = db.session.execute(update(OAuthCode).where(OAuthCode.id == authorization_code.row.id,
                                                          OAuthCode.used_at.is_(None)).values(used_at=utcnow()))
        if done.rowcount != 1:
            raise InvalidGrantError("This code has been used already.")

    def authenticate_user(self, authorization_code: Code) -> User | None:
        return _active_user(authorization_code.row.user_id)


class RefreshGrant(RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # a refresh token is used once: each use gives a new one

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        row = db.session.scalar(select(OAuthToken).join(OAuthApp, OAuthApp.id == OAuthToken.app_id).where(
            OAuthToken.refresh_token_hash == digest(refresh_token), OAuthToken.revoked_at.is_(None),
            OAuthToken.refresh_expires_at > utcnow(), OAuthApp.disabled_at.is_(None)))
        return Token(row) if row is not None else None

    def authenticate_user(self, refresh_token: Token) -> User | None:
        return _active_user(refresh_token.row.user_id)

    def revoke_old_credential(self, refresh_token: Token) -> None:
        done = db.session.execute(update(OAuthToken).where(OAuthToken.id == refresh_token.row.id,
                                                           OAuthToken.revoked_at.is_(None))
                                  .values(revoked_at=utcnow()))
        if done.rowcount != 1:
            raise InvalidGrantError("This refresh token has been used already.")


class Revocation(RevocationEndpoint):
    """RFC 7009: an app revokes one of its own tokens (an access or a refresh token: the pair goes)."""

    CLIENT_AUTH_METHODS = AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        if token_string.startswith(OAUTH_ACCESS_PREFIX):
            column = OAuthToken.access_token_hash
        elif token_string.startswith(REFRESH_PREFIX):
            column = OAuthToken.refresh_token_hash
        else:
            return None
        row = db.session.scalar(select(OAuthToken).where(column == digest(token_string)))
        return Token(row) if row is not None else None

    def revoke_token(self, token: Token, request) -> None:
        row = token.row
        if row.revoked_at is not None:
            return
        db.session.execute(update(OAuthToken).where(OAuthToken.id == row.id, OAuthToken.revoked_at.is_(None))
                           .values(revoked_at=utcnow()))
        audit(None, "oauth_app.token_revoked", "oauth_app", row.app_id, label=row.app.name,
              after={"user_id": row.user_id}, reason="The app revoked its token (RFC 7009).")


class SiteRequest(FlaskOAuth2Request):
    """Authlib refuses a request over http (except on loopback); Civic lets its own configured address decide:
    a site whose public address (``CIVIC_BASE_URL``) is https must be reached over https, while the embedded mode
    (``http://127.0.0.1:5000``) and the tests, configured for http, work over http."""

    def __init__(self, request):
        uri = request.url
        if current_app.config.get("BASE_URL", "").startswith("http://") and uri.startswith("http://"):
            uri = "https://" + uri.removeprefix("http://")  # http by configuration: not an accident to refuse
        OAuth2Request.__init__(self, method=request.method, uri=uri, headers=request.headers)
        self._request = request
        self.payload = FlaskOAuth2Payload(request)


class Server(AuthorizationServer):
    def create_oauth2_request(self, request):
        return SiteRequest(flask_request)


def _query_client(client_id: str) -> Client | None:
    if not isinstance(client_id, str) or len(client_id) > 64:
        return None
    app = db.session.scalar(select(OAuthApp).where(OAuthApp.client_id == client_id, OAuthApp.disabled_at.is_(None)))
    return Client(app) if app is not None else None


def _save_token(token: dict, request) -> None:
    now = utcnow()
    refresh = token.get("refresh_token")
    db.session.add(OAuthToken(
        app_id=request.client.app.id, user_id=request.user.id, access_token_hash=digest(token["access_token"]),
        refresh_token_hash=digest(refresh) if refresh else None, scope=token.get("scope") or DEFAULT_SCOPE,
        created_at=now, access_expires_at=now + timedelta(seconds=int(token.get("expires_in") or ACCESS_SECONDS)),
        refresh_expires_at=now + REFRESH_LIFETIME if refresh else None))
    db.session.flush()


def delete_dead() -> str:
    """The scheduled task: delete codes and tokens that cannot be used any more and have not for 30 days (used or
    expired codes; revoked tokens, or tokens whose access and refresh both ran out)."""
    limit = utcnow() - KEEP_DEAD
    codes = db.session.execute(delete(OAuthCode).where(OAuthCode.expires_at <= limit)).rowcount
    tokens = db.session.execute(delete(OAuthToken).where(or_(
        OAuthToken.revoked_at <= limit,
        (OAuthToken.access_expires_at <= limit)
        & (OAuthToken.refresh_expires_at.is_(None) | (OAuthToken.refresh_expires_at <= limit))))).rowcount
    return f"dead OAuth codes deleted: {codes}, tokens: {tokens}"


schedule.task(TASK, delete_dead, description="Delete OAuth codes and tokens dead for 30 days",
              every=timedelta(days=1))


def init_app(app: Flask) -> None:
    """An Authlib authorisation server for this app (``app.extensions["civic_oauth"]``)."""
    server = Server()
    server.init_app(app, query_client=_query_client, save_token=_save_token)
    server.scopes_supported = list(SCOPES)
    server.register_token_generator("default", BearerTokenGenerator(
        lambda **_: OAUTH_ACCESS_PREFIX + secrets.token_urlsafe(32),
        lambda **_: REFRESH_PREFIX + secrets.token_urlsafe(32),
        lambda _client, _grant_type: ACCESS_SECONDS))
    server.register_grant(CodeGrant, [S256Challenge(required=True)])
    server.register_grant(RefreshGrant)
    server.register_endpoint(Revocation)
    app.extensions["civic_oauth"] = server


def server() -> Server:
    return current_app.extensions["civic_oauth"]


# Services: apps, and the access people gave them --------------------------------------------------------------


def _redirect_uris(text: str) -> list[str]:
    """The registered addresses, one per line: https, or http on this machine (a desktop app's loopback)."""
    uris = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not uris:
        raise RuleViolation("Give at least one redirect address, for example https://app.example.org/callback.",
                            field="redirect_uris")
    if len(uris) > MAX_REDIRECT_URIS:
        raise RuleViolation(f"Give at most {MAX_REDIRECT_URIS} redirect addresses.", field="redirect_uris")
    for uri in uris:
        parts = urlsplit(uri)
        loopback = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")
        if len(uri) > 500 or not parts.netloc or parts.fragment or not (parts.scheme == "https" or loopback):
            raise RuleViolation(f"“{uri[:100]}” is not a redirect address we accept: use https:// (or http:// on "
                                "127.0.0.1 for an app on the person's own computer), with no #fragment.",
                                field="redirect_uris")
    return list(dict.fromkeys(uris))


def register_app(admin: User, name: str, redirect_uris: str, confidential: bool) -> tuple[OAuthApp, str | None]:
    """Register an app: the row and, for a confidential app, its secret (shown once, stored as a digest)."""
    policy.require(admin, "oauth.manage_apps")
    name = " ".join((name or "").split())
    if not name or len(name) > NAME_MAX:
        raise RuleViolation(f"Give the app a name of 1 to {NAME_MAX} characters, as residents will see it.",
                            field="name")
    uris = _redirect_uris(redirect_uris)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32) if confidential else None
    app = OAuthApp(client_id=CLIENT_PREFIX + secrets.token_urlsafe(18), name=name, redirect_uris="\n".join(uris),
                   confidential=confidential, secret_hash=digest(secret) if secret else None,
                   created_by_id=admin.id)
    db.session.add(app)
    db.session.flush()
    audit(admin, "oauth_app.registered", "oauth_app", app.id, label=name,
          after={"client_id": app.client_id, "redirect_uris": uris, "confidential": confidential})
    return app, secret


def disable_app(admin: User, app_id: int) -> OAuthApp:
    """Stop an app: its tokens stop working and no one can allow it again."""
    policy.require(admin, "oauth.manage_apps")
    app = db.session.get(OAuthApp, app_id)
    if app is None or app.disabled_at is not None:
        raise NotFound("We could not find that app. It may have been disabled already.")
    now = utcnow()
    app.disabled_at = now
    db.session.execute(update(OAuthToken).where(OAuthToken.app_id == app.id, OAuthToken.revoked_at.is_(None))
                       .values(revoked_at=now))
    audit(admin, "oauth_app.disabled", "oauth_app", app.id, label=app.name)
    return app


def registered_apps() -> list[OAuthApp]:
    return list(db.session.scalars(select(OAuthApp).order_by(OAuthApp.disabled_at.is_not(None), OAuthApp.name,
                                                             OAuthApp.id)))


@dataclass(frozen=True)
class AppAccess:
    id: int
    name: str
    scopes: list[str]
    since: datetime


def apps_with_access(user: User) -> list[AppAccess]:
    """The apps that can act for the person now (a token not revoked whose access or refresh still works), by
    name, in one query."""
    now = utcnow()
    rows = db.session.execute(
        select(OAuthApp.id, OAuthApp.name, OAuthToken.scope, OAuthToken.created_at)
        .join(OAuthApp, OAuthApp.id == OAuthToken.app_id)
        .where(OAuthToken.user_id == user.id, OAuthToken.revoked_at.is_(None), OAuthApp.disabled_at.is_(None),
               or_(OAuthToken.access_expires_at > now, OAuthToken.refresh_expires_at > now))).all()
    found: dict[int, AppAccess] = {}
    for app_id, name, scope, created_at in rows:
        before = found.get(app_id)
        scopes = set(scope.split()) | set(before.scopes if before else ())
        since = min(created_at, before.since) if before else created_at
        found[app_id] = AppAccess(app_id, name, [s for s in SCOPES if s in scopes], since)
    return sorted(found.values(), key=lambda a: (a.name.lower(), a.id))


def revoke_app(user: User, app_id: int) -> OAuthApp:
    """Take back an app's access to the person's account: every token it holds for them, and codes not yet
    used. An app without access to *this* person is "not found" (nothing about others is revealed)."""
    now = utcnow()
    done = db.session.execute(update(OAuthToken).where(
        OAuthToken.user_id == user.id, OAuthToken.app_id == app_id, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=now).execution_options(synchronize_session=False))
    if done.rowcount == 0:
        raise NotFound("That app has no access to your account.")
    db.session.execute(update(OAuthCode).where(OAuthCode.user_id == user.id, OAuthCode.app_id == app_id,
                                               OAuthCode.used_at.is_(None)).values(used_at=now))
    app = db.session.get(OAuthApp, app_id)
    audit(user, "oauth_app.access_revoked", "oauth_app", app_id, label=app.name if app else "",
          reason="Revoked by the person on their account page.")
    return app


@policy.rule("oauth.manage_apps")
def _may_manage_apps(user: User, _obj: object) -> bool | str:
    return user.is_admin or "Only administrators can register apps."
