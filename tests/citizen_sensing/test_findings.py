"""Results for the council (issue 20): organisers submit findings with their report, an officer answers (public on
the campaign page, audit-logged, in the officers' work queue), followers are told, and a finding becomes a proposal
in a process open for proposals, linked both ways through the core's registry."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from citizen_sensing.models import Finding, Report
from civic import canned
from civic.audit import AuditEntry
from civic.db import db, utcnow
from tests.notifications.conftest import told


def _publish(campaign, text="Our report: homes are damp."):
    db.session.add(Report(campaign_id=campaign.id, draft=text, body=text, published_at=utcnow()))
    db.session.commit()


@pytest.fixture
def reported(client_as, make_campaign):
    """(organiser's client, organiser, campaign with a published report)."""
    organiser_client, organiser = client_as("organiser")
    campaign = make_campaign(organiser, wards=("Church Street",))
    _publish(campaign)
    return organiser_client, organiser, campaign


def _submit(organiser_client, campaign, title="Homes on Church Street are damp", summary="Most homes stay above "
            "70 % humidity for days. Please **inspect** them.") -> Finding:
    response = organiser_client.post(f"/sensing/{campaign.slug}/findings/new", data={"title": title,
                                                                                     "summary": summary})
    assert response.status_code == 302, response.text
    return db.session.scalar(select(Finding).where(Finding.campaign_id == campaign.id).order_by(Finding.id.desc()))


def test_organisers_submit_findings_with_the_report_as_published(reported, client):
    organiser_client, organiser, campaign = reported
    assert organiser_client.get(f"/sensing/{campaign.slug}/findings/new").status_code == 200
    finding = _submit(organiser_client, campaign)
    assert finding.report == "Our report: homes are damp." and finding.submitted_by_id == organiser.id
    assert finding.answer_state == "not_answered"
    page = client.get(f"/sensing/findings/{finding.id}")
    assert page.status_code == 200
    assert "Homes on Church Street are damp" in page.text and "<strong>inspect</strong>" in page.text
    assert "Our report: homes are damp." in page.text and "Not answered yet" in page.text
    campaign_page = client.get(f"/sensing/{campaign.slug}").text
    assert "Results for the council" in campaign_page and "Homes on Church Street are damp" in campaign_page
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "sensing.finding_submitted",
                                                      AuditEntry.object_id == finding.id)) is not None


def test_findings_need_a_published_report_first(client_as, make_campaign):
    organiser_client, organiser = client_as("organiser")
    campaign = make_campaign(organiser)
    response = organiser_client.post(f"/sensing/{campaign.slug}/findings/new", data={
        "title": "Damp", "summary": "Damp."})
    assert response.status_code == 200 and "Publish the campaign&#39;s report first" in response.text
    assert db.session.scalar(select(Finding).where(Finding.campaign_id == campaign.id)) is None


@pytest.mark.parametrize(("data", "says"), [
    ({"title": "", "summary": "Damp."}, "Give the finding a title."),
    ({"title": "Damp", "summary": "   "}, "Summarise what the campaign found."),
    ({"title": "x" * 151, "summary": "Damp."}, "151"),
    ({"title": "Damp", "summary": "x" * 10_001}, "10,000"),
])
def test_a_bad_finding_is_refused_beside_its_field(reported, data, says):
    organiser_client, _organiser, campaign = reported
    response = organiser_client.post(f"/sensing/{campaign.slug}/findings/new", data=data)
    assert response.status_code == 200 and 'class="error-summary"' in response.text
    assert db.session.scalar(select(Finding).where(Finding.campaign_id == campaign.id)) is None


@pytest.mark.parametrize("role", ["resident", "verified", "organiser", "officer", "admin"])
def test_only_the_campaigns_organisers_submit_findings(reported, client_as, role):
    _organiser_client, _organiser, campaign = reported
    other, _user = client_as(role)
    assert other.get(f"/sensing/{campaign.slug}/findings/new").status_code == 403
    response = other.post(f"/sensing/{campaign.slug}/findings/new", data={"title": "Not mine", "summary": "No."})
    assert response.status_code == 403
    assert db.session.scalar(select(Finding).where(Finding.campaign_id == campaign.id)) is None


def test_an_officer_answers_in_public_audited_and_the_queue_counts_it(reported, client_as, client):
    organiser_client, _organiser, campaign = reported
    finding = _submit(organiser_client, campaign)
    officer_client, officer = client_as("officer")
    home = officer_client.get("/admin/").text
    assert "1 campaign finding awaiting an answer" in home
    queue = officer_client.get("/sensing/findings/awaiting-answer")
    assert queue.status_code == 200 and "Homes on Church Street are damp" in queue.text
    assert officer_client.get(f"/sensing/findings/{finding.id}/answer").status_code == 200
    response = officer_client.post(f"/sensing/findings/{finding.id}/answer", data={
        "state": "accepted", "text": "We will inspect the **homes** in January."})
    assert response.status_code == 302
    db.session.expire_all()
    finding = db.session.get(Finding, finding.id)
    assert (finding.answer_state, finding.answered_by_id) == ("accepted", officer.id)
    page = client.get(f"/sensing/{campaign.slug}").text
    assert "Accepted" in page and "We will inspect the <strong>homes</strong> in January." in page
    assert "We will inspect" in client.get(f"/sensing/findings/{finding.id}").text
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "sensing.finding_answered"))
    assert entry.actor_id == officer.id and entry.after["state"] == "accepted"
    assert entry.before == {"state": "not_answered", "text": ""}
    assert "campaign finding awaiting" not in officer_client.get("/admin/").text
    assert "No finding is waiting." in officer_client.get("/sensing/findings/awaiting-answer").text


def test_an_answer_template_can_start_the_answer(reported, client_as):
    organiser_client, _organiser, campaign = reported
    finding = _submit(organiser_client, campaign)
    db.session.add(canned.CannedText(purpose="sensing.finding_answer", title="Thanks",
                                     body="Thank you for your findings."))
    db.session.commit()
    template = db.session.scalar(select(canned.CannedText).where(canned.CannedText.title == "Thanks"))
    officer_client, _officer = client_as("officer")
    assert "Thanks" in officer_client.get(f"/sensing/findings/{finding.id}/answer").text
    officer_client.post(f"/sensing/findings/{finding.id}/answer", data={
        "state": "evaluating", "template": str(template.id), "text": "We look at it."})
    db.session.expire_all()
    assert db.session.get(Finding, finding.id).answer_text == "Thank you for your findings.\n\nWe look at it."


@pytest.mark.parametrize(("data", "says"), [
    ({"state": "accepted", "text": ""}, "Write the answer"),
    ({"state": "not_answered", "text": "Hm."}, "Not a valid choice"),
    ({"state": "maybe", "text": "Hm."}, ""),
    ({"text": "Hm."}, "Choose the state of the finding."),
])
def test_a_bad_answer_is_refused_beside_its_field(reported, client_as, data, says):
    organiser_client, _organiser, campaign = reported
    finding = _submit(organiser_client, campaign)
    officer_client, _officer = client_as("officer")
    response = officer_client.post(f"/sensing/findings/{finding.id}/answer", data=data)
    assert response.status_code == 200 and 'class="error-summary"' in response.text
    db.session.expire_all()
    assert db.session.get(Finding, finding.id).answer_state == "not_answered"


@pytest.mark.parametrize("role", ["resident", "verified", "organiser", "instructor"])
def test_only_officers_answer(reported, client_as, role):
    organiser_client, _organiser, campaign = reported
    finding = _submit(organiser_client, campaign)
    for client in (organiser_client, client_as(role)[0]):
        assert client.get(f"/sensing/findings/{finding.id}/answer").status_code == 403
        response = client.post(f"/sensing/findings/{finding.id}/answer", data={"state": "accepted", "text": "Yes"})
        assert response.status_code == 403
        assert client.get("/sensing/findings/awaiting-answer").status_code == 403
    db.session.expire_all()
    assert db.session.get(Finding, finding.id).answer_state == "not_answered"


def test_the_answer_tells_the_followers_and_the_submitter_not_the_officer(reported, client_as, make_user, signed_in):
    organiser_client, organiser, campaign = reported
    follower = make_user("resident")
    followed = signed_in(follower).post("/follow", data={"resource_type": "sensing_campaign",
                                                         "resource_id": str(campaign.id)})
    assert followed.status_code == 302
    finding = _submit(organiser_client, campaign)
    officer_client, officer = client_as("officer")
    officer_client.post(f"/sensing/findings/{finding.id}/answer", data={"state": "rejected", "text": "Not ours."})
    assert [n.kind for n in told(follower)] == ["sensing_finding_answered"]
    assert len(told(organiser, kind="sensing_finding_answered")) == 1
    assert told(officer) == []
    # The same answer again changes nothing and tells nobody again.
    officer_client.post(f"/sensing/findings/{finding.id}/answer", data={"state": "rejected", "text": "Not ours."})
    assert len(told(follower, kind="sensing_finding_answered")) == 1


def test_findings_of_a_campaign_not_yet_public_are_not_found(client_as, make_campaign, client):
    organiser_client, organiser = client_as("organiser")
    campaign = make_campaign(organiser, status="proposed")
    finding = Finding(campaign_id=campaign.id, title="Hidden", summary="No.", submitted_by_id=organiser.id)
    db.session.add(finding)
    db.session.commit()
    assert client.get(f"/sensing/findings/{finding.id}").status_code == 404
    assert client_as("resident")[0].get(f"/sensing/findings/{finding.id}").status_code == 404
    assert client.get("/sensing/findings/2147483647").status_code == 404


def test_the_campaign_page_costs_the_same_with_more_findings(reported, client, count_queries, make_process):
    organiser_client, _organiser, campaign = reported
    _submit(organiser_client, campaign)
    client.get(f"/sensing/{campaign.slug}")
    with count_queries() as few:
        assert client.get(f"/sensing/{campaign.slug}").status_code == 200
    process = make_process()
    for n in range(4):
        finding = _submit(organiser_client, campaign, title=f"Finding number {n} about damp homes")
        organiser_client.post(f"/sensing/findings/{finding.id}/proposal", data={
            "target": f"proposal:{process.id}", "ward": str(campaign.wards[0].id)})
    with count_queries() as many:
        page = client.get(f"/sensing/{campaign.slug}")
    assert page.text.count("Turned into a proposal") == 4
    assert many.count == few.count, "\n".join(many.statements)


def test_the_officers_list_costs_a_fixed_number_of_queries(reported, client_as, count_queries):
    organiser_client, _organiser, campaign = reported
    _submit(organiser_client, campaign)
    officer_client, _officer = client_as("officer")
    officer_client.get("/sensing/findings/awaiting-answer")
    with count_queries() as few:
        officer_client.get("/sensing/findings/awaiting-answer")
    for n in range(5):
        _submit(organiser_client, campaign, title=f"Another finding {n}")
    with count_queries() as many:
        assert "Another finding 4" in officer_client.get("/sensing/findings/awaiting-answer").text
    assert many.count == few.count, "\n".join(many.statements)


@pytest.mark.parametrize("value", ["99999999999", "a\x00b", "²", "-99999999999", "2147483648", "{{chart}}" * 500,
                                   "x" * 60_000])
def test_malformed_input_to_the_organisers_and_officers_forms_is_never_a_500(reported, client_as, make_process,
                                                                              value):
    """The platform's malformed-input walk (tests/core/test_malformed_input.py) signs in as people who are not a
    campaign's organisers; these are its organisers' forms, and the officers' answer, with the same corpus."""
    organiser_client, _organiser, campaign = reported
    finding = _submit(organiser_client, campaign)
    make_process()
    officer_client, _officer = client_as("officer")
    fields = dict.fromkeys(("body", "then", "title", "summary", "target", "ward", "state", "template", "text",
                            "page"), value)
    for client, path in ((organiser_client, f"/sensing/{campaign.slug}/report/edit"),
                         (organiser_client, f"/sensing/{campaign.slug}/findings/new"),
                         (organiser_client, f"/sensing/findings/{finding.id}/proposal"),
                         (officer_client, f"/sensing/findings/{finding.id}/answer"),
                         (officer_client, "/sensing/findings/awaiting-answer"),
                         (organiser_client, f"/sensing/{campaign.slug}/report")):
        assert client.get(path, query_string=fields).status_code < 500, path
        if not path.endswith(("awaiting-answer", "/report")):
            assert client.post(path, data=fields).status_code < 500, path
