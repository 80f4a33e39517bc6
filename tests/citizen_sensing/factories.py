"""Factories for citizen sensing, on top of the core's (``tests/factories.py``).

- ``campaign(organiser=None, *, quantities=("air_temperature", "relative_humidity"), status="approved", ...)``: a
  campaign of the organiser's group (a new organiser when None), rows written directly.
- ``device(campaign, owner=None, *, sensors={"air_temperature": None, ...}, privacy="area", ...)``: a device with
  sensors (quantity key -> the device's own id for it, None for the key itself) and a working token; returns
  ``(device, token)``.
- ``fixture(name)``: the bytes of a payload in tests/citizen_sensing/fixtures (copied from the shared fixtures, so
  the suite runs on a clean clone).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from citizen_sensing import services
from citizen_sensing.models import Campaign, Device, Participant, Quantity, Sensor
from civic.accounts.models import User
from civic.db import db, utcnow
from civic.groups.models import Group, Membership
from tests import factories

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def quantity(key: str) -> Quantity:
    return db.session.scalar(select(Quantity).where(Quantity.key == key))


def group_of(organiser: User) -> Group:
    return db.session.scalar(select(Group).join(Membership, Membership.group_id == Group.id)
                             .where(Membership.user_id == organiser.id, Membership.role == "organiser"))


def campaign(organiser: User | None = None, *, title: str | None = None,
             quantities=("air_temperature", "relative_humidity"), status: str = "approved", wards=(),
             join_mode: str = "open", join_code: str | None = None, licence: str = "CC-BY-4.0",
             commit: bool = True) -> Campaign:
    organiser = organiser or factories.user("organiser")
    n = factories.unique()
    made = Campaign(slug=f"campaign-{n}", title=title or f"Campaign {n}", purpose="We measure **damp**.",
                    group_id=group_of(organiser).id, created_by_id=organiser.id, status=status,
                    decided_at=utcnow() if status != "proposed" else None, starts_on=date.today() - timedelta(days=30),
                    ends_on=date.today() + timedelta(days=60), licence=licence, join_mode=join_mode,
                    join_code=join_code)
    made.quantities = [quantity(k) for k in quantities]
    made.wards = [factories.ward_named(w) for w in wards]
    db.session.add(made)
    factories.save(commit)
    return made


def device(campaign: Campaign, owner: User | None = None, *, sensors: dict | None = None, privacy: str = "area",
           setting: str = "indoor", ward: str = "Church Street", point=None, commit: bool = True
           ) -> tuple[Device, str]:
    owner = owner or factories.people(1, "volunteer")[0]
    if db.session.scalar(select(Participant).where(Participant.campaign_id == campaign.id,
                                                   Participant.user_id == owner.id)) is None:
        db.session.add(Participant(campaign_id=campaign.id, user_id=owner.id))
    sensors = sensors if sensors is not None else {q.key: None for q in campaign.quantities}
    n = factories.unique()
    made = Device(public_key=f"{n:024x}", campaign_id=campaign.id, owner_id=owner.id, name=f"Device {n}",
                  kind="logger", setting=setting, privacy=privacy, ward_id=factories.ward_named(ward).id,
                  latitude=point[0] if point else None, longitude=point[1] if point else None,
                  offset_north_m=120.0, offset_east_m=-90.0)
    token = services.new_token(made)
    db.session.add(made)
    db.session.flush()
    for key, external in sensors.items():
        db.session.add(Sensor(device_id=made.id, quantity_id=quantity(key).id, external_id=external or key))
    db.session.flush()
    db.session.refresh(made)
    factories.save(commit)
    return made, token
