"""Alerts: each kind of rule opens when its condition has lasted its duration (not before) and closes when it ends;
one notification per opening for the device's owner and the organisers; no storm (one open alert per rule and
device, whatever number of evaluations); evaluated by the scheduled tick and after an ingest's commit, for the
devices that received readings only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from citizen_sensing import alerts, ingest
from citizen_sensing.alert_models import Alert, AlertRule
from citizen_sensing.models import Device
from civic import schedule
from civic.accounts.models import User
from civic.audit import AuditEntry
from civic.db import db, utcnow
from tests.notifications.conftest import told

HOUR = timedelta(hours=1)


def rule(organiser, campaign, kind="threshold", quantity="relative_humidity", comparison="above", value=70.0,
         hours=6.0):
    quantity_id = next((q.id for q in campaign.quantities if q.key == quantity), None) if quantity else None
    made = alerts.add_rule(organiser, campaign, alerts.RuleInput(kind=kind, quantity_id=quantity_id,
                                                                 comparison=comparison, value=value, hours=hours))
    db.session.commit()
    return made


def sensor_of(device: Device, key: str):
    return next(s for s in device.sensors if s.quantity.key == key)


def send(device: Device, key: str, points) -> ingest.Result:
    """Readings (time, value) of one sensor through the one ingest service, committed (the after-commit
    evaluation runs)."""
    sensor = sensor_of(device, key)
    result = ingest.ingest(device, [ingest.Item(f"r{i}", sensor, v, t) for i, (t, v) in enumerate(points)],
                           source="test")
    db.session.commit()
    return result


def every_half_hour(start, hours: float, value):
    n = int(hours * 2) + 1
    return [(start + timedelta(minutes=30 * i), value(i) if callable(value) else value) for i in range(n)]


def alerts_of(device: Device, rule_: AlertRule | None = None) -> list[Alert]:
    db.session.expire_all()
    stmt = select(Alert).where(Alert.device_id == device.id).order_by(Alert.id)
    if rule_ is not None:
        stmt = stmt.where(Alert.rule_id == rule_.id)
    return list(db.session.scalars(stmt))


@pytest.fixture
def setting(make_campaign, make_device, make_user):
    organiser = make_user("organiser")
    campaign = make_campaign(organiser)
    device, _token = make_device(campaign)
    owner = db.session.get(User, device.owner_id)
    return organiser, campaign, device, owner


# Thresholds -----------------------------------------------------------------------------------------------------


def test_humidity_above_70_for_six_hours_opens_only_once_six_hours_have_passed(setting):
    organiser, campaign, device, owner = setting
    r = rule(organiser, campaign, hours=6)
    start = utcnow() - timedelta(hours=10)
    send(device, "relative_humidity", every_half_hour(start, 5.5, 75))  # 5 h 30 min above: not yet
    assert alerts_of(device) == []
    send(device, "relative_humidity", [(start + timedelta(hours=6), 76)])  # six hours above
    [alert] = alerts_of(device)
    assert alert.rule_id == r.id and alert.closed_at is None and alert.value == 76
    assert alert.since == start
    assert alert.sensor_id == sensor_of(device, "relative_humidity").id
    assert len(told(owner, kind="sensing_alert_device")) == 1
    assert len(told(organiser, kind="sensing_alert_campaign")) == 1


def test_a_reading_back_within_the_limit_closes_it_and_the_history_stays(setting):
    organiser, campaign, device, owner = setting
    rule(organiser, campaign, hours=2)
    start = utcnow() - timedelta(hours=9)
    send(device, "relative_humidity", every_half_hour(start, 2, 80))
    assert [a.closed_at for a in alerts_of(device)] == [None]
    send(device, "relative_humidity", [(start + timedelta(hours=2, minutes=30), 60)])
    [closed] = alerts_of(device)
    assert closed.closed_at is not None
    # Above again for two hours: a second alert, a second notification (one per opening).
    send(device, "relative_humidity", every_half_hour(start + timedelta(hours=3), 2, 85))
    first, second = alerts_of(device)
    assert first.id == closed.id and first.closed_at is not None and second.closed_at is None
    assert len(told(owner, kind="sensing_alert_device")) == 2


def test_a_dip_inside_the_duration_keeps_it_closed(setting):
    organiser, campaign, device, _owner = setting
    rule(organiser, campaign, hours=3)
    start = utcnow() - timedelta(hours=6)
    send(device, "relative_humidity", every_half_hour(start, 3, lambda i: 65 if i == 3 else 80))
    assert alerts_of(device) == []


def test_the_reading_that_starts_the_duration_must_be_beyond_the_value_too(setting):
    organiser, campaign, device, _owner = setting
    rule(organiser, campaign, hours=6)
    start = utcnow() - timedelta(hours=8)
    # 60 % at the start, then above for 5 h 30 min up to six hours after it: not six hours above.
    send(device, "relative_humidity", every_half_hour(start, 6, lambda i: 60 if i == 0 else 75))
    assert alerts_of(device) == []
    send(device, "relative_humidity", [(start + timedelta(hours=6, minutes=30), 75)])  # now six hours above
    assert len(alerts_of(device)) == 1


def test_readings_flagged_by_an_organiser_do_not_count(setting):
    from citizen_sensing import quality
    organiser, campaign, device, _owner = setting
    rule(organiser, campaign, hours=1)
    start = utcnow() - timedelta(hours=3)
    send(device, "relative_humidity", [*every_half_hour(start, 1, 80), (start + timedelta(hours=1, minutes=30), 60)])
    assert alerts_of(device) == []  # the latest is 60 %
    quality.set_flag(organiser, sensor_of(device, "relative_humidity").id, start + timedelta(hours=1, minutes=30),
                     True, "a wet cloth on the sensor")
    db.session.commit()
    assert alerts.evaluate_campaigns().opened == 1  # the flagged 60 % is left out: 80 % for an hour


def test_below_a_value(setting):
    organiser, campaign, device, _owner = setting
    rule(organiser, campaign, quantity="air_temperature", comparison="below", value=12, hours=1)
    start = utcnow() - timedelta(hours=3)
    send(device, "air_temperature", every_half_hour(start, 0.5, 10))
    assert alerts_of(device) == []
    send(device, "air_temperature", [(start + HOUR, 11)])
    assert len(alerts_of(device)) == 1
    send(device, "air_temperature", [(start + timedelta(hours=1, minutes=30), 12)])  # not below 12
    assert alerts_of(device)[0].closed_at is not None


def test_another_quantity_does_not_count(setting):
    organiser, campaign, device, _owner = setting
    rule(organiser, campaign, hours=1)  # relative humidity
    start = utcnow() - timedelta(hours=3)
    send(device, "air_temperature", every_half_hour(start, 2, 80))
    assert alerts_of(device) == []


# Offline and stuck -------------------------------------------------------------------------------------------------


def test_offline_opens_after_n_hours_of_silence_and_a_reading_closes_it(setting):
    organiser, campaign, device, owner = setting
    r = rule(organiser, campaign, kind="offline", quantity=None, hours=6)
    send(device, "air_temperature", [(utcnow() - HOUR, 18)])
    seen = utcnow()
    assert alerts.evaluate_campaigns(now=seen + timedelta(hours=5)).opened == 0
    db.session.commit()
    assert alerts.evaluate_campaigns(now=seen + timedelta(hours=6, minutes=1)).opened == 1
    db.session.commit()
    [alert] = alerts_of(device, r)
    assert alert.value is None and alert.since is not None
    assert len(told(owner, kind="sensing_alert_device")) == 1
    send(device, "air_temperature", [(utcnow(), 18.5)])  # the device is back: closed as the reading arrives
    assert alerts_of(device, r)[0].closed_at is not None


def test_a_device_that_never_sent_anything_is_offline_from_its_registration(setting):
    organiser, campaign, device, _owner = setting
    rule(organiser, campaign, kind="offline", quantity=None, hours=6)
    db.session.execute(update(Device).where(Device.id == device.id).values(created_at=utcnow() - timedelta(hours=7)))
    db.session.commit()
    assert alerts.evaluate_campaigns().opened == 1


def test_stuck_sensor_opens_for_identical_values_and_closes_when_it_moves(setting):
    organiser, campaign, device, owner = setting
    rule(organiser, campaign, kind="stuck", quantity=None, hours=4)  # any sensor
    start = utcnow() - timedelta(hours=8)
    send(device, "air_temperature", every_half_hour(start, 3.5, 19.25))
    assert alerts_of(device) == []
    send(device, "air_temperature", [(start + timedelta(hours=4), 19.25)])
    [alert] = alerts_of(device)
    assert alert.value == 19.25 and alert.sensor_id == sensor_of(device, "air_temperature").id
    assert len(told(owner, kind="sensing_alert_device")) == 1
    send(device, "air_temperature", [(start + timedelta(hours=4, minutes=30), 19.5)])
    assert alerts_of(device)[0].closed_at is not None


def test_a_stuck_rule_for_one_quantity_ignores_the_others(setting):
    organiser, campaign, device, _owner = setting
    rule(organiser, campaign, kind="stuck", quantity="relative_humidity", hours=1)
    start = utcnow() - timedelta(hours=3)
    send(device, "air_temperature", every_half_hour(start, 2, 19))
    assert alerts_of(device) == []
    send(device, "relative_humidity", every_half_hour(start, 1, 55))
    assert len(alerts_of(device)) == 1


# No storm, the tick, the ingest's reach ---------------------------------------------------------------------------


def test_no_storm_one_open_alert_and_one_notification_however_often_it_is_evaluated(setting):
    organiser, campaign, device, owner = setting
    r = rule(organiser, campaign, hours=1)
    start = utcnow() - timedelta(hours=5)
    send(device, "relative_humidity", every_half_hour(start, 1, 90))
    for k in range(4):  # more readings, still above, and ticks between them
        send(device, "relative_humidity", [(start + timedelta(hours=1, minutes=10 * (k + 1)), 91)])
        alerts.evaluate_campaigns()
        db.session.commit()
    assert len(alerts_of(device, r)) == 1
    assert len(told(owner, kind="sensing_alert_device")) == 1
    assert len(told(organiser, kind="sensing_alert_campaign")) == 1


def test_the_database_refuses_a_second_open_alert_for_a_rule_and_device(setting):
    from sqlalchemy.exc import IntegrityError
    organiser, campaign, device, _owner = setting
    r = rule(organiser, campaign, kind="offline", quantity=None)
    db.session.add(Alert(rule_id=r.id, device_id=device.id, opened_at=utcnow()))
    db.session.flush()
    db.session.add(Alert(rule_id=r.id, device_id=device.id, opened_at=utcnow(), closed_at=utcnow()))  # history: ok
    db.session.flush()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Alert(rule_id=r.id, device_id=device.id, opened_at=utcnow()))
        db.session.flush()


def test_the_scheduled_tick_runs_the_alerts_task(setting):
    organiser, campaign, device, owner = setting
    r = rule(organiser, campaign, kind="offline", quantity=None, hours=2)
    db.session.execute(update(Device).where(Device.id == device.id).values(last_seen_at=utcnow() - 3 * HOUR))
    db.session.commit()
    assert "citizen_sensing.alerts" in [t.name for t in schedule.tasks()]
    [outcome] = schedule.run(["citizen_sensing.alerts"])
    assert outcome.status == "ok" and outcome.summary.startswith("1 alerts opened")
    assert len(alerts_of(device, r)) == 1
    assert len(told(owner, kind="sensing_alert_device")) == 1


def test_an_ingest_evaluates_only_the_devices_that_received_readings(setting, make_device):
    organiser, campaign, device, _owner = setting
    other, _token = make_device(campaign)
    rule(organiser, campaign, kind="offline", quantity=None, hours=1)
    db.session.execute(update(Device).where(Device.id.in_([device.id, other.id]))
                       .values(created_at=utcnow() - 3 * HOUR))
    db.session.commit()
    send(device, "air_temperature", [(utcnow() - timedelta(minutes=5), 18)])
    assert alerts_of(other) == []  # offline, but it received nothing: the tick will see to it
    assert alerts.evaluate_campaigns().opened == 1
    db.session.commit()
    assert len(alerts_of(other)) == 1 and alerts_of(device) == []


def test_readings_through_the_device_api_open_an_alert(setting, post_as_device, make_device):
    organiser, campaign, _device, _owner = setting
    device, token = make_device(campaign)
    rule(organiser, campaign, hours=1)
    start = utcnow() - timedelta(hours=2)
    response = post_as_device(token, "/api/sensing/readings", {"readings": [
        {"quantity": "relative_humidity", "value": 88, "timestamp": (start + timedelta(minutes=20 * i)).isoformat()}
        for i in range(4)]})
    assert response.status_code == 201
    assert len(alerts_of(device)) == 1


def test_switching_a_rule_off_closes_its_alerts_and_stops_it(setting, signed_in):
    organiser, campaign, device, _owner = setting
    r = rule(organiser, campaign, kind="offline", quantity=None, hours=1)
    db.session.execute(update(Device).where(Device.id == device.id).values(created_at=utcnow() - 2 * HOUR))
    db.session.commit()
    alerts.evaluate_campaigns()
    db.session.commit()
    client = signed_in(organiser)
    response = client.post(f"/sensing/{campaign.slug}/alert-rules/{r.id}/switch", data={"active": "0"})
    assert response.status_code == 302
    assert [a.closed_at is not None for a in alerts_of(device)] == [True]
    assert alerts.evaluate_campaigns().opened == 0
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.object_type == "sensing_alert_rule",
                                                             AuditEntry.object_id == r.id)
                             .order_by(AuditEntry.id.desc()).limit(1)) == "sensing.alert_rule_off"


def test_a_retired_device_and_an_ended_campaign_close_their_alerts(setting, make_device):
    organiser, campaign, device, _owner = setting
    other, _t = make_device(campaign)
    rule(organiser, campaign, kind="offline", quantity=None, hours=1)
    db.session.execute(update(Device).where(Device.id.in_([device.id, other.id]))
                       .values(created_at=utcnow() - 2 * HOUR))
    db.session.commit()
    assert alerts.evaluate_campaigns().opened == 2
    db.session.execute(update(Device).where(Device.id == device.id).values(retired_at=utcnow()))
    db.session.commit()
    assert alerts.evaluate_campaigns().closed == 1
    campaign.ends_on = utcnow().date() - timedelta(days=1)
    db.session.commit()
    assert alerts.evaluate_campaigns().closed == 1
    assert db.session.scalar(select(func.count()).select_from(Alert).where(Alert.closed_at.is_(None),
                                                                           Alert.device_id == other.id)) == 0


def test_a_rolled_back_ingest_evaluates_nothing_and_the_next_one_still_does(setting):
    organiser, campaign, device, _owner = setting
    rule(organiser, campaign, hours=1)
    start = utcnow() - timedelta(hours=3)
    sensor = sensor_of(device, "relative_humidity")
    ingest.ingest(device, [ingest.Item("r", sensor, 90, start)], source="test")
    db.session.rollback()
    assert alerts_of(device) == []
    send(device, "relative_humidity", every_half_hour(start, 1, 90))  # a new transaction: evaluated after it
    assert len(alerts_of(device)) == 1


def test_an_ingest_into_a_campaign_without_rules_costs_one_query_after_its_commit(setting, count_queries):
    _organiser, _campaign, device, _owner = setting
    with count_queries() as counter:
        alerts.evaluate_devices([device.id])
    assert counter.count == 1


def test_an_organiser_who_owns_the_device_is_told_once(make_campaign, make_device, make_user):
    organiser = make_user("organiser")
    campaign = make_campaign(organiser)
    device, _token = make_device(campaign, organiser)
    rule(organiser, campaign, hours=1)
    start = utcnow() - timedelta(hours=2)
    send(device, "relative_humidity", every_half_hour(start, 1, 90))
    assert [n.kind for n in told(organiser)] == ["sensing_alert_device"]
