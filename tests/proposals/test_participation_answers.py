"""Official answers: officers set the state and answer in the answer phase; audit-logged; the core is told."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from civic.audit import AuditEntry
from civic.db import db
from civic.errors import PermissionDenied, RuleViolation
from proposals import answers
from proposals.models import Proposal


@pytest.fixture
def caught(published_events):
    """Events published while the test runs, as (name, subject, data)."""
    return published_events


@pytest.fixture
def proposal(make_process, make_proposal, make_user):
    return make_proposal(make_process(allow_answer=True), make_user("resident"))


def audit_entries(proposal: Proposal) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "proposal",
                                                            AuditEntry.object_id == proposal.id,
                                                            AuditEntry.action == "proposal.answer")))


def test_an_officer_accepts_with_cost_and_delivery(proposal, make_user, caught):
    officer = make_user("officer")
    answers.answer(officer, proposal, "accepted", "We will build it.", cost="£12,500.5",
                         delivery="Spring next year.")
    db.session.commit()  # events are sent after the commit
    db.session.expire_all()
    stored = db.session.get(Proposal, proposal.id)
    assert (stored.answer_state, stored.answer_text, stored.answer_cost, stored.answer_delivery) == (
        "accepted", "We will build it.", Decimal("12500.50"), "Spring next year.")
    assert stored.answered_at is not None and stored.answered_by_id == officer.id
    (entry,) = audit_entries(proposal)
    assert entry.actor_id == officer.id
    assert entry.before == {"state": "not_answered", "text": "", "cost": None, "delivery": ""}
    assert entry.after == {"state": "accepted", "text": "We will build it.", "cost": "12500.50",
                           "delivery": "Spring next year."}
    assert [(name, subject.id, data["state"]) for name, subject, data in caught if name == "proposal.answered"] \
        == [("proposal.answered", proposal.id, "accepted")]


def test_rejecting_drops_cost_and_delivery(proposal, make_user):
    officer = make_user("officer")
    answers.answer(officer, proposal, "accepted", "Yes.", cost="100", delivery="Soon.")
    answers.answer(officer, proposal, "rejected", "On reflection, no.", cost="100", delivery="Soon.")
    assert (proposal.answer_state, proposal.answer_cost, proposal.answer_delivery) == ("rejected", None, "")
    assert len(audit_entries(proposal)) == 2


def test_back_to_not_answered_clears_the_answer(proposal, make_user, caught):
    officer = make_user("officer")
    answers.answer(officer, proposal, "evaluating", "Our engineers are looking at it.")
    answers.answer(officer, proposal, "not_answered", "")
    db.session.commit()  # events are sent after the commit
    assert proposal.answered_at is None and proposal.answered_by_id is None
    assert [data["state"] for name, _, data in caught if name == "proposal.answered"] == ["evaluating"]


def test_saving_the_same_answer_again_records_nothing(proposal, make_user, caught):
    officer = make_user("officer")
    answers.answer(officer, proposal, "evaluating", "Looking.")
    answers.answer(officer, proposal, "evaluating", "Looking.")
    db.session.commit()  # events are sent after the commit
    assert len(audit_entries(proposal)) == 1
    assert len([c for c in caught if c[0] == "proposal.answered"]) == 1


@pytest.mark.parametrize(("state", "text", "cost", "field", "message"), [
    ("accepted", "  ", None, "text", "Write the answer"),
    ("rejected", "", None, "text", "Write the answer"),
    ("accepted", "Yes", "-5", "cost", "The cost cannot be negative."),
    ("accepted", "Yes", "a lot", "cost", "Enter the cost in pounds"),
    ("maybe", "Yes", None, "state", "Choose the state"),
])
def test_bad_answers_are_refused_beside_their_field(proposal, make_user, state, text, cost, field, message):
    with pytest.raises(RuleViolation, match=message) as refused:
        answers.answer(make_user("officer"), proposal, state, text, cost=cost)
    assert refused.value.field == field
    assert proposal.answer_state == "not_answered"
    assert audit_entries(proposal) == []


def test_only_officers_answer(proposal, make_user):
    for role in ("resident", "verified", "organiser"):
        with pytest.raises(PermissionDenied, match="Only council officers can answer proposals."):
            answers.answer(make_user(role), proposal, "accepted", "Yes")
    answers.answer(make_user("admin"), proposal, "accepted", "Yes")
    assert proposal.answer_state == "accepted"


def test_answers_only_in_their_phase(make_process, make_proposal, make_user):
    proposal = make_proposal(make_process(), make_user("resident"))  # the phase does not allow answers
    with pytest.raises(RuleViolation, match="Answering proposals is not open"):
        answers.answer(make_user("officer"), proposal, "accepted", "Yes")


def test_drafts_cannot_be_answered(make_process, make_proposal, make_user):
    draft = make_proposal(make_process(allow_answer=True), make_user("resident"), state="draft")
    with pytest.raises(RuleViolation, match="Drafts cannot be answered"):
        answers.answer(make_user("officer"), draft, "accepted", "Yes")


# The answer page --------------------------------------------------------------------------------------------


def test_an_officer_answers_through_the_page_and_everyone_sees_it(proposal, client_as, client):
    officer_client, officer = client_as("officer")
    page = officer_client.get(f"/proposals/{proposal.id}/answer")
    assert page.status_code == 200
    assert "<legend class=\"label\">State of the proposal</legend>" in page.text
    response = officer_client.post(f"/proposals/{proposal.id}/answer", data={
        "state": "accepted", "text": "We **will** build it.", "cost": "12,500", "delivery": "By June."})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/proposals/{proposal.id}#answer")
    public = client.get(f"/proposals/{proposal.id}").text
    assert '<span class="tag answer-state answer-accepted">Accepted</span>' in public
    assert "We <strong>will</strong> build it." in public
    assert "£12,500.00" in public and "By June." in public
    assert "Change the answer" not in public  # only officers see the link
    assert "Change the answer" in officer_client.get(f"/proposals/{proposal.id}").text
    assert len(audit_entries(proposal)) == 1


def test_a_refused_answer_keeps_what_was_typed(proposal, client_as):
    client, _ = client_as("officer")
    response = client.post(f"/proposals/{proposal.id}/answer", data={
        "state": "accepted", "text": "We will build it.", "cost": "-3", "delivery": "By June."})
    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert 'id="cost-error"' in response.text and "The cost cannot be negative." in response.text
    assert 'value="-3"' in response.text and "We will build it." in response.text and "By June." in response.text
    assert re.search(r'<input checked id="state-\d" name="state" required type="radio" value="accepted">',
                     response.text)
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).answer_state == "not_answered"


def test_the_answer_page_says_when_answers_are_closed(make_process, make_proposal, make_user, client_as):
    proposal = make_proposal(make_process(), make_user("resident"))
    client, _ = client_as("officer")
    page = client.get(f"/proposals/{proposal.id}/answer").text
    assert "You cannot answer this proposal now. Answering proposals is not open" in page
    assert "Save the answer" not in page
    response = client.post(f"/proposals/{proposal.id}/answer", data={"state": "accepted", "text": "Yes"})
    assert "Answering proposals is not open" in response.text
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).answer_state == "not_answered"


@pytest.mark.parametrize("role", ["resident", "verified", "organiser", "instructor"])
def test_others_may_not_answer(proposal, client_as, role):
    client, _ = client_as(role)
    assert client.get(f"/proposals/{proposal.id}/answer").status_code == 403
    assert client.post(f"/proposals/{proposal.id}/answer", data={"state": "accepted", "text": "Yes"}).status_code \
        == 403
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).answer_state == "not_answered"


def test_signed_out_visitors_are_sent_to_sign_in(proposal, client):
    response = client.get(f"/proposals/{proposal.id}/answer")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
