"""Privacy on the map and in the downloads: exact only outdoors, fuzzed at the same place every time, area-only
devices by their ward, never coordinates; licence and attribution in the file and the headers."""

from __future__ import annotations

import csv
import io
import json

from citizen_sensing import services
from civic.maps import distance_m

HOME = (51.5262, -0.1655)  # a home in Church Street ward, away from its centre
STREET = (51.5230, -0.1720)


def devices(make_campaign, make_device, post_as_device):
    campaign = make_campaign(licence="ODbL-1.0")
    made = {}
    for privacy, setting, point in (("exact", "outdoor", STREET), ("fuzzed", "indoor", HOME), ("area", "indoor", HOME)):
        device, token = make_device(campaign, privacy=privacy, setting=setting, point=point)
        post_as_device(token, "/api/sensing/readings", {"readings": [
            {"quantity": "air_temperature", "value": 19.5, "timestamp": "2026-11-20T08:00:00Z"}]})
        made[privacy] = device
    return campaign, made


def test_the_map_honours_privacy(client, make_campaign, make_device, post_as_device):
    campaign, made = devices(make_campaign, make_device, post_as_device)
    response = client.get(f"/sensing/{campaign.slug}/devices.geojson")
    assert response.status_code == 200
    body = json.loads(response.get_data(as_text=True))
    by_key = {f["id"]: f for f in body["features"]}
    exact = by_key[made["exact"].public_key]["geometry"]["coordinates"]
    assert exact == [STREET[1], STREET[0]]
    fuzzed = by_key[made["fuzzed"].public_key]["geometry"]["coordinates"]
    moved = distance_m((fuzzed[1], fuzzed[0]), HOME)
    assert 40 < moved <= 260
    again = json.loads(client.get(f"/sensing/{campaign.slug}/devices.geojson").get_data(as_text=True))
    assert {f["id"]: f for f in again["features"]}[made["fuzzed"].public_key]["geometry"]["coordinates"] == fuzzed
    area = by_key[made["area"].public_key]
    assert area["properties"]["precision"] == "ward"
    assert distance_m((area["geometry"]["coordinates"][1], area["geometry"]["coordinates"][0]), HOME) > 100
    assert str(HOME[0]) not in response.get_data(as_text=True)
    assert body["licence"]["name"].startswith("Open Data Commons")


def test_fuzzing_is_stable_and_within_250_m(make_campaign, make_device):
    device, _ = make_device(make_campaign(), privacy="fuzzed", point=HOME)
    for _ in range(50):
        device.offset_north_m, device.offset_east_m = services._fuzz_offset()
        assert 45 <= distance_m(services.public_point(device), HOME) <= 251
        assert services.public_point(device) == services.public_point(device)


def test_readings_csv_and_geojson(client, make_campaign, make_device, post_as_device):
    campaign, made = devices(make_campaign, make_device, post_as_device)
    response = client.get(f"/sensing/{campaign.slug}/readings.csv")
    assert response.status_code == 200
    assert 'rel="license"' in response.headers["Link"] and "odbl" in response.headers["Link"]
    assert campaign.title in response.headers["X-Attribution"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    licence_row = rows.pop()
    assert licence_row["campaign"] == "#" and "Open Data Commons" in licence_row["device"]
    by_device = {r["device"]: r for r in rows}
    assert by_device[made["area"].public_key]["latitude"] == ""
    assert by_device[made["area"].public_key]["ward"] == "Church Street"
    assert by_device[made["exact"].public_key]["latitude"] == str(STREET[0])
    assert by_device[made["fuzzed"].public_key]["latitude"] not in ("", str(HOME[0]))
    assert {r["measured_at"] for r in rows} == {"2026-11-20T08:00:00Z"}
    geo = json.loads(client.get(f"/sensing/{campaign.slug}/readings.geojson").get_data(as_text=True))
    area_features = [f for f in geo["features"] if f["properties"]["device"] == made["area"].public_key]
    assert area_features and all(f["geometry"] is None for f in area_features)
    assert geo["licence"]["url"].startswith("https://opendatacommons.org")


def test_downloads_filter_by_device_and_time_and_refuse_bad_times(client, make_campaign, make_device,
                                                                  post_as_device):
    campaign, made = devices(make_campaign, make_device, post_as_device)
    one = client.get(f"/sensing/{campaign.slug}/readings.csv?device={made['exact'].public_key}")
    assert len(one.get_data(as_text=True).strip().splitlines()) == 3  # header, one reading, the licence
    later = client.get(f"/sensing/{campaign.slug}/readings.csv?from=2026-11-21T00:00:00Z")
    assert len(later.get_data(as_text=True).strip().splitlines()) == 2
    bad = client.get(f"/sensing/{campaign.slug}/readings.csv?from=yesterday")
    assert bad.status_code == 400 and bad.get_json()["field"] == "from"


def test_flagged_readings_are_exported_with_their_flag(client, make_campaign, make_device, post_as_device):
    campaign = make_campaign()
    _device, token = make_device(campaign)
    post_as_device(token, "/api/sensing/readings", {"readings": [
        {"quantity": "air_temperature", "value": 45, "timestamp": "2026-11-20T08:00:00Z"}]})
    rows = list(csv.DictReader(io.StringIO(client.get(f"/sensing/{campaign.slug}/readings.csv")
                                           .get_data(as_text=True))))
    assert rows[0]["flag"] == "expected_range" and rows[0]["value"] == "45.0"


def test_a_proposed_campaign_has_no_public_downloads(client, make_campaign):
    campaign = make_campaign(status="proposed")
    assert client.get(f"/sensing/{campaign.slug}/readings.csv").status_code == 404
    assert client.get(f"/sensing/{campaign.slug}/devices.geojson").status_code == 404
