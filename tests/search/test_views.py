"""The search page, the header's search form and the JSON endpoint."""

from __future__ import annotations

import re

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
    assert "Some filters were left out" in html and "Not a valid choice" in html
    assert "<strong>1 result</strong>" in html  # the search ran without them


def test_json_endpoint(client, make_user, search_index):
    make_groups(make_user, ["Damp busters", "Damp watchers"])
    body = client.get("/api/v1/search?q=damp&per_page=1").get_json()
    assert body["total"] == 2 and body["counts"]["group"] == 2 and body["counts"]["proposal"] == 0
    assert body["page"] == 1 and body["pages"] == 1
    first = body["results"][0]
    assert set(first) >= {"type", "id", "title", "title_html", "snippet", "snippet_html", "url", "date"}
    assert first["type"] == "group" and first["url"].startswith("/groups/damp-")
    assert "<mark>Damp</mark>" in first["title_html"]

    bad = client.get("/api/v1/search?q=damp&ward=atlantis")
    assert bad.status_code == 400 and bad.get_json()["field"] == "ward"
    empty = client.get("/api/v1/search").get_json()
    assert empty["results"] == [] and empty["total"] == 0


def test_proposals_list_uses_the_search(client, make_user, make_process, make_proposal, search_index):
    """Search inside lists: the proposals list's text filter finds word forms too ("cycling" -> "cycle")."""
    process = make_process()
    author = make_user("resident")
    lane = make_proposal(process, author, title="A protected cycle lane on Queensway")
    make_proposal(process, author, title="More benches on Queensway")
    services.drain()
    html = client.get(f"/processes/{process.slug}/proposals/?q=cycling").get_data(as_text=True)
    assert f'href="/proposals/{lane.id}"' in html and "More benches" not in html
    html = client.get(f"/processes/{process.slug}/proposals/?q=benches").get_data(as_text=True)
    assert "More benches" in html and "cycle lane" not in html
    html = client.get(f"/processes/{process.slug}/proposals/?q=benches+walrus").get_data(as_text=True)
    assert "More benches" not in html  # a list's filter needs every word (no "any of them" fallback)
