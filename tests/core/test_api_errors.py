"""Errors a program can act on: every JSON error has a stable machine ``code``, the right status and the
headers a client reads (WWW-Authenticate, Allow, Retry-After); the HTML pages keep theirs."""

from __future__ import annotations

from civic.accounts import api_tokens
from civic.api import BadInput, NotSignedIn
from civic.db import db
from civic.errors import NotFound, PermissionDenied, RuleViolation, TooManyAttempts, api_status
from tests.factories import PASSWORD


def token_for(user) -> str:
    _row, raw = api_tokens.create_token(user, "Script", PASSWORD)
    db.session.commit()
    return raw


def assert_code(response, status: int, code: str):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    assert response.json["status"] == status and response.json["code"] == code and response.json["error"]
    return response.json


def test_an_unknown_address_on_the_api_is_404_not_found(client):
    assert_code(client.get("/api/v1/nowhere"), 404, "not_found")


def test_signing_in_first_is_401_not_signed_in(client):
    response = client.get("/api/v1/me")
    assert_code(response, 401, "not_signed_in")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="civic"'


def test_a_wrong_token_is_401_invalid_token_with_the_bearer_error(client):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer civic_not-a-real-token"})
    body = assert_code(response, 401, "invalid_token")
    assert body["field"] == "Authorization"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="civic", error="invalid_token"'


def test_a_revoked_token_is_401_invalid_token(client, make_user):
    user = make_user("resident")
    raw = token_for(user)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    api_tokens.revoke_all(user)
    db.session.commit()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert_code(response, 401, "invalid_token")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_header_that_is_not_a_bearer_token_is_401_invalid_request(client):
    response = client.get("/api/v1/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert_code(response, 401, "invalid_request")
    assert 'error="invalid_request"' in response.headers["WWW-Authenticate"]


def test_a_method_the_address_does_not_take_is_405_with_allow(client):
    response = client.post("/api/v1/me")
    assert_code(response, 405, "method_not_allowed")
    assert "GET" in {m.strip() for m in response.headers["Allow"].split(",")}


def test_html_pages_keep_their_error_pages(client):
    response = client.get("/nowhere-at-all")
    assert response.status_code == 404 and response.mimetype == "text/html"
    response = client.delete("/")
    assert response.status_code == 405 and response.mimetype == "text/html" and "GET" in response.headers["Allow"]


def test_a_refused_field_is_validation_and_a_refused_state_is_a_conflict():
    assert api_status(RuleViolation("Write something.", field="body")) == (422, "validation_failed")
    assert api_status(RuleViolation("Commenting is not open in this phase.")) == (409, "conflict")
    assert api_status(BadInput("“page” must be a whole number.", field="page")) == (400, "bad_request")
    assert api_status(PermissionDenied("No.")) == (403, "forbidden")
    assert api_status(NotFound("Gone.")) == (404, "not_found")
    assert api_status(NotSignedIn("Sign in.")) == (401, "not_signed_in")
    assert api_status(TooManyAttempts("Wait.")) == (429, "rate_limited")
