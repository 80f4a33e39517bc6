"""Citizen sensing in the JSON API: campaigns, devices with privacy applied, readings and aggregates; and a
schemathesis walk of these operations with real rows."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

HOME = (51.5262, -0.1655)
HOST = {"Host": "civic.test"}


def test_campaigns_devices_readings_aggregates(client, make_campaign, make_device, post_as_device):
    campaign = make_campaign(licence="ODbL-1.0")
    make_campaign(status="proposed", title="Not yet")
    area, token = make_device(campaign, privacy="area", point=HOME)
    fuzzed, _ = make_device(campaign, privacy="fuzzed", point=HOME)
    post_as_device(token, "/api/sensing/readings", {"readings": [
        {"quantity": "air_temperature", "value": v, "timestamp": f"2026-11-20T08:{m:02d}:00Z"}
        for m, v in ((0, 18.0), (30, 19.0))] + [
        {"quantity": "air_temperature", "value": 45, "timestamp": "2026-11-20T09:00:00Z"}]})
    listed = client.get("/api/v1/sensing/campaigns").get_json()
    assert [c["slug"] for c in listed["items"]] == [campaign.slug]
    assert listed["items"][0]["licence"]["key"] == "ODbL-1.0"
    index = client.get("/api/v1/").get_json()
    assert index["sensing_campaigns"] == "http://civic.test/api/v1/sensing/campaigns"
    devices = {d["id"]: d for d in client.get(f"/api/v1/sensing/campaigns/{campaign.slug}/devices").get_json()["items"]}
    assert devices[area.public_key]["location"] is None and devices[area.public_key]["ward"] == "Church Street"
    location = devices[fuzzed.public_key]["location"]
    assert location["precision"] == "within about 250 m" and (location["latitude"], location["longitude"]) != HOME
    readings = client.get(f"/api/v1/sensing/devices/{area.public_key}/readings").get_json()["items"]
    assert [(r["measured_at"], r["value"], r["flag"]) for r in readings] == [
        ("2026-11-20T09:00:00Z", 45.0, "expected_range"), ("2026-11-20T08:30:00Z", 19.0, None),
        ("2026-11-20T08:00:00Z", 18.0, None)]
    hours = client.get(f"/api/v1/sensing/devices/{area.public_key}/aggregates?period=hour").get_json()["items"]
    assert [(a["starts_at"], a["count"], a["mean"]) for a in hours] == [("2026-11-20T08:00:00Z", 2, 18.5)]
    assert client.get(f"/api/v1/sensing/devices/{area.public_key}/aggregates?period=week").status_code == 400
    assert client.get("/api/v1/sensing/campaigns/not-yet").status_code == 404


def test_the_sensing_api_keeps_to_its_description(app, make_campaign, make_device, post_as_device):
    campaign = make_campaign()
    device, token = make_device(campaign, privacy="fuzzed", point=HOME)
    post_as_device(token, "/api/sensing/readings", {"readings": [
        {"quantity": "air_temperature", "value": 18.0, "timestamp": "2026-11-20T08:00:00Z"}]})
    # A finding answered and an alert of the device, seen by its owner (a token): every field is checked.
    from citizen_sensing.models import Alert, AlertRule, Finding
    from civic.accounts import api_tokens
    from civic.accounts.models import User
    from civic.db import db, utcnow
    finding = Finding(campaign_id=campaign.id, title="Damp", summary="Damp.", report="Damp.", answered_at=utcnow(),
                      answer_state="accepted", answer_text="We will inspect.")
    rule = AlertRule(campaign_id=campaign.id, kind="offline", minutes=60, active=True)
    db.session.add_all([finding, rule])
    db.session.flush()
    db.session.add(Alert(rule_id=rule.id, device_id=device.id, opened_at=utcnow(), since=utcnow()))
    _row, raw = api_tokens.create_token(db.session.get(User, device.owner_id), "Script", None,
                                        recently_signed_in=True)
    db.session.commit()
    headers = {**HOST, "Authorization": f"Bearer {raw}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, headers=headers)
    real = {"slug": campaign.slug, "box_id": device.public_key, "finding_id": finding.id}
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    walked = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if "/sensing/" not in operation.path:
            continue
        walked += 1
        names = {p.name for p in operation.path_parameters}
        case = operation.Case(path_parameters={n: real[n] for n in names})
        response = case.call(headers=headers)
        assert response.status_code == 200, operation.path
        case.validate_response(response, checks=checks)

        @given(case=operation.as_strategy())
        @settings(max_examples=20, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        def walk(case):
            case.validate_response(case.call(headers=headers), checks=checks)

        walk()
    assert walked == 8
