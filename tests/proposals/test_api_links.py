"""The list endpoints' ``next`` links never fail on odd query strings: url_for's own keywords (``_external``,
``_method``, ``_scheme``, ``_anchor``) or a query argument named like a view argument (``slug``,
``proposal_id``) are kept as plain query text and never change the address."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from civic.accounts import api_tokens
from civic.db import db
from tests.factories import PASSWORD

ODD = ["_external=1", "_external=0", "_method=x", "_scheme=x", "_anchor=x"]


@pytest.fixture
def process(make_process, make_proposal, make_user):
    process = make_process(title="Odd query strings", slug="odd-queries")
    author = make_user("resident")
    for title in ("Plant street trees on Church Street", "Cycle hangars for Maida Vale flats",
                  "A pocket park behind the library"):
        make_proposal(process, author, title=title, ward="Church Street")
    return process


def assert_follows(client, url: str, path: str, odd: str) -> None:
    """The page answers 200 with a next link on the same path that keeps the odd argument, and that link works."""
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.json
    assert len(body["items"]) == 1 and body["next"]
    parts = urlsplit(body["next"])
    assert (parts.scheme, parts.netloc, parts.path, parts.fragment) == ("http", "civic.test", path, "")
    query = parse_qsl(parts.query, keep_blank_values=True)
    assert ("page", "2") in query and parse_qsl(odd, keep_blank_values=True)[0] in query
    second = client.get(body["next"])
    assert second.status_code == 200 and second.json["page"] == 2 and len(second.json["items"]) == 1


@pytest.mark.parametrize("odd", ODD)
def test_the_processes_list(client, make_process, odd):
    make_process(title="A second process", slug="second-process")
    make_process(title="A third process", slug="third-process")
    assert_follows(client, f"/api/v1/processes?per_page=1&{odd}", "/api/v1/processes", odd)


@pytest.mark.parametrize("odd", [*ODD, "slug=x", "slug=odd-queries", "slug="])
def test_a_process_proposals(client, process, odd):
    path = f"/api/v1/processes/{process.slug}/proposals"
    assert_follows(client, f"{path}?per_page=1&order=newest&{odd}", path, odd)


@pytest.mark.parametrize("odd", [*ODD, "proposal_id=1", "proposal_id="])
def test_a_proposals_comments(client, make_proposal, make_user, process, odd):
    proposal = make_proposal(process, make_user("resident"), title="A proposal with a conversation here")
    _row, raw = api_tokens.create_token(make_user("resident"), "Tests", PASSWORD)
    db.session.commit()
    path = f"/api/v1/proposals/{proposal.id}/comments"
    for words in ("The first comment here", "The second comment here"):
        assert client.post(path, headers={"Authorization": f"Bearer {raw}"}, json={"body": words}).status_code == 201
    assert_follows(client, f"{path}?per_page=1&{odd}", path, odd)


def test_a_random_order_keeps_its_seed_even_when_the_query_names_another(client, process):
    path = f"/api/v1/processes/{process.slug}/proposals"
    body = client.get(f"{path}?per_page=1&seed=5&_external=1").json
    assert body["seed"] == 5
    query = parse_qsl(urlsplit(body["next"]).query)
    assert [v for k, v in query if k == "seed"] == ["5"] and ("_external", "1") in query


@pytest.mark.parametrize("query", ["page=%C2%B2", "per_page=%C2%B2", "page=1&per_page=%D9%A3"])
def test_unicode_digits_are_a_400_naming_the_field(client, process, query):
    response = client.get(f"/api/v1/processes/{process.slug}/proposals?{query}")
    assert response.status_code == 400
    assert response.get_json()["field"] in {"page", "per_page"}


def test_unicode_digits_in_the_html_list_are_the_first_page(client, process):
    assert client.get(f"/processes/{process.slug}/proposals/?page=%C2%B2").status_code == 200
