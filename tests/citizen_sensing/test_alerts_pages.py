"""Alert pages: organisers set rules (others cannot), bad input is answered beside the field, the owner sees their
own device's alerts only, the lists take a fixed number of queries and are accessible tables."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from citizen_sensing.alert_models import Alert, AlertRule
from civic.accounts.models import User
from civic.audit import AuditEntry
from civic.db import db, utcnow
from tests.support.pages import text_of


def rule_count(campaign) -> int:
    return db.session.scalar(select(func.count()).select_from(AlertRule).where(AlertRule.campaign_id == campaign.id))


def quantity_id(campaign, key: str) -> int:
    return next(q.id for q in campaign.quantities if q.key == key)


@pytest.fixture
def organised(client_as, make_campaign):
    client, organiser = client_as("organiser")
    return client, organiser, make_campaign(organiser)


def test_an_organiser_adds_a_rule_and_it_is_audit_logged(organised):
    client, organiser, campaign = organised
    response = client.post(f"/sensing/{campaign.slug}/alert-rules", data={
        "kind": "threshold", "quantity": str(quantity_id(campaign, "relative_humidity")), "comparison": "above",
        "value": "70", "hours": "6"})
    assert response.status_code == 302
    [rule] = db.session.scalars(select(AlertRule).where(AlertRule.campaign_id == campaign.id)).all()
    assert (rule.kind, rule.comparison, rule.value, rule.minutes, rule.active) == ("threshold", "above", 70, 360, True)
    page = client.get(f"/sensing/{campaign.slug}/alert-rules")
    assert "Relative humidity above 70 % for 6 hours" in text_of(page)
    assert db.session.scalar(select(AuditEntry.actor_id).where(AuditEntry.action == "sensing.alert_rule_added",
                                                               AuditEntry.object_id == rule.id)) == organiser.id


@pytest.mark.parametrize("data", [
    {"kind": "offline", "hours": "2"},
    {"kind": "stuck", "quantity": "0", "hours": "12"},
])
def test_offline_and_stuck_rules_need_no_quantity(organised, data):
    client, _organiser, campaign = organised
    assert client.post(f"/sensing/{campaign.slug}/alert-rules", data=data).status_code == 302
    assert rule_count(campaign) == 1


@pytest.mark.parametrize(("data", "message"), [
    ({"kind": "threshold", "comparison": "above", "value": "70", "hours": "6"}, "Choose the quantity"),
    ({"kind": "threshold", "quantity": "RH", "comparison": "above", "value": "70", "hours": "6"}, None),
    ({"kind": "threshold", "quantity": "999999", "comparison": "above", "value": "70", "hours": "6"},
     "Choose one of the quantities this campaign measures"),
    ({"kind": "threshold", "quantity": "{rh}", "comparison": "above", "value": "nan", "hours": "6"},
     "Give the value as a number"),
    ({"kind": "threshold", "quantity": "{rh}", "comparison": "above", "value": "inf", "hours": "6"},
     "Give the value as a number"),
    ({"kind": "threshold", "quantity": "{rh}", "comparison": "above", "value": "", "hours": "6"},
     "Give the value as a number"),
    ({"kind": "threshold", "quantity": "{rh}", "comparison": "above", "value": "170", "hours": "6"},
     "physical range"),
    ({"kind": "threshold", "quantity": "{rh}", "comparison": "sideways", "value": "70", "hours": "6"}, None),
    ({"kind": "threshold", "quantity": "{rh}", "comparison": "above", "value": "70", "hours": "0"},
     "quarter of an hour"),
    ({"kind": "offline", "hours": "100000"}, "quarter of an hour"),
    ({"kind": "offline", "hours": "six"}, None),
    ({"kind": "offline", "hours": ""}, "Give the duration in hours"),
    ({"kind": "flood", "hours": "2"}, None),
    ({"hours": "2"}, "Choose what the rule watches for"),
])
def test_bad_rules_are_refused_beside_the_field(organised, data, message):
    client, _organiser, campaign = organised
    data = {k: v.replace("{rh}", str(quantity_id(campaign, "relative_humidity"))) for k, v in data.items()}
    response = client.post(f"/sensing/{campaign.slug}/alert-rules", data=data)
    assert response.status_code == 200
    page = text_of(response)
    assert "There is a problem" in page
    if message:
        assert message in page
    assert rule_count(campaign) == 0


def test_only_the_campaigns_organisers_set_rules(client_as, make_campaign, make_device):
    _c, organiser = client_as("organiser")
    campaign = make_campaign(organiser)
    device, _token = make_device(campaign)
    other_organiser_client, _other = client_as("organiser")  # organises another group
    for client in (other_organiser_client, client_as("resident")[0]):
        assert client.get(f"/sensing/{campaign.slug}/alert-rules").status_code == 403
        assert client.post(f"/sensing/{campaign.slug}/alert-rules",
                           data={"kind": "offline", "hours": "2"}).status_code == 403
        assert client.get(f"/sensing/{campaign.slug}/alerts").status_code == 403
    assert client_as("anonymous")[0].post(f"/sensing/{campaign.slug}/alert-rules",
                                          data={"kind": "offline", "hours": "2"}).status_code == 302
    assert rule_count(campaign) == 0


def test_switching_needs_an_organiser_and_a_rule_of_that_campaign(client_as, make_campaign):
    client, organiser = client_as("organiser")
    campaign = make_campaign(organiser)
    other_campaign = make_campaign(organiser)
    rule = AlertRule(campaign_id=other_campaign.id, kind="offline", minutes=60, active=True)
    db.session.add(rule)
    db.session.commit()
    # A rule of another campaign, through this campaign's address: not found.
    assert client.post(f"/sensing/{campaign.slug}/alert-rules/{rule.id}/switch",
                       data={"active": "0"}).status_code == 404
    resident_client, _r = client_as("resident")
    assert resident_client.post(f"/sensing/{other_campaign.slug}/alert-rules/{rule.id}/switch",
                                data={"active": "0"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(AlertRule, rule.id).active is True
    # A bad switch value changes nothing.
    assert client.post(f"/sensing/{other_campaign.slug}/alert-rules/{rule.id}/switch",
                       data={"active": "maybe"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(AlertRule, rule.id).active is True


def _alerts(rule, device, n: int, *, open_one: bool = True) -> None:
    """n alerts of the rule for the device, the newest open (with ``open_one``), the others closed."""
    now = utcnow()
    db.session.add_all([Alert(rule_id=rule.id, device_id=device.id, opened_at=now - timedelta(hours=k + 1),
                              since=now - timedelta(hours=k + 2), value=71.5,
                              closed_at=None if k == 0 and open_one else now - timedelta(hours=k)) for k in range(n)])
    db.session.commit()


def test_the_owner_sees_their_devices_alerts_and_nobody_elses(client_as, make_campaign, make_device, signed_in):
    _c, organiser = client_as("organiser")
    campaign = make_campaign(organiser)
    mine, _t = make_device(campaign)
    theirs, _t2 = make_device(campaign)
    rule = AlertRule(campaign_id=campaign.id, kind="offline", minutes=60, active=True)
    db.session.add(rule)
    db.session.commit()
    _alerts(rule, mine, 2)
    _alerts(rule, theirs, 1)
    owner = signed_in(db.session.get(User, mine.owner_id))
    page = owner.get(f"/sensing/devices/{mine.id}/alerts")
    assert page.status_code == 200
    assert "No reading for 1 hour" in text_of(page) and "2 alerts" in text_of(page)
    assert owner.get(f"/sensing/devices/{theirs.id}/alerts").status_code == 404
    assert owner.get(f"/sensing/{campaign.slug}/alerts").status_code == 403  # the campaign's: organisers only
    organiser_page = signed_in(organiser).get(f"/sensing/{campaign.slug}/alerts")
    assert organiser_page.status_code == 200 and "3 alerts" in text_of(organiser_page)
    only_open = signed_in(organiser).get(f"/sensing/{campaign.slug}/alerts?show=open")
    assert "2 alerts" in text_of(only_open)


def test_the_alert_tables_are_accessible(client_as, make_campaign, make_device, signed_in):
    _c, organiser = client_as("organiser")
    campaign = make_campaign(organiser)
    device, _t = make_device(campaign)
    rule = AlertRule(campaign_id=campaign.id, kind="offline", minutes=60, active=True)
    db.session.add(rule)
    db.session.commit()
    _alerts(rule, device, 2)
    for path in (f"/sensing/{campaign.slug}/alerts", f"/sensing/devices/{device.id}/alerts",
                 f"/sensing/{campaign.slug}/alert-rules"):
        html = signed_in(organiser).get(path).get_data(as_text=True)
        assert "<caption>" in html and '<th scope="col">' in html
        assert html.count("<h1") == 1
    form = signed_in(organiser).get(f"/sensing/{campaign.slug}/alert-rules").get_data(as_text=True)
    for name in ("kind", "quantity", "comparison", "value", "hours"):
        assert f'for="{name}' in form


@pytest.mark.parametrize("which", ["campaign", "device"])
def test_alert_lists_take_a_fixed_number_of_queries(client_as, make_campaign, make_device, signed_in,
                                                    count_queries, which):
    """One device and one rule, then more devices and more rules (each alert's rule and device are loaded with
    it, not one by one)."""
    _c, organiser = client_as("organiser")
    campaign = make_campaign(organiser)
    first = make_device(campaign)[0]
    client = signed_in(organiser)
    path = f"/sensing/{campaign.slug}/alerts" if which == "campaign" else f"/sensing/devices/{first.id}/alerts"
    counts = []
    for n in (1, 4):
        devices = [first] + [make_device(campaign)[0] for _ in range(n - 1)]
        rules = [AlertRule(campaign_id=campaign.id, kind="offline", minutes=60 * (k + 1), active=True)
                 for k in range(n)]
        db.session.add_all(rules)
        db.session.commit()
        for rule in rules:
            for device in devices:
                _alerts(rule, device, 2)
        client.get(path)  # the first request of a client does more (its session)
        db.session.expunge_all()  # the requests share the test's session: nothing already loaded is counted out
        with count_queries() as counter:
            assert client.get(path).status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_rule_pages_show_the_open_alerts_of_each_rule_in_fixed_queries(client_as, make_campaign, make_device,
                                                                       signed_in, count_queries):
    _c, organiser = client_as("organiser")
    campaign = make_campaign(organiser)
    device, _t = make_device(campaign)
    client = signed_in(organiser)
    counts = []
    for n in (1, 4):
        rules = [AlertRule(campaign_id=campaign.id, kind="offline", minutes=30 * (k + 1), active=True)
                 for k in range(n)]
        db.session.add_all(rules)
        db.session.commit()
        _alerts(rules[0], device, 1)
        db.session.expunge_all()
        with count_queries() as counter:
            assert client.get(f"/sensing/{campaign.slug}/alert-rules").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]
