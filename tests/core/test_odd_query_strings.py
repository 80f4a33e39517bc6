"""Query strings a person (or a crawler) may send that the pages must survive: digits that are not ASCII
(``"²".isdigit()`` is true, ``int("²")`` fails), and argument names that ``url_for`` would read itself when a page
builds links from its own query string (``endpoint``, a path argument's name)."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.mark.parametrize("path", ["/groups/?page=%C2%B2", "/search?q=ward&page=%C2%B2",
                                  "/notifications/?page=%C2%B2", "/groups/?page=%D9%A3"])
def test_unicode_digits_are_the_first_page(client_as, path):
    client, _ = client_as("resident")
    assert client.get(path).status_code == 200


def test_unicode_digits_in_the_search_api_are_a_400_naming_the_page(client):
    """As every list of the API (civic.api.paging): the search page itself still shows page 1."""
    response = client.get("/api/v1/search?q=ward&page=%C2%B2")
    assert response.status_code == 400
    assert response.get_json()["field"] == "page"


def test_links_built_from_the_query_string_leave_out_url_fors_own_names(client):
    for n in range(25):
        factories.empty_group(name=f"Ward walkers {n}")
    response = client.get("/groups/?endpoint=x&q=walkers")
    assert response.status_code == 200
    assert "endpoint=x" not in response.text
    assert "q=walkers" in response.text  # the filter is kept in the page links
