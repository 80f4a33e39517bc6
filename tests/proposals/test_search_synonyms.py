"""Synonyms (issue 14, item 9): "bicycle storage" finds the "bike" proposals, on both backends, with the list
that ships (civic/data/search-synonyms.txt) and with a list an operator edits (read again without a restart)."""

from __future__ import annotations

import pytest

from tests.support.search import keys


@pytest.fixture
def bikes(make_user, make_process, make_proposal):
    author = make_user("resident")
    process = make_process(title="Streets for everyone")
    return {
        "hangar": make_proposal(process, author, title="Bike storage hangars on Harrow Road",
                                body="Secure storage for bikes where flats have no room."),
        "racks": make_proposal(process, author, title="More bike racks by the library",
                               body="Somewhere safe to leave a bike."),
        "bins": make_proposal(process, author, title="Bigger litter bins on Queensway",
                              body="The rubbish overflows every weekend."),
        "footway": make_proposal(process, author, title="Wider footway on Edgware Road",
                                 body="People walk in the road."),
    }


def key(proposal) -> str:
    return f"proposal:{proposal.id}"


def test_bicycle_storage_finds_the_bike_proposals(bikes, synonyms, find):
    assert not find("bicycle storage").all_words  # without synonyms no proposal has "bicycle": any word will do
    assert keys(find("bicycle")) == []
    synonyms()  # the list that ships
    page = find("bicycle storage")
    assert page.all_words and keys(page) == [key(bikes["hangar"])]  # every word, or one of its synonyms
    assert page.also_searched == ["bike", "cycle"]  # and the page says which
    assert "<mark>Bike</mark> <mark>storage</mark>" in str(page.results[0].title)  # the synonym is marked too
    assert set(keys(find("bicycle"))) == {key(bikes["hangar"]), key(bikes["racks"])}
    assert set(keys(find("cycling"))) == {key(bikes["hangar"]), key(bikes["racks"])}  # every form of a word
    assert keys(find("pavement")) == [key(bikes["footway"])]
    assert keys(find("litter")) == [key(bikes["bins"])]


def test_synonyms_in_phrases_and_exclusions(bikes, synonyms, find):
    synonyms()
    assert keys(find('"bicycle racks"')) == [key(bikes["racks"])]
    assert keys(find("bicycle -library")) == [key(bikes["hangar"])]
    assert keys(find("storage -bicycle")) == []  # leaving out a word leaves out its synonyms


def test_an_edited_list_is_used_at_once(bikes, synonyms, find, client):
    synonyms("walkway, footway")
    assert keys(find("walkway")) == [key(bikes["footway"])]
    assert keys(find("pavement")) == []  # not in this list
    synonyms("pavement, footway", "garbage, rubbish, litter")
    assert keys(find("pavement")) == [key(bikes["footway"])] and keys(find("walkway")) == []
    assert keys(find("garbage")) == [key(bikes["bins"])]
    html = client.get("/search?q=garbage").get_data(as_text=True)  # the page and the API alike
    assert "Also searched for words that mean the same: litter, rubbish." in html
    assert "Bigger <mark>litter</mark> <mark>bins</mark>" not in html  # (bins is no synonym)
    assert "Bigger <mark>litter</mark> bins" in html
    assert client.get("/api/v1/search?q=garbage").get_json()["total"] == 1
