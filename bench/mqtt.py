"""Citizen sensing's MQTT bridge into PostgreSQL: messages per second, sustained, with zero loss.

Budget (issue #20): **≥ 2,000 messages/s sustained into PostgreSQL, with zero loss over 200,000 messages.**

A Mosquitto of the benchmark's own (a spare port, a temporary configuration as docs/citizen-sensing.md
recommends: persistence, no limit on the queue of a slow subscriber) and ``flask sensing mqtt`` (its defaults:
batches of up to 5,000 messages or 1 s) on a database of its own. One publisher process sends
``BENCH_MQTT_MESSAGES`` messages (default 200,000; or ``python -m bench.mqtt N``) at QoS 1, as fast as the broker
takes them, round robin over ``BENCH_MQTT_DEVICES`` devices (default 1,000): each message is our JSON with the
device token inside and two readings (temperature and humidity), a second after the device's previous one.
The bridge drains what the publisher sends; the figure is messages stored per second from the first publish to
the last commit, and the slowest 10 seconds of that. Zero loss: every reading of every message is in the
table once (and counted once in the aggregates), nothing refused, every message acknowledged by the bridge.

It needs PostgreSQL (``BENCH_PG_URL``, default ``postgresql://postgres@127.0.0.1:5432``) and the ``mosquitto``
binary; the database ``BENCH_MQTT_DB`` (default ``civic_bench_mqtt``) is made afresh and dropped at the end
(``BENCH_KEEP_DB=1`` keeps it).
"""

from __future__ import annotations

import getpass
import hashlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.pages import ROOT, _bin, _free_port, stop

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432").rstrip("/")
DB_NAME = os.environ.get("BENCH_MQTT_DB", "civic_bench_mqtt")
MESSAGES = int(os.environ.get("BENCH_MQTT_MESSAGES", "200000"))
DEVICES = int(os.environ.get("BENCH_MQTT_DEVICES", "1000"))
BUDGET = 2_000
BRIDGE_OPTIONS = os.environ.get("BENCH_MQTT_BRIDGE_OPTIONS", "").split()
WINDOW_S = 10.0
STALL_S = 60.0

#: The publisher, a process of its own: ``publisher.py PORT PLAN N``; prints its rate at the end.
PUBLISHER = r"""
import json, sys, time
from datetime import datetime, timedelta
import paho.mqtt.client as mqtt

port, plan, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
devices = [line.split() for line in open(plan).read().splitlines()]
base = datetime.fromisoformat(devices[0][2])
acked = 0
def on_publish(client, userdata, mid, reason_code, properties):
    global acked
    acked += 1
client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-publisher", protocol=mqtt.MQTTv5)
client.max_inflight_messages_set(1000)
client.max_queued_messages_set(0)
client.on_publish = on_publish
client.connect("127.0.0.1", port)
client.loop_start()
started = time.time()
print(f"started {started}", flush=True)
for i in range(n):
    key, token = devices[i % len(devices)][:2]
    k = i // len(devices)  # the device's k-th message
    stamp = (base + timedelta(seconds=k)).isoformat()
    body = json.dumps({"token": token, "readings": [
        {"quantity": "air_temperature", "value": 15 + (k % 50) / 100, "timestamp": stamp},
        {"quantity": "relative_humidity", "value": 60 + (k % 40) / 10, "timestamp": stamp}]})
    while client.publish(f"civic/devices/{key}/readings", body, qos=1).rc == mqtt.MQTT_ERR_QUEUE_SIZE:
        time.sleep(0.001)
while acked < n and time.time() - started < 1800:
    time.sleep(0.01)
print(f"published {n} acknowledged {acked} in {time.time() - started:.2f}", flush=True)
client.disconnect()
client.loop_stop()
"""


def _connect(dbname: str):
    import psycopg

    return psycopg.connect(f"{PG_URL}/{dbname}", autocommit=True, connect_timeout=5)


def _one(cur, sql: str, params=()):
    return cur.execute(sql, params).fetchone()[0]  # a cursor or a connection: both answer execute()


def _setup(cur, first: datetime) -> list[tuple[str, str, str]]:
    """An organiser, a group, an approved campaign, DEVICES devices of two sensors each: (public key, token)."""
    user = _one(cur, "INSERT INTO users (nickname, display_name, email, email_confirmed_at, session_token, "
                     "created_at) VALUES ('bench', 'Bench', 'bench@example.org', now(), %s, now()) RETURNING id",
                (secrets.token_hex(16),))
    group = _one(cur, "INSERT INTO groups (slug, name, description, created_at, members_count) VALUES "
                      "('bench-group', 'Bench group', '', now(), 1) RETURNING id")
    ward = _one(cur, "SELECT id FROM wards WHERE name = 'Church Street'")
    quantities = dict(cur.execute("SELECT key, id FROM sensing_quantities").fetchall())
    campaign = _one(cur, "INSERT INTO sensing_campaigns (slug, title, purpose, group_id, status, starts_on, ends_on, "
                         "licence, join_mode, participants_count, comments_count, created_at, decided_at) VALUES "
                         "('bench-mqtt', 'Bench MQTT', '', %s, 'approved', %s, %s, 'CC-BY-4.0', 'open', 1, 0, now(), "
                         "now()) RETURNING id", (group, date(2025, 1, 1), date(2030, 12, 31)))
    plan = []
    for d in range(DEVICES):
        token = "civicdev_" + secrets.token_urlsafe(32)
        key = secrets.token_hex(12)
        device = _one(cur, "INSERT INTO sensing_devices (public_key, campaign_id, owner_id, name, kind, setting, "
                           "privacy, ward_id, offset_north_m, offset_east_m, token_hash, token_created_at, "
                           "created_at) VALUES (%s, %s, %s, %s, 'bench', 'indoor', 'area', %s, 0, 0, %s, now(), "
                           "now()) RETURNING id",
                      (key, campaign, user, f"Device {d}", ward, hashlib.sha256(token.encode()).hexdigest()))
        for quantity in ("air_temperature", "relative_humidity"):
            cur.execute("INSERT INTO sensing_sensors (device_id, quantity_id, external_id) VALUES (%s, %s, %s)",
                        (device, quantities[quantity], quantity))
        plan.append((key, token, first.isoformat()))
    return plan


def _broker(folder: Path) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    config = folder / "mosquitto.conf"
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\nuser {getpass.getuser()}\n"
                      f"persistence true\npersistence_location {folder}/\nmax_queued_messages 0\n"
                      f"log_dest file {folder}/mosquitto.log\n")
    process = subprocess.Popen(["mosquitto", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, port
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("mosquitto did not start")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        stop(process, timeout=60)


def main(messages: int | None = None) -> bool:
    n = messages or MESSAGES
    if shutil.which("mosquitto") is None:
        print("mosquitto is not installed (apt-get install mosquitto). Not measured.")
        return False
    try:
        with _connect("postgres") as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    except Exception as e:  # noqa: BLE001 - any reason PostgreSQL is not there
        print(f"PostgreSQL is not reachable at {PG_URL} ({type(e).__name__}: {e}); set BENCH_PG_URL. Not measured.")
        return False
    per_device = -(-n // DEVICES)
    first = (datetime.now(UTC) - timedelta(seconds=per_device + 3600)).replace(microsecond=0)
    try:
        with tempfile.TemporaryDirectory(prefix="civic-bench-mqtt-") as tmp:
            folder = Path(tmp)
            broker, port = _broker(folder)
            env = {k: v for k, v in os.environ.items() if not k.startswith("CIVIC_")}
            env.update({"CIVIC_INSTANCE_PATH": str(folder / "instance"), "CIVIC_DATABASE_URL": f"{PG_URL}/{DB_NAME}",
                        "CIVIC_PRODUCTION": "0", "CIVIC_SECRET_KEY": secrets.token_urlsafe(32),
                        "CIVIC_MQTT_URL": f"mqtt://127.0.0.1:{port}", "CIVIC_SEARCH_DRAIN": "off"})
            flask = [_bin("flask"), "--app", "wsgi"]
            bridge = publisher = None
            try:
                months = (datetime.now(UTC).year - first.year) * 12 + datetime.now(UTC).month - first.month + 1
                for command in (["civic", "migrate"], ["sensing", "partitions", "--behind", str(months)]):
                    done = subprocess.run([*flask, *command], cwd=ROOT, env=env, capture_output=True, text=True,
                                          timeout=300)
                    if done.returncode:
                        raise RuntimeError(f"flask {' '.join(command)} failed:\n{done.stdout}{done.stderr}"[-3000:])
                with _connect(DB_NAME) as conn, conn.cursor() as cur:
                    plan = _setup(cur, first)
                    cur.execute("VACUUM ANALYZE")
                (folder / "plan.txt").write_text("\n".join(" ".join(p) for p in plan))
                (folder / "publisher.py").write_text(PUBLISHER)
                log = open(folder / "bridge.log", "wb")  # noqa: SIM115 - closed below
                bridge = subprocess.Popen([*flask, "sensing", "mqtt", *BRIDGE_OPTIONS], cwd=ROOT, env=env, stdout=log,
                                          stderr=subprocess.STDOUT)
                deadline = time.monotonic() + 60
                while b"subscribed to" not in (folder / "bridge.log").read_bytes():
                    if time.monotonic() > deadline or bridge.poll() is not None:
                        raise RuntimeError("the bridge did not start:\n"
                                           + (folder / "bridge.log").read_text(errors="replace"))
                    time.sleep(0.1)
                publisher = subprocess.Popen([sys.executable, str(folder / "publisher.py"), str(port),
                                              str(folder / "plan.txt"), str(n)], stdout=subprocess.PIPE, text=True)
                started = float(publisher.stdout.readline().split()[1])
                samples = [(started, 0)]
                with _connect(DB_NAME) as conn:
                    while True:
                        time.sleep(0.5)
                        count = _one(conn, "SELECT count(*) FROM sensing_readings")
                        now = time.time()
                        if count != samples[-1][1]:
                            samples.append((now, count))
                        if count >= 2 * n or now - samples[-1][0] > STALL_S:
                            break
                said = publisher.communicate(timeout=600)[0]
                _stop(bridge)
                log.close()
                with _connect(DB_NAME) as conn:
                    rows = _one(conn, "SELECT count(*) FROM sensing_readings")
                    distinct = _one(conn, "SELECT count(*) FROM (SELECT DISTINCT sensor_id, measured_at "
                                          "FROM sensing_readings) d")
                    in_days = _one(conn, "SELECT coalesce(sum(count), 0) FROM sensing_aggregates WHERE period = 'day'")
                    flagged = _one(conn, "SELECT count(*) FROM sensing_readings WHERE flag IS NOT NULL")
                    refused = _one(conn, "SELECT count(*) FROM sensing_rejections")
            finally:
                for process in (publisher, bridge):
                    if process is not None:
                        _stop(process)
                _stop(broker)
            bridge_said = (folder / "bridge.log").read_text(errors="replace")
    finally:
        if os.environ.get("BENCH_KEEP_DB") != "1":
            with _connect("postgres") as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    last_time, last_count = samples[-1]
    took = last_time - started
    rate = (last_count / 2) / took if took > 0 else 0.0
    slowest = _slowest_window(samples)
    published = re.search(r"published (\d+) acknowledged (\d+) in ([\d.]+)", said)
    acked_by_bridge = re.findall(r"(\d+) acknowledged", bridge_said)
    lost = 2 * n - rows
    ok = rate >= BUDGET and lost == 0 and distinct == rows and in_days + flagged == rows and refused == 0
    print(f"MQTT bridge into PostgreSQL: {n:,} messages (two readings each, our JSON, token inside) at QoS 1 from "
          f"one publisher over {DEVICES:,} devices; bridge batches of up to 5,000 messages or 1 s")
    if published:
        print(f"publisher: {int(published.group(2)):,} of {n:,} acknowledged by the broker in "
              f"{float(published.group(3)):.1f} s ({int(published.group(2)) / float(published.group(3)):,.0f}/s)")
    print(f"stored {rows:,} readings of {2 * n:,} (lost {lost:,}; distinct {distinct:,}; counted in the day "
          f"aggregates {in_days:,} + flagged {flagged:,}; refused {refused:,}); the bridge acknowledged "
          f"{acked_by_bridge[-1] if acked_by_bridge else '?'} messages")
    print(f"throughput {rate:,.0f} messages/s over {took:.1f} s (slowest {WINDOW_S:.0f} s: {slowest:,.0f}/s)   "
          f"budget >= {BUDGET:,}/s with zero loss  {'PASS' if ok else 'OVER'}")
    return ok


def _slowest_window(samples: list[tuple[float, int]]) -> float:
    """The fewest messages stored in any WINDOW_S seconds between the first and the last sample, per second."""
    if samples[-1][0] - samples[0][0] < 2 * WINDOW_S:
        return (samples[-1][1] - samples[0][1]) / 2 / max(samples[-1][0] - samples[0][0], 1e-9)
    worst = None
    for i, (t, c) in enumerate(samples):
        if t + WINDOW_S > samples[-1][0]:
            break
        j = next(k for k in range(i, len(samples)) if samples[k][0] >= t + WINDOW_S)
        rate = (samples[j][1] - c) / 2 / (samples[j][0] - t)
        worst = rate if worst is None else min(worst, rate)
    return worst or 0.0


if __name__ == "__main__":
    sys.exit(0 if main(int(sys.argv[1]) if len(sys.argv) > 1 else None) else 1)
