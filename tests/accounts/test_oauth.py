"""Issue #13, item 9: the OAuth 2 server (authorisation code + PKCE S256) for apps an admin registers.

End to end with the test client: registration (secret shown once, stored hashed, audited), the consent page,
the code exchange with PKCE (a wrong verifier refused), refresh (rotated), revocation (RFC 7009 by the app,
"Apps with access" by the resident, both audited), and nobody revoking another's app or token.
"""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import select

from civic.accounts import oauth
from civic.accounts.models import OAuthApp, OAuthToken
from civic.audit import AuditEntry
from civic.db import db
from civic.errors import NotFound, PermissionDenied, RuleViolation
from tests.accounts.conftest import main_text
from tests.support.oauth import (
    REDIRECT,
    access_token,
    authorize_url,
    consent,
    exchange,
    pkce,
    redirected_to,
    refresh,
    register,
    revoke,
)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def me(client, token: str):
    return client.get("/api/v1/me", headers=bearer(token))


@pytest.fixture
def admin(make_user):
    return make_user("admin")


@pytest.fixture
def registered(admin):
    return register(admin)


def test_an_admin_registers_an_app_and_sees_its_secret_once(client_as):
    client, admin = client_as("admin")
    page = client.post("/admin/apps", data={"name": "Ward newsletter", "kind": "confidential",
                                            "redirect_uris": "https://app.example.org/cb\nhttp://127.0.0.1:8765/cb"})
    assert page.status_code == 200
    secret = re.search(r'id="client-secret"[^>]*value="(civicsecret_[^"]+)"', page.get_data(as_text=True)).group(1)
    app = db.session.scalars(select(OAuthApp)).one()
    assert app.secret_hash == hashlib.sha256(secret.encode()).hexdigest() and app.created_by_id == admin.id
    assert app.redirect_uri_list == ["https://app.example.org/cb", "http://127.0.0.1:8765/cb"]
    assert secret not in client.get("/admin/apps").get_data(as_text=True)  # never again
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "oauth_app.registered")).one()
    assert entry.actor_id == admin.id and entry.object_id == app.id and entry.after["client_id"] == app.client_id
    # A public app has no secret.
    client.post("/admin/apps", data={"name": "Phone app", "kind": "public", "redirect_uris": REDIRECT})
    assert db.session.scalar(select(OAuthApp).where(OAuthApp.name == "Phone app")).secret_hash is None


def test_registration_refuses_a_bad_address_beside_the_field_and_residents_may_not(client_as, admin):
    client, _admin = client_as("admin")
    page = client.post("/admin/apps", data={"name": "Bad", "kind": "public", "redirect_uris": "http://evil.example/cb"})
    assert page.status_code == 200 and "is not a redirect address we accept" in main_text(page)
    assert db.session.scalar(select(OAuthApp)) is None
    resident, _user = client_as("resident")
    assert resident.get("/admin/apps").status_code == 403
    with pytest.raises(PermissionDenied):
        oauth.register_app(_user, "Mine", REDIRECT, True)
    with pytest.raises(RuleViolation):
        oauth.register_app(admin, "Fragment", REDIRECT + "#x", True)


def test_consent_code_exchange_and_the_api(client_as, registered):
    app, secret = registered
    client, user = client_as("verified")
    verifier, challenge = pkce()
    page = client.get(authorize_url(app, challenge, scope="read"))
    assert page.status_code == 200
    text = main_text(page)
    assert "Allow “Ward newsletter” to use Civic as you?" in text and "never see your password" in text
    assert "read" in text and "Act as you" not in text  # only what it asks for
    answer = client.post(authorize_url(app, challenge, scope="read"), data={"decision": "allow"})
    sent = redirected_to(answer)
    assert sent["state"] == "xyz" and sent["code"]
    tokens = exchange(client, app, secret, sent["code"], verifier)
    assert tokens.status_code == 200, tokens.get_data(as_text=True)
    body = tokens.json
    assert body["token_type"] == "Bearer" and body["scope"] == "read" and body["expires_in"] == 3600
    assert body["access_token"].startswith("civicoa_") and body["refresh_token"].startswith("civicor_")
    # Stored as digests only.
    row = db.session.scalars(select(OAuthToken)).one()
    assert row.access_token_hash == hashlib.sha256(body["access_token"].encode()).hexdigest()
    assert row.user_id == user.id
    # The token works on the API as its user.
    anon = client.application.test_client()
    assert me(anon, body["access_token"]).json["nickname"] == user.nickname
    # A code is used once.
    again = exchange(client, app, secret, sent["code"], verifier)
    assert again.status_code == 400 and again.json["error"] == "invalid_grant"


def test_a_wrong_verifier_or_none_is_refused(client_as, registered):
    app, secret = registered
    client, _user = client_as("resident")
    verifier, challenge = pkce()
    code = consent(client, app, challenge)
    wrong = exchange(client, app, secret, code, pkce()[0])
    assert wrong.status_code == 400 and wrong.json["error"] == "invalid_grant"
    missing = exchange(client, app, secret, code, None)
    assert missing.status_code == 400 and missing.json["error"] == "invalid_request"
    assert db.session.scalar(select(OAuthToken)) is None
    assert exchange(client, app, secret, code, verifier).status_code == 200  # the right one still works
    # A wrong secret is refused too.
    assert exchange(client, app, "civicsecret_wrong", consent(client, app, challenge), verifier).status_code == 401


def test_pkce_is_required_and_only_s256(client_as, registered):
    app, _secret = registered
    client, _user = client_as("resident")
    for extra in ({"code_challenge": None, "code_challenge_method": None},
                  {"code_challenge_method": "plain"}):
        answer = client.get(authorize_url(app, pkce()[1], **extra))
        assert answer.status_code == 302 and redirected_to(answer)["error"] == "invalid_request"


def test_unknown_app_or_address_is_refused_here_never_redirected(client_as, registered):
    app, _secret = registered
    client, _user = client_as("resident")
    page = client.get(authorize_url(app, pkce()[1], redirect_uri="https://evil.example/cb"))
    assert page.status_code == 400 and "Location" not in page.headers
    assert "cannot be answered" in main_text(page)
    assert client.get(authorize_url(app, pkce()[1], client_id="civicapp_nope")).status_code == 400


def test_signed_out_the_consent_page_asks_to_sign_in_first(client, registered):
    app, _secret = registered
    answer = client.get(authorize_url(app, pkce()[1]))
    assert answer.status_code == 302 and "/sign-in" in answer.headers["Location"]


def test_deny_sends_access_denied_and_no_code(client_as, registered):
    app, _secret = registered
    client, _user = client_as("resident")
    url = authorize_url(app, pkce()[1])
    sent = redirected_to(client.post(url, data={"decision": "deny"}))
    assert sent["error"] == "access_denied" and sent["state"] == "xyz" and "code" not in sent


def test_a_public_app_uses_pkce_alone(client_as, admin):
    app, secret = register(admin, confidential=False, name="Phone app")
    assert secret is None
    client, user = client_as("resident")
    tokens = access_token(client, app, None, scope="read")
    assert me(client.application.test_client(), tokens["access_token"]).json["nickname"] == user.nickname


def test_refresh_gives_new_tokens_once(client_as, registered):
    app, secret = registered
    client, user = client_as("resident")
    first = access_token(client, app, secret)
    renewed = refresh(client, app, secret, first["refresh_token"])
    assert renewed.status_code == 200, renewed.get_data(as_text=True)
    assert renewed.json["refresh_token"] != first["refresh_token"] and renewed.json["scope"] == "read write"
    anon = client.application.test_client()
    assert me(anon, renewed.json["access_token"]).status_code == 200
    assert me(anon, first["access_token"]).status_code == 401  # the pair it replaced is revoked
    assert refresh(client, app, secret, first["refresh_token"]).json["error"] == "invalid_grant"


def test_the_app_revokes_its_token_rfc_7009_and_it_is_audited(client_as, registered):
    app, secret = registered
    client, _user = client_as("resident")
    tokens = access_token(client, app, secret)
    anon = client.application.test_client()
    answer = revoke(anon, app, secret, tokens["refresh_token"])
    assert answer.status_code == 200 and answer.json == {}
    assert me(anon, tokens["access_token"]).status_code == 401
    assert me(anon, tokens["access_token"]).headers["WWW-Authenticate"].endswith('error="invalid_token"')
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "oauth_app.token_revoked")).one()
    # An unknown token is answered 200 too (RFC 7009), revoking nothing.
    assert revoke(anon, app, secret, "civicoa_nothing").status_code == 200


def test_an_app_cannot_revoke_another_apps_token(client_as, admin, registered):
    app, secret = registered
    other, other_secret = register(admin, name="Other app")
    client, _user = client_as("resident")
    tokens = access_token(client, app, secret)
    anon = client.application.test_client()
    assert revoke(anon, other, other_secret, tokens["access_token"]).status_code == 400
    assert me(anon, tokens["access_token"]).status_code == 200


def test_apps_with_access_are_listed_and_revoked_by_their_person_only(client_as, signed_in, registered):
    app, secret = registered
    client, user = client_as("resident")
    tokens = access_token(client, app, secret, scope="read")
    page = client.get("/account/api-tokens/")
    assert "Ward newsletter" in main_text(page) and "1 app has access" in main_text(page)
    # Someone else cannot revoke it (nor learn anything): not found, and the token still works.
    intruder, _other = client_as("resident")
    assert intruder.post(f"/account/apps/{app.id}/revoke").status_code == 404
    anon = client.application.test_client()
    assert me(anon, tokens["access_token"]).status_code == 200
    with pytest.raises(NotFound):
        oauth.revoke_app(_other, app.id)
    # Its person can.
    answer = client.post(f"/account/apps/{app.id}/revoke", follow_redirects=True)
    assert "can no longer use Civic as you" in main_text(answer)
    assert "No app has access to your account." in main_text(answer)
    assert me(anon, tokens["access_token"]).status_code == 401
    assert refresh(client, app, secret, tokens["refresh_token"]).json["error"] == "invalid_grant"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "oauth_app.access_revoked")).one()
    assert entry.actor_id == user.id and entry.object_id == app.id


def test_a_disabled_app_and_a_password_change_stop_its_tokens(client_as, admin, registered):
    app, secret = registered
    client, user = client_as("resident")
    tokens = access_token(client, app, secret)
    anon = client.application.test_client()
    from civic.accounts import api_tokens

    api_tokens.revoke_all(user)  # what a password change or reset does
    assert me(anon, tokens["access_token"]).status_code == 401
    tokens = access_token(client, app, secret)
    admin_client, _admin = client_as("admin")
    assert admin_client.post(f"/admin/apps/{app.id}/disable").status_code == 302
    assert me(anon, tokens["access_token"]).status_code == 401
    assert client.get(authorize_url(app, pkce()[1])).status_code == 400  # no one can allow it again
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "oauth_app.disabled")).one()


def test_metadata_names_the_endpoints(client):
    body = client.get("/.well-known/oauth-authorization-server").json
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert body["token_endpoint"].endswith("/oauth/token") and body["scopes_supported"] == ["read", "write"]


def test_the_daily_task_deletes_codes_and_tokens_dead_for_30_days(client_as, registered):
    from datetime import timedelta

    from civic import schedule
    from civic.accounts.models import OAuthCode
    from civic.db import utcnow

    app, secret = registered
    client, _user = client_as("resident")
    live = access_token(client, app, secret)
    consent(client, app, pkce()[1])  # a fresh code, unused
    old = utcnow() - timedelta(days=31)
    dead = OAuthToken(app_id=app.id, user_id=_user.id, access_token_hash="a" * 64, refresh_token_hash="b" * 64,
                      scope="read", created_at=old, access_expires_at=old, refresh_expires_at=old)
    revoked = OAuthToken(app_id=app.id, user_id=_user.id, access_token_hash="c" * 64, scope="read",
                         created_at=old, access_expires_at=utcnow() + timedelta(hours=1), revoked_at=old)
    stale = OAuthCode(code_hash="d" * 64, app_id=app.id, user_id=_user.id, redirect_uri=REDIRECT, scope="read",
                      code_challenge="x" * 43, code_challenge_method="S256", created_at=old, expires_at=old)
    db.session.add_all([dead, revoked, stale])
    db.session.flush()
    task = next(t for t in schedule.tasks() if t.name == oauth.TASK)
    assert task.fn() == "dead OAuth codes deleted: 1, tokens: 2"
    assert db.session.scalar(select(OAuthCode).where(OAuthCode.code_hash == "d" * 64)) is None
    assert len(db.session.scalars(select(OAuthCode)).all()) == 2  # the one exchanged, the fresh one
    assert me(client.application.test_client(), live["access_token"]).status_code == 200


def test_the_token_page_lists_apps_in_a_fixed_number_of_queries(client_as, admin, count_queries):
    client, _user = client_as("resident")
    first, secret = register(admin, name="App 0")
    access_token(client, first, secret)
    with count_queries() as few:
        assert client.get("/account/api-tokens/").status_code == 200
    for n in range(1, 5):
        app, secret = register(admin, name=f"App {n}")
        access_token(client, app, secret)
    with count_queries() as many:
        page = client.get("/account/api-tokens/")
    assert "5 apps have access" in main_text(page)
    assert many.count == few.count
