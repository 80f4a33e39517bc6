"""Demo data for citizen sensing: the two demo groups each run a campaign, with volunteers, devices and three
months of plausible readings sent through the ingest service (so quality flags and aggregates are real).

- Church Street Damp Busters: "Damp in homes" (indoor temperature and humidity; homes shown by ward or about
  250 m away), hourly readings, a couple of damp flats above 80 % most nights, two humid spells (a wet week and
  a wet weekend), and one outdoor logger in the same ward that the damp pages compare the homes with; two alert
  rules (relative humidity above 70 % for 6 hours, no reading for 24 hours), evaluated once; a published report
  with two charts (a month of daily means, the wet week hour by hour) and a finding submitted to the council and
  answered by the demo officer (accepted). All through the services, so audit and notifications are real;
- Pimlico Clean Air: "Air quality on Church Street" (outdoor PM2.5, PM10 and NO2 by the market and the school),
  readings every three hours with the rush hours in them.

Idempotent: a campaign whose address exists is left alone. A fixed random seed gives the same data every time.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta

from sqlalchemy import select

from citizen_sensing import alerts, findings, ingest, services
from citizen_sensing.models import AlertRule, Campaign, Device, Finding, Participant, Quantity, Report, Sensor
from civic.accounts.models import User
from civic.db import db, utcnow
from civic.groups.models import Group
from civic.spaces.models import Ward

DAYS = 90
DAMP = {
    "slug": "damp-in-homes", "group": "church-street-damp-busters", "title": "Damp in homes",
    "purpose": "Volunteers keep a small temperature and humidity logger (a “frog”) in a bedroom for the winter. "
               "Together the readings show which blocks stay damp, so repairs go where they are needed most.",
    "quantities": ("air_temperature", "relative_humidity"), "wards": ("Church Street",), "licence": "CC-BY-4.0",
    "every": timedelta(hours=1),
    "devices": [  # name, owner, setting, privacy, point, dampness (0 dry .. 1 mouldy)
        ("Frog in the back bedroom", "demo_resident", "indoor", "fuzzed", (51.5236, -0.1702), 0.9),
        ("Frog by the kitchen window", "demo_verified", "indoor", "area", (51.5219, -0.1688), 0.5),
        ("Frog in the nursery", "demo_organiser", "indoor", "fuzzed", (51.5242, -0.1721), 0.2),
        ("Frog in the basement flat", "demo_organiser", "indoor", "area", (51.5228, -0.1675), 1.0),
        # Outdoors in the same ward: the damp pages compare each home with the air outside.
        ("Frog on the balcony rail", "demo_organiser", "outdoor", "fuzzed", (51.5233, -0.1710), 0.0),
    ],
}
AIR = {
    "slug": "air-quality-on-church-street", "group": "pimlico-clean-air", "title": "Air quality on Church Street",
    "purpose": "Low-cost particle and nitrogen dioxide sensors on balconies along Church Street and by the school "
               "gate, to see the market days and the school run in the air we breathe.",
    "quantities": ("pm2_5", "pm10", "no2"), "wards": ("Church Street",), "licence": "ODbL-1.0",
    "every": timedelta(hours=3),
    "devices": [
        ("Market balcony", "demo_organiser", "outdoor", "exact", (51.5231, -0.1712), 1.0),
        ("School gate", "demo_verified", "outdoor", "exact", (51.5214, -0.1683), 0.8),
        ("Edgware Road corner", "demo_resident", "outdoor", "fuzzed", (51.5207, -0.1722), 1.3),
    ],
}


def _wet_spell(when: datetime, now: datetime) -> float:
    """Humid periods: a wet week three weeks ago and a wet weekend ten days ago (washing dried indoors, windows
    shut), 0 .. 1."""
    days_ago = (now - when).total_seconds() / 86400
    return 1.0 if 18 <= days_ago < 25 or 9 <= days_ago < 11 else 0.0


def _value(key: str, when: datetime, level: float, rng: random.Random, setting: str = "indoor",
           now: datetime | None = None) -> float:
    hour = when.hour + when.minute / 60
    daily = math.sin((hour - 9) / 24 * 2 * math.pi)
    rush = math.exp(-((hour - 8.5) ** 2) / 2) + math.exp(-((hour - 17.5) ** 2) / 2)
    wet = _wet_spell(when, now) if now is not None else 0.0
    if setting == "outdoor" and key == "air_temperature":
        return round(8.0 + 3.5 * daily - 1.5 * wet + rng.gauss(0, 0.5), 1)
    if setting == "outdoor" and key == "relative_humidity":
        return round(min(99.0, 82 - 10 * daily + 8 * wet + rng.gauss(0, 3)), 1)
    if key == "air_temperature":
        return round(16.5 + 2.5 * daily - 2.0 * level - 1.0 * wet + rng.gauss(0, 0.3), 1)
    if key == "relative_humidity":
        return round(min(99.0, 58 + 22 * level - 6 * daily + (6 + 6 * level) * wet + rng.gauss(0, 2)), 1)
    if key == "pm2_5":
        return round(max(1.0, (7 + 9 * rush) * level + rng.gauss(0, 1.5)), 1)
    if key == "pm10":
        return round(max(2.0, (13 + 14 * rush) * level + rng.gauss(0, 2.5)), 1)
    return round(max(3.0, (28 + 30 * rush) * level + rng.gauss(0, 4)), 1)  # no2


def _campaign(spec: dict, rng: random.Random, now: datetime) -> None:
    if db.session.scalar(select(Campaign.id).where(Campaign.slug == spec["slug"])) is not None:
        return
    group = db.session.scalar(select(Group).where(Group.slug == spec["group"]))
    if group is None:
        return
    quantities = list(db.session.scalars(select(Quantity).where(Quantity.key.in_(spec["quantities"]))
                                         .order_by(Quantity.position)))
    wards = {w.name: w for w in db.session.scalars(select(Ward))}
    campaign = Campaign(slug=spec["slug"], title=spec["title"], purpose=spec["purpose"], group_id=group.id,
                        created_by_id=group.created_by_id, status="approved", decided_at=now - timedelta(days=DAYS),
                        starts_on=(now - timedelta(days=DAYS)).date(), ends_on=date(now.year + 1, 3, 31),
                        licence=spec["licence"], join_mode="open")
    campaign.quantities = quantities
    campaign.wards = [wards[w] for w in spec["wards"]]
    db.session.add(campaign)
    db.session.flush()
    people = {u.nickname: u for u in db.session.scalars(select(User).where(
        User.nickname.in_({d[1] for d in spec["devices"]})))}
    for nickname in sorted(people):
        db.session.add(Participant(campaign_id=campaign.id, user_id=people[nickname].id))
    campaign.participants_count = len(people)
    for name, nickname, setting, privacy, point, level in spec["devices"]:
        north, east = services._fuzz_offset()
        device = Device(public_key=f"{rng.getrandbits(96):024x}", campaign_id=campaign.id,
                        owner_id=people[nickname].id, name=name, kind="demo logger", setting=setting,
                        privacy=privacy, ward_id=wards["Church Street"].id, latitude=point[0], longitude=point[1],
                        offset_north_m=north, offset_east_m=east)
        services.new_token(device)  # the token itself is thrown away: its owner makes a new one
        db.session.add(device)
        db.session.flush()
        for q in quantities:
            db.session.add(Sensor(device_id=device.id, quantity_id=q.id, external_id=q.key))
        db.session.flush()
        db.session.refresh(device)
        start = (now - timedelta(days=DAYS)).replace(minute=0, second=0, microsecond=0)
        items, when = [], start
        while when < now:
            for sensor in device.sensors:
                items.append(ingest.Item("demo", sensor, _value(sensor.quantity.key, when, level, rng, setting, now),
                                         when))
            when += spec["every"]
        for first in range(0, len(items), ingest.MAX_READINGS):
            ingest.ingest(device, items[first:first + ingest.MAX_READINGS], source="demo", now=now)


def seed() -> None:
    """The two demo campaigns (idempotent)."""
    rng = random.Random(17)
    now = utcnow().replace(second=0, microsecond=0)
    for spec in (DAMP, AIR):
        _campaign(spec, rng, now)
    _damp_results(now)


REPORT = """Volunteers in {homes} homes on Church Street logged the temperature and relative humidity of a bedroom
every hour through the autumn. Mould grows where the air stays above about 70 % relative humidity for long
spells; two of the homes did most nights.

## A month of daily means ({month})

{{{{chart quantity=relative_humidity period={month}}}}}

## The wet week, hour by hour

With the windows shut and washing dried indoors, every home stayed above 70 % for days.

{{{{chart quantity=relative_humidity period={wet}}}}}
"""
FINDING = ("Basement and ground-floor flats stay damp",
           "The basement flat and the back bedroom stayed above 70 % relative humidity for most nights of the "
           "campaign, and above 80 % through the wet week. We ask the council to inspect both for rising damp "
           "and poor ventilation, and to check the other flats in the block.")
ANSWER = ("accepted", "Thank you. Our housing team will inspect the two flats within four weeks and will survey "
                      "the block's ventilation. We will post what we find here.")


def _damp_results(now: datetime) -> None:
    """The damp campaign's alert rules, report and answered finding, made as their authors would (idempotent:
    each part is made only if the campaign has none)."""
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == DAMP["slug"]))
    people = {u.nickname: u for u in db.session.scalars(select(User).where(
        User.nickname.in_(("demo_organiser", "demo_officer"))))}
    if campaign is None or len(people) < 2:
        return
    organiser, officer = people["demo_organiser"], people["demo_officer"]
    if db.session.scalar(select(AlertRule.id).where(AlertRule.campaign_id == campaign.id).limit(1)) is None:
        humidity = next(q for q in campaign.quantities if q.key == "relative_humidity")
        alerts.add_rule(organiser, campaign, alerts.RuleInput(kind="threshold", quantity_id=humidity.id,
                                                              comparison="above", value=70.0, hours=6))
        alerts.add_rule(organiser, campaign, alerts.RuleInput(kind="offline", hours=24))
        alerts.evaluate_devices(db.session.scalars(select(Device.id).where(Device.campaign_id == campaign.id)),
                                now)
    if db.session.get(Report, campaign.id) is None:
        month = (now - timedelta(days=45)).strftime("%Y-%m")  # a whole month inside the 90 days of readings
        wet = f"{(now - timedelta(days=25)).date().isoformat()}..{(now - timedelta(days=19)).date().isoformat()}"
        homes = sum(1 for d in DAMP["devices"] if d[2] == "indoor")
        findings.publish_report(organiser, campaign, REPORT.format(homes=homes, month=month, wet=wet))
    if db.session.scalar(select(Finding.id).where(Finding.campaign_id == campaign.id).limit(1)) is None:
        finding = findings.submit(organiser, campaign, *FINDING)
        findings.answer(officer, finding, *ANSWER)
