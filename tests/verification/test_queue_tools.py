"""The officers' residency queue: searching it, and a prepared reason for a refusal."""

from sqlalchemy import select

from civic import canned
from civic.audit import AuditEntry
from civic.db import db
from civic.verification.models import VerificationRequest
from tests.support.pages import main_text
from tests.verification.conftest import ward


def request_from(make_user, nickname: str, postcode: str, display_name: str = "") -> VerificationRequest:
    person = make_user("resident", nickname=nickname, display_name=display_name or nickname.title())
    req = VerificationRequest(user_id=person.id, ward_id=ward("Little Venice").id, postcode=postcode,
                              statement="I live here")
    db.session.add(req)
    db.session.commit()
    return req


def test_the_queue_searches_names_nicknames_and_postcodes(client_as, make_user):
    request_from(make_user, "amira_k", "W2 1AB", "Amira Khan")
    request_from(make_user, "bob_j", "NW8 9QA", "Bob Jones")
    client, _officer = client_as("officer")
    text = main_text(client.get("/verify/requests?q=khan"))
    assert "Amira Khan" in text and "Bob Jones" not in text and "1 request." in text
    text = main_text(client.get("/verify/requests?q=nw8"))
    assert "Bob Jones" in text and "Amira Khan" not in text
    text = main_text(client.get("/verify/requests?q=@bob_j"))
    assert "Bob Jones" in text and "Amira Khan" not in text


def test_a_prepared_reason_goes_first_in_a_refusal(client_as, make_user, smtp_server):
    _admin_client, admin = client_as("admin")
    reason = canned.add(admin, "verification.refuse", "No proof", "We could not match your address.")
    db.session.commit()
    req = request_from(make_user, "cara_m", "W2 1AB")
    client, _officer = client_as("officer")
    page = client.get(f"/verify/requests/{req.id}").get_data(as_text=True)
    assert "No proof" in page and 'name="canned"' in page
    response = client.post(f"/verify/requests/{req.id}/decide",
                           data={"decision": "refuse", "canned": str(reason.id), "reason": "Please send a bill."})
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.scalars(select(VerificationRequest).where(VerificationRequest.id == req.id)).one()
    assert (stored.status, stored.reason) == ("refused", "We could not match your address.\n\nPlease send a bill.")


def test_residents_cannot_search_the_queue(client_as, make_user):
    request_from(make_user, "dan_p", "W2 1AB")
    client, _user = client_as("resident")
    assert client.get("/verify/requests?q=dan").status_code == 403


def test_ticked_requests_are_decided_together_with_one_prepared_reason(client_as, make_user, smtp_server):
    _admin_client, admin = client_as("admin")
    reason = canned.add(admin, "verification.refuse", "No proof", "We could not match your address.")
    db.session.commit()
    first = request_from(make_user, "erin_a", "W2 1AB")
    second = request_from(make_user, "finn_b", "W2 1AC")
    untouched = request_from(make_user, "gail_c", "W2 1AD")
    client, _officer = client_as("officer")
    page = client.get("/verify/requests").get_data(as_text=True)
    assert "Decide the ticked requests together" in page and "Choose the request from Erin_A" in page
    response = client.post("/verify/requests/bulk?status=pending",
                           data={"decision": "refuse", "canned": str(reason.id), "reason": "Send a bill.",
                                 "ids": [first.id, second.id]})
    assert response.status_code == 302 and response.headers["Location"] == "/verify/requests?status=pending"
    text = main_text(client.get("/verify/requests"))
    assert "Refused: 2 requests. We have emailed them." in text
    db.session.expire_all()
    for req in (first, second):
        stored = db.session.get(VerificationRequest, req.id)
        assert (stored.status, stored.reason) == ("refused", "We could not match your address.\n\nSend a bill.")
        assert len(smtp_server.to(stored.user.email)) == 1
    assert db.session.get(VerificationRequest, untouched.id).status == "pending"
    entries = db.session.scalars(select(AuditEntry.object_id).where(AuditEntry.action == "verification.refuse")).all()
    assert sorted(entries) == sorted([first.user_id, second.user_id])


def test_a_request_that_cannot_be_decided_is_named_and_the_others_go_on(client_as, make_user):
    done_already = request_from(make_user, "hal_d", "W2 1AB")
    pending = request_from(make_user, "ivy_e", "W2 1AC")
    client, officer = client_as("officer")
    own = VerificationRequest(user_id=officer.id, ward_id=ward("Little Venice").id, postcode="W2 1AE",
                              statement="Mine")
    db.session.add(own)
    done_already.status = "withdrawn"
    db.session.commit()
    client.post("/verify/requests/bulk", data={"decision": "approve", "reason": "Council tax records match.",
                                               "ids": [done_already.id, pending.id, own.id, 999999]})
    text = main_text(client.get("/verify/requests"))
    assert "Approved: 1 request." in text
    assert "Not decided: the request from @hal_d. This request has already been decided or withdrawn." in text
    assert f"Not decided: the request from @{officer.nickname}. You cannot decide your own request." in text
    assert "Not decided: the request from request 999999. There is no such request." in text
    db.session.expire_all()
    assert db.session.get(VerificationRequest, pending.id).status == "approved"
    assert db.session.get(VerificationRequest, own.id).status == "pending"
    assert db.session.get(VerificationRequest, pending.id).user.is_verified


def test_a_bulk_decision_needs_ticks_a_decision_and_a_reason(client_as, make_user):
    _admin_client, admin = client_as("admin")
    reason = canned.add(admin, "verification.refuse", "No proof", "We could not match your address.")
    db.session.commit()
    req = request_from(make_user, "jo_f", "W2 1AB")
    client, _officer = client_as("officer")
    for data, message in (
            ({"decision": "approve", "reason": "Fine."}, "Tick at least one request."),
            ({"reason": "Fine.", "ids": [req.id]}, "Choose to approve or refuse the ticked requests."),
            ({"decision": "refuse", "reason": " ", "ids": [req.id]}, "Give a reason: the residents will see it."),
            ({"decision": "approve", "canned": str(reason.id), "ids": [req.id]},
             "The prepared reasons are for refusals: write the reason for the approval.")):
        client.post("/verify/requests/bulk", data=data)
        assert message in main_text(client.get("/verify/requests")), data
    db.session.expire_all()
    assert db.session.get(VerificationRequest, req.id).status == "pending"


def test_residents_cannot_decide_requests_in_bulk(client_as, make_user):
    req = request_from(make_user, "kim_g", "W2 1AB")
    for role in ("resident", "verified", "instructor"):
        client, _user = client_as(role)
        response = client.post("/verify/requests/bulk", data={"decision": "approve", "reason": "Yes",
                                                              "ids": [req.id]})
        assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(VerificationRequest, req.id).status == "pending"
