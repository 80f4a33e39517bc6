"""Notices: the organiser hears of the approval and follows the campaign; a device's owner hears when an
organiser flags one of its readings."""

from __future__ import annotations

from sqlalchemy import select

from civic.accounts.models import User
from civic.db import db
from civic.notifications.models import Follow
from tests.notifications.conftest import told


def test_approval_tells_the_proposer_who_then_follows(client_as, make_campaign):
    _c, organiser = client_as("organiser")
    campaign = make_campaign(organiser, status="proposed")
    officer_client, _officer = client_as("officer")
    officer_client.post(f"/sensing/{campaign.slug}/decision", data={"decision": "approve"})
    notices = told(organiser, kind="sensing_campaign_approved")
    assert len(notices) == 1
    assert db.session.scalar(select(Follow).where(Follow.user_id == organiser.id,
                                                  Follow.resource_type == "sensing_campaign")) is not None


def test_a_flag_by_hand_tells_the_device_owner(client_as, make_campaign, make_device, post_as_device):
    organiser_client, organiser = client_as("organiser")
    campaign = make_campaign(organiser)
    device, token = make_device(campaign)
    post_as_device(token, "/api/sensing/readings", {"readings": [
        {"quantity": "air_temperature", "value": 18, "timestamp": "2026-11-20T08:00:00Z"}]})
    sensor = next(s for s in device.sensors if s.quantity.key == "air_temperature")
    organiser_client.post(f"/sensing/{campaign.slug}/flag", data={
        "sensor": str(sensor.id), "measured_at": "2026-11-20T08:00:00+00:00", "flagged": "1"})
    owner = db.session.get(User, device.owner_id)
    assert [n.kind for n in told(owner)] == ["sensing_reading_flagged"]
