"""The core's map kit (civic.maps): reading a point, the wards' whereabouts, questioning a point far from its
ward, streamed GeoJSON, and the one macro's three modes."""

from __future__ import annotations

import json

import pytest
from flask import render_template_string

from civic import maps
from civic.errors import RuleViolation
from civic.spaces.reference import WARDS as WARD_NAMES


@pytest.fixture
def ctx(app):
    with app.test_request_context("/"):
        yield


@pytest.mark.parametrize(("lat", "lng", "says"), [
    ("51.5", "", "Give both the latitude and the longitude"),
    ("", "-0.15", "Give both the latitude and the longitude"),
    ("north", "-0.15", "was not understood"),
    ("nan", "-0.15", "was not understood"),
    ("inf", "-0.15", "was not understood"),
    ("48.8566", "2.3522", "The point on the map is outside Greater London."),
    ("-0.15", "51.5", "outside Greater London"),  # the two swapped
])
def test_a_point_that_will_not_do_is_refused_naming_the_field(ctx, lat, lng, says):
    with pytest.raises(RuleViolation) as caught:
        maps.parse_point(lat, lng, field="where")
    assert says in caught.value.message and caught.value.field == "where"


def test_a_point_is_read_rounded_and_neither_is_none(ctx):
    assert maps.parse_point(" 51.52251234 ", "-0.17051299") == (51.522512, -0.170513)
    assert maps.parse_point(51.5, -0.15) == (51.5, -0.15)
    assert maps.parse_point("", "  ") is None and maps.parse_point(None, None) is None
    with pytest.raises(RuleViolation, match="outside Westminster"):
        maps.parse_point("51.45", "-0.15", bounds=maps.WESTMINSTER, where="Westminster")


def test_every_ward_is_known_with_its_centre_inside_its_box_and_westminster():
    assert set(maps.WARDS) == set(WARD_NAMES)
    for area in maps.WARDS.values():
        assert area.bounds.contains(*area.centre), area.name
        assert maps.WESTMINSTER.contains(area.bounds.south, area.bounds.west), area.name
        assert maps.WESTMINSTER.contains(area.bounds.north, area.bounds.east), area.name


def test_distance_outside_a_box():
    box = maps.Bounds(51.50, -0.15, 51.51, -0.14)
    assert box.metres_outside(51.505, -0.145) == 0
    assert box.metres_outside(51.52, -0.145) == pytest.approx(1113, abs=2)  # 0.01° of latitude north
    assert maps.metres_outside_ward((51.5225, -0.1705), "Church Street") == 0
    assert maps.metres_outside_ward((51.5, -0.15), "Atlantis") is None


def test_a_point_far_outside_its_ward_is_questioned_until_confirmed(ctx):
    pimlico = (51.4870, -0.1375)
    with pytest.raises(RuleViolation) as caught:
        maps.question_point(pimlico, "Church Street", confirmed=False)
    assert caught.value.field == "latitude"
    assert "about 4.6 km from the middle of Church Street ward" in caught.value.message
    assert "tick “The point is right”" in caught.value.message
    maps.question_point(pimlico, "Church Street", confirmed=True)
    maps.question_point(pimlico, "Pimlico South", confirmed=False)
    maps.question_point(None, "Church Street", confirmed=False)
    # Just over the boundary is not far: the boxes are rough, a neighbour's street is not a mistake.
    maps.question_point((51.5140, -0.1705), "Church Street", confirmed=False)


def test_geojson_streams_features_and_says_when_it_was_cut():
    features = (maps.feature(i, 51.5 + i / 1000, -0.15, {"title": f"Point “{i}”"}) for i in range(800))
    chunks = list(maps.geojson_chunks(features, limit=700))
    assert len(chunks) > 2
    data = json.loads("".join(chunks))
    assert data["type"] == "FeatureCollection" and data["truncated"] is True and len(data["features"]) == 700
    assert data["features"][3] == {"type": "Feature", "id": 3, "properties": {"title": "Point “3”"},
                                   "geometry": {"type": "Point", "coordinates": [-0.15, 51.503]}}
    assert json.loads("".join(maps.geojson_chunks([], limit=5))) == {
        "type": "FeatureCollection", "features": [], "truncated": False}
    assert json.loads("".join(maps.geojson_chunks([maps.feature(1, 51.5, -0.1, {})], limit=1)))["truncated"] is False


MACRO = '{% from "_map.html" import map %}'


def test_a_points_map_is_hidden_behind_a_skip_link_until_the_script_shows_it(ctx):
    html = render_template_string(MACRO + '{{ map("m", "Map of things", geojson_url="/things.geojson?a=1&b=2", '
                                          'describedby="m-words") }}')
    assert '<a class="map-skip" href="#m-end" hidden data-map-skip="m">Skip the map</a>' in html
    assert 'id="m" hidden role="region" aria-label="Map of things" aria-describedby="m-words" data-map="points"' \
        in html
    assert 'data-geojson-url="/things.geojson?a=1&amp;b=2"' in html
    assert html.index("Skip the map") < html.index('id="m"') < html.index('id="m-end"')
    assert json.loads(_attr(html, "data-bounds")) == maps.LONDON.as_list()


def test_a_point_map_names_no_field_and_a_picker_has_typed_fields(app, ctx):
    from flask_wtf import FlaskForm
    from wtforms import BooleanField, SelectField, StringField

    class Form(FlaskForm):
        class Meta:
            csrf = False

        latitude = StringField("Latitude (optional)")
        longitude = StringField("Longitude (optional)")
        ward = SelectField("Ward", choices=[("1", "Church Street")])
        point_confirmed = BooleanField("The point is right")

    html = render_template_string(MACRO + '{{ map("p", "Where", point=(51.52, -0.17, "A <b>title</b>")) }}')
    assert 'data-map="point"' in html and 'data-lat="51.52" data-lng="-0.17"' in html
    assert 'data-title="A &lt;b&gt;title&lt;/b&gt;"' in html
    form = Form(data={"latitude": "51.5225", "longitude": "-0.1705"})
    html = render_template_string(MACRO + '{{ map("pick", "Choose", pick={"lat": form.latitude, "lng": '
                                          'form.longitude, "ward": "ward", "confirm": form.point_confirmed}) }}',
                                  form=form)
    assert '<label class="label" for="latitude">Latitude (optional)</label>' in html
    assert 'id="latitude" name="latitude" type="text" value="51.5225"' in html
    assert 'data-lat-input="latitude" data-lng-input="longitude" data-ward-input="ward"' in html
    assert json.loads(_attr(html, "data-wards"))["Queen's Park"]["centre"] == [51.5305, -0.2085]
    assert "Skip the map" not in html and "The point is right" not in html  # not asked before it is questioned
    form.latitude.errors = ["This point is about 4.8 km from the middle of Church Street ward"]
    html = render_template_string(MACRO + '{{ map("pick", "Choose", pick={"lat": form.latitude, "lng": '
                                          'form.longitude, "confirm": form.point_confirmed}) }}', form=form)
    assert "The point is right" in html and "data-ward-input" not in html


def _attr(html: str, name: str) -> str:
    import html as html_lib
    start = html.index(f'{name}="') + len(name) + 2
    return html_lib.unescape(html[start:html.index('"', start)])


def test_a_cut_collection_closes_its_source_at_once():
    closed = []

    def source():
        try:
            for i in range(10):
                yield maps.feature(i, 51.5, -0.15, {})
        finally:
            closed.append(True)  # where a cursor would be closed

    features = source()  # held here, so only the kit can have closed it
    assert json.loads("".join(maps.geojson_chunks(features, limit=3)))["truncated"] is True
    assert closed == [True]
