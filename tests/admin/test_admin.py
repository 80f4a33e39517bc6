"""Admin pages: people with search, filters and pagination; roles with the audit log; the audit log itself."""

import csv
import io

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from civic.accounts.models import User
from civic.audit import AuditEntry, audit
from civic.db import db


def test_people_list_search_and_filters(client_as, make_user):
    client, _admin = client_as("admin")
    make_user("resident", nickname="zebra_person", display_name="Zora Zebra")
    make_user("officer", nickname="owl_officer")
    page = client.get("/admin/users?q=zebra").get_data(as_text=True)
    assert "Zora Zebra" in page and "owl_officer" not in page
    page = client.get("/admin/users?role=officer").get_data(as_text=True)
    assert "owl_officer" in page and "zebra_person" not in page


def test_people_list_paginates_in_a_fixed_number_of_queries(client_as, make_user, count_queries):
    client, _admin = client_as("admin")
    for _ in range(3):
        make_user("verified", ward="Marylebone")
    with count_queries() as few:
        assert client.get("/admin/users").status_code == 200
    for _ in range(40):
        make_user("instructor", ward="Bayswater")
    with count_queries() as many:
        response = client.get("/admin/users")
    assert response.status_code == 200
    assert "Next page" in response.get_data(as_text=True)
    assert many.count == few.count
    assert client.get("/admin/users?page=2").status_code == 200


def test_admin_grants_and_removes_a_role_and_both_are_audited(client_as, make_user):
    client, admin = client_as("admin")
    target = make_user("resident")
    response = client.post(f"/admin/users/{target.id}/roles/grant",
                           data={"grant-role": "officer", "grant-reason": "Joined the participation team",
                                 "confirm": "yes"})
    assert response.status_code == 302
    assert db.session.get(User, target.id).is_officer
    response = client.post(f"/admin/users/{target.id}/roles/remove",
                           data={"remove-role": "officer", "remove-reason": "Left the team", "confirm": "yes"})
    assert response.status_code == 302
    assert not db.session.get(User, target.id).is_officer
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.object_id == target.id)
                                 .order_by(AuditEntry.id)).all()
    assert [(e.action, e.actor_id, e.reason) for e in entries] == [
        ("role.grant", admin.id, "Joined the participation team"), ("role.remove", admin.id, "Left the team")]
    assert entries[0].before == {"roles": []} and entries[0].after == {"roles": ["officer"]}
    history = client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    assert "Joined the participation team" in history


def test_role_change_needs_a_reason_and_keeps_the_choice(client_as, make_user):
    client, _admin = client_as("admin")
    target = make_user("resident")
    response = client.post(f"/admin/users/{target.id}/roles/grant",
                           data={"grant-role": "instructor", "grant-reason": ""})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Say why, for the audit log." in page
    assert '<option selected value="instructor">' in page
    assert not db.session.get(User, target.id).has_role("instructor")


def test_admin_cannot_remove_their_own_admin_role(client_as):
    client, admin = client_as("admin")
    response = client.post(f"/admin/users/{admin.id}/roles/remove",
                           data={"remove-role": "admin", "remove-reason": "oops", "confirm": "yes"})
    assert "You cannot remove your own administrator role." in response.get_data(as_text=True)
    assert db.session.get(User, admin.id).is_admin


@pytest.mark.parametrize("role", ["resident", "verified", "organiser", "instructor", "officer"])
def test_only_admins_grant_roles(client_as, make_user, role):
    client, _user = client_as(role)
    target = make_user("resident")
    response = client.post(f"/admin/users/{target.id}/roles/grant",
                           data={"grant-role": "admin", "grant-reason": "let me in", "confirm": "yes"})
    assert response.status_code == 403
    assert not db.session.get(User, target.id).is_admin


def test_officer_sees_people_but_not_the_role_form_or_audit_log(client_as, make_user):
    client, _officer = client_as("officer")
    target = make_user("resident")
    page = client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    assert "Grant role" not in page
    assert client.get("/admin/audit").status_code == 403


def test_audit_log_filters_and_csv(client_as, make_user):
    client, admin = client_as("admin")
    other = make_user("officer", nickname="otto_officer")
    audit(admin, "role.grant", "user", 1, label="@someone", before={"roles": []}, after={"roles": ["admin"]},
          reason="=HYPERLINK(\"http://evil\")")
    audit(other, "verification.approve", "user", 2, reason="Council tax record seen")
    db.session.flush()
    page = client.get("/admin/audit?actor=otto_officer").get_data(as_text=True)
    assert "Council tax record seen" in page and "HYPERLINK" not in page
    response = client.get("/admin/audit.csv?action=role.grant")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:4] == ["id", "at_utc", "actor", "action"]
    assert len(rows) == 2 and rows[1][3] == "role.grant"
    assert rows[1][-1].startswith("'=")  # a formula is neutralised for spreadsheets


def test_audit_log_is_append_only_in_the_database(make_user):
    admin = make_user("admin")
    entry = audit(admin, "role.grant", "user", admin.id, reason="first")
    db.session.flush()
    for statement in ("UPDATE audit_log SET reason = 'rewritten' WHERE id = :id",
                      "DELETE FROM audit_log WHERE id = :id"):
        nested = db.session.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement), {"id": entry.id})
        nested.rollback()
    assert db.session.scalar(select(AuditEntry.reason).where(AuditEntry.id == entry.id)) == "first"


def test_the_derived_organiser_role_is_shown(client_as, make_user):
    client, _admin = client_as("admin")
    organiser = make_user("organiser")
    page = client.get(f"/admin/users/{organiser.id}").get_data(as_text=True)
    assert "Verified resident, Group organiser" in page
    resident = make_user("resident")
    assert "<dd>Resident</dd>" in client.get(f"/admin/users/{resident.id}").get_data(as_text=True)


def test_audit_csv_streams_in_a_live_server_way(client_as):
    """The rows are read while the response streams (after the request's commit), not before."""
    client, admin = client_as("admin")
    audit(admin, "role.grant", "user", admin.id, reason="streamed")
    db.session.commit()
    response = client.get("/admin/audit.csv", buffered=False)
    body = b"".join(response.response).decode()
    assert response.status_code == 200 and "streamed" in body
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
