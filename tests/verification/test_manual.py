"""Manual verification: the resident asks, an officer approves or refuses with a reason."""

from datetime import date

from sqlalchemy import select

from civic.accounts import roles
from civic.audit import AuditEntry
from civic.db import db
from civic.verification.models import VerificationRequest
from tests.support.pages import date_fields
from tests.verification.conftest import ward


def ask(client, **overrides):
    data = {"postcode": "w2 1ab", "ward": str(ward("Little Venice").id), **date_fields("date_of_birth", ""),
            "statement": "I moved to Westbourne Terrace in March."}
    if "date_of_birth" in overrides:
        overrides.update(date_fields("date_of_birth", overrides.pop("date_of_birth")))
    data.update(overrides)
    return client.post("/verify/request", data=data)


def only_request(user) -> VerificationRequest:
    req = db.session.scalars(select(VerificationRequest).where(VerificationRequest.user_id == user.id)).one()
    db.session.refresh(req)
    return req


def test_a_resident_asks_for_a_manual_check(client_as):
    client, user = client_as("resident")
    response = ask(client, date_of_birth="27/03/1985")
    assert response.status_code == 302
    page = client.get("/verify/").get_data(as_text=True)
    assert "Your request has been sent." in page and "It is waiting for a council officer." in page
    req = only_request(user)
    assert (req.status, req.postcode, req.ward.name, req.date_of_birth) == (
        "pending", "W2 1AB", "Little Venice", date(1985, 3, 27))


def test_the_request_form_keeps_what_was_typed_and_explains_problems(client_as):
    client, user = client_as("resident")
    response = ask(client, postcode="nowhere", ward="", statement="")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Tell the officer how you live in Westminster." in page and "Choose the ward you live in." in page
    assert 'value="nowhere"' in page
    page = ask(client, postcode="nowhere").get_data(as_text=True)
    assert "Enter a postcode like W2 1AA" in page and "I moved to Westbourne Terrace in March." in page
    assert db.session.scalars(select(VerificationRequest)).all() == []


def test_one_pending_request_at_a_time_and_it_can_be_withdrawn(client_as):
    client, user = client_as("resident")
    ask(client)
    response = client.get("/verify/request")
    assert response.status_code == 302  # back to the status page
    assert "You already have a request waiting" in client.get("/verify/").get_data(as_text=True)
    ask(client, statement="A second one")
    assert len(db.session.scalars(select(VerificationRequest)).all()) == 1

    req = only_request(user)
    assert client.post(f"/verify/request/{req.id}/withdraw").status_code == 302
    assert only_request(user).status == "withdrawn"
    page = client.get("/verify/").get_data(as_text=True)
    assert "was withdrawn" in page
    assert ask(client, statement="Trying again").status_code == 302
    statuses = sorted(r.status for r in db.session.scalars(select(VerificationRequest)))
    assert statuses == ["pending", "withdrawn"]


def test_nobody_else_can_withdraw_a_request(client_as):
    owner_client, owner = client_as("resident")
    ask(owner_client)
    other_client, _other = client_as("resident")
    req = only_request(owner)
    assert other_client.post(f"/verify/request/{req.id}/withdraw").status_code == 404
    assert only_request(owner).status == "pending"


def test_the_officer_sees_the_details_and_the_sector_hint(client_as, sectors):
    resident_client, resident = client_as("resident")
    ask(resident_client, ward=str(ward("Bayswater").id), date_of_birth="27/03/1985")
    req = only_request(resident)
    client, _officer = client_as("officer")
    page = client.get(f"/verify/requests/{req.id}").get_data(as_text=True)
    assert "Postcode sector W2 1 is in Little Venice, not in Bayswater as asked." in page
    assert "W2 1AB" in page and "27 March 1985" in page and "I moved to Westbourne Terrace in March." in page
    assert "These details are not in the residents register." in page


def test_the_officer_sees_when_the_details_are_in_the_register(client_as, register):
    register(("W2 1AB", "1985-03-27", "Little Venice"))
    claimer_client, claimer = client_as("resident")
    claimer_client.post("/verify/", data={"postcode": "W2 1AB", **date_fields("date_of_birth", "27/03/1985")})
    resident_client, resident = client_as("resident")
    ask(resident_client, date_of_birth="27/03/1985")
    client, _officer = client_as("officer")
    page = client.get(f"/verify/requests/{only_request(resident).id}").get_data(as_text=True)
    assert "These details match a register entry in Little Venice, already used by another account" in page
    assert f"@{claimer.nickname}" in page


def test_approval_verifies_emails_and_is_audited(client_as, smtp_server):
    resident_client, resident = client_as("resident")
    ask(resident_client)
    req = only_request(resident)
    client, officer = client_as("officer")

    response = client.post(f"/verify/requests/{req.id}/decide", data={"decision": "approve", "reason": ""})
    assert "Give a reason: the resident will see it." in response.get_data(as_text=True)
    assert only_request(resident).status == "pending"

    response = client.post(f"/verify/requests/{req.id}/decide",
                           data={"decision": "approve", "reason": "Council tax record matches."})
    assert response.status_code == 302
    req = only_request(resident)
    assert (req.status, req.decided_by_id, req.reason) == ("approved", officer.id, "Council tax record matches.")
    db.session.refresh(resident)
    assert resident.is_verified and resident.ward.name == "Little Venice"

    [mail] = smtp_server.to(resident.email)
    assert mail["Subject"] == "Your residency is verified"
    body = mail.get_body(("plain",)).get_content()
    assert "you are now a verified resident of Little Venice" in body and "Council tax record matches." in body
    assert "http://civic.test/verify/" in body

    log = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "verification.approve")).one()
    assert log.actor_id == officer.id and log.object_type == "user" and log.object_id == resident.id
    assert log.reason == "Council tax record matches."
    assert log.before == {"request": req.id, "status": "pending", "roles": [], "ward": None}
    assert log.after == {"request": req.id, "status": "approved", "roles": [roles.VERIFIED],
                         "ward": "Little Venice"}


def test_refusal_emails_the_reason_which_the_resident_then_sees(client_as, smtp_server):
    resident_client, resident = client_as("resident")
    ask(resident_client)
    req = only_request(resident)
    client, officer = client_as("officer")
    response = client.post(f"/verify/requests/{req.id}/decide",
                           data={"decision": "refuse", "reason": "No record of you at this address."})
    assert response.status_code == 302
    db.session.refresh(resident)
    assert not resident.is_verified and resident.ward_id is None
    [mail] = smtp_server.to(resident.email)
    assert mail["Subject"] == "We could not verify your residency"
    assert "No record of you at this address." in mail.get_body(("plain",)).get_content()
    assert "No record of you at this address." in mail.get_body(("html",)).get_content()
    log = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "verification.refuse")).one()
    assert log.actor_id == officer.id and log.after["status"] == "refused" and log.after["roles"] == []

    page = resident_client.get("/verify/").get_data(as_text=True)
    assert "A council officer refused your request" in page
    assert "No record of you at this address." in page
    assert ask(resident_client, statement="I have a new tenancy agreement.").status_code == 302


def test_a_request_is_decided_only_once(client_as, smtp_server):
    resident_client, resident = client_as("resident")
    ask(resident_client)
    req = only_request(resident)
    client, _officer = client_as("officer")
    client.post(f"/verify/requests/{req.id}/decide", data={"decision": "refuse", "reason": "No."})
    page = client.post(f"/verify/requests/{req.id}/decide",
                       data={"decision": "approve", "reason": "Yes."}).get_data(as_text=True)
    assert "This request has already been decided or withdrawn." in page
    assert only_request(resident).status == "refused"
    assert len(smtp_server.to(resident.email)) == 1


def test_an_officer_cannot_decide_their_own_request(client_as):
    client, officer = client_as("officer")
    ask(client)
    req = only_request(officer)
    page = client.post(f"/verify/requests/{req.id}/decide",
                       data={"decision": "approve", "reason": "It is me."}).get_data(as_text=True)
    assert "You cannot decide your own request." in page
    assert only_request(officer).status == "pending"


def test_withdrawn_requests_cannot_be_decided(client_as):
    resident_client, resident = client_as("resident")
    ask(resident_client)
    req = only_request(resident)
    resident_client.post(f"/verify/request/{req.id}/withdraw")
    client, _officer = client_as("officer")
    page = client.post(f"/verify/requests/{req.id}/decide",
                       data={"decision": "approve", "reason": "Fine."}).get_data(as_text=True)
    assert "This request has already been decided or withdrawn." in page
    db.session.refresh(resident)
    assert not resident.is_verified
