"""The ingest's rules: values, times, duplicates, per-item answers, limits, the rate limit, and a corpus of
malformed payloads that must never give a 500."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from citizen_sensing.models import Reading, Rejection
from civic.db import db, utcnow


def reading(value, timestamp="2026-11-20T08:00:00Z", quantity="air_temperature"):
    return {"quantity": quantity, "value": value, "timestamp": timestamp}


def count(device) -> int:
    return db.session.scalar(select(func.count()).select_from(Reading).where(Reading.device_id == device.id))


@pytest.fixture
def device(make_campaign, make_device):
    return make_device(make_campaign())


def test_a_batch_keeps_the_good_items_and_names_each_bad_one(device, post_as_device):
    found, token = device
    future = (utcnow() + timedelta(minutes=5)).isoformat()
    batch = [reading(20.1, "2026-11-20T08:00:00Z"), reading("nan", "2026-11-20T08:01:00Z"),
             reading(20.2, "1970-01-01T00:00:00Z"), reading(20.3, future), reading(71, "2026-11-20T08:04:00Z"),
             reading(True, "2026-11-20T08:05:00Z"), reading(20.4, "yesterday"), reading("20.5", "2026-11-20T08:07:00"),
             reading(1e400, "2026-11-20T08:08:00Z"), {"quantity": "radon", "value": 1},
             reading(20.1, "2026-11-20T08:00:00Z")]
    response = post_as_device(token, "/api/sensing/readings", {"readings": batch})
    assert response.status_code == 207
    body = response.get_json()
    answers = {i["item"]: (i["status"], i.get("field")) for i in body["items"]}
    assert answers == {"0": ("accepted", None), "1": ("rejected", "value"), "2": ("rejected", "timestamp"),
                       "3": ("rejected", "timestamp"), "4": ("rejected", "value"), "5": ("rejected", "value"),
                       "6": ("rejected", "timestamp"), "7": ("accepted", None), "8": ("rejected", "value"),
                       "9": ("rejected", "sensor"), "10": ("duplicate", None)}
    assert "physical range" in next(i["reason"] for i in body["items"] if i["item"] == "4")
    assert "future" in next(i["reason"] for i in body["items"] if i["item"] == "3")
    assert any("UTC" in n for n in body["notes"])  # item 7 had no zone
    assert count(found) == 2
    assert db.session.scalar(select(func.count()).select_from(Rejection).where(Rejection.device_id == found.id)) == 8


def test_nothing_good_is_a_422_naming_the_item_and_field_and_the_refusals_are_kept(device, post_as_device):
    found, token = device
    response = post_as_device(token, "/api/sensing/readings", {"readings": [reading(20), reading("warm")]})
    assert response.status_code == 207
    response = post_as_device(token, "/api/sensing/readings", {"readings": [reading("warm", "2026-11-20T09:00Z")]})
    assert response.status_code == 422
    body = response.get_json()
    assert (body["item"], body["field"], body["code"]) == ("0", "value", "validation_failed")
    assert "Item 0" in body["error"]
    reasons = db.session.scalars(select(Rejection.reason).where(Rejection.device_id == found.id)).all()
    assert len(reasons) == 2  # one from each request, the refused request's kept after its rollback


def test_413_beyond_2500_readings_or_1_mb(device, post_as_device):
    _found, token = device
    many = [reading(20, f"2026-11-20T08:00:{s % 60:02d}Z") for s in range(2501)]
    response = post_as_device(token, "/api/sensing/readings", {"readings": many})
    assert response.status_code == 413
    assert "2,500" in response.get_json()["error"]
    huge = b'{"readings": [' + b" " * (1024 * 1024) + b"]}"
    response = post_as_device(token, "/api/sensing/readings", huge)
    assert response.status_code == 413 and "1 MB" in response.get_json()["error"]


def test_rate_limit_per_device_with_retry_after(app, device, make_device, make_campaign, post_as_device, limits_on):
    _found, token = device
    app.config["SENSING_INGEST_RATE_LIMIT"] = "3 per minute"
    try:
        statuses = [post_as_device(token, "/api/sensing/readings",
                                   {"readings": [reading(20, f"2026-11-20T08:0{i}:00Z")]}).status_code
                    for i in range(4)]
        assert statuses == [201, 201, 201, 429]
        refused = post_as_device(token, "/api/sensing/readings", {"readings": [reading(20)]})
        assert refused.get_json()["code"] == "rate_limited" and int(refused.headers["Retry-After"]) > 0
        _other, other_token = make_device(make_campaign())
        assert post_as_device(other_token, "/api/sensing/readings", {"readings": [reading(20)]}).status_code == 201
    finally:
        app.config.pop("SENSING_INGEST_RATE_LIMIT", None)


MALFORMED = [
    b"{", b"[1, 2", b"", b"   ", b"null", b"42", b'"text"', b"[]", b"{}", b'{"readings": {}}',
    b'{"readings": [null, 1, "x", [], {"value": {}}]}', b'{"readings": [{"quantity": [], "value": 1}]}',
    b'{"readings": [{"quantity": "air_temperature", "value": NaN}]}',
    b'{"readings": [{"quantity": "air_temperature", "value": Infinity}]}',
    b'{"readings": [{"quantity": "air_temperature", "value": -Infinity}]}',
    b'{"readings": [{"quantity": "air_temperature", "value": 1e999}]}',
    b'{"readings": [{"quantity": "air_temperature", "value": 99999999999999999999999999999}]}',
    b'{"readings": [{"quantity": "air_temperature", "value": 1, "timestamp": 1732089600}]}',
    b'{"readings": [{"quantity": "air_temperature", "value": 1, "timestamp": "9999-12-31T23:59:59+14:00"}]}',
    b'{"readings": [{"quantity": "air_temperature", "value": 1, "timestamp": "0001-01-01T00:00:00-14:00"}]}',
    b'{"readings": [{"quantity": "air_temperature", "value": "1", "timestamp": "2026-11-20T08:00:00\\u0000"}]}',
    b'{"readings": [{"quantity": "\\ud800", "value": 1}]}',
    b"[" * 10000 + b"]" * 10000,
    "{\"readings\": [{\"quantity\": \"air_temperature\", \"value\": \"1\"}]}".encode("utf-16"),
    b"\xff\xfe\xfa garbage",
    b'{"readings": [{"quantity": "air_temperature", "value": "' + b"9" * 5000 + b'"}]}',
]


@pytest.mark.parametrize("path", ["/api/sensing/readings", "/api/sensing/osem/boxes/{box}/data",
                                  "/api/sensing/osem/boxes/{box}/air_temperature", "/api/sensing/airrohr",
                                  "/api/sensing/smartcitizen"])
def test_nothing_a_device_sends_causes_a_500(device, post_as_device, path):
    found, token = device
    address = path.format(box=found.public_key)
    for body in MALFORMED:
        for content_type in ("application/json", "text/csv"):
            response = post_as_device(token, address, body, content_type=content_type)
            assert response.status_code < 500, (address, body[:60], content_type)
            if response.status_code >= 400:
                assert response.get_json()["error"], (address, body[:60])
    csv_bodies = [b"timestamp\n", b"timestamp,air_temperature\n,\n", b"\x00\x00", b"a,b,c\n" * 3,
                  b"TIME,TEMP\nC\nname\n,55\n2026-11-20T08:00:00Z,nan\n", b'"unterminated\n']
    for body in csv_bodies:
        response = post_as_device(token, address, body, content_type="text/csv")
        assert response.status_code < 500, (address, body)
