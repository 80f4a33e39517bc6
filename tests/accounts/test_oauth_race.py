"""One authorisation code exchanged twice at the same moment, on PostgreSQL with real commits: one token.

A code works once (RFC 6749 4.1.2): of two token requests racing with it, the second finds it used when it
marks it (``UPDATE ... WHERE used_at IS NULL``) and is refused ``invalid_grant``; its token is rolled back."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from civic.accounts import oauth
from civic.accounts.models import OAuthApp, OAuthCode, OAuthToken
from civic.db import db, utcnow
from tests import factories
from tests.support.oauth import REDIRECT, pkce
from tests.support.race import committed, delete_people, race, real_commits, tag

pytestmark = [pytest.mark.postgres, pytest.mark.no_transaction]


@pytest.fixture
def world(app):
    with real_commits(app):
        with committed(app):
            admin, resident = factories.people(2, prefix=f"oauth_{tag()}", roles=["admin"])
            registered, secret = oauth.register_app(admin, f"Racing app {tag()}", REDIRECT, True)
            verifier, challenge = pkce()
            code = f"code-{tag()}"
            now = utcnow()
            db.session.add(OAuthCode(code_hash=oauth.digest(code), app_id=registered.id, user_id=resident.id,
                                     redirect_uri=REDIRECT, scope="read write", code_challenge=challenge,
                                     code_challenge_method="S256", created_at=now,
                                     expires_at=now + timedelta(minutes=10)))
            made = {"app": registered.id, "client_id": registered.client_id, "secret": secret, "code": code,
                    "verifier": verifier, "people": [admin.id, resident.id]}
        yield made
        with committed(app):
            db.session.execute(delete(OAuthApp).where(OAuthApp.id == made["app"]))
            delete_people(made["people"], audit_of=("oauth_app", [made["app"]]))


def test_two_racing_exchanges_of_one_code_give_one_token(app, world):
    basic = base64.b64encode(f"{world['client_id']}:{world['secret']}".encode()).decode()

    def exchange() -> tuple[int, dict]:
        response = app.test_client().post("/oauth/token", headers={"Authorization": f"Basic {basic}"}, data={
            "grant_type": "authorization_code", "code": world["code"], "redirect_uri": REDIRECT,
            "code_verifier": world["verifier"]})
        return response.status_code, response.get_json()

    outcomes = race(app, exchange, [(), ()], before="UPDATE oauth_codes")
    assert sorted(status for status, _body in outcomes) == [200, 400]
    assert next(body for status, body in outcomes if status == 400)["error"] == "invalid_grant"
    with committed(app):
        assert db.session.scalar(select(func.count()).select_from(OAuthToken)
                                 .where(OAuthToken.app_id == world["app"])) == 1
