"""An admin revokes a verification: role and ward go, the register entry is free again."""

from sqlalchemy import select

from civic.accounts import roles
from civic.audit import AuditEntry
from civic.db import db
from civic.verification.models import RegisterEntry
from tests.support.pages import date_fields

ROSA = ("W2 1AA", "1985-03-27", "Little Venice")


def verify(client):
    return client.post("/verify/", data={"postcode": "W2 1AA", **date_fields("date_of_birth", "1985-03-27")})


def test_the_admin_user_page_offers_the_revoke_form(client_as):
    client, _admin = client_as("admin")
    _c, resident = client_as("verified")
    page = client.get(f"/admin/users/{resident.id}").get_data(as_text=True)
    assert f'action="/verify/revoke/{resident.id}"' in page
    assert f'<label class="label" for="revoke-reason-{resident.id}">Reason for revoking</label>' in page
    _c, unverified = client_as("resident")
    assert "/verify/revoke/" not in client.get(f"/admin/users/{unverified.id}").get_data(as_text=True)


def test_revoking_releases_the_register_entry_for_another_account(client_as, register):
    register(ROSA)
    resident_client, resident = client_as("resident")
    assert verify(resident_client).status_code == 302
    client, admin = client_as("admin")

    response = client.post(f"/verify/revoke/{resident.id}", data={"reason": "Entry belongs to someone else."})
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/users/{resident.id}"
    assert "Verification of @" in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.refresh(resident)
    assert not resident.is_verified and resident.ward_id is None
    entry = db.session.scalars(select(RegisterEntry)).one()
    assert entry.claimed_by_id is None and entry.claimed_at is None

    log = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "verification.revoke")).one()
    assert log.actor_id == admin.id and log.object_id == resident.id
    assert log.reason == "Entry belongs to someone else."
    assert log.before == {"roles": [roles.VERIFIED], "ward": "Little Venice"}
    assert log.after == {"roles": [], "ward": None, "register_entry_released": True}

    other_client, other = client_as("resident")
    assert verify(other_client).status_code == 302
    db.session.refresh(other)
    assert other.is_verified
    assert db.session.scalars(select(RegisterEntry.claimed_by_id)).one() == other.id


def test_revoking_needs_a_reason(client_as):
    client, _admin = client_as("admin")
    _c, resident = client_as("verified", ward="Church Street")
    response = client.post(f"/verify/revoke/{resident.id}", data={"reason": "  "})
    assert response.status_code == 302
    assert "Say why, for the audit log." in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.refresh(resident)
    assert resident.is_verified and resident.ward.name == "Church Street"
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "verification.revoke")).all() == []


def test_an_unverified_account_cannot_be_revoked(client_as):
    client, _admin = client_as("admin")
    _c, resident = client_as("resident")
    response = client.post(f"/verify/revoke/{resident.id}", data={"reason": "Oops"})
    assert "is not a verified resident" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_officers_cannot_revoke(client_as):
    client, _officer = client_as("officer")
    _c, resident = client_as("verified")
    assert client.post(f"/verify/revoke/{resident.id}", data={"reason": "No"}).status_code == 403
    db.session.refresh(resident)
    assert resident.is_verified
