"""Open data: the devices' map (privacy applied) and each campaign's readings as CSV and GeoJSON, streamed from a
server-side cursor (memory stays flat however many rows), with the campaign's licence and attribution in the file
and in the headers. An area-only device's readings carry its ward, never coordinates; a fuzzed device's carry
its published (moved) point. Flagged readings are exported with their flag.

The routes are on the public blueprint (:data:`citizen_sensing.views.bp`); the dataset of campaigns is declared
in the manifest (``/open-data``)."""

from __future__ import annotations

from collections.abc import Iterator

from flask import request, url_for
from flask_login import current_user
from sqlalchemy import select

from citizen_sensing import services
from citizen_sensing.models import Campaign, Device, Quantity, Reading, Sensor
from citizen_sensing.pages import status_of
from citizen_sensing.views import bp
from civic.api import parse_datetime
from civic.db import db
from civic.exports import Licence, download_name, open_data, stream_csv, timestamp
from civic.maps import feature, stream_geojson
from civic.opendata import Column, Dataset

#: Rows fetched from the database at a time while streaming.
YIELD_PER = 5000
READING_HEADER = ["campaign", "device", "device_name", "ward", "latitude", "longitude", "quantity", "unit",
                  "measured_at", "value", "flag"]


def licence_of(campaign: Campaign) -> Licence:
    return Licence(campaign.licence_name, campaign.licence_url,
                   f"{campaign.title}, a citizen-sensing campaign of {campaign.group.name}, Civic Westminster "
                   f"({campaign.licence_name}).")


def _device_feature(device: Device) -> dict | None:
    point = services.public_point(device) or services.ward_point(device)
    if point is None:
        return None
    return feature(device.public_key, point[0], point[1], {
        "name": device.name, "ward": device.ward.name, "privacy": device.privacy, "setting": device.setting,
        "status": status_of(device), "title": device.name,
        "precision": {"exact": "exact", "fuzzed": "within about 250 m", "area": "ward"}[device.privacy]})


@bp.get("/<slug>/devices.geojson")
def devices_geojson(slug: str):
    campaign = services.get_campaign(current_user, slug)
    devices = db.session.scalars(select(Device).where(Device.campaign_id == campaign.id).order_by(Device.id)).all()
    # A campaign has tens of devices, not millions: the features are made now, before the request commits.
    features = [f for f in (_device_feature(d) for d in devices) if f is not None]
    response = stream_geojson(features, meta={"licence": licence_of(campaign).as_dict()})
    return open_data(response, public=campaign.is_public, licence=licence_of(campaign))


def _filters(campaign: Campaign):
    stmt = (select(Reading.measured_at, Reading.value, Reading.flag, Device.public_key, Device.name, Device.privacy,
                   Device.setting, Device.latitude, Device.longitude, Device.offset_north_m, Device.offset_east_m,
                   Device.ward_id, Quantity.key, Quantity.unit)
            .join(Sensor, Sensor.id == Reading.sensor_id).join(Device, Device.id == Reading.device_id)
            .join(Quantity, Quantity.id == Sensor.quantity_id).where(Device.campaign_id == campaign.id))
    device_key = (request.args.get("device") or "").strip()[:24]
    if device_key:
        stmt = stmt.where(Device.public_key == device_key)
    start = parse_datetime("from", request.args.get("from"))
    end = parse_datetime("to", request.args.get("to"))
    if start:
        stmt = stmt.where(Reading.measured_at >= start)
    if end:
        stmt = stmt.where(Reading.measured_at < end)
    return stmt.order_by(Reading.measured_at, Reading.sensor_id)


def _rows(campaign: Campaign, stmt) -> Iterator[tuple]:
    """The rows of ``stmt`` (:func:`_filters`, read before the response starts, so a bad filter is a 400)."""
    from civic.spaces.models import Ward
    wards = dict(db.session.execute(select(Ward.id, Ward.name)).all())
    points: dict[str, tuple[float, float] | None] = {}
    result = db.session.execute(stmt.execution_options(yield_per=YIELD_PER, stream_results=True))
    try:
        for (when, value, flag, key, name, privacy, setting, lat, lng, north, east, ward_id, quantity,
             unit) in result:
            if key not in points:
                points[key] = services.public_point(Device(privacy=privacy, setting=setting, latitude=lat,
                                                           longitude=lng, offset_north_m=north, offset_east_m=east))
            point = points[key]
            yield (campaign.slug, key, name, wards.get(ward_id), point[0] if point else None,
                   point[1] if point else None, quantity, unit, when, value, flag)
    finally:
        result.close()


@bp.get("/<slug>/readings.csv")
def readings_csv(slug: str):
    campaign = services.get_campaign(current_user, slug)
    licence = licence_of(campaign)
    rows = ([*r[:8], timestamp(r[8]), r[9], r[10] or ""] for r in _rows(campaign, _filters(campaign)))
    header = READING_HEADER
    response = stream_csv(download_name(f"{campaign.slug}-readings", "csv"), header,
                          _with_licence_rows(rows, licence),
                          guarded=[True, True, True, True, False, False, True, True, False, False, True])
    return open_data(response, public=campaign.is_public, licence=licence)


def _with_licence_rows(rows, licence: Licence):
    """The licence in the file: a comment-like first row that every CSV reader keeps as data is worse than none,
    so the licence goes in the headers and in a last row marked ``#``."""
    yield from rows
    yield ["#", f"Licence: {licence.name} <{licence.url}>. {licence.attribution}", "", "", None, None, "", "", None,
           None, ""]


@bp.get("/<slug>/readings.geojson")
def readings_geojson(slug: str):
    campaign = services.get_campaign(current_user, slug)
    licence = licence_of(campaign)
    stmt = _filters(campaign)

    def features():
        for n, r in enumerate(_rows(campaign, stmt)):
            props = {"device": r[1], "ward": r[3], "quantity": r[6], "unit": r[7], "measured_at": timestamp(r[8]),
                     "value": r[9], "flag": r[10]}
            if r[4] is None:
                yield {"type": "Feature", "id": n, "geometry": None, "properties": props}
            else:
                yield feature(n, r[4], r[5], props)

    response = stream_geojson(features(), meta={"licence": licence.as_dict()})
    response.headers["Content-Disposition"] = f'attachment; filename="{download_name(campaign.slug, "geojson")}"'
    return open_data(response, public=campaign.is_public, licence=licence)


# The open-data dataset: the campaigns -----------------------------------------------------------------------


def _campaign_rows():
    for c in db.session.scalars(select(Campaign).where(Campaign.status == "approved", Campaign.hidden_at.is_(None))
                                .order_by(Campaign.id)):
        yield [c.slug, c.title, c.group.name, "; ".join(w.name for w in c.wards) or "Whole city",
               "; ".join(q.key for q in c.quantities), c.starts_on.isoformat(), c.ends_on.isoformat(), c.licence,
               c.participants_count, url_for("citizen_sensing.readings_csv", slug=c.slug, _external=True)]


DATASETS = (Dataset(
    key="sensing-campaigns", title="Citizen-sensing campaigns",
    description="Community groups' sensing campaigns approved by the council, with the address of each "
                "campaign's readings (CSV, under the campaign's own licence: CC BY 4.0 or ODbL).",
    columns=(Column("slug", "The campaign's short name"), Column("title", "Its title"),
             Column("group", "The community group running it"), Column("wards", "Its wards", "list"),
             Column("quantities", "What it measures (catalogue keys)", "list"),
             Column("starts_on", "First day", "text"), Column("ends_on", "Last day", "text"),
             Column("licence", "The licence of its readings"), Column("volunteers", "Volunteers", "integer"),
             Column("readings_csv", "Its readings as CSV", "url")),
    rows=_campaign_rows, keywords=("citizen sensing", "air quality", "damp")),)

