"""Evaluations of one device's rules at the same moment (the tick on two servers, an ingest's evaluation beside
the tick): on PostgreSQL, with real commits, one alert opens and its people are told once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, update

from citizen_sensing import alerts
from citizen_sensing.alert_models import Alert, AlertRule
from citizen_sensing.models import Campaign, Device
from civic.db import db, utcnow
from civic.groups.models import Group
from civic.notifications.models import Notification
from tests import factories
from tests.citizen_sensing import factories as sensing
from tests.support.race import committed, delete_people, race, real_commits

pytestmark = [pytest.mark.postgres, pytest.mark.no_transaction]


def evaluate(device_id: int) -> int:
    return alerts.evaluate_devices([device_id]).opened


def tick() -> int:
    return alerts.evaluate_campaigns().opened


@pytest.mark.parametrize("how", ["devices", "tick"])
def test_ten_evaluations_at_once_open_one_alert_and_tell_once(app, how):
    with real_commits(app):
        with committed(app):
            organiser = factories.user("organiser")
            campaign = sensing.campaign(organiser)
            device, _token = sensing.device(campaign)
            rule = AlertRule(campaign_id=campaign.id, kind="offline", minutes=60, active=True)
            db.session.add(rule)
            db.session.execute(update(Device).where(Device.id == device.id)
                               .values(created_at=utcnow() - timedelta(hours=2)))
            ids = {"organiser": organiser.id, "owner": device.owner_id, "campaign": campaign.id,
                   "group": campaign.group_id, "device": device.id}
        try:
            if how == "devices":
                outcomes = race(app, evaluate, [(ids["device"],)] * 10, before="INSERT INTO sensing_alerts")
            else:
                outcomes = race(app, tick, [()] * 10, before="INSERT INTO sensing_alerts")
            assert sorted(outcomes) == [0] * 9 + [1]
            with committed(app):
                assert db.session.scalar(select(func.count()).select_from(Alert)
                                         .where(Alert.device_id == ids["device"])) == 1
                told = dict(db.session.execute(
                    select(Notification.user_id, func.count()).where(
                        Notification.user_id.in_([ids["owner"], ids["organiser"]]),
                        Notification.kind.in_(["sensing_alert_device", "sensing_alert_campaign"]))
                    .group_by(Notification.user_id)).all())
                assert told == {ids["owner"]: 1, ids["organiser"]: 1}
        finally:
            with committed(app):
                db.session.execute(delete(Campaign).where(Campaign.id == ids["campaign"]))
                db.session.execute(delete(Group).where(Group.id == ids["group"]))
            with committed(app):
                delete_people([ids["organiser"], ids["owner"]])
