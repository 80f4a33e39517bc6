"""QoS 1 end to end, with the bridge as ``flask sensing mqtt`` in a process of its own and a Mosquitto of the test's
own (spare port, persistence): a device streams readings while the bridge is killed (SIGKILL, mid-batch) and
started again, or while the broker is restarted. Every reading the device sent is stored exactly once: nothing
the bridge acknowledged is lost (it acknowledges only after the commit), and what the broker sends again is a
duplicate to the ingest, never a second row (nor counted twice in the aggregates)."""

from __future__ import annotations

import threading
import time

import pytest

from tests.citizen_sensing import mosquitto
from tests.citizen_sensing.mosquitto import Bridge, Broker, Publisher, committed_device, counted, stored, wait_for

pytestmark = pytest.mark.no_transaction

MESSAGES = 3000  # two readings each


@pytest.fixture
def broker(tmp_path):
    running = Broker(tmp_path)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def bridge(database_url, broker, tmp_path):
    process = Bridge(database_url, broker.url, tmp_path, f"bridge-{broker.port}", "--batch-size", "100",
                     "--batch-seconds", "0.2")
    yield process
    process.stop()


class Stream(threading.Thread):
    """The device: MESSAGES messages at about 1,000 a second, QoS 1."""

    def __init__(self, publisher: Publisher, made: dict) -> None:
        super().__init__(daemon=True)
        self.publisher, self.made = publisher, made

    def run(self) -> None:
        topic = f"civic/devices/{self.made['public_key']}/readings"
        for i in range(MESSAGES):
            self.publisher.publish(topic, mosquitto.batch_payload(self.made["token"], i))
            if i % 50 == 49:
                time.sleep(0.05)


def rows(app, made) -> int:
    return counted(app, made["device"])[0]


def all_stored_once(app, made, publisher: Publisher, bridge: Bridge) -> None:
    publisher.wait(120)
    assert wait_for(lambda: rows(app, made) >= 2 * MESSAGES, seconds=120), (rows(app, made), bridge.said()[-3000:])
    time.sleep(1)  # anything sent again after that is in too
    assert counted(app, made["device"]) == (2 * MESSAGES, 2 * MESSAGES, 0), bridge.said()[-3000:]
    times = [t for _s, t in stored(app, made["device"])]
    assert set(times) == mosquitto.expected_times(MESSAGES)
    assert len(times) == 2 * MESSAGES


def test_a_bridge_killed_mid_stream_and_started_again_loses_nothing_and_stores_nothing_twice(app, broker, bridge):
    with committed_device(app) as made:
        bridge.start()
        bridge.wait_connected()
        publisher = Publisher(broker.port, f"device-{made['public_key']}")
        stream = Stream(publisher, made)
        try:
            stream.start()
            assert wait_for(lambda: rows(app, made) >= MESSAGES // 2, seconds=60), bridge.said()[-3000:]
            bridge.kill()
            at_kill = rows(app, made)
            assert stream.is_alive() and at_kill < 2 * MESSAGES  # killed mid-stream
            time.sleep(0.5)
            assert rows(app, made) == at_kill  # nobody else stores
            bridge.start()
            stream.join(60)
            all_stored_once(app, made, publisher, bridge)
            assert "session resumed" in bridge.said()
        finally:
            publisher.close()


def test_a_broker_restarted_mid_stream_loses_nothing_and_stores_nothing_twice(app, broker, bridge):
    with committed_device(app) as made:
        bridge.start()
        bridge.wait_connected()
        publisher = Publisher(broker.port, f"device-{made['public_key']}")
        stream = Stream(publisher, made)
        try:
            stream.start()
            assert wait_for(lambda: rows(app, made) >= MESSAGES // 2, seconds=60), bridge.said()[-3000:]
            broker.stop()
            at_stop = rows(app, made)
            assert stream.is_alive() and at_stop < 2 * MESSAGES  # stopped mid-stream
            time.sleep(1)
            broker.start()
            stream.join(60)
            all_stored_once(app, made, publisher, bridge)
            assert "disconnected from the broker" in bridge.said()
        finally:
            publisher.close()
