"""The JSON API's findings (public, as their campaign: the council's answer and what each became) and a device's
alerts (its owner, the campaign's organisers and officers; anyone else is told it is not found, nobody signed in
401), paginated with the API kit's envelope."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from citizen_sensing.alert_models import Alert, AlertRule
from citizen_sensing.models import Finding, Report
from civic import resources
from civic.accounts.models import User
from civic.db import db, utcnow
from civic.spaces.models import Ward


def _findings(campaign, organiser, n: int) -> list[Finding]:
    db.session.add(Report(campaign_id=campaign.id, draft="Damp.", body="Damp.", published_at=utcnow()))
    now = utcnow()
    made = [Finding(campaign_id=campaign.id, title=f"Finding {k}", summary="Homes are **damp**.", report="Damp.",
                    submitted_by_id=organiser.id, submitted_at=now - timedelta(hours=k)) for k in range(n)]
    db.session.add_all(made)
    db.session.commit()
    return made


def test_a_campaigns_findings_with_the_councils_answer_paged(client_as, make_campaign, make_process, client):
    _c, organiser = client_as("organiser")
    _o, officer = client_as("officer")
    campaign = make_campaign(organiser)
    found = _findings(campaign, organiser, 3)
    found[0].answer_state, found[0].answer_text = "accepted", "We will inspect the flats."
    found[0].answered_at, found[0].answered_by_id = utcnow(), officer.id
    process = make_process(title="Open process", allow_propose=True)
    db.session.commit()
    from proposals.models import Proposal  # the test may know both domains; the package does not
    made = Proposal(process_id=process.id, author_id=organiser.id, title=found[0].title, body="Damp.",
                    state="published", published_at=utcnow(), ward_id=organiser.ward_id or db.session.scalar(
                        select(Ward.id).where(Ward.name == "Church Street")))
    db.session.add(made)
    db.session.flush()
    resources.link(("sensing_finding", found[0].id), ("proposal", made.id))
    db.session.commit()

    first = client.get(f"/api/v1/sensing/campaigns/{campaign.slug}/findings?per_page=2")
    assert first.status_code == 200
    body = first.get_json()
    assert (body["total"], body["page"], body["per_page"]) == (3, 1, 2) and body["next"] and body["prev"] is None
    assert [f["title"] for f in body["items"]] == ["Finding 0", "Finding 1"]  # newest first
    newest = body["items"][0]
    assert (newest["state"], newest["answer_text"]) == ("accepted", "We will inspect the flats.")
    assert newest["answered_at"].endswith("Z") and newest["state_label"] == "Accepted"
    assert [e["type"] for e in newest["linked"]] == ["proposal"]
    assert newest["linked"][0]["url"].endswith(f"/proposals/{made.id}")
    assert newest["url"].endswith(f"/sensing/findings/{found[0].id}")
    assert body["items"][1]["state"] == "not_answered" and body["items"][1]["answered_at"] is None
    assert body["items"][1]["linked"] == []
    bad = client.get(f"/api/v1/sensing/campaigns/{campaign.slug}/findings?page=zero")
    assert bad.status_code == 400 and bad.is_json
    second = client.get(body["next"]).get_json()
    assert [f["title"] for f in second["items"]] == ["Finding 2"] and second["next"] is None

    one = client.get(f"/api/v1/sensing/findings/{found[0].id}")
    assert one.status_code == 200
    data = one.get_json()
    assert data["report"] == "Damp." and data["campaign"] == campaign.slug
    assert [(e["type"], e["title"]) for e in data["linked"]] == [("proposal", found[0].title)]
    assert data["linked"][0]["url"].endswith(f"/proposals/{made.id}")


def test_findings_of_a_campaign_not_public_and_unknown_ids_are_404_json(client_as, make_campaign, client):
    _c, organiser = client_as("organiser")
    campaign = make_campaign(organiser)
    [finding] = _findings(campaign, organiser, 1)
    campaign.hidden_at = utcnow()
    db.session.commit()
    for path in (f"/api/v1/sensing/campaigns/{campaign.slug}/findings", f"/api/v1/sensing/findings/{finding.id}",
                 "/api/v1/sensing/findings/999999", "/api/v1/sensing/campaigns/no-such-campaign/findings"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.is_json and response.get_json()["error"]


def _alerts(rule, device, n: int) -> None:
    now = utcnow()
    db.session.add_all([Alert(rule_id=rule.id, device_id=device.id, opened_at=now - timedelta(hours=k + 1),
                              since=now - timedelta(hours=k + 2), value=71.5,
                              closed_at=None if k == 0 else now - timedelta(hours=k)) for k in range(n)])
    db.session.commit()


def test_a_devices_alerts_for_its_owner_organisers_and_officers_only(client_as, make_campaign, make_device,
                                                                      signed_in, client):
    _c, organiser = client_as("organiser")
    campaign = make_campaign(organiser)
    mine, _t = make_device(campaign)
    theirs, _t2 = make_device(campaign)
    humidity = next(q for q in campaign.quantities if q.key == "relative_humidity")
    rule = AlertRule(campaign_id=campaign.id, kind="threshold", quantity_id=humidity.id, comparison="above",
                     value=70, minutes=360, active=True)
    db.session.add(rule)
    db.session.commit()
    _alerts(rule, mine, 3)
    _alerts(rule, theirs, 1)
    owner = signed_in(db.session.get(User, mine.owner_id))
    path = f"/api/v1/sensing/devices/{mine.public_key}/alerts"
    response = owner.get(path + "?per_page=2")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["total"], len(body["items"])) == (3, 2) and body["next"]
    newest = body["items"][0]
    assert newest["rule"] == {"id": rule.id, "kind": "threshold",
                              "description": "Relative humidity above 70 % for 6 hours"}
    assert newest["closed_at"] is None and newest["opened_at"].endswith("Z") and newest["value"] == 71.5
    assert newest["unit"] == "%" and body["items"][1]["closed_at"].endswith("Z")
    oldest = db.session.scalar(select(Alert.id).where(Alert.device_id == mine.id).order_by(Alert.opened_at))
    assert [a["id"] for a in owner.get(body["next"]).get_json()["items"]] == [oldest]
    # Not the owner's device: not found, as for an id that does not exist (no IDOR).
    other = owner.get(f"/api/v1/sensing/devices/{theirs.public_key}/alerts")
    unknown = owner.get("/api/v1/sensing/devices/ffffffffffffffffffffffff/alerts")
    assert other.status_code == unknown.status_code == 404
    assert other.get_json()["error"] == unknown.get_json()["error"]
    stranger_client, _stranger = client_as("verified")
    assert stranger_client.get(path).status_code == 404
    assert client.get(path).status_code == 401
    assert signed_in(organiser).get(path).get_json()["total"] == 3  # the campaign's organiser
    officer_client, _officer = client_as("officer")
    assert officer_client.get(path).get_json()["total"] == 3
    assert owner.get(path + "?per_page=many").status_code == 400


def test_alerts_take_a_fixed_number_of_queries(client_as, make_campaign, make_device, signed_in, count_queries):
    _c, organiser = client_as("organiser")
    campaign = make_campaign(organiser)
    device, _t = make_device(campaign)
    client = signed_in(organiser)
    path = f"/api/v1/sensing/devices/{device.public_key}/alerts"
    counts = []
    for n in (1, 4):
        rules = [AlertRule(campaign_id=campaign.id, kind="offline", minutes=60 * (k + 1), active=True)
                 for k in range(n)]
        db.session.add_all(rules)
        db.session.commit()
        for rule in rules:
            _alerts(rule, device, 2)
        client.get(path)
        db.session.expunge_all()
        with count_queries() as counter:
            assert client.get(path).status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_findings_take_a_fixed_number_of_queries(client_as, make_campaign, make_process, client, count_queries):
    """One finding, then four, each made into a proposal: the links are read in one query for the page."""
    from proposals.models import Proposal

    _c, organiser = client_as("organiser")
    campaign = make_campaign(organiser)
    process = make_process(title="Open process", allow_propose=True)
    ward_id = db.session.scalar(select(Ward.id).where(Ward.name == "Church Street"))
    path = f"/api/v1/sensing/campaigns/{campaign.slug}/findings"
    db.session.add(Report(campaign_id=campaign.id, draft="Damp.", body="Damp.", published_at=utcnow()))
    counts = []
    for n in (1, 4):
        for k in range(n):
            finding = Finding(campaign_id=campaign.id, title=f"Finding {n}.{k}", summary="Damp.", report="Damp.",
                              submitted_by_id=organiser.id)
            made = Proposal(process_id=process.id, author_id=organiser.id, title=finding.title, body="Damp.",
                            state="published", published_at=utcnow(), ward_id=ward_id)
            db.session.add_all([finding, made])
            db.session.flush()
            resources.link(("sensing_finding", finding.id), ("proposal", made.id))
        db.session.commit()
        client.get(path)
        db.session.expunge_all()
        with count_queries() as counter:
            body = client.get(path).get_json()
        assert all(item["linked"] for item in body["items"])
        counts.append(counter.count)
    assert counts[0] == counts[1]
