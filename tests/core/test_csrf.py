"""CSRF is on for every form: a POST without the token is refused, whatever the route."""

import pytest

from civic.accounts.models import User
from civic.db import db


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


#: Signed one-click links from mail (RFC 8058: a mail client posts without a session or token); the signed
#: token in the URL is their protection, so a forged one must do nothing.
SIGNED_LINK_POSTS = {"notifications.unsubscribe"}
#: The OAuth 2 endpoints apps post to (RFC 6749, RFC 7009): no cookie is involved, the app authenticates itself,
#: so an unauthenticated post is refused by that (401 invalid_client) rather than by a CSRF token.
CLIENT_AUTHENTICATED_POSTS = {"oauth.token", "oauth.revoke"}


def post_routes(app):
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and not rule.rule.startswith(("/__test__", "/api/")):
            yield rule


def sample_url(app, rule, ident: int) -> str:
    """A URL for the rule, each argument filled with a value its converter accepts."""
    values = {}
    for arg, converter in rule._converters.items():
        items = getattr(converter, "items", None)
        if items:
            values[arg] = sorted(items)[0]
        elif converter.regex == r"\d+":
            values[arg] = ident
        else:
            values[arg] = "x"
    return app.url_map.bind("civic.test").build(rule.endpoint, values)


def test_every_post_route_refuses_a_missing_token(app, client_as, csrf_on, make_user):
    client, admin = client_as("admin")
    target = make_user("resident")
    refused = []
    for rule in post_routes(app):
        url = sample_url(app, rule, target.id)
        response = client.post(url, data={"role": "admin", "reason": "csrf"})
        if rule.endpoint in CLIENT_AUTHENTICATED_POSTS:
            assert response.status_code in (400, 401) and response.is_json, (rule.rule, response.status_code)
            continue
        if rule.endpoint in SIGNED_LINK_POSTS:
            assert response.status_code == 404, f"POST {rule.rule} with a forged token answered {response.status_code}"
            continue
        if response.status_code == 400 and "form expired" in response.get_data(as_text=True):
            refused.append(rule.rule)
        else:
            pytest.fail(f"POST {rule.rule} without a CSRF token answered {response.status_code}")
    assert refused, "no POST routes found"
    assert not db.session.get(User, target.id).is_admin


def test_a_form_with_its_token_is_accepted(client, csrf_on, make_user):
    user = make_user("resident", password="a long and quiet river")
    page = client.get("/sign-in").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/sign-in", data={"csrf_token": token, "email": user.email,
                                             "password": "a long and quiet river"})
    assert response.status_code == 302
