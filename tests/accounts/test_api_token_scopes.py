"""Issue #13, item 9: personal access tokens have scopes (read, write) and may expire.

The form on "API tokens" chooses both; a read token is refused writes with 403 ``insufficient_scope``, an
expired token is 401 ``invalid_token``; both are shown in the list."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from civic.accounts import api_tokens
from civic.accounts.models import ApiToken
from civic.db import db, utcnow
from civic.errors import RuleViolation
from tests.accounts.conftest import main_text
from tests.factories import PASSWORD

TOKEN_RE = re.compile(r'id="new-token"[^>]*value="(civic_[A-Za-z0-9_-]{43})"')


def create(client, **fields):
    page = client.post("/account/api-tokens/", data={"name": "Script", "password": PASSWORD, **fields})
    found = TOKEN_RE.search(page.get_data(as_text=True))
    return page, found.group(1) if found else None


def test_the_form_chooses_scopes_and_expiry(client_as):
    client, user = client_as("resident")
    form = main_text(client.get("/account/api-tokens/"))
    assert "What it may do" in form and "Works for" in form and "Until I revoke it" in form
    _page, raw = create(client, scopes="read", expires="7")
    row = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert row.scopes == "read"
    assert timedelta(days=6, hours=23) < row.expires_at - utcnow() <= timedelta(days=7)
    _page, raw2 = create(client, scopes="write", expires="0")
    row2 = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == api_tokens.digest(raw2)))
    assert row2.scopes == "read write" and row2.expires_at is None
    listed = main_text(client.get("/account/api-tokens/"))
    assert "read only" in listed and "read and write" in listed and "Until revoked" in listed


def test_without_the_new_fields_a_token_is_read_only_for_90_days(client_as):
    client, user = client_as("resident")
    create(client)
    row = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert row.scopes == "read" and timedelta(days=89) < row.expires_at - utcnow() <= timedelta(days=90)


def test_an_unknown_choice_is_refused_beside_the_field(client_as):
    client, user = client_as("resident")
    page, raw = create(client, scopes="admin", expires="3")
    assert raw is None and "from the list" in main_text(page)
    assert db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id)) is None
    with pytest.raises(RuleViolation):
        api_tokens.create_token(user, "x", PASSWORD, scopes="admin")
    with pytest.raises(RuleViolation):
        api_tokens.create_token(user, "x", PASSWORD, expires_in_days=3)


def test_a_read_token_reads_and_an_expired_token_is_invalid(client, make_user):
    user = make_user("resident")
    row, raw = api_tokens.create_token(user, "Reader", PASSWORD, scopes="read", expires_in_days=7)
    db.session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).json["nickname"] == user.nickname
    db.session.execute(update(ApiToken).where(ApiToken.id == row.id).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    refused = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert refused.status_code == 401 and refused.json["code"] == "invalid_token"
    assert "expired" in refused.json["error"]
    assert refused.headers["WWW-Authenticate"] == 'Bearer realm="civic", error="invalid_token"'
    assert api_tokens.authenticate(raw) is None
    # An expired token does not count among the 20 that work at once, and is listed as expired.
    assert "Expired on" in main_text(_signed_in_page(client, user))


def _signed_in_page(client, user):
    from tests.conftest import sign_in_client

    sign_in_client(client, user)
    return client.get("/account/api-tokens/")
