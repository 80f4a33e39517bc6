"""A device re-sending the same batch from several connections at once (a lost acknowledgement, a retry loop):
on PostgreSQL, with real commits, each reading is stored once and counted once in the aggregates. Many devices
of one campaign sending at the same moment: the campaign's summary rows they share count every reading once."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from citizen_sensing import aggregates, formats, ingest
from citizen_sensing.models import CAMPAIGN_STRIPES, Aggregate, Campaign, CampaignAggregate, Device, Reading
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
                assert db.session.scalar(select(CampaignAggregate.count).where(
                    CampaignAggregate.campaign_id == ids["campaign"], CampaignAggregate.period == "day",
                    CampaignAggregate.quantity_id == sensor.quantity_id)) == 3
        finally:
            with committed(app):
                db.session.execute(delete(Campaign).where(Campaign.id == ids["campaign"]))
                db.session.execute(delete(Group).where(Group.id == ids["group"]))
            with committed(app):
                delete_people([ids["user"]])


MANY = {"readings": [{"quantity": q, "value": (18 if q == "air_temperature" else 60) + m / 10,
                      "timestamp": f"2026-11-20T08:{m:02d}:00Z"} for m in range(0, 60, 2)
                     for q in ("air_temperature", "relative_humidity")]}


def send_many(device_id: int) -> int:
    device = db.session.get(Device, device_id)
    return ingest.ingest(device, formats.ours_json(device, MANY).items, source="race").accepted


def test_devices_of_one_campaign_sending_at_once_each_count_once_in_its_summary(app):
    """Eight devices of one stripe, the same hour: their batches meet on the campaign's rows (held at a barrier just
    before the summary's upsert, so all eight try it together); each is added once, a device of another stripe
    has rows of its own, and the stripes added up equal a recount."""
    with real_commits(app):
        with committed(app):
            organiser = factories.user("organiser")
            campaign = sensing.campaign(organiser)
            # Eight devices of the same stripe of the summary (so all eight meet on the same rows), and one of
            # another stripe.
            devices = [sensing.device(campaign, organiser)[0]]
            while len(devices) < 9:
                device = sensing.device(campaign, organiser)[0]
                same = device.id % CAMPAIGN_STRIPES == devices[0].id % CAMPAIGN_STRIPES
                if same != (len(devices) == 8):
                    devices.append(device)
            ids = {"user": organiser.id, "campaign": campaign.id, "group": campaign.group_id,
                   "devices": [d.id for d in devices[:8]], "other": devices[8].id}
        try:
            outcomes = race(app, send_many, [(d,) for d in ids["devices"]],
                            before="INSERT INTO sensing_campaign_aggregates")
            assert outcomes == [60] * 8
            with committed(app):
                send_many(ids["other"])
            with committed(app):
                found = list(db.session.scalars(select(CampaignAggregate)
                                                .where(CampaignAggregate.campaign_id == ids["campaign"])))
                stripe = ids["devices"][0] % CAMPAIGN_STRIPES
                assert sorted(r.count for r in found if r.stripe == stripe) == [240] * 4
                assert sorted(r.count for r in found if r.stripe != stripe) == [30] * 4
                rows: dict = {}
                for r in found:
                    c, lo, hi, total = rows.get((r.period, r.quantity_id), (0, r.min_value, r.max_value, 0.0))
                    rows[(r.period, r.quantity_id)] = (c + r.count, min(lo, r.min_value), max(hi, r.max_value),
                                                       total + r.sum_value)
                for period in ("hour", "day"):
                    recount = aggregates.campaign_recount(ids["campaign"], period)
                    assert {(period, q): v[:3] for (_t, q), v in recount.items()} == \
                        {k: v[:3] for k, v in rows.items() if k[0] == period}
                    for (_t, q), v in recount.items():
                        assert abs(rows[(period, q)][3] - v[3]) < 1e-6
        finally:
            with committed(app):
                db.session.execute(delete(Campaign).where(Campaign.id == ids["campaign"]))
                db.session.execute(delete(Group).where(Group.id == ids["group"]))
            with committed(app):
                delete_people([ids["user"]])
