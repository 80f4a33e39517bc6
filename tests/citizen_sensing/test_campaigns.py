"""Campaigns and devices through the pages: an organiser proposes, an officer approves (audit-logged),
volunteers join (openly or with a code) and register devices, whose token is shown once."""

from __future__ import annotations

from sqlalchemy import select

from citizen_sensing.models import Campaign, Device, Participant
from civic.audit import AuditEntry
from civic.db import db
from tests.citizen_sensing.factories import group_of, quantity
from tests.factories import ward_named
from tests.support.pages import text_of


def propose(client, organiser, **overrides):
    data = {"title": "Damp in Church Street homes", "purpose": "Find the damp flats.",
            "group": str(group_of(organiser).id),
            "quantities": [str(quantity("air_temperature").id), str(quantity("relative_humidity").id)],
            "wards": [str(ward_named("Church Street").id)], "starts_on": "2026-11-01", "ends_on": "2027-02-28",
            "licence": "ODbL-1.0", "join_mode": "open", "join_code": ""}
    data.update(overrides)
    return client.post("/sensing/new", data=data)


def test_an_organiser_proposes_and_an_officer_approves(client_as, make_user, signed_in, client):
    organiser_client, organiser = client_as("organiser")
    response = propose(organiser_client, organiser)
    assert response.status_code == 302
    campaign = db.session.scalar(select(Campaign).where(Campaign.title == "Damp in Church Street homes"))
    assert (campaign.status, campaign.licence) == ("proposed", "ODbL-1.0")
    assert client.get(f"/sensing/{campaign.slug}").status_code == 404  # not public yet
    assert organiser_client.get(f"/sensing/{campaign.slug}").status_code == 200
    officer_client, officer = client_as("officer")
    assert officer_client.post(f"/sensing/{campaign.slug}/decision",
                               data={"decision": "approve", "reason": "Good plan"}).status_code == 302
    db.session.refresh(campaign)
    assert campaign.status == "approved"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "sensing.campaign_approved"))
    assert (entry.actor_id, entry.object_id, entry.reason) == (officer.id, campaign.id, "Good plan")
    assert "Damp in Church Street homes" in text_of(client.get("/sensing/"))


def test_only_organisers_propose_and_only_for_their_own_group(client_as, make_user):
    resident_client, _ = client_as("resident")
    assert resident_client.get("/sensing/new").status_code == 403
    organiser_client, organiser = client_as("organiser")
    other = make_user("organiser")
    response = propose(organiser_client, organiser, group=str(group_of(other).id))
    assert response.status_code == 200
    assert "Choose a group you organise." in text_of(response)
    assert db.session.scalar(select(Campaign)) is None


def test_bad_input_is_named_beside_its_field(client_as):
    organiser_client, organiser = client_as("organiser")
    response = propose(organiser_client, organiser, ends_on="2026-10-01", quantities=[])
    assert response.status_code == 200
    assert "Choose at least one thing to measure." in text_of(response)


def test_organisers_manage_only_their_own_campaigns(client_as, make_campaign, make_user):
    theirs = make_campaign(status="proposed")
    organiser_client, _ = client_as("organiser")
    assert organiser_client.get(f"/sensing/{theirs.slug}").status_code == 404  # another group's proposal
    assert organiser_client.post(f"/sensing/{theirs.slug}/decision", data={"decision": "approve"}).status_code == 403
    approved = make_campaign()
    assert organiser_client.post(f"/sensing/{approved.slug}/flag", data={}).status_code == 403


def test_volunteers_join_with_the_code_and_register_a_device(client_as, make_campaign):
    campaign = make_campaign(join_mode="code", join_code="frogs-2026")
    client, volunteer = client_as("resident")
    assert client.get(f"/sensing/{campaign.slug}/devices/new").status_code == 403
    client.post(f"/sensing/{campaign.slug}/join", data={"code": "toads"})
    assert db.session.scalar(select(Participant).where(Participant.user_id == volunteer.id)) is None
    assert client.post(f"/sensing/{campaign.slug}/join", data={"code": "frogs-2026"}).status_code == 302
    response = client.post(f"/sensing/{campaign.slug}/devices/new", data={
        "name": "Frog in the bedroom", "kind": "damp logger", "setting": "indoor", "privacy": "exact",
        "ward": str(ward_named("Church Street").id), "latitude": "51.5225", "longitude": "-0.1705",
        "quantities": [str(q.id) for q in campaign.quantities]})
    assert response.status_code == 200
    assert "Only an outdoor device can be shown at its exact place" in text_of(response)
    response = client.post(f"/sensing/{campaign.slug}/devices/new", data={
        "name": "Frog in the bedroom", "kind": "damp logger", "setting": "indoor", "privacy": "fuzzed",
        "ward": str(ward_named("Church Street").id), "latitude": "51.5225", "longitude": "-0.1705",
        "quantities": [str(q.id) for q in campaign.quantities], "model": "DHT22",
        "sensor_ids": "air_temperature=5a8d1c2b3e4f5a6b7c8d9e01"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("private")
    device = db.session.scalar(select(Device).where(Device.owner_id == volunteer.id))
    token = response.get_data(as_text=True).split('readonly value="')[1].split('"')[0]
    assert token.startswith("civicdev_") and device.token_hash != token
    assert sorted(s.external_id for s in device.sensors) == ["5a8d1c2b3e4f5a6b7c8d9e01", "relative_humidity"]
    assert {s.model for s in device.sensors} == {"DHT22"}
    page = client.get(f"/sensing/devices/{device.id}")
    assert token not in page.get_data(as_text=True)  # shown once


def test_campaign_page_queries_do_not_grow(client, make_campaign, make_device, post_as_device, count_queries):
    campaign = make_campaign()
    _d, token = make_device(campaign)
    post_as_device(token, "/api/sensing/readings", {"readings": [
        {"quantity": "air_temperature", "value": 20, "timestamp": "2026-12-01T08:00:00Z"}]})
    with count_queries() as few:
        assert client.get(f"/sensing/{campaign.slug}").status_code == 200
    for _ in range(5):
        _d, token = make_device(campaign)
        post_as_device(token, "/api/sensing/readings", {"readings": [
            {"quantity": q, "value": 20, "timestamp": "2026-12-01T08:00:00Z"}
            for q in ("air_temperature", "relative_humidity")]})
    with count_queries() as many:
        client.get(f"/sensing/{campaign.slug}")
    assert many.count == few.count


def test_index_queries_do_not_grow(client, make_campaign, count_queries):
    make_campaign()
    with count_queries() as few:
        client.get("/sensing/")
    for _ in range(5):
        make_campaign()
    with count_queries() as many:
        client.get("/sensing/")
    assert many.count == few.count


def test_charts_come_with_their_tables_and_vendored_scripts_only(client, make_campaign, make_device,
                                                                 post_as_device):
    import json
    import re
    from datetime import timedelta
    from html import unescape

    from civic.db import utcnow

    campaign = make_campaign()
    _d, token = make_device(campaign)
    now = utcnow().replace(minute=30, second=0, microsecond=0)
    stamps = [(now - timedelta(hours=k)).strftime("%Y-%m-%dT%H:%M:%SZ") for k in (3, 2)]
    post_as_device(token, "/api/sensing/readings", {"readings": [
        {"quantity": "air_temperature", "value": v, "timestamp": t} for t, v in zip(stamps, (17.0, 18.0),
                                                                                     strict=True)]})
    html = client.get(f"/sensing/{campaign.slug}?range=day").get_data(as_text=True)
    assert "<svg" in html and "The figures as a table" in html and "<caption>" in html
    series = json.loads(unescape(re.search(r'data-series="([^"]+)"', html)[1]))
    assert series["mean"] == [17.0, 18.0] and series["unit"] == "°C"
    sources = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert "/static/vendor/uplot/uPlot.iife.min.js" in sources and "/static/js/sensing-charts.js" in sources
    assert all(s.startswith("/static/") for s in sources)


def test_admins_extend_the_catalogue_audit_logged(client_as):
    from citizen_sensing.models import Quantity

    client, admin = client_as("admin")
    response = client.post("/sensing/quantities", data={
        "key": "pm1", "name": "PM1", "unit": "µg/m³", "min_value": "0", "max_value": "1000"})
    assert response.status_code == 302
    assert db.session.scalar(select(Quantity.unit).where(Quantity.key == "pm1")) == "µg/m³"
    assert db.session.scalar(select(AuditEntry.actor_id).where(AuditEntry.action == "sensing.quantity_added")) \
        == admin.id
    again = client.post("/sensing/quantities", data={
        "key": "pm1", "name": "PM1", "unit": "µg/m³", "min_value": "0", "max_value": "1000"})
    assert "The catalogue has that key already." in text_of(again)
    officer, _ = client_as("officer")
    assert officer.get("/sensing/quantities").status_code == 403
