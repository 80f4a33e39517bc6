"""The search page, the header's search form and the JSON endpoint."""

from __future__ import annotations

import re

import pytest

from civic.db import db
from civic.groups.models import Group
from civic.search import services


def make_groups(make_user, names):
    owner = make_user("resident")
    db.session.add_all([Group(slug=n.lower().replace(" ", "-"), name=n, description=f"About {n}.",
                              created_by_id=owner.id) for n in names])
    db.session.commit()
    services.drain()


def test_every_page_has_the_search_form_and_a_link(client):
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'<form class="header-search" method="get" action="/search" role="search"', html)
    assert '<label for="header-search-q" class="visually-hidden">' in html
    assert '<a href="/search">Search</a>' in html  # the footer: the browser crawl reaches /search


def test_the_empty_page_explains(client, search_index):
    html = client.get("/search").get_data(as_text=True)
    assert html.count("<h1") == 1 and "<h2>Tips</h2>" in html
    assert 'role="search" aria-label="Search and filters"' in html
    assert "header-search" not in html  # one search form on the search page


def test_results_page(client, make_user, search_index):
    make_groups(make_user, ["Damp busters", "Damp watchers", "Dry homes"])
    html = client.get("/search?q=damp").get_data(as_text=True)
    assert '<div role="status" class="search-status">' in html
    assert "<strong>2 results</strong> for “damp”" in html
    assert html.count('<h3><a href="/groups/damp-') == 2
    assert "<mark>Damp</mark> busters" in html
    assert ">Community groups (2)</a>" in html and '<span class="muted">Proposals (0)</span>' in html


def test_type_links_keep_the_query(client, make_user, search_index):
    make_groups(make_user, ["Damp busters"])
    html = client.get("/search?q=damp&ward=").get_data(as_text=True)
    assert 'href="/search?q=damp&amp;type=group"' in html
    html = client.get("/search?q=damp&type=group").get_data(as_text=True)
    assert 'aria-current="page">Community groups (1)</a>' in html
    assert 'href="/search?q=damp"' in html  # back to everything


def test_pages_link_to_each_other(client, make_user, search_index):
    make_groups(make_user, [f"Garden club {i}" for i in range(25)])
    html = client.get("/search?q=garden").get_data(as_text=True)
    assert "Page 1 of 2" in html and 'rel="next" href="/search?q=garden&amp;page=2"' in html
    html = client.get("/search?q=garden&page=2").get_data(as_text=True)
    assert 'rel="prev"' in html and html.count('<h3><a href="/groups/garden-club-') == 5
    assert '<ol class="search-results" start="21">' in html


def test_wrong_filters_are_named_not_fatal(client, make_user, search_index):
    make_groups(make_user, ["Damp busters"])
    response = client.get("/search?q=damp&ward=atlantis&date_from=yesterday&type=nothing")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Some filters were left out" in html and "Select show from the list" in html  # issue 14: specific
    assert "Not a valid choice" not in html
    assert "<strong>1 result</strong>" in html  # the search ran without them


def test_json_endpoint(client, make_user, search_index):
    make_groups(make_user, ["Damp busters", "Damp watchers"])
    body = client.get("/api/v1/search?q=damp&per_page=1").get_json()
    assert body["total"] == 2 and body["counts"]["group"] == 2 and body["counts"]["proposal"] == 0
    # The API's list envelope (items, page, per_page, total, next); results and pages kept for older clients.
    assert body["page"] == 1 and body["per_page"] == 1 and body["pages"] == 2
    assert body["items"] == body["results"] and len(body["items"]) == 1
    assert body["next"] == "http://civic.test/api/v1/search?q=damp&per_page=1&page=2"
    second = client.get(body["next"]).get_json()
    assert second["page"] == 2 and len(second["items"]) == 1 and second["next"] is None
    assert {second["items"][0]["id"], body["items"][0]["id"]} == {r["id"] for r in client.get(
        "/api/v1/search?q=damp").get_json()["items"]}
    first = body["results"][0]
    assert set(first) >= {"type", "id", "title", "title_html", "snippet", "snippet_html", "url", "date"}
    assert first["type"] == "group" and first["url"].startswith("/groups/damp-")
    assert "<mark>Damp</mark>" in first["title_html"]

    bad = client.get("/api/v1/search?q=damp&ward=atlantis")
    assert bad.status_code == 400 and bad.get_json()["field"] == "ward"
    empty = client.get("/api/v1/search").get_json()
    assert empty["results"] == [] and empty["total"] == 0


@pytest.mark.parametrize("search_index", ["whoosh"], indirect=True)  # the Whoosh index's files
def test_a_broken_index_is_a_message_not_a_server_error(app, client, make_user, search_index, tmp_path):
    """CURRENT naming an empty directory, or a SEARCH_DIR that is a file: the page and the API say search is
    not working just now; nothing else breaks."""
    make_groups(make_user, ["Damp busters"])
    root = search_index.root
    (root / "index-empty").mkdir()
    (root / "CURRENT").write_text(f"{(root / 'CURRENT').read_text().split()[0]} index-empty\n")
    response = client.get("/search?q=damp")
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Search is not working just now. Please try again later." in html
    assert "<h2>Tips</h2>" not in html and "results</strong>" not in html
    api = client.get("/api/v1/search?q=damp")
    assert api.status_code == 503
    assert api.get_json()["error"] == "Search is not working just now. Please try again later."

    a_file = tmp_path / "not-a-directory"
    a_file.write_text("oops")
    app.config["SEARCH_DIR"] = str(a_file)
    assert client.get("/search?q=damp").status_code == 503
    assert client.get("/api/v1/search?q=damp").status_code == 503
    assert client.get("/").status_code == 200  # the header's search form is only a form


def test_a_page_past_the_last_shows_the_last(client, make_user, search_index):
    make_groups(make_user, ["Damp busters", "Damp watchers", "Damp fighters"])
    html = client.get("/search?q=damp&page=7").get_data(as_text=True)
    assert "<strong>3 results</strong>" in html
    assert html.count('<h3><a href="/groups/damp-') == 3
    assert "There is no page 7 of these results" in html
    # The API answers the page asked for: past the last, an empty page (never a silent page 1).
    body = client.get("/api/v1/search?q=damp&page=7").get_json()
    assert body["page"] == 7 and body["pages"] == 1 and body["total"] == 3
    assert body["items"] == body["results"] == [] and body["next"] is None
    assert not any("There is no page" in m for m in body["messages"])

    make_groups(make_user, [f"Garden club {i}" for i in range(25)])
    html = client.get("/search?q=garden&page=9").get_data(as_text=True)
    assert "Page 2 of 2" in html and html.count('<h3><a href="/groups/garden-club-') == 5
    assert 'rel="prev" href="/search?q=garden&amp;page=1"' in html
    body = client.get("/api/v1/search?q=garden&page=9").get_json()
    assert body["page"] == 9 and body["pages"] == 2 and body["items"] == [] and body["next"] is None
    body = client.get("/api/v1/search?q=garden&page=2").get_json()
    assert body["page"] == 2 and body["pages"] == 2 and len(body["items"]) == 5 and body["next"] is None
    body = client.get("/api/v1/search?q=garden&page=999").get_json()
    assert body["page"] == 999 and body["items"] == []


def test_the_search_api_takes_per_page_up_to_the_maximum(client, make_user, search_index):
    make_groups(make_user, [f"Garden club {i}" for i in range(25)])
    body = client.get("/api/v1/search?q=garden&per_page=100").get_json()
    assert body["per_page"] == 100 and len(body["items"]) == 25 and body["pages"] == 1
    for bad in ("101", "0", "x", "²"):
        response = client.get(f"/api/v1/search?q=garden&per_page={bad}")
        assert response.status_code == 400 and response.get_json()["field"] == "per_page", bad
        assert "from 1 to 100" in response.get_json()["error"]
    response = client.get("/api/v1/search?q=garden&page=0")
    assert response.status_code == 400 and response.get_json()["field"] == "page"


def test_search_times_are_utc_to_the_second(client, make_user, search_index):
    make_groups(make_user, ["Damp busters"])
    for item in client.get("/api/v1/search?q=damp").get_json()["items"]:
        assert item["date"] is None or re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", item["date"])


def test_a_start_date_after_the_end_date_is_named(client, make_user, search_index):
    make_groups(make_user, ["Damp busters"])
    html = client.get("/search?q=damp&date_from=2026-05-01&date_to=2026-04-01").get_data(as_text=True)
    assert '<p class="error-message" id="date_from-error"><span class="visually-hidden">Error:</span> The start ' \
           'date must be on or before the end date.</p>' in html  # beside the field
    assert "Some filters were left out" in html
    bad = client.get("/api/v1/search?q=damp&date_from=2026-05-01&date_to=2026-04-01")
    assert bad.status_code == 400 and bad.get_json()["field"] == "date_from"
    assert "The start date must be on or before the end date." in bad.get_json()["error"]
    good = client.get("/api/v1/search?q=damp&date_from=2026-04-01&date_to=2026-04-01")
    assert good.status_code == 200
