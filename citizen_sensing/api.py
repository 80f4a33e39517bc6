"""Citizen sensing in the JSON API (``/api/v1/sensing/...``), on the core's API kit: public campaigns, their
devices (privacy applied: an area-only device has its ward and no coordinates, a fuzzed one its moved point),
a device's readings (with their flags) and aggregates. Reads only; devices write through
:mod:`citizen_sensing.ingest_api`."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from citizen_sensing import services
from citizen_sensing.models import Aggregate, Campaign, Device, Quantity, Reading, Sensor
from citizen_sensing.pages import campaign_list, status_of
from civic import api, openapi
from civic.db import db
from civic.errors import NotFound
from civic.openapi import INTEGER, STRING, TIME, URL, nullable, obj, page_of, query

bp = api.blueprint("citizen_sensing_api", __name__)
COLLECTIONS = (api.Collection("sensing_campaigns", "citizen_sensing_api.campaigns",
                              "Citizen-sensing campaigns run by community groups, with their devices and readings."),)

NUMBER = {"type": "number"}
CAMPAIGN = obj(("slug", "title", "group", "status", "starts_on", "ends_on", "wards", "quantities", "licence",
                "volunteers", "url", "api_url", "devices_url", "readings_csv"),
               slug=STRING, title=STRING, purpose=STRING, group=STRING, status=STRING, starts_on=STRING,
               ends_on=STRING, wards={"type": "array", "items": STRING},
               quantities={"type": "array", "items": obj(("key", "name", "unit"), key=STRING, name=STRING,
                                                         unit=STRING)},
               licence=obj(("key", "name", "url"), key=STRING, name=STRING, url=URL), volunteers=INTEGER,
               url=URL, api_url=URL, devices_url=URL, readings_csv=URL)
DEVICE = obj(("id", "name", "ward", "setting", "privacy", "location", "status", "last_seen_at", "sensors"),
             id=STRING, name=STRING, ward=STRING, setting=STRING, privacy=STRING,
             location=nullable(obj(("latitude", "longitude", "precision"), latitude=NUMBER, longitude=NUMBER,
                                   precision=STRING)),
             status=STRING, last_seen_at=nullable(TIME),
             sensors={"type": "array", "items": obj(("id", "quantity", "unit"), id=STRING, quantity=STRING,
                                                    unit=STRING, model=nullable(STRING))},
             readings_url=URL, aggregates_url=URL)
READING = obj(("sensor", "quantity", "unit", "measured_at", "value", "flag"), sensor=STRING, quantity=STRING,
              unit=STRING, measured_at=TIME, value=NUMBER, flag=nullable(STRING))
AGGREGATE = obj(("sensor", "quantity", "period", "starts_at", "count", "mean", "min", "max"), sensor=STRING,
                quantity=STRING, period=STRING, starts_at=TIME, count=INTEGER, mean=nullable(NUMBER),
                min=nullable(NUMBER), max=nullable(NUMBER))
TIME_RANGE = [query("from", "From this time (ISO 8601; without a zone: UTC)."),
              query("to", "Until this time, not included (ISO 8601).")]


def _campaign(c: Campaign) -> dict[str, Any]:
    return {"slug": c.slug, "title": c.title, "purpose": c.purpose, "group": c.group.name, "status": c.status,
            "starts_on": c.starts_on.isoformat(), "ends_on": c.ends_on.isoformat(),
            "wards": [w.name for w in c.wards],
            "quantities": [{"key": q.key, "name": q.name, "unit": q.unit} for q in c.quantities],
            "licence": {"key": c.licence, "name": c.licence_name, "url": c.licence_url},
            "volunteers": c.participants_count,
            "url": url_for("citizen_sensing.show", slug=c.slug, _external=True),
            "api_url": url_for(".campaign", slug=c.slug, _external=True),
            "devices_url": url_for(".campaign_devices", slug=c.slug, _external=True),
            "readings_csv": url_for("citizen_sensing.readings_csv", slug=c.slug, _external=True)}


def _device(d: Device) -> dict[str, Any]:
    point = services.public_point(d)
    return {"id": d.public_key, "name": d.name, "ward": d.ward.name, "setting": d.setting, "privacy": d.privacy,
            "location": None if point is None else {
                "latitude": point[0], "longitude": point[1],
                "precision": "exact" if d.privacy == "exact" else "within about 250 m"},
            "status": status_of(d), "last_seen_at": api.iso(d.last_seen_at),
            "sensors": [{"id": s.external_id, "quantity": s.quantity.key, "unit": s.quantity.unit, "model": s.model}
                        for s in d.sensors],
            "readings_url": url_for(".device_readings", box_id=d.public_key, _external=True),
            "aggregates_url": url_for(".device_aggregates", box_id=d.public_key, _external=True)}


def _public_device(box_id: str) -> Device:
    device = db.session.scalar(select(Device).where(Device.public_key == box_id[:24]))
    campaign = db.session.get(Campaign, device.campaign_id) if device else None
    if device is None or campaign is None or not campaign.is_public:
        raise NotFound(_("We could not find that device."))
    return device


@bp.get("/sensing/campaigns")
@openapi.operation("Citizen-sensing campaigns", description="Approved campaigns, newest first.",
                   parameters=openapi.paging(), responses={200: page_of(CAMPAIGN)}, tags=["citizen sensing"])
def campaigns():
    page, per_page = api.paging()
    found = campaign_list(page, per_page)
    return api.listed(api.envelope([_campaign(c) for c in found.items], page, per_page, found.total))


@bp.get("/sensing/campaigns/<slug>")
@openapi.operation("One campaign", responses={200: CAMPAIGN}, tags=["citizen sensing"])
def campaign(slug: str):
    found = services.get_campaign(current_user, slug)
    if not found.is_public:
        raise NotFound(_("We could not find that campaign."))
    return _campaign(found)


@bp.get("/sensing/campaigns/<slug>/devices")
@openapi.operation("A campaign's devices", description="Privacy applied: an area-only device has its ward and no "
                   "location; a fuzzed one is about 250 m from where it is, at the same place every time.",
                   parameters=openapi.paging(), responses={200: page_of(DEVICE)}, tags=["citizen sensing"])
def campaign_devices(slug: str):
    found = services.get_campaign(current_user, slug)
    if not found.is_public:
        raise NotFound(_("We could not find that campaign."))
    page, per_page = api.paging()
    stmt = select(Device).where(Device.campaign_id == found.id)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    devices = db.session.scalars(stmt.order_by(Device.id).limit(per_page).offset((page - 1) * per_page)).all()
    return api.listed(api.envelope([_device(d) for d in devices], page, per_page, total))


@bp.get("/sensing/devices/<box_id>/readings")
@openapi.operation("A device's readings", description="Newest first, with their quality flags.",
                   parameters=[*openapi.paging(100), *TIME_RANGE], responses={200: page_of(READING)},
                   tags=["citizen sensing"])
def device_readings(box_id: str):
    device = _public_device(box_id)
    page, per_page = api.paging(100)
    start, end = api.datetime_arg("from"), api.datetime_arg("to")
    stmt = (select(Reading.measured_at, Reading.value, Reading.flag, Sensor.external_id, Quantity.key, Quantity.unit)
            .join(Sensor, Sensor.id == Reading.sensor_id).join(Quantity, Quantity.id == Sensor.quantity_id)
            .where(Reading.device_id == device.id))
    if start:
        stmt = stmt.where(Reading.measured_at >= start)
    if end:
        stmt = stmt.where(Reading.measured_at < end)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.execute(stmt.order_by(Reading.measured_at.desc(), Reading.sensor_id)
                              .limit(per_page).offset((page - 1) * per_page)).all()
    items = [{"sensor": ext, "quantity": key, "unit": unit, "measured_at": api.iso(t), "value": v, "flag": f}
             for t, v, f, ext, key, unit in rows]
    return api.listed(api.envelope(items, page, per_page, total))


@bp.get("/sensing/devices/<box_id>/aggregates")
@openapi.operation("A device's hourly or daily aggregates", description="Count, mean, minimum and maximum of the "
                   "unflagged readings per sensor and hour or day (UTC).",
                   parameters=[query("period", "hour or day (default).", {"enum": ["hour", "day"]}),
                               *openapi.paging(100), *TIME_RANGE],
                   responses={200: page_of(AGGREGATE)}, tags=["citizen sensing"])
def device_aggregates(box_id: str):
    device = _public_device(box_id)
    period = api.choice_arg("period", ("hour", "day"), "day")
    page, per_page = api.paging(100)
    start, end = api.datetime_arg("from"), api.datetime_arg("to")
    stmt = (select(Aggregate, Sensor.external_id, Quantity.key).join(Sensor, Sensor.id == Aggregate.sensor_id)
            .join(Quantity, Quantity.id == Sensor.quantity_id)
            .where(Sensor.device_id == device.id, Aggregate.period == period))
    if start:
        stmt = stmt.where(Aggregate.starts_at >= start)
    if end:
        stmt = stmt.where(Aggregate.starts_at < end)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.execute(stmt.order_by(Aggregate.starts_at.desc(), Aggregate.sensor_id)
                              .limit(per_page).offset((page - 1) * per_page)).all()
    items = [{"sensor": ext, "quantity": key, "period": a.period, "starts_at": api.iso(a.starts_at),
              "count": a.count, "mean": a.mean, "min": a.min_value, "max": a.max_value} for a, ext, key in rows]
    return api.listed(api.envelope(items, page, per_page, total))
