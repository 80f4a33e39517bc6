"""Issue #13, item 9: a token's scopes on the API's writes, for personal tokens and apps' tokens alike.

A token that may only read is refused a write with 403 ``insufficient_scope`` and
``WWW-Authenticate: Bearer error="insufficient_scope"``, and nothing is written."""

from __future__ import annotations

from civic.accounts import api_tokens
from civic.db import db
from tests.factories import PASSWORD
from tests.proposals.test_api_auth import bearer
from tests.proposals.test_api_errors import comments_on
from tests.support.oauth import access_token, register


def token(user, scopes: str) -> str:
    _row, raw = api_tokens.create_token(user, f"{scopes} script", PASSWORD, scopes=scopes)
    db.session.commit()
    return raw


def refused_for_scope(response) -> None:
    assert response.status_code == 403, response.get_data(as_text=True)
    assert response.json["code"] == "insufficient_scope" and response.json["scope"] == "write"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="civic", error="insufficient_scope", scope="write"'


def test_a_read_token_may_read_but_not_write(client, make_user, open_proposal):
    raw = token(make_user("verified"), "read")
    url = f"/api/v1/proposals/{open_proposal.id}"
    assert client.get(url, headers=bearer(raw)).status_code == 200
    refused_for_scope(client.post(f"{url}/comments", headers=bearer(raw), json={"body": "Yes please"}))
    refused_for_scope(client.post(f"{url}/support", headers=bearer(raw)))
    refused_for_scope(client.delete(f"{url}/support", headers=bearer(raw)))
    assert comments_on(open_proposal) == 0
    written = client.post(f"{url}/comments", headers=bearer(token(make_user("verified"), "read write")),
                          json={"body": "Yes please"})
    assert written.status_code == 201 and comments_on(open_proposal) == 1


def test_an_apps_token_works_as_a_personal_one_with_its_scopes(client_as, make_user, open_proposal):
    app, secret = register(make_user("admin"))
    browser, user = client_as("verified")
    reader = access_token(browser, app, secret, scope="read")["access_token"]
    writer = access_token(browser, app, secret, scope="read write")["access_token"]
    url = f"/api/v1/proposals/{open_proposal.id}/comments"
    api = browser.application.test_client()  # the app's own requests: no session, only the token
    refused_for_scope(api.post(url, headers=bearer(reader), json={"body": "From the app"}))
    written = api.post(url, headers=bearer(writer), json={"body": "From the app"})
    assert written.status_code == 201 and written.json["author"]["nickname"] == user.nickname
    assert comments_on(open_proposal) == 1
