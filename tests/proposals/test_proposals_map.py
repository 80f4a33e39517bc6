"""Proposals on the core's map kit: a point typed or picked, questioned when far from the chosen ward, the
list's map links that no query string breaks, and public pages that name the place, not its numbers."""

from __future__ import annotations

import pytest

from civic.db import utcnow
from tests.proposals.factories import form, proposals_of

PIMLICO = {"latitude": "51.4870", "longitude": "-0.1375"}
FAR = "This point is about 4.6 km from the middle of Church Street ward"


def test_the_form_has_typed_latitude_and_longitude_fields(client_as, make_process):
    process = make_process()
    c, _user = client_as("resident")
    html = c.get(f"/processes/{process.slug}/proposals/new").text
    assert '<label class="label" for="latitude">Latitude (optional)</label>' in html
    assert '<label class="label" for="longitude">Longitude (optional)</label>' in html
    assert 'type="hidden" name="latitude"' not in html and "The point is right" not in html
    assert 'data-map="pick"' in html and 'data-ward-input="ward"' in html and "js/map.js" in html


def test_a_point_far_from_the_chosen_ward_is_questioned_beside_the_field_then_kept_when_confirmed(
        client_as, make_process, ward_id):
    process = make_process()
    c, user = client_as("resident")
    url = f"/processes/{process.slug}/proposals/new"
    response = c.post(url, data=form(ward_id, **PIMLICO))
    assert response.status_code == 200 and proposals_of(user) == []
    html = response.text
    assert f'<p class="error-message" id="latitude-error"><span class="visually-hidden">Error:</span> {FAR}' in html
    assert 'aria-invalid="true"' in html and "The point is right" in html
    assert 'value="51.4870"' in html  # what was typed is kept
    response = c.post(url, data=form(ward_id, point_confirmed="y", **PIMLICO))
    assert response.status_code == 302
    [proposal] = proposals_of(user)
    assert (proposal.latitude, proposal.longitude) == (51.487, -0.1375)
    # Near the ward (a rough box, a street over) is not questioned.
    response = c.post(url, data=form(ward_id, title="Benches near the Church Street market",
                                     latitude="51.5140", longitude="-0.1705"))
    assert response.status_code == 302


def test_an_edit_that_keeps_a_confirmed_point_is_not_asked_again(client_as, make_process, make_proposal,
                                                                 ward_id):
    process = make_process()
    c, user = client_as("resident")
    draft = make_proposal(process, user, state="draft", ward="Church Street", latitude=51.487, longitude=-0.1375)
    data = form(ward_id, title="A better title for the far draft", **PIMLICO)
    assert c.post(f"/proposals/{draft.id}/edit", data=data).status_code == 302
    moved = form(ward_id, title="A better title for the far draft", latitude="51.4950", longitude="-0.1335")
    response = c.post(f"/proposals/{draft.id}/edit", data=moved)
    assert response.status_code == 200 and "km from the middle of Church Street ward" in response.text


def test_typed_numbers_that_are_not_a_point_are_refused_beside_the_latitude(client_as, make_process, ward_id):
    process = make_process()
    c, user = client_as("resident")
    response = c.post(f"/processes/{process.slug}/proposals/new", data=form(ward_id, latitude="51.52",
                                                                            longitude="west"))
    assert response.status_code == 200 and proposals_of(user) == []
    assert 'id="latitude-error"' in response.text and "was not understood" in response.text


@pytest.mark.parametrize("odd", ["slug=x", "_external=1", "_method=x", "_scheme=x", "_anchor=x", "page=2"])
def test_the_list_and_its_map_links_survive_odd_query_strings(client, make_process, make_proposal, make_user, odd):
    process = make_process()
    make_proposal(process, make_user("resident"), title="Trees with a point on the map", latitude=51.5226,
                  longitude=-0.17)
    response = client.get(f"/processes/{process.slug}/proposals/?ward=&q=trees&{odd}")
    assert response.status_code == 200
    assert f'data-geojson-url="/processes/{process.slug}/proposals/map.geojson?q=trees"' in response.text
    assert f'href="/processes/{process.slug}/proposals/export.csv?q=trees"' in response.text


def test_the_list_map_can_be_skipped_and_comes_with_the_list_in_words(client, make_process, make_proposal,
                                                                      make_user):
    process = make_process()
    make_proposal(process, make_user("resident"), title="Trees with a point on the map", latitude=51.5226,
                  longitude=-0.17)
    html = client.get(f"/processes/{process.slug}/proposals/").text
    assert html.index('data-map-skip="proposals-map">Skip the map</a>') < html.index('id="proposals-map"') \
        < html.index('id="proposals-map-end"') < html.index('class="proposal-list"')


def test_the_proposal_page_names_the_place_not_its_coordinates(client, make_process, make_proposal, make_user):
    process = make_process()
    proposal = make_proposal(process, make_user("resident"), ward="Church Street", address="Church Street market",
                             latitude=51.52261, longitude=-0.17004)
    html = client.get(f"/proposals/{proposal.id}").text
    assert "Church Street market, Church Street ward. The map shows the point the author chose." in html
    assert "latitude" not in html.lower().replace("data-lat", "") and "51.5226" not in html.replace(
        'data-lat="51.52261"', "")


def test_geojson_is_streamed_and_cut_at_the_limit(client, make_process, make_proposal, make_user, monkeypatch):
    from proposals import services
    process = make_process()
    author = make_user("resident")
    for i in range(3):
        make_proposal(process, author, title=f"Located proposal number {i}", latitude=51.52, longitude=-0.17,
                      published_at=utcnow())
    response = client.get(f"/processes/{process.slug}/proposals/map.geojson")
    assert response.is_streamed and response.get_json()["truncated"] is False
    monkeypatch.setattr(services, "GEOJSON_LIMIT", 2)
    data = client.get(f"/processes/{process.slug}/proposals/map.geojson").get_json()
    assert len(data["features"]) == 2 and data["truncated"] is True
