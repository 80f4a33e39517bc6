"""The formats devices speak, each read into :class:`citizen_sensing.ingest.Item`\\ s for the one ingest service.

- ours: JSON ``{"readings": [{"sensor" or "quantity", "value", "timestamp"}]}`` (or the bare array) and CSV with
  a header row ``timestamp,<quantity or sensor id>,...``;
- openSenseMap: the JSON array ``[{"sensor", "value", "createdAt", "location"}]``, the JSON object
  ``{sensor id: value | [value, createdAt(, location)]}``, the headerless CSV
  ``sensorId,value[,createdAt[,lng,lat[,height]]]`` and one sensor's ``{"value", "createdAt", "location"}``;
- Sensor.Community (airrohr firmware, "custom API"): ``{"esp8266id", "sensordatavalues": [{"value_type",
  "value"}]}``, values as text, pressure in Pa, SDS_P1/SDS_P2 = PM10/PM2.5; unknown value types are ignored and
  named in the answer;
- Smart Citizen: JSON ``{"data": [{"recorded_at", "sensors": [{"id", "value"}]}]}`` and the SD card's CSV with
  four header rows (keys, units, names, sensor ids).

A body that is not the format at all raises :class:`FormatError` (400, naming the field); a bad item is an item
with its ``problem``, refused by the service beside the good ones.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from citizen_sensing.ingest import MAX_READINGS, Item
from citizen_sensing.models import Device, Sensor
from civic.errors import DomainError

#: Column names a home-made logger may use for a quantity of the catalogue.
ALIASES = {
    "temperature": "air_temperature", "temp": "air_temperature", "air_temperature": "air_temperature",
    "humidity": "relative_humidity", "hum": "relative_humidity", "rh": "relative_humidity",
    "pm25": "pm2_5", "pm2.5": "pm2_5", "pm2_5": "pm2_5", "pm10": "pm10", "no2": "no2", "pressure": "pressure",
    "noise": "noise", "co2": "co2", "surface_temperature": "surface_temperature",
}
#: airrohr value types: quantity and the factor to its unit. Types ending like these match any sensor prefix.
AIRROHR = {"SDS_P1": ("pm10", 1.0), "SDS_P2": ("pm2_5", 1.0), "PMS_P1": ("pm10", 1.0), "PMS_P2": ("pm2_5", 1.0),
           "SPS30_P2": ("pm2_5", 1.0), "SPS30_P4": ("pm10", 1.0), "noise_LAeq": ("noise", 1.0)}
AIRROHR_SUFFIXES = {"_temperature": ("air_temperature", 1.0), "_humidity": ("relative_humidity", 1.0),
                    "_pressure": ("pressure", 0.01)}
#: Smart Citizen sensor ids: quantity and factor (their pressure is in kPa).
SMART_CITIZEN = {"55": ("air_temperature", 1.0), "56": ("relative_humidity", 1.0), "53": ("noise", 1.0),
                 "58": ("pressure", 10.0), "87": ("pm2_5", 1.0), "88": ("pm10", 1.0), "112": ("co2", 1.0)}


class FormatError(DomainError):
    """The body is not the format the address takes: 400, naming the field."""

    status_code = 400
    code = "bad_request"


class TooMany(DomainError):
    status_code = 413
    code = "too_large"


@dataclass
class Parsed:
    items: list[Item]
    notes: list[str] = field(default_factory=list)


class Sensors:
    """A device's sensors, found by the device's own id for them or by quantity."""

    def __init__(self, device: Device) -> None:
        self.device = device
        self.by_id = {s.external_id: s for s in device.sensors}
        self.by_quantity: dict[str, list[Sensor]] = {}
        for s in device.sensors:
            self.by_quantity.setdefault(s.quantity.key, []).append(s)

    def find(self, name: Any) -> Sensor | None:
        key = str(name).strip() if isinstance(name, str | int) and not isinstance(name, bool) else None
        if not key:
            return None
        if key in self.by_id:
            return self.by_id[key]
        quantity = ALIASES.get(key.lower(), key)
        found = self.by_quantity.get(quantity, [])
        return found[0] if len(found) == 1 else None

    def of_quantity(self, key: str) -> Sensor | None:
        found = self.by_quantity.get(key, [])
        return found[0] if found else None

    def only(self) -> Sensor | None:
        return self.device.sensors[0] if len(self.device.sensors) == 1 else None


def _limit(n: int) -> None:
    if n > MAX_READINGS:
        raise TooMany(_("At most %(max)s readings a request; this one holds %(n)s. Send them in smaller batches.",
                        max=f"{MAX_READINGS:,}", n=f"{n:,}"))


def _unknown(name: Any) -> tuple[str, str]:
    return ("sensor", _("This device has no sensor “%(name)s”.", name=str(name)[:64]))


def _scaled(value: Any, factor: float) -> Any:
    if factor == 1.0:
        return value
    try:
        return float(value) * factor if not isinstance(value, bool) else value
    except (TypeError, ValueError, OverflowError):
        return value


# Ours -------------------------------------------------------------------------------------------------------


def ours_json(device: Device, body: Any) -> Parsed:
    readings = body.get("readings") if isinstance(body, dict) else body
    if not isinstance(readings, list):
        raise FormatError(_("Send {\"readings\": [{\"sensor\": ..., \"value\": ..., \"timestamp\": ...}, ...]}."),
                          field="readings")
    _limit(len(readings))
    sensors = Sensors(device)
    items = []
    append = items.append
    found: dict[tuple[type, Any], Sensor | None] = {}  # a batch names few sensors, many times each
    for i, r in enumerate(readings):
        label = str(i)
        if not isinstance(r, dict):
            append(Item(label, None, None, problem=("item", _("Each reading must be a JSON object."))))
            continue
        name = r["sensor"] if "sensor" in r else r.get("quantity")
        if name is None:
            sensor = sensors.only()
        else:
            key = (type(name), name) if isinstance(name, str | int) else None
            sensor = found.get(key, False) if key is not None else False
            if sensor is False:
                sensor = sensors.find(name)
                if key is not None:
                    found[key] = sensor
        if sensor is not None:
            append(Item(label, sensor, r.get("value"), r.get("timestamp")))
            continue
        problem = _unknown(name) if name is not None else \
            ("sensor", _("Name the sensor (“sensor”) or the quantity (“quantity”)."))
        append(Item(label, sensor, r.get("value"), r.get("timestamp"), problem))
    return Parsed(items)


def _rows(text: str) -> list[list[str]]:
    try:
        return [row for row in csv.reader(io.StringIO(text.replace("\x00", ""))) if row and any(c.strip() for c in row)]
    except csv.Error as error:
        raise FormatError(_("The CSV could not be read: %(error)s.", error=str(error)[:100]), field="file") from None


def ours_csv(device: Device, text: str) -> Parsed:
    rows = _rows(text)
    if not rows or rows[0][0].strip().lower() not in ("timestamp", "time"):
        raise FormatError(_("The first row must be the header: timestamp,<quantity>,..."), field="file")
    sensors = Sensors(device)
    columns = [(name.strip(), sensors.find(name.strip())) for name in rows[0][1:]]
    _limit((len(rows) - 1) * max(len(columns), 1))
    items = []
    for n, row in enumerate(rows[1:], start=2):
        for c, (name, sensor) in enumerate(columns, start=1):
            value = row[c] if c < len(row) else ""
            items.append(Item(f"line {n}, {name[:20]}", sensor, value, row[0], None if sensor else _unknown(name)))
    return Parsed(items)


# openSenseMap -----------------------------------------------------------------------------------------------


def osem_json(device: Device, body: Any) -> Parsed:
    sensors = Sensors(device)
    items = []
    if isinstance(body, list):
        _limit(len(body))
        for i, m in enumerate(body):
            if not isinstance(m, dict):
                items.append(Item(str(i), None, None, problem=("item", _("Each measurement must be a JSON object."))))
                continue
            name = m.get("sensor", m.get("sensor_id"))
            sensor = sensors.find(name)
            items.append(Item(str(i), sensor, m.get("value"), m.get("createdAt"), None if sensor else _unknown(name)))
        return Parsed(items)
    if isinstance(body, dict):
        _limit(len(body))
        for name, v in body.items():
            sensor = sensors.find(name)
            value, when = (v[0] if v else None, v[1] if len(v) > 1 else None) if isinstance(v, list) else (v, None)
            items.append(Item(str(name)[:40], sensor, value, when, None if sensor else _unknown(name)))
        return Parsed(items)
    raise FormatError(_("Send a JSON array of measurements or a JSON object of sensor id to value."), field="body")


def osem_csv(device: Device, text: str) -> Parsed:
    rows = _rows(text)
    _limit(len(rows))
    sensors = Sensors(device)
    items = []
    for n, row in enumerate(rows, start=1):
        name = row[0].strip()
        sensor = sensors.find(name)
        items.append(Item(f"line {n}", sensor, row[1] if len(row) > 1 else "", row[2] if len(row) > 2 else None,
                          None if sensor else _unknown(name)))
    return Parsed(items)


def osem_single(device: Device, sensor_ref: str, body: Any) -> Parsed:
    if not isinstance(body, dict):
        raise FormatError(_("Send {\"value\": ..., \"createdAt\": ...}."), field="value")
    sensor = Sensors(device).find(sensor_ref)
    return Parsed([Item("0", sensor, body.get("value"), body.get("createdAt"),
                        None if sensor else _unknown(sensor_ref))])


# Sensor.Community (airrohr) ---------------------------------------------------------------------------------


def _airrohr_type(value_type: str) -> tuple[str, float] | None:
    if value_type in AIRROHR:
        return AIRROHR[value_type]
    for suffix, target in AIRROHR_SUFFIXES.items():
        if value_type.endswith(suffix):
            return target
    return None


def airrohr(device: Device, body: Any) -> Parsed:
    values = body.get("sensordatavalues") if isinstance(body, dict) else None
    if not isinstance(values, list):
        raise FormatError(_("Send {\"sensordatavalues\": [{\"value_type\": ..., \"value\": ...}]}."),
                          field="sensordatavalues")
    _limit(len(values))
    sensors = Sensors(device)
    items, ignored = [], []
    for i, v in enumerate(values):
        value_type = v.get("value_type") if isinstance(v, dict) else None
        if not isinstance(value_type, str):
            items.append(Item(str(i), None, None, problem=("value_type", _("Each value needs a “value_type”."))))
            continue
        target = _airrohr_type(value_type)
        if target is None:
            ignored.append(value_type[:40])
            continue
        quantity, factor = target
        sensor = sensors.of_quantity(quantity)
        items.append(Item(value_type[:40], sensor, _scaled(v.get("value"), factor), None,
                          None if sensor else ("value_type", _("This device has no sensor for %(type)s.",
                                                               type=value_type[:40]))))
    notes = [_("Ignored value types: %(types)s.", types=", ".join(ignored))] if ignored else []
    return Parsed(items, notes)


# Smart Citizen ----------------------------------------------------------------------------------------------


def _smart_citizen_sensor(sensors: Sensors, sensor_id: Any) -> tuple[Sensor | None, float]:
    key = str(sensor_id).strip() if isinstance(sensor_id, str | int) and not isinstance(sensor_id, bool) else ""
    if key in sensors.by_id:
        return sensors.by_id[key], 1.0
    known = SMART_CITIZEN.get(key)
    if known is None:
        return None, 1.0
    return sensors.of_quantity(known[0]), known[1]


def smart_citizen_json(device: Device, body: Any) -> Parsed:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise FormatError(_("Send {\"data\": [{\"recorded_at\": ..., \"sensors\": [{\"id\": ..., \"value\": ...}]}]}."),
                          field="data")
    sensors = Sensors(device)
    items: list[Item] = []
    for i, record in enumerate(data):
        if not isinstance(record, dict) or not isinstance(record.get("sensors"), list):
            items.append(Item(str(i), None, None, problem=("sensors", _("Each record needs a list of “sensors”."))))
            continue
        for s in record["sensors"]:
            sensor_id = s.get("id") if isinstance(s, dict) else None
            sensor, factor = _smart_citizen_sensor(sensors, sensor_id)
            items.append(Item(f"{i}/{str(sensor_id)[:20]}", sensor,
                              _scaled(s.get("value") if isinstance(s, dict) else None, factor),
                              record.get("recorded_at"), None if sensor else _unknown(sensor_id)))
            _limit(len(items))
    return Parsed(items)


def smart_citizen_csv(device: Device, text: str) -> Parsed:
    rows = _rows(text)
    if len(rows) < 4:
        raise FormatError(_("A Smart Citizen file starts with four header rows."), field="file")
    sensors = Sensors(device)
    columns = [_smart_citizen_sensor(sensors, sid) for sid in rows[3][1:]]
    names = rows[0][1:]
    _limit((len(rows) - 4) * max(len(columns), 1))
    items = []
    for n, row in enumerate(rows[4:], start=5):
        for c, (sensor, factor) in enumerate(columns, start=1):
            value = row[c] if c < len(row) else ""
            label = names[c - 1] if c - 1 < len(names) else str(c)
            items.append(Item(f"line {n}, {label[:20]}", sensor, _scaled(value, factor), row[0],
                              None if sensor else _unknown(rows[3][c] if c < len(rows[3]) else label)))
    return Parsed(items)


# Which CSV --------------------------------------------------------------------------------------------------


def sniff_csv(text: str) -> Callable[[Device, str], Parsed]:
    """Our header format, Smart Citizen's four header rows, or openSenseMap's headerless lines."""
    rows = _rows(text[:20000])
    if rows and rows[0][0].strip().lower() in ("timestamp", "time") and len(rows) >= 4 and not rows[3][0].strip():
        return smart_citizen_csv
    if rows and rows[0][0].strip().lower() in ("timestamp", "time"):
        return ours_csv
    return osem_csv


def read_text(data: bytes) -> str:
    """A CSV body as text: UTF-8 (a byte order mark is dropped); anything else is a 400."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FormatError(_("The file must be UTF-8 text."), field="file") from None
