"""The MQTT bridge (citizen_sensing/mqtt.py): a batch of messages through the one ingest service, the token in each
message, refusals kept with their reason for the device's owner; then the bridge itself against a real Mosquitto
(a broker of the test's own), with real commits."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from citizen_sensing import mqtt
from citizen_sensing.models import Reading, Rejection
from civic.accounts.models import User
from civic.db import db
from tests.citizen_sensing import mosquitto
from tests.citizen_sensing.mosquitto import Broker, Publisher, committed_device, counted, stored, wait_for

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def stamp(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def message(device, leaf: str, payload, token: str | None = None, arrived: datetime | None = None) -> mqtt.Message:
    body = payload if isinstance(payload, bytes) else (payload if isinstance(payload, str) else json.dumps(payload))
    return mqtt.Message(f"civic/devices/{device.public_key}/{leaf}", body.encode() if isinstance(body, str) else body,
                        token, arrived or T0 + timedelta(hours=1))


def values(device) -> list[tuple[str, datetime, float]]:
    return [(key, t, v) for key, t, v in db.session.execute(
        select(Reading.sensor_id, Reading.measured_at, Reading.value).where(Reading.device_id == device.id)
        .order_by(Reading.measured_at, Reading.sensor_id))]


def refusals(device) -> list[Rejection]:
    return list(db.session.scalars(select(Rejection).where(Rejection.device_id == device.id)
                                   .order_by(Rejection.id)))


@pytest.fixture
def device(make_campaign, make_device):
    campaign = make_campaign()
    return make_device(campaign, sensors={"air_temperature": "t1", "relative_humidity": None})


# One batch, no broker ---------------------------------------------------------------------------------------


def test_our_json_with_the_token_inside_is_stored_and_a_second_copy_is_a_duplicate(device):
    made, token = device
    body = {"token": token, "readings": [{"sensor": "t1", "value": 19.5, "timestamp": stamp(0)},
                                         {"quantity": "humidity", "value": 61, "timestamp": stamp(0)}]}
    summary = mqtt.handle([message(made, "readings", body)])
    assert (summary.accepted, summary.duplicates, summary.rejected) == (2, 0, 0)
    again = mqtt.handle([message(made, "readings", body), message(made, "readings", body)])
    assert (again.accepted, again.duplicates) == (0, 4)
    assert len(values(made)) == 2
    assert refusals(made) == []


def test_a_bare_value_with_the_token_as_user_property_in_the_text_or_in_json(device):
    made, token = device
    summary = mqtt.handle([
        message(made, "t1", "18.25", token=token, arrived=T0),
        message(made, "air_temperature", f"{token} 18.5 {stamp(1)}"),
        message(made, "humidity", {"token": token, "value": "70.5", "timestamp": stamp(2)}),
    ])
    assert summary.accepted == 3, refusals(made)
    humidity = next(s.id for s in made.sensors if s.quantity.key == "relative_humidity")
    temperature = next(s.id for s in made.sensors if s.quantity.key == "air_temperature")
    assert values(made) == [(temperature, T0, 18.25), (temperature, T0 + timedelta(minutes=1), 18.5),
                            (humidity, T0 + timedelta(minutes=2), 70.5)]


def test_values_without_a_time_take_their_own_arrival_not_the_batchs(device):
    made, token = device
    first, second = T0 + timedelta(seconds=1), T0 + timedelta(seconds=2)
    summary = mqtt.handle([message(made, "t1", "18.0", token=token, arrived=first),
                           message(made, "t1", "18.1", token=token, arrived=second)], now=T0 + timedelta(hours=1))
    assert summary.accepted == 2
    assert [t for _s, t, _v in values(made)] == [first, second]


@pytest.mark.parametrize(("kind", "reason"), [
    ("none", "no device token"),
    ("wrong", "does not work"),
    ("other", "belongs to another device"),
])
def test_a_message_without_its_devices_token_is_refused_and_kept_with_the_reason(device, make_campaign, make_device,
                                                                                 kind, reason):
    made, token = device
    other_token = make_device(make_campaign())[1]
    sent = {"none": None, "wrong": token[:-4] + "AAAA", "other": other_token}[kind]
    body = {"readings": [{"quantity": "air_temperature", "value": 19, "timestamp": stamp(0)}]}
    if sent:
        body["token"] = sent
    summary = mqtt.handle([message(made, "readings", body)])
    assert (summary.accepted, summary.refused_messages) == (0, 1)
    assert values(made) == []
    [kept] = refusals(made)
    assert (kept.source, kept.item, kept.field) == ("mqtt", "readings", "token")
    assert reason in kept.reason
    assert "civicdev_…" in kept.raw or kind == "none"
    assert (sent or "civicdev_x") not in kept.raw  # no token, right or wrong, is kept


def test_bad_items_are_refused_with_their_reason_and_the_good_ones_kept(device):
    made, token = device
    body = {"token": token, "readings": [
        {"quantity": "air_temperature", "value": 19.5, "timestamp": stamp(0)},
        {"quantity": "air_temperature", "value": 500, "timestamp": stamp(1)},
        {"quantity": "air_temperature", "value": "warm", "timestamp": stamp(2)},
        {"quantity": "noise", "value": 40, "timestamp": stamp(3)},
        {"quantity": "air_temperature", "value": 19.6, "timestamp": "yesterday"},
        {"quantity": "air_temperature", "value": 19.7, "timestamp": stamp(5)},
    ]}
    summary = mqtt.handle([message(made, "readings", body), message(made, "readings", b"{not json"),
                           message(made, "no_such_sensor", "12", token=token),
                           message(made, "t1", b"\xff\xfe", token=token)])
    assert (summary.accepted, summary.rejected, summary.refused_messages) == (2, 5, 2)
    assert [v for _s, _t, v in values(made)] == [19.5, 19.7]
    kept = {(r.item, r.field): r.reason for r in refusals(made)}
    assert "outside the physical range" in kept[("readings 1", "value")]
    assert "must be a number" in kept[("readings 2", "value")]
    assert "no sensor" in kept[("readings 3", "sensor")]
    assert "ISO 8601" in kept[("readings 4", "timestamp")]
    assert "no sensor" in kept[("no_such_sensor", "sensor")]
    assert "not JSON" in kept[("readings", "body")]
    assert "UTF-8" in kept[("t1", "body")]


def test_other_formats_on_the_readings_topic(device):
    made, token = device
    airrohr = {"esp8266id": "1", "sensordatavalues": [{"value_type": "BME280_temperature", "value": "12.5"},
                                                      {"value_type": "BME280_humidity", "value": "80"}]}
    summary = mqtt.handle([message(made, "readings", airrohr, token=token)])
    assert summary.accepted == 2


def test_a_message_for_no_device_or_off_the_topics_is_dropped_without_a_trace(device):
    made, token = device
    summary = mqtt.handle([
        mqtt.Message("civic/devices/000000000000000000000000/readings", b'{"readings": []}', token),
        mqtt.Message("civic/devices//readings", b"1", token),
    ])
    assert (summary.unknown_devices, summary.accepted, summary.refused_messages) == (2, 0, 0)
    assert db.session.scalars(select(Rejection)).all() == []


def test_the_owner_sees_the_refusals_on_the_device_page(device, signed_in):
    made, token = device
    mqtt.handle([message(made, "readings", {"token": token, "readings": [
        {"quantity": "air_temperature", "value": 900, "timestamp": stamp(0)}]})])
    db.session.commit()
    page = signed_in(db.session.get(User, made.owner_id)).get(f"/sensing/devices/{made.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "mqtt readings 0" in text
    assert "outside the physical range" in text


def test_the_broker_url():
    assert mqtt.broker("mqtt://127.0.0.1") == mqtt.Broker("127.0.0.1", 1883)
    assert mqtt.broker("mqtts://bridge:p%40ss@broker.example:8884") == mqtt.Broker("broker.example", 8884, "bridge",
                                                                                   "p@ss", True)
    with pytest.raises(ValueError):
        mqtt.broker("http://broker.example")


# The bridge against a real broker, with real commits ----------------------------------------------------------


@pytest.fixture
def broker(tmp_path):
    running = Broker(tmp_path)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def bridge_thread(app, broker):
    """The bridge in a thread of this process (its own app context and session), stopped after the test."""
    started = []

    def start(**options):
        bridge = mqtt.Bridge(app, broker.url, client_id=f"bridge-{broker.port}", report_seconds=3600, **options)
        thread = threading.Thread(target=bridge.run, daemon=True)
        thread.start()
        assert bridge.connected.wait(10), "the bridge did not connect"
        started.append((bridge, thread))
        return bridge

    yield start
    for bridge, thread in started:
        bridge.stop()
        thread.join(20)
        assert not thread.is_alive()


@pytest.mark.no_transaction
def test_readings_published_are_stored_and_acknowledged(app, broker, bridge_thread):
    with committed_device(app) as made:
        bridge = bridge_thread(batch_size=50, batch_seconds=0.05)
        publisher = Publisher(broker.port, f"device-{made['public_key']}")
        try:
            topic = f"civic/devices/{made['public_key']}/readings"
            for i in range(300):
                publisher.publish(topic, mosquitto.batch_payload(made["token"], i))
            publisher.publish(f"civic/devices/{made['public_key']}/temperature", f"{made['token']} 21.5 "
                              f"{(mosquitto.BASE + timedelta(seconds=301)).isoformat()}")
            publisher.publish(topic, json.dumps({"token": "civicdev_wrong", "readings": []}))
            publisher.wait()
            assert wait_for(lambda: counted(app, made["device"])[0] == 601 and bridge.acked == 302), \
                (counted(app, made["device"]), bridge.acked)
            rows, in_days, refused = counted(app, made["device"])
            assert (rows, in_days, refused) == (601, 601, 1)
            assert {t for _s, t in stored(app, made["device"])} == (
                mosquitto.expected_times(300) | {mosquitto.BASE + timedelta(seconds=301)})
        finally:
            publisher.close()


@pytest.mark.no_transaction
def test_while_the_database_fails_nothing_is_acknowledged_and_the_batch_is_tried_again(app, broker, bridge_thread,
                                                                                      monkeypatch):
    from sqlalchemy.exc import OperationalError

    failures = []
    real = mqtt.handle

    def handle(messages, **kwargs):
        if len(failures) < 2:
            failures.append(len(messages))
            raise OperationalError("INSERT", {}, Exception("the database went away"))
        return real(messages, **kwargs)

    monkeypatch.setattr(mqtt, "handle", handle)
    with committed_device(app) as made:
        bridge = bridge_thread(batch_size=50, batch_seconds=0.05)
        publisher = Publisher(broker.port, f"device-{made['public_key']}")
        try:
            for i in range(20):
                publisher.publish(f"civic/devices/{made['public_key']}/readings",
                                  mosquitto.batch_payload(made["token"], i))
            publisher.wait()
            assert wait_for(lambda: len(failures) >= 1)
            assert bridge.acked == 0  # not while it is not committed
            assert wait_for(lambda: bridge.acked == 20, seconds=30), bridge.acked
            assert counted(app, made["device"]) == (40, 40, 0)
        finally:
            publisher.close()


def test_the_command_needs_the_broker(app):
    result = app.test_cli_runner().invoke(args=["sensing", "mqtt"])
    assert result.exit_code != 0
    assert "CIVIC_MQTT_URL" in result.output
    result = app.test_cli_runner().invoke(args=["sensing", "mqtt", "--url", "http://broker.example"])
    assert result.exit_code != 0 and "mqtt://" in result.output
