"""The demo: each demo group runs a campaign, with devices and three months of readings, quickly and once."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from citizen_sensing.models import Aggregate, Campaign, Device, Reading
from civic.cli import seed_demo_data
from civic.db import db


def test_two_campaigns_with_months_of_readings_idempotent(app, client):
    started = time.monotonic()
    seed_demo_data(password="demo password for tests")
    db.session.commit()
    took = time.monotonic() - started
    campaigns = {c.slug: c for c in db.session.scalars(select(Campaign))}
    assert set(campaigns) == {"damp-in-homes", "air-quality-on-church-street"}
    assert campaigns["damp-in-homes"].group.slug == "church-street-damp-busters"
    assert campaigns["air-quality-on-church-street"].group.slug == "pimlico-clean-air"
    readings = db.session.scalar(select(func.count()).select_from(Reading))
    assert readings > 10_000
    oldest = db.session.scalar(select(func.min(Reading.measured_at)))
    newest = db.session.scalar(select(func.max(Reading.measured_at)))
    assert (newest - oldest).days >= 85
    assert db.session.scalar(select(func.count()).select_from(Aggregate).where(Aggregate.period == "day")) > 500
    homes = db.session.scalars(select(Device.privacy).join(Campaign).where(Campaign.slug == "damp-in-homes")).all()
    assert "exact" not in homes
    assert took < 60
    seed_demo_data(password="demo password for tests")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Reading)) == readings
    for slug in campaigns:
        assert client.get(f"/sensing/{slug}").status_code == 200
        assert client.get(f"/sensing/{slug}?range=year").status_code == 200


def test_damp_campaign_has_alert_rules_a_published_report_and_an_answered_finding(app, client):
    from citizen_sensing.models import Alert, AlertRule, Finding, Report

    seed_demo_data(password="demo password for tests")
    db.session.commit()
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == "damp-in-homes"))
    rules = db.session.scalars(select(AlertRule).where(AlertRule.campaign_id == campaign.id)
                               .order_by(AlertRule.id)).all()
    assert [(r.kind, r.comparison, r.value, r.minutes) for r in rules] == [
        ("threshold", "above", 70.0, 360), ("offline", None, None, 1440)]
    # The damp flats are above 70 % at night: the humidity rule has opened alerts; every device reports.
    opened = db.session.scalars(select(Alert.rule_id)).all()
    assert rules[0].id in opened and rules[1].id not in opened
    report = db.session.get(Report, campaign.id)
    assert report.is_published and report.body.count("{{chart quantity=relative_humidity period=") == 2
    page = client.get("/sensing/damp-in-homes/report").get_data(as_text=True)
    assert page.count("<figure") == 2 and "not available" not in page
    finding = db.session.scalar(select(Finding).where(Finding.campaign_id == campaign.id))
    assert finding.answer_state == "accepted" and finding.answer_text and finding.answered_at is not None
    seed_demo_data(password="demo password for tests")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AlertRule)) == 2
    assert db.session.scalar(select(func.count()).select_from(Finding)) == 1
