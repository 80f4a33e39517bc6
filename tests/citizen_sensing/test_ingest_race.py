"""A device re-sending the same batch from several connections at once (a lost acknowledgement, a retry loop):
on PostgreSQL, with real commits, each reading is stored once and counted once in the aggregates."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from citizen_sensing import formats, ingest
from citizen_sensing.models import Aggregate, Campaign, Device, Reading
from civic.db import db
from civic.groups.models import Group
from tests import factories
from tests.citizen_sensing import factories as sensing
from tests.support.race import committed, delete_people, race, real_commits

pytestmark = [pytest.mark.postgres, pytest.mark.no_transaction]

BATCH = {"readings": [{"quantity": "air_temperature", "value": 18 + m / 10, "timestamp": f"2026-11-20T08:{m:02d}:00Z"}
                      for m in range(3)]}


def send(device_id: int) -> int:
    device = db.session.get(Device, device_id)
    return ingest.ingest(device, formats.ours_json(device, BATCH).items, source="race").accepted


def test_ten_copies_of_a_batch_at_once_store_it_once(app):
    with real_commits(app):
        with committed(app):
            organiser = factories.user("organiser")
            campaign = sensing.campaign(organiser)
            device, _token = sensing.device(campaign, organiser)
            ids = {"user": organiser.id, "campaign": campaign.id, "device": device.id, "group": campaign.group_id}
        try:
            outcomes = race(app, send, [(ids["device"],)] * 10, before="INSERT INTO sensing_readings")
            assert sorted(outcomes) == [0] * 9 + [3]
            with committed(app):
                assert db.session.scalar(select(func.count()).select_from(Reading)
                                         .where(Reading.device_id == ids["device"])) == 3
                sensor = next(s for s in db.session.get(Device, ids["device"]).sensors
                              if s.quantity.key == "air_temperature")
                day = db.session.scalar(select(Aggregate.count).where(Aggregate.sensor_id == sensor.id,
                                                                      Aggregate.period == "day"))
                assert day == 3
        finally:
            with committed(app):
                db.session.execute(delete(Campaign).where(Campaign.id == ids["campaign"]))
                db.session.execute(delete(Group).where(Group.id == ids["group"]))
            with committed(app):
                delete_people([ids["user"]])
