"""A resident verifies with postcode and date of birth against the register."""

from datetime import timedelta

from sqlalchemy import func, select

from civic.accounts import roles
from civic.audit import AuditEntry
from civic.db import db, utcnow
from civic.verification.models import RegisterEntry, VerificationAttempt, VerificationRequest
from tests.support.pages import date_fields, main_text
from tests.verification.conftest import ward

ROSA = ("W2 1AA", "1985-03-27", "Little Venice")
NO_MATCH = "We could not find these details in the residents register."


def attempts(user) -> int:
    return db.session.scalar(select(func.count()).where(VerificationAttempt.user_id == user.id))


def try_details(client, postcode="w21aa", date_of_birth="27/3/1985"):
    return client.post("/verify/", data={"postcode": postcode, **date_fields("date_of_birth", date_of_birth)})


def test_a_match_sets_the_ward_and_the_verified_role(client_as, register):
    register(ROSA)
    client, user = client_as("resident", ward=None)
    assert not user.is_verified
    response = try_details(client)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you: you are now a verified resident of Little Venice." in page
    assert "You are a verified resident of Little Venice." in page
    db.session.refresh(user)
    assert user.is_verified and user.ward_id == ward("Little Venice").id
    entry = db.session.scalars(select(RegisterEntry)).one()
    assert entry.claimed_by_id == user.id and entry.claimed_at is not None
    assert attempts(user) == 1
    log = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "verification.match",
                                                      AuditEntry.object_id == user.id)).one()
    assert log.object_id == user.id and log.actor_id is None
    assert log.before["roles"] == [] and log.after == {"roles": [roles.VERIFIED], "ward": "Little Venice"}


def test_the_page_offers_the_form_to_an_unverified_resident(client_as):
    client, _user = client_as("resident")
    page = client.get("/verify/").get_data(as_text=True)
    assert '<label class="label" for="postcode">Postcode</label>' in page
    assert 'autocomplete="bday-day"' in page and 'autocomplete="bday-year"' in page and "Ask for a manual check" in page


def test_no_match_is_recorded_and_offers_a_manual_check(client_as, register, sectors):
    register(ROSA)
    client, user = client_as("resident")
    response = try_details(client, "W2 1AB", "27/03/1985")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "We could not find these details in the residents register." in page
    assert 'value="W2 1AB"' in page and 'value="27"' in page and 'value="03"' in page  # nothing typed is lost
    assert "4 tries left" in page
    assert attempts(user) == 1
    assert not user.is_verified
    # The manual check starts with the postcode and the ward of its sector.
    form = client.get("/verify/request").get_data(as_text=True)
    assert 'value="W2 1AB"' in form
    assert f'<option selected value="{ward("Little Venice").id}">Little Venice</option>' in form


def test_bad_input_is_not_counted_as_an_attempt(client_as, register):
    register(ROSA)
    client, user = client_as("resident")
    page = try_details(client, "W2", "27/03/1985").get_data(as_text=True)
    assert "Enter a postcode like W2 1AA" in page
    page = try_details(client, "W2 1AA", "").get_data(as_text=True)
    assert "Enter your date of birth." in page
    assert attempts(user) == 0


def test_details_used_by_another_account_are_refused(client_as, register):
    register(ROSA)
    first_client, first = client_as("resident")
    assert try_details(first_client).status_code == 302
    second_client, second = client_as("resident")
    response = try_details(second_client)
    assert response.status_code == 200
    assert NO_MATCH in response.get_data(as_text=True)
    db.session.refresh(second)
    assert not second.is_verified and second.ward_id is None
    assert db.session.scalars(select(RegisterEntry.claimed_by_id)).one() == first.id
    assert attempts(second) == 1  # the refused attempt still counts


def test_details_of_a_verified_account_are_answered_like_details_not_in_the_register(client_as, register):
    """Whoever knows a postcode and a date of birth cannot learn whether that person has a verified account."""
    register(ROSA)
    owner, _ = client_as("resident")
    assert try_details(owner).status_code == 302  # Rosa's details now verify an account
    prober, other_prober = client_as("resident")[0], client_as("resident")[0]

    claimed = try_details(prober)                                # Rosa's: in the register, claimed
    missing = try_details(other_prober, "W2 1AA", "28/03/1985")  # nobody's: not in the register

    assert claimed.status_code == missing.status_code == 200
    assert main_text(claimed) == main_text(missing)  # word for word (what was typed is in the inputs)
    assert NO_MATCH in main_text(claimed) and "Ask for a manual check" in main_text(claimed)
    assert "already" not in main_text(claimed).lower()


def test_attempts_are_limited_per_day(client_as, register, app):
    register(ROSA)
    client, user = client_as("resident")
    limit = app.config["VERIFY_MAX_ATTEMPTS_PER_DAY"]
    assert limit == 5
    for n in range(limit):
        assert try_details(client, "W2 1AB", f"0{n + 1}/01/1980").status_code == 200
    response = try_details(client)  # even the right details are refused now
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "You have tried 5 times in the last 24 hours." in page and "try again after" in page
    assert attempts(user) == limit
    db.session.refresh(user)
    assert not user.is_verified


def test_attempts_older_than_a_day_do_not_count(client_as, register):
    register(ROSA)
    client, user = client_as("resident")
    old = utcnow() - timedelta(hours=25)
    db.session.add_all([VerificationAttempt(user_id=user.id, at=old) for _ in range(5)])
    db.session.flush()
    assert try_details(client).status_code == 302
    db.session.refresh(user)
    assert user.is_verified


def test_the_limit_message_says_when_to_try_again(client_as, register):
    register(ROSA)
    client, user = client_as("resident")
    # 20 hours ago (whatever the time of day the suite runs at), so the window has 4 hours left.
    first = utcnow().replace(second=0, microsecond=0) - timedelta(hours=20)
    db.session.add_all([VerificationAttempt(user_id=user.id, at=first + timedelta(minutes=i)) for i in range(5)])
    db.session.flush()
    page = try_details(client).get_data(as_text=True)
    # 24 hours after the oldest attempt, in London time (GMT in winter, BST in summer).
    from flask_babel import format_datetime
    assert f"try again after {format_datetime(first + timedelta(hours=24), 'HH:mm')}" in page


def test_a_match_withdraws_a_pending_manual_request(client_as, register):
    register(ROSA)
    client, user = client_as("resident")
    db.session.add(VerificationRequest(user_id=user.id, ward_id=ward("Little Venice").id, postcode="W2 1AA",
                                       statement="I live here."))
    db.session.flush()
    assert try_details(client).status_code == 302
    req = db.session.scalars(select(VerificationRequest)).one()
    db.session.refresh(req)
    assert req.status == "withdrawn"


def test_a_verified_resident_sees_their_status_and_cannot_try_again(client_as, register):
    register(ROSA)
    client, _user = client_as("verified", ward="Church Street")
    page = client.get("/verify/").get_data(as_text=True)
    assert "You are a verified resident of Church Street." in page and 'name="postcode"' not in page
    assert try_details(client).status_code == 403
    assert db.session.scalars(select(RegisterEntry.claimed_by_id)).one() is None


def test_an_unconfirmed_account_must_confirm_its_email_first(client_as, register):
    register(ROSA)
    client, user = client_as("resident", confirmed=False)
    assert "Please confirm your email address first" in client.get("/verify/").get_data(as_text=True)
    assert try_details(client).status_code == 403
    assert attempts(user) == 0
