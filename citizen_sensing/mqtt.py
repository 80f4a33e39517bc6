"""The MQTT bridge (``flask sensing mqtt``): devices publish to the broker named by ``CIVIC_MQTT_URL``, the bridge
subscribes and hands every message to the one ingest service, :func:`citizen_sensing.ingest.ingest`.

Topics (``<device>`` is the device's id shown on its page, the openSenseMap box id):

- ``civic/devices/<device>/readings``: our JSON, as ``POST /api/sensing/readings`` takes it
  (``{"readings": [...]}`` or the bare array); Sensor.Community's ``{"sensordatavalues": [...]}`` and Smart
  Citizen's ``{"data": [...]}`` are read too;
- ``civic/devices/<device>/<sensor>``: one value of one sensor (the device's own id for the sensor, or the
  quantity: ``temperature``, ``pm25``...): ``21.5``, ``21.5 2026-11-20T08:15:00Z`` or
  ``{"value": 21.5, "timestamp": "..."}``.

The device token authenticates each message, since a broker does not tell its subscribers who published: as the
MQTT 5 user property ``token``, or inside the payload (the JSON object's member ``"token"``; in a text value, the
first word: ``civicdev_... 21.5``). A message whose token is missing, wrong or another device's is refused, and
the refusal is kept on the device the topic names, with the reason, for its owner's page.

Delivery is QoS 1 end to end: the bridge subscribes with QoS 1 in a persistent session (a fixed client id,
``clean_start`` off, a session that never expires) and acknowledges a message (``manual_ack``) only after the
transaction holding its readings (or its refusal) has committed. Messages are committed in batches (up to
``batch_size`` messages or ``batch_seconds``, whichever comes first). A bridge killed mid-batch, or a broker
restarted, leaves the unacknowledged messages with the broker, which sends them again; a reading sent twice is a
duplicate to the ingest (same sensor, same time: the primary key), never a second row. Messages received on a
connection that has since dropped are stored but not acknowledged: the broker sends them again on the new one.
"""

from __future__ import annotations

import json
import logging
import queue
import re
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Flask
from flask_babel import gettext as _
from sqlalchemy import insert, select
from sqlalchemy.exc import DBAPIError

from citizen_sensing import formats, ingest, services
from citizen_sensing.formats import Parsed
from citizen_sensing.models import Device, Rejection
from civic.db import db, utcnow
from civic.errors import DomainError

log = logging.getLogger("civic.sensing.mqtt")

TOPIC_ROOT = ("civic", "devices")
#: What the bridge subscribes to: both kinds of topic (one level for the device, one for "readings" or a sensor).
TOPIC_FILTER = "civic/devices/+/+"
READINGS = "readings"
SOURCE = "mqtt"
CLIENT_ID = "civic-sensing-bridge"
#: The MQTT 5 user property that carries the device token.
TOKEN_PROPERTY = "token"
#: A session that never expires: the broker keeps the subscription and the unacknowledged messages however long
#: the bridge is away (MQTT 5's largest Session Expiry Interval).
SESSION_NEVER_EXPIRES = 0xFFFFFFFF
_TOKEN_TEXT = re.compile(re.escape(services.TOKEN_PREFIX) + r"[A-Za-z0-9_\-]*")


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False


def broker(url: str) -> Broker:
    """``mqtt://[user[:password]@]host[:port]`` (1883) or ``mqtts://...`` (TLS, 8883)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl") or not parts.hostname:
        raise ValueError("CIVIC_MQTT_URL must look like mqtt://host:1883 or mqtts://user:password@host:8883")
    tls = parts.scheme in ("mqtts", "ssl")
    return Broker(parts.hostname, parts.port or (8883 if tls else 1883),
                  unquote(parts.username) if parts.username else None,
                  unquote(parts.password) if parts.password is not None else None, tls)


@dataclass
class Message:
    """A message as the network thread received it. ``generation`` counts the connections: a message is
    acknowledged only on the connection that brought it."""

    topic: str
    payload: bytes
    token: str | None = None  # the MQTT 5 user property, when there is one
    arrived: datetime | None = None
    mid: int = 0
    qos: int = 1
    generation: int = 0


@dataclass
class Summary:
    messages: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    refused_messages: int = 0
    unknown_devices: int = 0

    def add(self, other: Summary) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))


class Refusal(Exception):
    """The whole message is refused (its token, its body): kept with the reason on the topic's device."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


# One batch: parse, authenticate, ingest (in the caller's transaction) ---------------------------------------


def _topic(topic: str) -> tuple[str, str] | None:
    parts = topic.split("/")
    if len(parts) != 4 or tuple(parts[:2]) != TOPIC_ROOT or not parts[2] or not parts[3]:
        return None
    return parts[2], parts[3]


def _text(payload: bytes) -> str:
    if len(payload) > ingest.MAX_BYTES:
        raise Refusal("body", _("At most 1 MB a message. Send the readings in smaller batches."))
    try:
        return payload.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refusal("body", _("The message must be UTF-8 text.")) from None


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise Refusal("body", _("The message is not JSON that can be read.")) from None


@dataclass
class _Read:
    token: str | None
    body: Any  # readings: the JSON; one sensor: (value, time)


def _read(leaf: str, message: Message) -> _Read:
    """The token and the body of a message, before anything is looked up."""
    text = _text(message.payload)
    token = message.token
    if leaf == READINGS:
        body = _json(text)
        if isinstance(body, dict) and "token" in body:
            inside = body.pop("token")
            token = token or (inside if isinstance(inside, str) else None)
        return _Read(token, body)
    stripped = text.strip()
    if stripped.startswith("{"):
        body = _json(stripped)
        inside = body.get("token")
        token = token or (inside if isinstance(inside, str) else None)
        return _Read(token, (body.get("value"), body.get("timestamp")))
    words = stripped.split()
    if words and words[0].startswith(services.TOKEN_PREFIX):
        token = token or words[0]
        words = words[1:]
    if not words:
        raise Refusal("value", _("The message has no value."))
    if len(words) > 2:
        raise Refusal("value", _("Send a value, or a value and its time: 21.5 2026-11-20T08:15:00Z."))
    return _Read(token, (words[0], words[1] if len(words) > 1 else None))


def _parsed(device: Device, leaf: str, read: _Read) -> Parsed:
    """The message's items, read by the formats HTTP uses."""
    try:
        if leaf == READINGS:
            body = read.body
            if isinstance(body, dict) and "sensordatavalues" in body:
                parsed = formats.airrohr(device, body)
            elif isinstance(body, dict) and "data" in body and "readings" not in body:
                parsed = formats.smart_citizen_json(device, body)
            else:
                parsed = formats.ours_json(device, body)
        else:
            value, when = read.body
            parsed = formats.osem_single(device, leaf, {"value": value, "createdAt": when})
    except DomainError as error:  # not the format, too many readings
        raise Refusal(error.field or "body", error.message) from None
    if not parsed.items:
        raise Refusal("readings", _("Send at least one reading."))
    return parsed


def _redacted(payload: bytes) -> str:
    """The start of the payload for the owner's page, without any token in it."""
    return _TOKEN_TEXT.sub(services.TOKEN_PREFIX + "…", payload[:400].decode("utf-8", "replace"))[:200]


def handle(messages: Sequence[Message], *, now: datetime | None = None,
           devices: dict[int, tuple[Device, float]] | None = None) -> Summary:
    """Store one batch of messages: the readings through the one ingest service (all devices at once), each refused
    message kept with its reason on the device the topic names. Flushes; the caller commits, then acknowledges.
    ``devices`` is the bridge's cache of devices with their sensors (tokens are checked afresh every batch)."""
    now = now or utcnow()
    summary = Summary(messages=len(messages))
    reads: list[tuple[Message, str, str, _Read | Refusal]] = []
    for message in messages:
        where = _topic(message.topic)
        if where is None:
            summary.unknown_devices += 1
            log.warning("MQTT: a message on %s, which is not a device's topic, was dropped", message.topic[:200])
            continue
        try:
            read: _Read | Refusal = _read(where[1], message)
        except Refusal as refusal:
            read = refusal
        reads.append((message, *where, read))
    found = services.authenticate_many({r.token for *_x, r in reads if isinstance(r, _Read)}, devices)
    by_device: dict[int, tuple[Device, list]] = {}
    refused: list[tuple[Message, str, Refusal]] = []
    for message, key, leaf, read in reads:
        if isinstance(read, Refusal):
            refused.append((message, key, read))
            continue
        device = found.get(read.token) if read.token else None
        if device is None or device.public_key != key:
            reason = (_("The message has no device token: send it as the MQTT 5 user property “token” or in the "
                        "payload.") if not read.token else
                      _("The device token does not work (wrong, revoked, or the device is retired).")
                      if device is None else
                      _("This token belongs to another device: a device publishes only to its own topic."))
            refused.append((message, key, Refusal("token", reason)))
            continue
        try:
            parsed = _parsed(device, leaf, read)
        except Refusal as refusal:
            refused.append((message, key, refusal))
            continue
        items = by_device.setdefault(device.id, (device, []))[1]
        for item in parsed.items:
            item.label = (f"{leaf[:24]} {item.label}" if leaf == READINGS else leaf)[:40]
            if item.time is None or (isinstance(item.time, str) and not item.time.strip()):
                item.time = message.arrived or now  # when the bridge received it, as HTTP takes the request's time
            items.append(item)
    for result in ingest.ingest_many(list(by_device.values()), source=SOURCE, now=now):
        summary.accepted += result.accepted
        summary.duplicates += result.duplicates
        summary.rejected += result.rejected
    if refused:
        _keep(refused, now, summary)
    return summary


def _keep(refused: list[tuple[Message, str, Refusal]], now: datetime, summary: Summary) -> None:
    """Refused messages, kept on the topic's device (at most as many a batch as the ingest keeps a request)."""
    ids = dict(db.session.execute(select(Device.public_key, Device.id)
                                  .where(Device.public_key.in_({key for _m, key, _r in refused}))).all())
    rows: list[dict[str, Any]] = []
    per_device: Counter[int] = Counter()
    for message, key, refusal in refused:
        device_id = ids.get(key)
        if device_id is None:
            summary.unknown_devices += 1
            log.warning("MQTT: a message for unknown device %r was dropped: %s", key[:40], refusal.reason)
            continue
        summary.refused_messages += 1
        per_device[device_id] += 1
        if per_device[device_id] > ingest.REJECTIONS_KEPT:
            continue
        leaf = message.topic.rsplit("/", 1)[-1]
        rows.append({"device_id": device_id, "received_at": now, "source": SOURCE, "item": leaf[:40],
                     "field": refusal.field[:40], "reason": refusal.reason[:300], "raw": _redacted(message.payload)})
    if rows:
        db.session.execute(insert(Rejection), rows)


# The bridge -------------------------------------------------------------------------------------------------


class Bridge:
    """Subscribes, batches, commits, then acknowledges. ``run()`` returns when :meth:`stop` is called (SIGTERM)."""

    def __init__(self, app: Flask, url: str, *, client_id: str = CLIENT_ID, batch_size: int = 5000,
                 batch_seconds: float = 1.0, receive_maximum: int = 20000, reconnect: tuple[float, float] = (1, 60),
                 report_seconds: float = 60.0) -> None:
        self.app = app
        self.broker = broker(url)
        self.client_id = client_id
        self.batch_size = max(1, batch_size)
        self.batch_seconds = max(0.0, batch_seconds)
        self.receive_maximum = max(1, min(receive_maximum, 65535))
        self.reconnect = reconnect
        self.report_seconds = report_seconds
        self.inbox: queue.Queue[Message] = queue.Queue()
        self.generation = 0
        self.connected = threading.Event()
        self.stopping = threading.Event()
        self.totals = Summary()
        self.acked = 0
        #: Devices with their sensors, kept a minute between batches (services.authenticate_many).
        self.devices: dict[int, tuple[Device, float]] = {}
        self.client = self._client()

    # The network thread's side.

    def _client(self):
        import paho.mqtt.client as mqtt

        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv5,
                             manual_ack=True, reconnect_on_failure=True)
        client.reconnect_delay_set(min_delay=max(1, round(self.reconnect[0])),
                                   max_delay=max(1, round(self.reconnect[1])))
        if self.broker.username is not None:
            client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls:
            client.tls_set()
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    def _on_connect(self, client, _userdata, flags, reason_code, _properties) -> None:
        from paho.mqtt.subscribeoptions import SubscribeOptions

        if reason_code.is_failure:
            log.error("MQTT: the broker at %s:%s refused the bridge: %s", self.broker.host, self.broker.port,
                      reason_code)
            return
        self.generation += 1
        client.subscribe(TOPIC_FILTER, options=SubscribeOptions(qos=1))
        self.connected.set()
        log.info("MQTT: connected to %s:%s as %s (session %s), subscribed to %s", self.broker.host, self.broker.port,
                 self.client_id, "resumed" if flags.session_present else "new", TOPIC_FILTER)

    def _on_disconnect(self, _client, _userdata, _flags, reason_code, _properties) -> None:
        self.generation += 1  # what came on the lost connection is no longer acknowledged: the broker sends it again
        self.connected.clear()
        if not self.stopping.is_set():
            log.warning("MQTT: disconnected from the broker (%s); reconnecting with back-off", reason_code)

    def _on_message(self, _client, _userdata, msg) -> None:
        token = None
        for name, value in getattr(msg.properties, "UserProperty", None) or ():
            if name == TOKEN_PROPERTY:
                token = value
        self.inbox.put(Message(msg.topic, bytes(msg.payload), token, utcnow(), msg.mid, msg.qos, self.generation))

    # The main thread's side.

    def stop(self, *_args: Any) -> None:
        self.stopping.set()

    def run(self) -> Summary:
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = SESSION_NEVER_EXPIRES
        properties.ReceiveMaximum = self.receive_maximum
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=30, clean_start=False,
                                  properties=properties)
        self.client.loop_start()
        last_report = time.monotonic()
        try:
            with self.app.app_context():
                while not self.stopping.is_set():
                    batch = self._collect()
                    if batch:
                        self._commit(batch)
                    if time.monotonic() - last_report >= self.report_seconds:
                        self._report()
                        last_report = time.monotonic()
                # What already arrived is stored and acknowledged before leaving; the rest waits with the broker.
                while (batch := self._collect(wait=False)) and self.connected.is_set():
                    self._commit(batch)
        finally:
            self.client.disconnect()
            self.client.loop_stop()
            self._report()
        return self.totals

    def _collect(self, wait: bool = True) -> list[Message]:
        try:
            first = self.inbox.get(timeout=0.5) if wait else self.inbox.get_nowait()
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.batch_seconds
        while len(batch) < self.batch_size:
            try:
                batch.append(self.inbox.get_nowait())
                continue
            except queue.Empty:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self.inbox.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _commit(self, batch: list[Message]) -> None:
        """Store the batch and commit, then acknowledge it. While the database is away, try again with back-off
        (nothing is acknowledged meanwhile); a message that breaks the bridge itself is set apart, so that it
        cannot hold the others back."""
        delay = 1.0
        while True:
            try:
                summary = handle(batch, devices=self.devices)
                db.session.commit()
            except DBAPIError as error:
                db.session.rollback()
                db.session.remove()
                if error.connection_invalidated or _is_operational(error):
                    if self.stopping.is_set():
                        return  # not acknowledged: the broker keeps the batch for the next start
                    log.warning("MQTT: the database is not reachable (%s); trying again in %.0f s",
                                type(error.orig).__name__, delay)
                    self.stopping.wait(delay)
                    delay = min(delay * 2, 60.0)
                    continue
                return self._one_by_one(batch)
            except Exception:  # noqa: BLE001 - a bug must not stop the bridge for every device
                db.session.rollback()
                db.session.remove()
                return self._one_by_one(batch)
            db.session.remove()  # the next batch reads devices and tokens afresh
            break
        self.totals.add(summary)
        self._ack(batch)

    def _one_by_one(self, batch: list[Message]) -> None:
        if len(batch) > 1:
            for message in batch:
                self._commit([message])
            return
        message = batch[0]
        log.exception("MQTT: the message on %s could not be stored; it is acknowledged so that it does not block "
                      "the others", message.topic[:200])
        where = _topic(message.topic)
        if where is not None:
            try:
                _keep([(message, where[0], Refusal("body", _("This message could not be stored.")))], utcnow(),
                      self.totals)
                db.session.commit()
            except Exception:  # noqa: BLE001 - logged above
                db.session.rollback()
            finally:
                db.session.remove()
        self._ack(batch)

    def _ack(self, batch: list[Message]) -> None:
        generation = self.generation
        for message in batch:
            if message.qos > 0 and message.generation == generation:
                self.client.ack(message.mid, message.qos)
                self.acked += 1

    def _report(self) -> None:
        t = self.totals
        log.info("MQTT: %d messages: %d readings stored, %d duplicates, %d readings refused, %d messages refused, "
                 "%d for no device; %d acknowledged", t.messages, t.accepted, t.duplicates, t.rejected,
                 t.refused_messages, t.unknown_devices, self.acked)


def _is_operational(error: DBAPIError) -> bool:
    from sqlalchemy.exc import InterfaceError, OperationalError

    return isinstance(error, OperationalError | InterfaceError)
