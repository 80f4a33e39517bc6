"""A finding turned into a proposal (issue 20): one form, by the campaign's organisers, in a process open for
proposals; the proposal is theirs and published; the two link both ways through the core's registry
(citizen_sensing never imports proposals: the import rules check it, these tests check the behaviour)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from citizen_sensing.models import Finding, Report
from civic import resources
from civic.audit import AuditEntry
from civic.db import db, utcnow
from civic.errors import RuleViolation
from civic.resources import ResourceLink
from proposals.models import Proposal
from tests import factories


@pytest.fixture
def finding(client_as, make_campaign):
    """(organiser's client, organiser, a finding of their campaign in Church Street)."""
    organiser_client, organiser = client_as("organiser")
    campaign = make_campaign(organiser, wards=("Church Street",))
    db.session.add(Report(campaign_id=campaign.id, draft="Damp.", body="Damp.", published_at=utcnow()))
    made = Finding(campaign_id=campaign.id, title="Homes on Church Street are damp all winter",
                   summary="Most homes stay above **70 %** humidity.", report="Damp.", submitted_by_id=organiser.id)
    db.session.add(made)
    db.session.commit()
    return organiser_client, organiser, made


def test_a_finding_becomes_a_published_proposal_linked_both_ways(finding, make_process, client):
    organiser_client, organiser, found = finding
    process = make_process(title="Greener Church Street")
    make_process(title="Closed process", allow_propose=False)
    form = organiser_client.get(f"/sensing/findings/{found.id}/proposal")
    assert form.status_code == 200
    assert "Greener Church Street" in form.text and "Closed process" not in form.text
    church_street = factories.ward_named("Church Street").id
    assert f'<option selected value="{church_street}">' in form.text  # the campaign's ward, chosen already
    response = organiser_client.post(f"/sensing/findings/{found.id}/proposal", data={
        "target": f"proposal:{process.id}", "ward": str(church_street)})
    assert response.status_code == 302
    proposal = db.session.scalar(select(Proposal).where(Proposal.process_id == process.id))
    assert response.headers["Location"].endswith(f"/proposals/{proposal.id}")
    assert (proposal.title, proposal.author_id, proposal.state) == (found.title, organiser.id, "published")
    assert proposal.body == found.summary and proposal.ward_id == church_street
    link = db.session.scalar(select(ResourceLink))
    assert (link.from_type, link.from_id, link.to_type, link.to_id) == ("sensing_finding", found.id, "proposal",
                                                                        proposal.id)
    # Both ways: the proposal names the finding, the finding names the proposal.
    proposal_page = client.get(f"/proposals/{proposal.id}").text
    assert "From the campaign&#39;s finding:" in proposal_page or "From the campaign's finding:" in proposal_page
    assert f'href="/sensing/findings/{found.id}">Homes on Church Street are damp all winter</a>' in proposal_page
    finding_page = client.get(f"/sensing/findings/{found.id}").text
    assert f'href="/proposals/{proposal.id}">Homes on Church Street are damp all winter</a>' in finding_page
    assert f'href="/proposals/{proposal.id}"' in client.get(f"/sensing/{found.campaign.slug}").text
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "sensing.finding_made")).after == {
        "type": "proposal", "id": proposal.id, "title": found.title}


def test_a_finding_becomes_one_proposal_only(finding, make_process):
    organiser_client, _organiser, found = finding
    process = make_process()
    data = {"target": f"proposal:{process.id}", "ward": str(factories.ward_named("Church Street").id)}
    assert organiser_client.post(f"/sensing/findings/{found.id}/proposal", data=data).status_code == 302
    again = organiser_client.post(f"/sensing/findings/{found.id}/proposal", data=data)
    assert again.status_code == 200 and "This finding is already a proposal." in again.text
    assert len(db.session.scalars(select(Proposal).where(Proposal.process_id == process.id)).all()) == 1


@pytest.mark.parametrize(("data", "says"), [
    ({"target": "", "ward": "0"}, "Choose where to make it."),
    ({"target": "proposal:abc", "ward": "0"}, "Choose where to make it."),
    ({"target": "nothing:1", "ward": "0"}, "Choose where to make it."),
    ({"target": "sensing_campaign:1", "ward": "0"}, "Choose where to make it."),
    ({"target": "proposal:2147483647", "ward": "0"}, "open for proposals now"),
    ({"target": "proposal:2147483648", "ward": "0"}, "Choose where to make it."),
    ({"target": "proposal:0", "ward": "0"}, "Choose where to make it."),
    ({"target": "proposal:99999999999999999999999", "ward": "0"}, "Choose where to make it."),
    ({"target": "proposal:²", "ward": "0"}, "Choose where to make it."),
    ({"target": "PROCESS", "ward": "0"}, "Choose the ward"),
    ({"target": "PROCESS", "ward": "2147483648"}, "Choose the ward"),
    ({"target": "PROCESS", "ward": "x"}, ""),
    ({"target": "CLOSED", "ward": "WARD"}, "open for proposals now"),
    ({"target": "UNPUBLISHED", "ward": "WARD"}, "open for proposals now"),
    ({"target": "BAYSWATER", "ward": "WARD"}, "Choose the ward"),
])
def test_a_bad_choice_is_refused_beside_its_field_and_nothing_is_made(finding, make_process, data, says):
    organiser_client, _organiser, found = finding
    targets = {"PROCESS": make_process(), "CLOSED": make_process(allow_propose=False),
               "UNPUBLISHED": make_process(published=False), "BAYSWATER": make_process(wards=("Bayswater",))}
    ward = str(factories.ward_named("Church Street").id)
    sent = {k: (f"proposal:{targets[v].id}" if v in targets else ward if v == "WARD" else v) for k, v in data.items()}
    response = organiser_client.post(f"/sensing/findings/{found.id}/proposal", data=sent)
    assert response.status_code == 200 and 'class="error-summary"' in response.text
    assert says in response.text
    assert db.session.scalar(select(ResourceLink)) is None
    assert db.session.scalar(select(Proposal).where(Proposal.title == found.title)) is None


def test_the_processes_own_rules_hold_a_short_title_is_said(client_as, make_campaign, make_process):
    organiser_client, organiser = client_as("organiser")
    campaign = make_campaign(organiser)
    db.session.add(Report(campaign_id=campaign.id, draft="Damp.", body="Damp.", published_at=utcnow()))
    short = Finding(campaign_id=campaign.id, title="Damp", summary="Damp.", submitted_by_id=organiser.id)
    db.session.add(short)
    db.session.commit()
    process = make_process()
    response = organiser_client.post(f"/sensing/findings/{short.id}/proposal", data={
        "target": f"proposal:{process.id}", "ward": str(factories.ward_named("Church Street").id)})
    assert response.status_code == 200
    assert "could not be made from this finding" in response.text and "at least 15 characters" in response.text


@pytest.mark.parametrize("role", ["resident", "verified", "organiser", "officer", "admin"])
def test_only_the_campaigns_organisers_turn_a_finding_into_a_proposal(finding, make_process, client_as, role):
    _organiser_client, _organiser, found = finding
    process = make_process()
    other, _user = client_as(role)
    assert other.get(f"/sensing/findings/{found.id}/proposal").status_code == 403
    response = other.post(f"/sensing/findings/{found.id}/proposal", data={
        "target": f"proposal:{process.id}", "ward": str(factories.ward_named("Church Street").id)})
    assert response.status_code == 403
    assert db.session.scalar(select(ResourceLink)) is None


def test_no_open_process_is_said(finding, make_process):
    organiser_client, _organiser, found = finding
    past = utcnow() - timedelta(days=10)
    make_process(phases=[factories.phase("Over", past, past + timedelta(days=2), "propose")])
    page = organiser_client.get(f"/sensing/findings/{found.id}/proposal")
    assert page.status_code == 200 and "No participatory process is open for proposals now." in page.text


def test_a_hidden_proposal_is_not_named_on_the_finding(finding, make_process, client):
    organiser_client, _organiser, found = finding
    process = make_process()
    organiser_client.post(f"/sensing/findings/{found.id}/proposal", data={
        "target": f"proposal:{process.id}", "ward": str(factories.ward_named("Church Street").id)})
    proposal = db.session.scalar(select(Proposal).where(Proposal.process_id == process.id))
    proposal.hidden_at = utcnow()
    db.session.commit()
    assert f'href="/proposals/{proposal.id}">' not in client.get(f"/sensing/findings/{found.id}").text


def test_the_registry_offers_creatable_types_and_links_read_both_ways(app, finding, make_process):
    _organiser_client, organiser, found = finding
    creatable = {rt.name for rt in resources.with_capability("creatable")}
    assert "proposal" in creatable and "sensing_finding" not in creatable
    process = make_process()
    proposal = resources.get("proposal").creation.create(organiser, process.id, resources.Seed(
        title=found.title, body="Body", ward_id=factories.ward_named("Church Street").id))
    with pytest.raises(RuleViolation):  # a target no row can have is refused, never a database error
        resources.get("proposal").creation.create(organiser, 2**31, resources.Seed(title=found.title, body="Body"))
    resources.link(("sensing_finding", found.id), ("proposal", proposal.id), actor=organiser)
    with app.test_request_context():
        (back,) = resources.linked(None, "proposal", proposal.id, "from")
        (forth,) = resources.linked(None, "sensing_finding", found.id, "to")
    assert (back.type.name, back.id, back.url) == ("sensing_finding", found.id, f"/sensing/findings/{found.id}")
    assert (forth.type.name, forth.id, forth.title) == ("proposal", proposal.id, found.title)
    with pytest.raises(ValueError):
        resources.link(("nothing", 1), ("proposal", proposal.id))
