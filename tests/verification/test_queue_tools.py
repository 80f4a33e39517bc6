"""The officers' residency queue: searching it, and a prepared reason for a refusal."""

from sqlalchemy import select

from civic import canned
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
