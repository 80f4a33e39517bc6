"""Devices authenticate with their own token, on the ingest blueprint only: no IDOR between devices, and a
person's API token and a device's token never stand in for each other."""

from __future__ import annotations

from sqlalchemy import func, select

from citizen_sensing.models import Reading
from civic.accounts.api_tokens import create_token
from civic.accounts.models import User
from civic.db import db
from tests.support.access import url_for_rule

ONE = {"readings": [{"quantity": "air_temperature", "value": 20.5, "timestamp": "2026-11-20T08:00:00Z"}]}


def count(device) -> int:
    return db.session.scalar(select(func.count()).select_from(Reading).where(Reading.device_id == device.id))


def test_no_token_or_a_wrong_one_is_401_json(make_campaign, make_device, post_as_device):
    make_device(make_campaign())
    for token in (None, "civicdev_nothing", "not-even-a-prefix"):
        response = post_as_device(token, "/api/sensing/readings", ONE)
        assert response.status_code == 401
        assert response.get_json()["field"] == "Authorization"
        assert "Bearer" in response.headers["WWW-Authenticate"]


def test_a_device_token_writes_only_to_its_own_device(make_campaign, make_device, post_as_device):
    campaign = make_campaign()
    mine, my_token = make_device(campaign, sensors={"air_temperature": "t1"})
    theirs, _their_token = make_device(campaign, sensors={"air_temperature": "t1"})
    box = f"/api/sensing/osem/boxes/{theirs.public_key}"
    for path in (f"{box}/data", f"{box}/t1"):
        response = post_as_device(my_token, path, {"value": 1, "t1": 1} if path.endswith("data") else {"value": 1})
        assert response.status_code == 403, path
    assert count(theirs) == 0
    assert post_as_device(my_token, "/api/sensing/readings", ONE).status_code == 201
    assert (count(mine), count(theirs)) == (1, 0)


def test_a_persons_api_token_is_no_device_token(app, make_user, make_campaign, make_device, post_as_device):
    person = make_user("organiser", password="a long and quiet river")
    _row, personal = create_token(person, "script", "a long and quiet river")
    db.session.commit()
    make_device(make_campaign(person))
    assert post_as_device(personal, "/api/sensing/readings", ONE).status_code == 401


def test_a_device_token_is_no_persons_api_token(app, client, make_campaign, make_device):
    _device, token = make_device(make_campaign())
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_a_revoked_rotated_or_retired_device_token_stops_working(make_campaign, make_device, post_as_device,
                                                                 signed_in):
    campaign = make_campaign()
    device, token = make_device(campaign)
    owner = signed_in(db.session.get(User, device.owner_id))
    page = owner.post(f"/sensing/devices/{device.id}/token")
    assert page.status_code == 200
    new = page.get_data(as_text=True).split('id="token" class="token" type="text" readonly value="')[1].split('"')[0]
    assert new.startswith("civicdev_") and new != token
    assert post_as_device(token, "/api/sensing/readings", ONE).status_code == 401
    assert post_as_device(new, "/api/sensing/readings", ONE).status_code == 201
    assert owner.post(f"/sensing/devices/{device.id}/revoke").status_code == 302
    assert post_as_device(new, "/api/sensing/readings", ONE).status_code == 401
    page = owner.post(f"/sensing/devices/{device.id}/token").get_data(as_text=True)
    newer = page.split('readonly value="')[1].split('"')[0]
    assert owner.post(f"/sensing/devices/{device.id}/retire").status_code == 302
    assert post_as_device(newer, "/api/sensing/readings", ONE).status_code == 401
    assert count(device) == 1  # retiring keeps the data


def test_only_the_owner_manages_a_device(app, make_campaign, make_device, client_as):
    device, _token = make_device(make_campaign())
    client, _user = client_as("verified")
    for path in ("token", "revoke", "retire", "upload/confirm"):
        assert client.post(f"/sensing/devices/{device.id}/{path}").status_code == 404
    for path in ("", "/reading", "/upload"):
        assert client.get(f"/sensing/devices/{device.id}{path}").status_code == 404


def test_the_token_is_stored_hashed(make_campaign, make_device):
    device, token = make_device(make_campaign())
    assert token not in (device.token_hash or "") and len(device.token_hash) == 64


def test_url_for_rule_is_usable_here(app):  # the ingest routes exist with these names
    address = url_for_rule(app, "sensing_ingest.osem_data", {"box_id": "abc"})
    assert address.endswith("/api/sensing/osem/boxes/abc/data")
