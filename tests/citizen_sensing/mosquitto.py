"""A Mosquitto broker of the test's own (a spare port, a temporary configuration, persistence in a temporary
folder), so that it can be stopped and started again mid-stream without touching the machine's broker; a QoS 1
publisher that keeps what the broker has not acknowledged and sends it again after a reconnect; the bridge as a
``flask sensing mqtt`` process; and the rows a test commits for real, deleted afterwards."""

from __future__ import annotations

import getpass
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, select

from citizen_sensing.models import Aggregate, Campaign, Reading, Rejection, Sensor
from civic.accounts.models import User
from civic.db import db
from civic.groups.models import Group
from tests import factories
from tests.citizen_sensing import factories as sensing

ROOT = Path(__file__).resolve().parents[2]
MOSQUITTO = os.environ.get("CIVIC_TEST_MOSQUITTO", "mosquitto")


def spare_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """``mosquitto -c <temporary config>`` on a spare loopback port, with persistence (the queue of a persistent
    session outlives a restart) and no limit on the messages queued for a slow or absent subscriber."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = spare_port()
        self.config = folder / "mosquitto.conf"
        self.log = folder / "mosquitto.log"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
            f"user {getpass.getuser()}\n"  # as root, mosquitto would drop to a user that cannot write the folder
            f"persistence true\npersistence_location {folder}/\n"
            "max_queued_messages 0\nmax_inflight_messages 0\n"
            f"log_dest file {self.log}\nlog_type error\nlog_type warning\nlog_type notice\n")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                assert self.process.poll() is None, f"mosquitto stopped: {self.log.read_text(errors='replace')}"
                time.sleep(0.05)
        raise AssertionError(f"mosquitto did not listen on {self.port}")

    def stop(self) -> None:
        """SIGTERM: mosquitto saves its state (sessions, queued messages) and leaves."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=20)
        self.process = None


class Publisher:
    """A device's side: QoS 1, a persistent session, every message kept until the broker has acknowledged it
    (paho sends the unacknowledged ones again after a reconnect)."""

    def __init__(self, port: int, client_id: str) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        self.client.max_inflight_messages_set(100)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(1, 2)
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = 3600
        self.client.connect("127.0.0.1", port, clean_start=False, properties=properties)
        self.sent: list[int] = []
        self.acknowledged: set[int] = set()  # by the broker (PUBACK), whichever connection it came on
        self.client.on_publish = lambda _c, _u, mid, _rc, _p: self.acknowledged.add(mid)
        self.client.loop_start()

    def publish(self, topic: str, payload: str | bytes, token: str | None = None):
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        properties = None
        if token is not None:
            properties = Properties(PacketTypes.PUBLISH)
            properties.UserProperty = ("token", token)
        info = self.client.publish(topic, payload, qos=1, properties=properties)
        self.sent.append(info.mid)  # (while disconnected too: paho keeps it and sends it after the reconnect)
        return info

    def unacknowledged(self) -> int:
        return len(set(self.sent) - self.acknowledged)

    def wait(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while self.unacknowledged() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not self.unacknowledged(), f"the broker did not acknowledge {self.unacknowledged()} messages"

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)


def batch_payload(token: str, i: int) -> str:
    """Message i of a stream: two readings, a second after message i - 1's."""
    stamp = (BASE + timedelta(seconds=i)).isoformat()
    return json.dumps({"token": token, "readings": [
        {"quantity": "air_temperature", "value": 15 + (i % 50) / 10, "timestamp": stamp},
        {"quantity": "relative_humidity", "value": 50 + (i % 20), "timestamp": stamp}]})


def expected_times(n: int) -> set[datetime]:
    return {BASE + timedelta(seconds=i) for i in range(n)}


class Bridge:
    """``flask --app wsgi sensing mqtt`` in a process of its own, on the test database."""

    def __init__(self, database_url: str, broker_url: str, folder: Path, client_id: str, *extra: str) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CIVIC_")}
        self.env.update({"CIVIC_INSTANCE_PATH": str(folder / "instance"), "CIVIC_DATABASE_URL": database_url,
                         "CIVIC_PRODUCTION": "0", "CIVIC_SECRET_KEY": "mqtt-test-secret",
                         "CIVIC_MQTT_URL": broker_url, "CIVIC_SEARCH_DRAIN": "off", "CIVIC_JOB_QUEUE": "sync",
                         "CIVIC_LOG_LEVEL": "INFO"})
        self.args = [sys.executable, "-m", "flask", "--app", "wsgi", "sensing", "mqtt", "--client-id", client_id,
                     *extra]
        self.folder = folder
        self.runs = 0
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.runs += 1
        self.output = open(self.folder / f"bridge-{self.runs}.log", "wb")  # noqa: SIM115 - closed in stop/kill
        self.process = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=self.output,
                                        stderr=subprocess.STDOUT)

    def wait_connected(self, times: int = 1, seconds: float = 60) -> None:
        """Until the bridge has said ``times`` times in all that it is connected and subscribed."""
        assert wait_for(lambda: self.said().count("subscribed to") >= times, seconds), self.said()[-3000:]

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as a crash or a power cut."""
        self.process.kill()
        self.process.wait(timeout=20)
        self.output.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None:
            self.output.close()

    def said(self) -> str:
        return "\n".join((self.folder / f"bridge-{n}.log").read_text(errors="replace")
                         for n in range(1, self.runs + 1))


# Rows committed for real --------------------------------------------------------------------------------------


@contextmanager
def committed_device(app, sensors: dict | None = None) -> Iterator[dict]:
    """A campaign with a device, committed; ``{"device", "public_key", "token", "sensors"}``. Deleted after."""
    with app.app_context():
        organiser = factories.user("organiser")
        campaign = sensing.campaign(organiser)
        device, token = sensing.device(campaign, organiser, sensors=sensors)
        made = {"device": device.id, "public_key": device.public_key, "token": token, "user": organiser.id,
                "campaign": campaign.id, "group": campaign.group_id,
                "sensors": {s.quantity.key: s.id for s in device.sensors}}
        db.session.commit()
        db.session.remove()
    try:
        yield made
    finally:
        with app.app_context():
            db.session.execute(delete(Campaign).where(Campaign.id == made["campaign"]))
            db.session.execute(delete(Group).where(Group.id == made["group"]))
            db.session.execute(delete(User).where(User.id == made["user"]))
            db.session.commit()
            db.session.remove()


def stored(app, device_id: int) -> list[tuple[int, datetime]]:
    with app.app_context():
        try:
            return [(s, t) for s, t in db.session.execute(select(Reading.sensor_id, Reading.measured_at)
                                                          .where(Reading.device_id == device_id))]
        finally:
            db.session.remove()


def counted(app, device_id: int) -> tuple[int, int, int]:
    """Rows, the day aggregates' count (each reading counted once?) and refusals of the device."""
    with app.app_context():
        try:
            rows = db.session.scalar(select(func.count()).select_from(Reading).where(Reading.device_id == device_id))
            in_days = db.session.scalar(select(func.coalesce(func.sum(Aggregate.count), 0))
                                        .join(Sensor, Sensor.id == Aggregate.sensor_id)
                                        .where(Sensor.device_id == device_id, Aggregate.period == "day"))
            refused = db.session.scalar(select(func.count()).select_from(Rejection)
                                        .where(Rejection.device_id == device_id))
            return rows, in_days, refused
        finally:
            db.session.remove()


def wait_for(predicate, seconds: float = 60, every: float = 0.1) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return predicate()
