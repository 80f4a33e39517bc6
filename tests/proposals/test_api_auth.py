"""Who the JSON API thinks you are: personal access tokens, the browser session with its CSRF header, 401s."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from civic.accounts import api_tokens
from civic.accounts.models import ApiToken
from civic.db import db, utcnow
from proposals.models import Support
from tests.factories import PASSWORD


def token_for(user, name: str = "Script") -> str:
    _row, raw = api_tokens.create_token(user, name, PASSWORD)
    db.session.commit()
    return raw


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def supports_of(user) -> int:
    return db.session.scalar(select(func.count()).select_from(Support).where(Support.user_id == user.id))


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def test_a_token_signs_the_request_in_and_notes_its_use(client, make_user):
    user = make_user("verified", ward="Maida Vale")
    raw = token_for(user)
    response = client.get("/api/v1/me", headers=bearer(raw))
    assert response.status_code == 200
    assert response.json == {"nickname": user.nickname, "name": user.display_name, "verified": True,
                             "ward": "Maida Vale", "profile_url": f"http://civic.test/u/{user.nickname}"}
    assert user.email not in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers  # a token request writes no session
    row = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    db.session.refresh(row)
    assert row.last_used_at is not None
    assert client.get("/api/v1/", headers=bearer(raw)).json["signed_in_as"] == user.nickname


def test_reads_are_open_but_me_needs_someone(client):
    assert client.get("/api/v1/").json["signed_in_as"] is None
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json["status"] == 401 and response.json["field"] == "Authorization"
    assert "Sign in first" in response.json["error"]
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="civic"'


@pytest.mark.parametrize("header", ["Bearer civic_not-a-real-token-at-all-0123456789abcdefghijk", "Bearer ",
                                    "Basic dXNlcjpwYXNz", "civic_abc"])
def test_a_bad_or_malformed_token_is_401_even_for_reads(client, header):
    response = client.get("/api/v1/processes", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json["field"] == "Authorization" and response.json["status"] == 401


def test_a_revoked_token_is_401(client, make_user):
    user = make_user("resident")
    raw = token_for(user)
    assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 200
    row = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    api_tokens.revoke(user, row.id)
    db.session.commit()
    response = client.get("/api/v1/me", headers=bearer(raw))
    assert response.status_code == 401 and "revoked" in response.json["error"]


@pytest.mark.parametrize("state", ["blocked_at", "deleted_at"])
def test_a_blocked_or_deleted_persons_token_is_401(client, make_user, open_proposal, state):
    user = make_user("verified")
    raw = token_for(user)
    setattr(user, state, utcnow())
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 401
    assert client.post(f"/api/v1/proposals/{open_proposal.id}/support", headers=bearer(raw)).status_code == 401
    assert supports_of(user) == 0


def test_writes_need_someone_signed_in(client, open_proposal):
    for method, path in (("post", "support"), ("delete", "support"), ("post", "comments")):
        response = getattr(client, method)(f"/api/v1/proposals/{open_proposal.id}/{path}", json={"body": "Hello"})
        assert response.status_code == 401, path
        assert response.json["field"] == "Authorization"


def test_the_session_works_for_reads_and_writes(client_as, open_proposal):
    client, user = client_as("verified")
    assert client.get("/api/v1/me").json["nickname"] == user.nickname
    response = client.post(f"/api/v1/proposals/{open_proposal.id}/support")
    assert response.status_code == 201 and supports_of(user) == 1


def test_a_session_write_needs_the_csrf_header(client_as, open_proposal, csrf_on):
    client, user = client_as("verified")
    response = client.post(f"/api/v1/proposals/{open_proposal.id}/support")
    assert response.status_code == 400
    assert response.json["field"] == "X-CSRFToken" and "CSRF" in response.json["error"]
    assert supports_of(user) == 0
    wrong = client.post(f"/api/v1/proposals/{open_proposal.id}/support", headers={"X-CSRFToken": "forged"})
    assert wrong.status_code == 400 and supports_of(user) == 0
    # The token every signed-in page carries (the sign-out form) is the one to send.
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(f"/api/v1/proposals/{open_proposal.id}/support", headers={"X-CSRFToken": token})
    assert response.status_code == 201 and supports_of(user) == 1
    # Reads never need it.
    assert client.get(f"/api/v1/proposals/{open_proposal.id}").status_code == 200


def test_a_token_write_needs_no_csrf_header(client, make_user, open_proposal, csrf_on):
    user = make_user("verified")
    response = client.post(f"/api/v1/proposals/{open_proposal.id}/support", headers=bearer(token_for(user)))
    assert response.status_code == 201 and supports_of(user) == 1


def test_the_token_wins_over_the_session(client_as, make_user):
    client, _session_user = client_as("resident")
    other = make_user("resident")
    assert client.get("/api/v1/me", headers=bearer(token_for(other))).json["nickname"] == other.nickname


def test_html_pages_ignore_bearer_tokens(client, make_user):
    user = make_user("resident")
    response = client.get("/account", headers=bearer(token_for(user)))
    assert response.status_code == 302 and "/sign-in" in response.location


def test_writes_are_rate_limited_per_person(client, make_user, open_proposal, limits_on):
    raw = token_for(make_user("verified"))
    statuses = [client.delete(f"/api/v1/proposals/{open_proposal.id}/support", headers=bearer(raw)).status_code
                for _ in range(61)]
    assert statuses[:60] == [200] * 60
    assert statuses[60] == 429
    response = client.delete(f"/api/v1/proposals/{open_proposal.id}/support", headers=bearer(raw))
    assert response.status_code == 429 and response.json["status"] == 429
    # Another person is not held back by the first one's requests.
    other = token_for(make_user("verified"))
    assert client.post(f"/api/v1/proposals/{open_proposal.id}/support", headers=bearer(other)).status_code == 201
    # Reads are not limited this way.
    assert client.get(f"/api/v1/proposals/{open_proposal.id}", headers=bearer(raw)).status_code == 200
