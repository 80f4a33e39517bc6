"""Campaigns and devices: proposing, approving, joining, registering devices, their tokens and retirement.
Every write checks the policy here and flushes; the request commits. The ingest of readings is
:mod:`citizen_sensing.ingest`."""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from citizen_sensing.models import (
    JOIN_MODES,
    LICENCES,
    PRIVACY,
    SETTINGS,
    Campaign,
    Device,
    Participant,
    Quantity,
    Sensor,
)
from citizen_sensing.policy import visible
from civic import events, policy
from civic.audit import audit
from civic.db import db, utcnow
from civic.errors import NotFound, RuleViolation
from civic.groups.models import Group
from civic.groups.services import is_organiser
from civic.maps import M_PER_DEG, WARDS, parse_point
from civic.slugs import free_slug
from civic.spaces.models import Ward

#: Device tokens start with this (a person's API token starts with ``civic_``: the two never mix).
TOKEN_PREFIX = "civicdev_"
#: A fuzzed device is published this far (at most) from where it is.
FUZZ_RADIUS_M = 250
TITLE_MAX = 150
#: Addresses under /sensing/ that are pages, not campaigns.
RESERVED_SLUGS = ("new", "quantities", "devices")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# Reading ------------------------------------------------------------------------------------------------------


def quantities() -> list[Quantity]:
    return list(db.session.scalars(select(Quantity).order_by(Quantity.position, Quantity.id)))


def wards() -> list[Ward]:
    return list(db.session.scalars(select(Ward).order_by(Ward.name)))


def get_campaign(user: Any, slug: str) -> Campaign:
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None or not visible(user, campaign):
        raise NotFound(_("We could not find that campaign."))
    return campaign


def get_device(user: Any, device_id: int, action: str = "sensing.see_device") -> Device:
    """A device its owner (or, to look at, the campaign's organisers and officers) may reach; anyone else gets
    "not found", so that ids reveal nothing."""
    device = db.session.get(Device, device_id)
    if device is None or not policy.can(user, action, device):
        raise NotFound(_("We could not find that device."))
    return device


def groups_organised(user: Any) -> list[Group]:
    from civic.groups.models import Membership
    return list(db.session.scalars(
        select(Group).join(Membership, Membership.group_id == Group.id)
        .where(Membership.user_id == user.id, Membership.role == "organiser", Membership.status == "active")
        .order_by(Group.name)))


# Campaigns ----------------------------------------------------------------------------------------------------


@dataclass
class CampaignInput:
    title: str
    purpose: str
    group_id: int | None
    quantity_ids: list[int]
    ward_ids: list[int]
    starts_on: date | None
    ends_on: date | None
    licence: str = "CC-BY-4.0"
    join_mode: str = "open"
    join_code: str = ""


def _check(data: CampaignInput) -> None:
    title = " ".join((data.title or "").split())
    if not title:
        raise RuleViolation(_("Give the campaign a title."), field="title")
    if len(title) > TITLE_MAX:
        raise RuleViolation(_("Use at most %(n)d characters for the title.", n=TITLE_MAX), field="title")
    data.title = title
    if not data.quantity_ids:
        raise RuleViolation(_("Choose at least one thing to measure."), field="quantities")
    if data.starts_on is None:
        raise RuleViolation(_("Give the date the campaign starts."), field="starts_on")
    if data.ends_on is None:
        raise RuleViolation(_("Give the date the campaign ends."), field="ends_on")
    if data.ends_on < data.starts_on:
        raise RuleViolation(_("The campaign must end on or after the day it starts."), field="ends_on")
    if data.licence not in LICENCES:
        raise RuleViolation(_("Choose one of the licences."), field="licence")
    if data.join_mode not in JOIN_MODES:
        raise RuleViolation(_("Choose how volunteers join."), field="join_mode")
    data.join_code = (data.join_code or "").strip()
    if data.join_mode == "code" and not 4 <= len(data.join_code) <= 40:
        raise RuleViolation(_("Give a join code of 4 to 40 characters, or let anyone join."), field="join_code")


def propose_campaign(user: Any, data: CampaignInput) -> Campaign:
    """An organiser proposes a campaign for their group; it is public once an officer approves it."""
    policy.require(user, "sensing.propose")
    group = db.session.get(Group, data.group_id) if data.group_id else None
    if group is None or not is_organiser(user, group):
        raise RuleViolation(_("Choose a group you organise."), field="group")
    _check(data)
    chosen = list(db.session.scalars(select(Quantity).where(Quantity.id.in_(data.quantity_ids))))
    if len(chosen) != len(set(data.quantity_ids)):
        raise RuleViolation(_("Choose quantities from the list."), field="quantities")
    chosen_wards = list(db.session.scalars(select(Ward).where(Ward.id.in_(data.ward_ids)))) if data.ward_ids else []
    campaign = Campaign(
        slug=free_slug(Campaign.slug, data.title, fallback="campaign", max_length=100, reserved=RESERVED_SLUGS),
        title=data.title,
        purpose=(data.purpose or "").strip(), group_id=group.id, created_by_id=user.id, status="proposed",
        starts_on=data.starts_on, ends_on=data.ends_on, licence=data.licence, join_mode=data.join_mode,
        join_code=data.join_code if data.join_mode == "code" else None)
    campaign.quantities = chosen
    campaign.wards = chosen_wards
    db.session.add(campaign)
    db.session.flush()
    audit(user, "sensing.campaign_proposed", "sensing_campaign", campaign.id, label=campaign.title)
    return campaign


def decide_campaign(officer: Any, campaign: Campaign, approve: bool, reason: str = "") -> None:
    """An officer approves (the campaign becomes public) or rejects a proposed campaign: audit-logged."""
    policy.require(officer, "sensing.decide", campaign)
    status = "approved" if approve else "rejected"
    before = campaign.status
    if before == status:
        raise RuleViolation(_("The campaign is already %(status)s.", status=_(status)))
    campaign.status = status
    campaign.decided_at = utcnow()
    campaign.decided_by_id = officer.id
    db.session.flush()
    audit(officer, f"sensing.campaign_{status}", "sensing_campaign", campaign.id, label=campaign.title,
          before={"status": before}, after={"status": status}, reason=reason)
    if approve:
        events.publish("sensing.campaign_approved", campaign, actor_id=officer.id)


def join(user: Any, campaign: Campaign, code: str = "") -> Participant:
    policy.require(user, "sensing.join", campaign)
    if campaign.join_mode == "code" and not secrets.compare_digest((code or "").strip().encode(),
                                                                   (campaign.join_code or "").encode()):
        raise RuleViolation(_("That join code is not right. Ask the campaign's organisers for it."), field="code")
    existing = db.session.scalar(select(Participant).where(Participant.campaign_id == campaign.id,
                                                           Participant.user_id == user.id))
    if existing is not None:
        return existing
    participant = Participant(campaign_id=campaign.id, user_id=user.id)
    try:
        with db.session.begin_nested():
            db.session.add(participant)
    except IntegrityError:  # a double click: joined already
        return db.session.scalar(select(Participant).where(Participant.campaign_id == campaign.id,
                                                           Participant.user_id == user.id))
    db.session.execute(update(Campaign).where(Campaign.id == campaign.id)
                       .values(participants_count=Campaign.participants_count + 1))
    return participant


# The catalogue -------------------------------------------------------------------------------------------------


@dataclass
class QuantityInput:
    key: str
    name: str
    unit: str
    min_value: float | None
    max_value: float | None
    expected_min: float | None = None
    expected_max: float | None = None
    spike_per_minute: float | None = None


def add_quantity(admin: Any, data: QuantityInput) -> Quantity:
    """An admin adds a quantity to the catalogue (audit-logged); campaigns can measure it from then on."""
    policy.require(admin, "sensing.catalogue")
    key = (data.key or "").strip().lower()
    if not key or len(key) > 40 or not all(c.isascii() and (c.isalnum() or c == "_") for c in key):
        raise RuleViolation(_("Give a key of letters, digits and underscores, like pm1."), field="key")
    if db.session.scalar(select(Quantity.id).where(Quantity.key == key)) is not None:
        raise RuleViolation(_("The catalogue has that key already."), field="key")
    if not (data.name or "").strip() or not (data.unit or "").strip():
        raise RuleViolation(_("Give the quantity's name and unit."), field="name")
    numbers = (data.min_value, data.max_value, data.expected_min, data.expected_max, data.spike_per_minute)
    if any(n is not None and not math.isfinite(n) for n in numbers):
        raise RuleViolation(_("Give numbers, not infinity."), field="min_value")
    if data.min_value is None or data.max_value is None or not data.min_value < data.max_value:
        raise RuleViolation(_("Give the physical range, the lowest below the highest."), field="min_value")
    quantity = Quantity(key=key, name=data.name.strip()[:80], unit=data.unit.strip()[:20], min_value=data.min_value,
                        max_value=data.max_value, expected_min=data.expected_min, expected_max=data.expected_max,
                        spike_per_minute=data.spike_per_minute,
                        position=(db.session.scalar(select(func.max(Quantity.position))) or 0) + 1)
    db.session.add(quantity)
    db.session.flush()
    audit(admin, "sensing.quantity_added", "sensing_quantity", quantity.id, label=f"{quantity.name} ({quantity.unit})")
    return quantity


# Devices ------------------------------------------------------------------------------------------------------


@dataclass
class DeviceInput:
    name: str
    kind: str
    setting: str
    privacy: str
    ward_id: int | None
    latitude: Any = None
    longitude: Any = None
    sensors: list[tuple[int, str, str]] | None = None  # (quantity id, model, external id)


def _public_key() -> str:
    return secrets.token_hex(12)


def _fuzz_offset() -> tuple[float, float]:
    """A random offset within :data:`FUZZ_RADIUS_M`, drawn once per device (uniform over the disc), at least a
    fifth of the radius away, so the published point never sits on the house."""
    rng = secrets.SystemRandom()
    distance = FUZZ_RADIUS_M * math.sqrt(rng.uniform(0.04, 1.0))
    bearing = rng.uniform(0, 2 * math.pi)
    return distance * math.cos(bearing), distance * math.sin(bearing)


def new_token(device: Device) -> str:
    """A new ingest token for the device: shown once, stored as its SHA-256 digest (the old one stops)."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    device.token_hash = digest(raw)
    device.token_created_at = utcnow()
    return raw


def register_device(user: Any, campaign: Campaign, data: DeviceInput) -> tuple[Device, str]:
    """A volunteer registers a device in a campaign they joined: the device and its token (shown only now)."""
    policy.require(user, "sensing.register_device", campaign)
    name = " ".join((data.name or "").split())
    if not name or len(name) > 100:
        raise RuleViolation(_("Give the device a name of up to 100 characters."), field="name")
    if data.setting not in SETTINGS:
        raise RuleViolation(_("Say whether the device is indoors or outdoors."), field="setting")
    if data.privacy not in PRIVACY:
        raise RuleViolation(_("Choose how precisely the device's place is shown."), field="privacy")
    if data.privacy == "exact" and data.setting != "outdoor":
        raise RuleViolation(_("Only an outdoor device can be shown at its exact place; choose “near” or “ward "
                              "only” for a device in a home."), field="privacy")
    ward = db.session.get(Ward, data.ward_id) if data.ward_id else None
    if ward is None:
        raise RuleViolation(_("Choose the ward the device is in."), field="ward")
    point = parse_point(data.latitude, data.longitude)
    if point is None and data.privacy != "area":
        raise RuleViolation(_("Give the device's place (latitude and longitude), or choose “ward only”."),
                            field="latitude")
    sensors = data.sensors or []
    allowed = {q.id: q for q in campaign.quantities}
    if not sensors:
        raise RuleViolation(_("Choose at least one thing the device measures."), field="sensors")
    seen: set[str] = set()
    for quantity_id, _model, external_id in sensors:
        if quantity_id not in allowed:
            raise RuleViolation(_("Choose only quantities this campaign measures."), field="sensors")
        key = external_id or allowed[quantity_id].key
        if key in seen:
            raise RuleViolation(_("Each sensor of a device needs its own id."), field="sensors")
        seen.add(key)
    north, east = _fuzz_offset()
    device = Device(public_key=_public_key(), campaign_id=campaign.id, owner_id=user.id, name=name,
                    kind=(data.kind or "").strip()[:100], setting=data.setting, privacy=data.privacy,
                    ward_id=ward.id, latitude=point[0] if point else None, longitude=point[1] if point else None,
                    offset_north_m=north, offset_east_m=east)
    raw = new_token(device)
    db.session.add(device)
    db.session.flush()
    for quantity_id, model, external_id in sensors:
        db.session.add(Sensor(device_id=device.id, quantity_id=quantity_id, model=(model or "").strip()[:100] or None,
                              external_id=(external_id or allowed[quantity_id].key).strip()[:64]))
    db.session.flush()
    db.session.refresh(device)
    return device, raw


def rotate_token(user: Any, device: Device) -> str:
    policy.require(user, "sensing.own_device", device)
    if device.retired_at is not None:
        raise RuleViolation(_("This device is retired: it takes no more readings."))
    raw = new_token(device)
    db.session.flush()
    return raw


def revoke_token(user: Any, device: Device) -> None:
    policy.require(user, "sensing.own_device", device)
    device.token_hash = None
    device.token_created_at = None
    db.session.flush()


def retire(user: Any, device: Device) -> None:
    """The device stops taking readings (its token is revoked); its readings stay, published as before."""
    policy.require(user, "sensing.own_device", device)
    if device.retired_at is None:
        device.retired_at = utcnow()
        device.token_hash = None
        device.token_created_at = None
        db.session.flush()


def authenticate(raw: str | None) -> Device | None:
    """The device holding this token, if it is a device token that still works."""
    return authenticate_many([raw]).get(raw) if raw else None


def authenticate_many(raws: Iterable[str | None], cache: dict[int, tuple[Device, float]] | None = None,
                      max_age: float = 60.0) -> dict[str, Device]:
    """Each token that is a device token that still works, with its device: one query for them all (the MQTT
    bridge's batch). The tokens are always checked in the database; with a ``cache`` (the bridge's, kept between
    batches) a device loaded less than ``max_age`` seconds ago is not loaded again with its sensors."""
    wanted = {digest(raw): raw for raw in raws if raw and raw.startswith(TOKEN_PREFIX) and len(raw) <= 200}
    if not wanted:
        return {}
    if cache is None:
        return {wanted[d.token_hash]: d for d in db.session.scalars(
            select(Device).where(Device.token_hash.in_(list(wanted)), Device.retired_at.is_(None)))}
    ids = dict(db.session.execute(select(Device.token_hash, Device.id).where(Device.token_hash.in_(list(wanted)),
                                                                             Device.retired_at.is_(None))).all())
    now = time.monotonic()
    stale = [i for i in ids.values() if i not in cache or now - cache[i][1] > max_age]
    if stale:
        for device in db.session.scalars(select(Device).where(Device.id.in_(stale))):
            cache[device.id] = (device, now)
    return {wanted[h]: cache[i][0] for h, i in ids.items()}


# Privacy ------------------------------------------------------------------------------------------------------


def public_point(device: Device) -> tuple[float, float] | None:
    """Where the device is shown: exactly (outdoor devices that chose it), moved by its own fixed offset (fuzzed),
    or nowhere (area only: the ward is named instead)."""
    if device.privacy == "area" or device.latitude is None or device.longitude is None:
        return None
    if device.privacy == "exact" and device.setting == "outdoor":
        return device.latitude, device.longitude
    lat = device.latitude + device.offset_north_m / M_PER_DEG
    lng = device.longitude + device.offset_east_m / (M_PER_DEG * math.cos(math.radians(device.latitude)))
    return round(lat, 5), round(lng, 5)


def ward_point(device: Device) -> tuple[float, float] | None:
    area = WARDS.get(device.ward.name) if device.ward else None
    return area.centre if area else None
