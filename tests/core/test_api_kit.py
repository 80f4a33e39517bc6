"""The core's API kit (civic.api): the index's collections, /me, paging links that no query string can
break, argument errors that name the field, and read-only CORS. Tested without any domain's collections."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import Flask

from civic import api
from civic.accounts import api_tokens
from civic.db import db
from tests.factories import PASSWORD


def test_a_collection_is_registered_once_and_a_different_one_under_its_name_fails():
    first = api.collection("test-things", "api.me", "Things for a test.")
    assert api.collection("test-things", "api.me", "Things for a test.") == first  # idempotent
    with pytest.raises(ValueError, match="already registered"):
        api.collection("test-things", "api.index", "Something else.")
    assert [c for c in api.collections() if c.name == "test-things"] == [first]


def test_the_index_lists_every_collection_and_skips_one_this_app_cannot_build(client):
    api.collection("test-nowhere", "no_such_blueprint.items", "A package this app does not load.")
    body = client.get("/api/v1/").json
    names = [c["name"] for c in body["collections"]]
    assert "test-nowhere" not in names and "test-nowhere" not in body
    assert {"processes", "search"} <= set(names)  # proposals' and search's own registrations
    search = next(c for c in body["collections"] if c["name"] == "search")
    assert search["url"] == body["search"] == "http://civic.test/api/v1/search"
    assert body["me"] == "http://civic.test/api/v1/me"


def test_me_is_the_cores_and_says_who_is_signed_in(client, make_user):
    user = make_user("resident")
    _row, raw = api_tokens.create_token(user, "Script", PASSWORD)
    db.session.commit()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200 and response.json["nickname"] == user.nickname
    assert "email" not in response.json
    anonymous = client.get("/api/v1/me")
    assert anonymous.status_code == 401 and anonymous.json["field"] == "Authorization"
    assert anonymous.headers["WWW-Authenticate"] == 'Bearer realm="civic"'


@pytest.mark.parametrize("query", ["_external=1", "_method=x", "_scheme=javascript", "_anchor=x", "page=1&page=7",
                                   "endpoint=x", "values=x", "per_page=1&_external=0&_method=POST"])
def test_a_page_link_keeps_the_query_string_and_nothing_in_it_changes_the_path(app, query):
    with app.test_request_context(f"/api/v1/me?{query}", base_url="http://civic.test"):
        link = api.page_url(3, seed=42)
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path, parts.fragment) == ("http", "civic.test", "/api/v1/me", "")
    pairs = parse_qsl(parts.query)
    expected = [p for p in parse_qsl(query) if p[0] != "page"] + [("seed", "42"), ("page", "3")]
    assert pairs == expected


def test_envelope_links_the_next_page_only_when_there_is_one(app):
    with app.test_request_context("/api/v1/me?q=trees", base_url="http://civic.test"):
        middle = api.envelope(["a"], 1, 1, 2, keep=("seed",), seed=7, order="random")
        last = api.envelope(["b"], 2, 1, 2)
    assert middle["next"] == "http://civic.test/api/v1/me?q=trees&seed=7&page=2"
    assert middle["seed"] == 7 and middle["order"] == "random"
    assert last["next"] is None and last["items"] == ["b"]


@pytest.mark.parametrize(("query", "field", "message"), [
    ("page=0", "page", "“page” must be a whole number from 1 to 100,000."),
    ("page=x", "page", "“page” must be a whole number from 1 to 100,000."),
    ("per_page=101", "per_page", "“per_page” must be a whole number from 1 to 100."),
])
def test_paging_arguments_out_of_range_are_400_naming_the_field(app, query, field, message):
    with app.test_request_context(f"/api/v1/me?{query}"), pytest.raises(api.BadInput) as caught:
        api.paging()
    assert caught.value.field == field and caught.value.message == message and caught.value.status_code == 400


def test_a_choice_outside_the_list_names_the_choices(app):
    with app.test_request_context("/api/v1/me?order=sideways"):
        with pytest.raises(api.BadInput) as caught:
            api.choice_arg("order", ("newest", "oldest"))
        assert caught.value.message == "“order” must be one of: newest, oldest." and caught.value.field == "order"
        assert api.choice_arg("missing", ("a",), "a") == "a"


def test_a_body_that_is_not_a_json_object_is_refused(app):
    with app.test_request_context("/api/v1/me", method="POST", json=[1, 2]), pytest.raises(api.BadInput):
        api.payload()
    with app.test_request_context("/api/v1/me", method="POST", json={"body": "Hello"}):
        assert api.payload() == {"body": "Hello"}


def test_the_rate_key_is_the_person_when_signed_in_else_the_address(app, make_user):
    with app.test_request_context("/api/v1/me", environ_base={"REMOTE_ADDR": "192.0.2.9"}):
        assert api.rate_key() == "api-address:192.0.2.9"


def test_anonymous_reads_are_open_to_any_site_but_not_signed_in_ones_nor_writes(client, make_user):
    assert client.get("/api/v1/").headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Origin" not in client.get("/api/v1/me").headers  # a 401
    user = make_user("resident")
    _row, raw = api_tokens.create_token(user, "Script", PASSWORD)
    db.session.commit()
    signed = client.get("/api/v1/", headers={"Authorization": f"Bearer {raw}"})
    assert signed.status_code == 200 and "Access-Control-Allow-Origin" not in signed.headers
    assert "Access-Control-Allow-Origin" not in client.post("/api/v1/").headers


def test_a_new_blueprint_gets_the_401_shape_and_cors():
    app = Flask(__name__)
    bp = api.blueprint("test_kit_api", __name__)
    assert bp.url_prefix == "/api/v1"
    assert api.NotSignedIn in bp.error_handler_spec[None][None]
    assert bp.after_request_funcs[None]
    app.register_blueprint(bp)
