"""Every format real devices send, from the payload fixtures, through the one ingest service."""

from __future__ import annotations

import base64

from sqlalchemy import func, select

from citizen_sensing.models import Aggregate, Reading
from civic.db import db

OSEM_IDS = {"air_temperature": "5a8d1c2b3e4f5a6b7c8d9e01", "relative_humidity": "5a8d1c2b3e4f5a6b7c8d9e02"}


def stored(device) -> list[tuple[str, float]]:
    rows = db.session.execute(select(Reading.measured_at, Reading.value).where(Reading.device_id == device.id)
                              .order_by(Reading.measured_at, Reading.value)).all()
    return [(t.strftime("%Y-%m-%dT%H:%M:%S"), v) for t, v in rows]


def test_osem_json_array(make_campaign, make_device, post_as_device, fixture):
    device, token = make_device(make_campaign(), sensors=OSEM_IDS)
    response = post_as_device(token, f"/api/sensing/osem/boxes/{device.public_key}/data", fixture("osem-array.json"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (3, 0, 0)
    assert stored(device) == [("2026-11-20T08:15:00", 21.4), ("2026-11-20T08:15:00", 68.2),
                              ("2026-11-20T08:20:00", 21.1)]


def test_osem_json_object_and_csv(make_campaign, make_device, post_as_device, fixture):
    device, token = make_device(make_campaign(), sensors=OSEM_IDS)
    path = f"/api/sensing/osem/boxes/{device.public_key}/data"
    body = post_as_device(token, path, fixture("osem-object.json")).get_json()
    assert body["accepted"] == 2
    assert any("arrived" in note for note in body["notes"])  # "20.9" came without a time
    response = post_as_device(token, path, fixture("osem.csv"), content_type="text/csv")
    assert response.status_code == 201
    assert response.get_json()["accepted"] == 3
    assert ("2026-11-20T08:30:00", 20.7) in stored(device) and ("2026-11-20T08:30:00", 71.4) in stored(device)


def test_osem_one_sensor(make_campaign, make_device, post_as_device):
    device, token = make_device(make_campaign(), sensors=OSEM_IDS)
    response = post_as_device(token, f"/api/sensing/osem/boxes/{device.public_key}/{OSEM_IDS['air_temperature']}",
                              {"value": "19.5", "createdAt": "2026-11-21T10:00:00Z"})
    assert response.status_code == 201
    assert stored(device) == [("2026-11-21T10:00:00", 19.5)]


def test_airrohr_maps_types_converts_pascals_and_reports_unknown_ones(make_campaign, make_device, client, fixture):
    campaign = make_campaign(quantities=("pm10", "pm2_5", "air_temperature", "pressure", "relative_humidity"))
    device, token = make_device(campaign, setting="outdoor")
    basic = base64.b64encode(f"esp8266-15052017:{token}".encode()).decode()
    response = client.post("/api/sensing/airrohr", data=fixture("airrohr.json"), content_type="application/json",
                           headers={"Authorization": f"Basic {basic}", "X-Sensor": "esp8266-15052017",
                                    "X-MAC-ID": "esp8266-aa:bb:cc:dd:ee:ff"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["accepted"] == 5
    assert "samples" in " ".join(body["notes"]) and "signal" in " ".join(body["notes"])
    values = {s.quantity.key: v for s in device.sensors
              for v in db.session.scalars(select(Reading.value).where(Reading.sensor_id == s.id))}
    assert values == {"pm10": 12.35, "pm2_5": 7.80, "air_temperature": 14.98, "pressure": 1005.2025,
                      "relative_humidity": 79.60}


def test_smart_citizen_json_reads_zoneless_times_as_utc(make_campaign, make_device, post_as_device, fixture):
    device, token = make_device(make_campaign())
    response = post_as_device(token, "/api/sensing/smartcitizen", fixture("smartcitizen.json"))
    assert response.status_code == 201
    body = response.get_json()
    assert body["accepted"] == 4
    assert any("UTC" in note for note in body["notes"])
    assert ("2026-11-20T08:30:00", 19.6) in stored(device)


def test_smart_citizen_sd_card_csv_rejects_nan_keeps_the_rest(make_campaign, make_device, post_as_device, fixture):
    device, token = make_device(make_campaign(), sensors={"air_temperature": "55", "relative_humidity": "56"})
    response = post_as_device(token, "/api/sensing/smartcitizen", fixture("smartcitizen-sd.csv"),
                              content_type="text/csv")
    assert response.status_code == 207
    body = response.get_json()
    assert (body["accepted"], body["rejected"]) == (5, 1)
    bad = [i for i in body["items"] if i["status"] == "rejected"]
    assert bad == [{"item": "line 7, HUM", "status": "rejected", "field": "value",
                    "reason": "The value is not a finite number."}]


def test_our_csv_from_a_damp_logger(make_campaign, make_device, post_as_device, fixture):
    device, token = make_device(make_campaign())
    response = post_as_device(token, "/api/sensing/readings", fixture("damp-logger.csv"), content_type="text/csv")
    assert response.status_code == 201
    assert response.get_json()["accepted"] == 6
    assert stored(device)[:2] == [("2026-11-20T22:00:00", 16.2), ("2026-11-20T22:00:00", 81.5)]


def test_our_json_batch_and_aggregates_kept_up_to_date(make_campaign, make_device, post_as_device):
    device, token = make_device(make_campaign())
    readings = [{"quantity": "air_temperature", "value": v, "timestamp": f"2026-11-20T08:{m:02d}:00Z"}
                for m, v in ((0, 18.0), (10, 18.5), (20, 19.0))]
    assert post_as_device(token, "/api/sensing/readings", {"readings": readings}).status_code == 201
    assert post_as_device(token, "/api/sensing/readings", {"readings": [
        {"quantity": "air_temperature", "value": 20.0, "timestamp": "2026-11-20T09:00:00Z"}]}).status_code == 201
    sensor = next(s for s in device.sensors if s.quantity.key == "air_temperature")
    hours = db.session.execute(select(Aggregate.count, Aggregate.min_value, Aggregate.max_value, Aggregate.sum_value)
                               .where(Aggregate.sensor_id == sensor.id, Aggregate.period == "hour")
                               .order_by(Aggregate.starts_at)).all()
    assert [tuple(h) for h in hours] == [(3, 18.0, 19.0, 55.5), (1, 20.0, 20.0, 20.0)]
    day = db.session.execute(select(Aggregate.count, Aggregate.min_value, Aggregate.max_value)
                             .where(Aggregate.sensor_id == sensor.id, Aggregate.period == "day")).one()
    assert tuple(day) == (4, 18.0, 20.0)


def test_a_resent_batch_is_answered_as_duplicates_and_stored_once(make_campaign, make_device, post_as_device,
                                                                  fixture):
    device, token = make_device(make_campaign(), sensors=OSEM_IDS)
    path = f"/api/sensing/osem/boxes/{device.public_key}/data"
    post_as_device(token, path, fixture("osem-array.json"))
    again = post_as_device(token, path, fixture("osem-array.json"))
    assert again.status_code == 201
    assert (again.get_json()["accepted"], again.get_json()["duplicates"]) == (0, 3)
    assert db.session.scalar(select(func.count()).select_from(Reading).where(Reading.device_id == device.id)) == 3
    sensor = next(s for s in device.sensors if s.quantity.key == "air_temperature")
    assert db.session.scalar(select(Aggregate.count).where(Aggregate.sensor_id == sensor.id,
                                                           Aggregate.period == "day")) == 2
