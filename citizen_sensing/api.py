"""Citizen sensing in the JSON API (``/api/v1/sensing/...``), on the core's API kit: public campaigns, their
devices (privacy applied: an area-only device has its ward and no coordinates, a fuzzed one its moved point),
a device's readings (with their flags) and aggregates, a campaign's findings with the council's answers, and a
device's alerts (for those who may see the device: its owner, the campaign's organisers, officers; anyone else
is told it is not found). Reads only; devices write through :mod:`citizen_sensing.ingest_api`."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from citizen_sensing import alerts, findings, services
from citizen_sensing.models import Aggregate, Alert, Campaign, Device, Finding, Quantity, Reading, Sensor
from citizen_sensing.pages import campaign_list, status_of
from civic import api, openapi, resources
from civic.db import db, paginate
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
LINKED = {"type": "array", "items": obj(("type", "url"), type=STRING, title=STRING, url=nullable(URL)),
          "description": "What the finding became in another part of the site (a proposal...), with its page."}
FINDING = obj(("id", "campaign", "title", "summary", "submitted_at", "state", "state_label", "answer_text",
               "answered_at", "linked", "url", "api_url"),
              id=INTEGER, campaign=STRING, title=STRING, summary=STRING, submitted_at=TIME,
              state={"type": "string", "enum": list(findings.ANSWER_LABELS)}, state_label=STRING,
              answer_text=STRING, answered_at=nullable(TIME), linked=LINKED, url=URL, api_url=URL)
FINDING_ONE = {**FINDING, "properties": {**FINDING["properties"], "report": {
    **STRING, "description": "The campaign's report (Markdown) as it was when the finding was submitted."}}}
ALERT = obj(("id", "rule", "opened_at", "since", "closed_at", "value", "unit"), id=INTEGER,
            rule=obj(("id", "kind", "description"), id=INTEGER, kind=STRING, description=STRING),
            opened_at=TIME, since=nullable(TIME), closed_at=nullable(TIME), value=nullable(NUMBER),
            unit=nullable(STRING))
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


# Findings and alerts ---------------------------------------------------------------------------------------------


def _linked_rows(found: list[Finding]) -> dict[int, list[dict[str, Any]]]:
    """What each finding became, as the campaign page shows it: one query for all the links."""
    out: dict[int, list[dict[str, Any]]] = {}
    for finding_id, ends in resources.link_rows(findings.TYPE, [f.id for f in found]).items():
        for other_type, other_id in ends:
            rt = resources.find(other_type)
            if rt is not None:
                out.setdefault(finding_id, []).append({"type": rt.name, "url": rt.url_by_id(other_id)})
    return out


def _finding(f: Finding, linked: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": f.id, "campaign": f.campaign.slug, "title": f.title, "summary": f.summary,
            "submitted_at": api.iso(f.submitted_at), "state": f.answer_state,
            "state_label": _(findings.ANSWER_LABELS[f.answer_state]), "answer_text": f.answer_text,
            "answered_at": api.iso(f.answered_at), "linked": linked,
            "url": url_for("sensing_findings.show", finding_id=f.id, _external=True),
            "api_url": url_for(".finding", finding_id=f.id, _external=True)}


@bp.get("/sensing/campaigns/<slug>/findings")
@openapi.operation("A campaign's findings", description="What the campaign's organisers submitted to the council, "
                   "newest first, each with the council's answer (state, text, when) and what it became (a "
                   "proposal...).", parameters=openapi.paging(), responses={200: page_of(FINDING)},
                   tags=["citizen sensing"])
def campaign_findings(slug: str):
    found = services.get_campaign(current_user, slug)
    if not found.is_public:
        raise NotFound(_("We could not find that campaign."))
    page, per_page = api.paging()
    result = paginate(select(Finding).where(Finding.campaign_id == found.id)
                      .order_by(Finding.submitted_at.desc(), Finding.id.desc()), page, per_page)
    linked = _linked_rows(list(result.items))
    return api.listed(api.envelope([_finding(f, linked.get(f.id, [])) for f in result.items], page, per_page,
                                   result.total))


@bp.get("/sensing/findings/<int:finding_id>")
@openapi.operation("One finding", description="With the report as it was when submitted, the council's answer "
                   "and what the finding became that you may see.", responses={200: FINDING_ONE},
                   tags=["citizen sensing"])
def finding(finding_id: int):
    found = findings.get_finding(current_user, finding_id)
    if not found.campaign.is_public:
        raise NotFound(_("We could not find that finding."))
    linked = [{"type": end.type.name, "title": end.title, "url": end.url}
              for end in resources.linked(current_user, findings.TYPE, found.id, "to")]
    return {**_finding(found, linked), "report": found.report}


def _alert(a: Alert) -> dict[str, Any]:
    rule = a.rule
    return {"id": a.id, "rule": {"id": rule.id, "kind": rule.kind, "description": alerts.describe(rule)},
            "opened_at": api.iso(a.opened_at), "since": api.iso(a.since), "closed_at": api.iso(a.closed_at),
            "value": a.value, "unit": rule.quantity.unit if rule.quantity is not None else None}


@bp.get("/sensing/devices/<box_id>/alerts")
@openapi.operation("A device's alerts", description="Newest first, open and closed, with the rule that opened "
                   "each. For the device's owner, the campaign's organisers and officers; anyone else is told "
                   "the device is not found.", parameters=openapi.paging(), responses={200: page_of(ALERT)},
                   sign_in=True, tags=["citizen sensing"])
def device_alerts(box_id: str):
    user = api.require_user()
    device_id = db.session.scalar(select(Device.id).where(Device.public_key == box_id[:24]))
    if device_id is None:
        raise NotFound(_("We could not find that device."))
    device = services.get_device(user, device_id)  # the owner, the campaign's organisers, officers; else 404
    page, per_page = api.paging()
    result = alerts.device_alerts(device, page, per_page)
    return api.listed(api.envelope([_alert(a) for a in result.items], page, per_page, result.total))
