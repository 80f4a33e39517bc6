"""Personal access tokens in "my account": create (shown once), list, revoke; only a digest is stored."""

from __future__ import annotations

import hashlib
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from civic.accounts import api_tokens
from civic.accounts.models import ApiToken
from civic.db import db, utcnow
from civic.errors import NotFound, PermissionDenied, RuleViolation
from tests.accounts.conftest import field_error, main_text, path_of
from tests.factories import PASSWORD

TOKEN_RE = re.compile(r'id="new-token"[^>]*value="(civic_[A-Za-z0-9_-]{43})"')


def create(client, name: str, password: str = PASSWORD):
    return client.post("/account/api-tokens/", data={"name": name, "password": password})


def test_create_shows_the_token_once_and_stores_only_its_digest(client_as):
    client, user = client_as("resident")
    response = create(client, "Ward newsletter script")
    assert response.status_code == 200
    raw = TOKEN_RE.search(response.get_data(as_text=True)).group(1)
    assert "we show it only this once" in main_text(response)
    assert response.headers["Cache-Control"] == "private, no-store"
    row = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert row.name == "Ward newsletter script"
    assert row.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in repr(vars(row))
    # Listed afterwards by name, never shown again.
    again = client.get("/account/api-tokens/")
    text = main_text(again)
    assert "Ward newsletter script" in text and "Never" in text and "1 token works now" in text
    assert raw not in again.get_data(as_text=True)
    assert "civic_" not in again.get_data(as_text=True).replace("civic_…", "")


def test_two_tokens_differ_and_are_listed_newest_first(client_as):
    client, _user = client_as("resident")
    first = TOKEN_RE.search(create(client, "First").get_data(as_text=True)).group(1)
    second = TOKEN_RE.search(create(client, "Second").get_data(as_text=True)).group(1)
    assert first != second and len(first) == len(second) == 6 + 43
    text = main_text(client.get("/account/api-tokens/"))
    assert text.index("Second") < text.index("First")


def test_a_token_needs_a_name_and_keeps_what_was_typed(client_as):
    client, user = client_as("resident")
    response = create(client, "   ")
    assert response.status_code == 200
    assert "Give the token a name" in field_error(response, "name")
    assert "There is a problem" in main_text(response)
    assert "<title>Error: API tokens" in response.get_data(as_text=True)
    long_name = "x" * 81
    response = create(client, long_name)
    assert "at most 80 characters" in field_error(response, "name")
    assert f'value="{long_name}"' in response.get_data(as_text=True)
    assert db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all() == []


def test_revoke_a_token(client_as):
    client, user = client_as("resident")
    raw = TOKEN_RE.search(create(client, "Old laptop").get_data(as_text=True)).group(1)
    assert api_tokens.authenticate(raw).id == user.id
    row = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    response = client.post(f"/account/api-tokens/{row.id}/revoke")
    assert response.status_code == 302
    page = client.get(response.location)
    assert "The token “Old laptop” is revoked" in main_text(page)
    assert "You have no API tokens." in main_text(page)
    assert api_tokens.authenticate(raw) is None


def test_nobody_revokes_someone_elses_token(client_as, make_user):
    owner = make_user("resident")
    token, raw = api_tokens.create_token(owner, "Mine", PASSWORD)
    db.session.commit()
    client, _other = client_as("resident")
    assert client.post(f"/account/api-tokens/{token.id}/revoke").status_code == 404
    assert api_tokens.authenticate(raw).id == owner.id


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get("/account/api-tokens/")
    assert response.status_code == 302 and "/sign-in" in response.location
    assert client.post("/account/api-tokens/", data={"name": "x"}).status_code == 302


def test_unconfirmed_accounts_cannot_create_tokens(make_user):
    user = make_user("resident", confirmed=False)
    with pytest.raises(PermissionDenied, match="confirm your email"):
        api_tokens.create_token(user, "Too early", PASSWORD)


def test_at_most_twenty_active_tokens(make_user):
    user = make_user("resident")
    for n in range(api_tokens.MAX_ACTIVE):
        api_tokens.create_token(user, f"Token {n}", PASSWORD)
    with pytest.raises(RuleViolation, match="Revoke one") as refused:
        api_tokens.create_token(user, "One too many", PASSWORD)
    assert refused.value.field == "name"
    first = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).first()
    api_tokens.revoke(user, first.id)
    api_tokens.create_token(user, "Now there is room", PASSWORD)


def test_revoking_twice_is_not_found(make_user):
    user = make_user("resident")
    token, _raw = api_tokens.create_token(user, "Once", PASSWORD)
    api_tokens.revoke(user, token.id)
    with pytest.raises(NotFound):
        api_tokens.revoke(user, token.id)


def test_authenticate_notes_last_use_at_most_once_a_minute(make_user):
    user = make_user("resident")
    token, raw = api_tokens.create_token(user, "Script", PASSWORD)
    assert token.last_used_at is None
    assert api_tokens.authenticate(raw).id == user.id
    db.session.refresh(token)
    first_use = token.last_used_at
    assert first_use is not None and utcnow() - first_use < timedelta(seconds=5)
    api_tokens.authenticate(raw)
    db.session.refresh(token)
    assert token.last_used_at == first_use
    token.last_used_at = utcnow() - timedelta(minutes=5)
    db.session.flush()
    api_tokens.authenticate(raw)
    db.session.refresh(token)
    assert utcnow() - token.last_used_at < timedelta(seconds=5)


@pytest.mark.parametrize("state", ["blocked_at", "deleted_at"])
def test_blocked_or_deleted_owners_tokens_stop_working(make_user, state):
    user = make_user("resident")
    _token, raw = api_tokens.create_token(user, "Script", PASSWORD)
    assert api_tokens.authenticate(raw) is not None
    setattr(user, state, utcnow())
    db.session.flush()
    assert api_tokens.authenticate(raw) is None


def test_wrong_or_malformed_tokens_are_refused(make_user):
    user = make_user("resident")
    _token, raw = api_tokens.create_token(user, "Script", PASSWORD)
    assert api_tokens.authenticate(raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None
    assert api_tokens.authenticate(raw.removeprefix("civic_")) is None
    assert api_tokens.authenticate("") is None
    assert api_tokens.authenticate("civic_" + "x" * 500) is None


# Proving it is you, and revoking on a password change ----------------------------------------------------------


def test_creating_a_token_asks_for_the_current_password(client_as):
    client, user = client_as("resident")
    page = client.get("/account/api-tokens/").get_data(as_text=True)
    assert 'autocomplete="current-password"' in page and 'name="password"' in page

    refused = create(client, "Ward newsletter script", password="not my password at all")

    assert refused.status_code == 200
    assert field_error(refused, "password") == "Your password is not right."
    assert 'value="Ward newsletter script"' in refused.get_data(as_text=True)  # what was typed is kept
    assert not TOKEN_RE.search(refused.get_data(as_text=True))
    assert create(client, "No password", password="").status_code == 200
    assert db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all() == []
    assert TOKEN_RE.search(create(client, "Ward newsletter script").get_data(as_text=True))


def test_an_account_without_a_password_creates_tokens_only_soon_after_signing_in(client_as):
    client, user = client_as("resident")
    user.password_hash = None  # signs in with the council's provider only
    db.session.commit()
    page = client.get("/account/api-tokens/").get_data(as_text=True)
    assert 'name="password"' not in page and "within 10 minutes of signing in" in page
    with client.session_transaction() as sess:
        sess["signed_in_at"] = int(time.time()) - 11 * 60

    refused = create(client, "Script", password="")

    assert refused.status_code == 200
    assert "sign in again with your council account first" in main_text(refused)
    assert db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all() == []
    with client.session_transaction() as sess:
        sess["signed_in_at"] = int(time.time()) - 60
    assert TOKEN_RE.search(create(client, "Script", password="").get_data(as_text=True))
    with pytest.raises(RuleViolation, match="sign in again"):
        api_tokens.create_token(user, "Straight from a service", None)


def test_the_page_says_a_password_change_revokes_every_token(client_as):
    client, _user = client_as("resident")
    assert "Changing or resetting your password revokes every token" in main_text(client.get("/account/api-tokens/"))
    assert "every API token you created is revoked" in main_text(client.get("/account"))


def test_changing_the_password_revokes_every_token(client_as):
    client, user = client_as("resident")
    _row, raw = api_tokens.create_token(user, "Script", PASSWORD)
    _row, other = api_tokens.create_token(user, "Phone app", PASSWORD)
    db.session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200

    response = client.post("/account/password", data={"current_password": PASSWORD,
                                                      "password": "amber tides over marble"})

    assert response.status_code == 302
    assert "your API tokens revoked" in main_text(client.get(response.headers["Location"]))
    for token in (raw, other):
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert all(row.revoked_at is not None
               for row in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)))


def test_a_password_reset_revokes_every_token(client, make_user, smtp_server):
    user = make_user(email="ada@example.org")
    _row, raw = api_tokens.create_token(user, "Script", PASSWORD)
    db.session.commit()
    client.post("/forgot-password", data={"email": "ada@example.org"})
    link = path_of(smtp_server.last_link("ada@example.org"))

    done = client.post(link, data={"password": "amber tides over marble"})

    assert done.status_code == 302
    assert "your API tokens were revoked" in main_text(client.get(done.headers["Location"]))
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
