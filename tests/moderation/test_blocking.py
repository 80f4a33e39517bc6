"""Blocking and unblocking people: the justification, signing out, sign-in refused, the public name, the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from civic import events
from civic.accounts.models import User
from civic.audit import AuditEntry
from civic.db import db
from civic.moderation.models import Block
from tests.conftest import PASSWORD, sign_in_client
from tests.support.pages import field_error, main_text

JUSTIFICATION = "Repeated abuse of other residents in comments."


@pytest.fixture
def published():
    seen = []

    def handler(name, subject=None, **data):
        seen.append((name, subject))

    events.subscribe(handler)
    yield seen
    events.event_signal.disconnect(handler)


def block(client, user, justification=JUSTIFICATION):
    return client.post(f"/moderation/users/{user.id}/block", data={"justification": justification})


def test_an_officer_blocks_a_person_who_is_signed_out_everywhere(app, client_as, make_user, published):
    officer_client, officer = client_as("officer")
    target = make_user(display_name="Grace Hopper")
    their_client = app.test_client()
    sign_in_client(their_client, target)
    assert their_client.get("/account").status_code == 200
    old_token = target.session_token

    response = block(officer_client, target)

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/users/{target.id}")
    db.session.refresh(target)
    assert target.blocked_at is not None
    assert target.session_token != old_token
    assert target.public_name == "Blocked participant"
    their_page = their_client.get("/account")
    assert their_page.status_code == 302 and "/sign-in" in their_page.headers["Location"]
    [b] = db.session.scalars(select(Block).where(Block.user_id == target.id)).all()
    assert (b.blocked_by_id, b.justification, b.lifted_at) == (officer.id, JUSTIFICATION, None)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.block")).one()
    assert (entry.actor_id, entry.object_type, entry.object_id) == (officer.id, "user", target.id)
    assert entry.before == {"blocked": False} and entry.after["blocked"] is True
    assert entry.reason == JUSTIFICATION
    assert ("moderation.user_blocked", target) in [(n, s) for n, s in published]


def test_a_short_justification_is_refused_beside_the_field_and_kept(client_as, make_user):
    officer_client, _officer = client_as("officer")
    target = make_user()

    response = block(officer_client, target, "Rude.")

    assert response.status_code == 200
    assert "at least 15 characters" in field_error(response, "justification")
    assert "Rude." in response.get_data(as_text=True)
    db.session.refresh(target)
    assert target.blocked_at is None
    assert db.session.scalar(select(Block).where(Block.user_id == target.id)) is None


def test_the_blocked_person_cannot_sign_in_and_is_told_how_to_appeal(client, client_as, make_user):
    officer_client, _officer = client_as("officer")
    target = make_user()
    block(officer_client, target)

    response = client.post("/sign-in", data={"email": target.email, "password": PASSWORD})

    assert response.status_code == 200
    text = main_text(response)
    assert "blocked by a council officer" in text
    assert '<a href="/moderation/appeal-block">Appeal this decision</a>' in response.text
    assert client.get("/account").status_code == 302


def test_the_blocked_persons_profile_shows_blocked_participant(client, client_as, make_user):
    officer_client, _officer = client_as("officer")
    target = make_user(display_name="Grace Hopper")
    block(officer_client, target)

    response = client.get(f"/u/{target.nickname}")

    assert response.status_code == 200
    assert "Grace Hopper" not in response.get_data(as_text=True)
    assert "Blocked participant" in main_text(response)


@pytest.mark.parametrize("who", ["self", "admin"])
def test_officers_cannot_block_themselves_or_an_admin(client_as, make_user, who):
    officer_client, officer = client_as("officer")
    target = officer if who == "self" else make_user("admin")

    response = block(officer_client, target)

    assert response.status_code == 403
    db.session.refresh(target)
    assert target.blocked_at is None


@pytest.mark.parametrize("actor", ["officer", "admin"])
def test_nobody_blocks_an_officer(client_as, make_user, actor):
    from civic.errors import PermissionDenied
    from civic.moderation import blocking

    c, me = client_as(actor)
    target = make_user("officer")

    response = block(c, target)

    assert response.status_code == 403
    assert "Council officers cannot be blocked" in main_text(response)
    with pytest.raises(PermissionDenied, match="An administrator can remove their officer role first"):
        blocking.block_user(me, target, JUSTIFICATION)
    db.session.refresh(target)
    assert target.blocked_at is None
    assert db.session.scalar(select(Block).where(Block.user_id == target.id)) is None


def test_the_admin_page_offers_the_block_form_to_officers(client_as, make_user):
    officer_client, _officer = client_as("officer")
    target = make_user()

    page = officer_client.get(f"/admin/users/{target.id}").get_data(as_text=True)

    assert f'action="/moderation/users/{target.id}/block"' in page
    block(officer_client, target)
    page = officer_client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    assert f'action="/moderation/users/{target.id}/unblock"' in page
    assert f'action="/moderation/users/{target.id}/block"' not in page


def test_an_officer_lifts_the_block_with_a_note_and_everything_is_restored(client, client_as, make_user,
                                                                          published):
    officer_client, officer = client_as("officer")
    target = make_user(display_name="Grace Hopper")
    block(officer_client, target)

    refused = officer_client.post(f"/moderation/users/{target.id}/unblock", data={"note": ""})
    assert refused.status_code == 200
    assert field_error(refused, "note")
    db.session.refresh(target)
    assert target.blocked_at is not None

    response = officer_client.post(f"/moderation/users/{target.id}/unblock", data={"note": "Apologised in writing."})

    assert response.status_code == 302
    db.session.refresh(target)
    assert target.blocked_at is None and target.public_name == "Grace Hopper"
    b = db.session.scalars(select(Block).where(Block.user_id == target.id)).one()
    assert b.lifted_at is not None and b.lifted_by_id == officer.id
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.unblock")).one()
    assert entry.actor_id == officer.id and entry.reason == "Apologised in writing."
    assert entry.before == {"blocked": True} and entry.after["blocked"] is False
    assert ("moderation.user_unblocked", target) in [(n, s) for n, s in published]
    signed_in = client.post("/sign-in", data={"email": target.email, "password": PASSWORD})
    assert signed_in.status_code == 302


@pytest.mark.parametrize("role", ["resident", "verified", "organiser", "instructor"])
def test_residents_cannot_block_or_unblock(client_as, make_user, role):
    c, _user = client_as(role)
    target = make_user()

    assert block(c, target).status_code == 403
    assert c.get(f"/moderation/users/{target.id}/block").status_code == 403
    assert c.post(f"/moderation/users/{target.id}/unblock", data={"note": "x"}).status_code == 403
    assert db.session.get(User, target.id).blocked_at is None


@pytest.mark.parametrize("path", ["/admin/users/{}/roles/grant", "/admin/users/{}/roles/remove",
                                  "/moderation/users/{}/block", "/moderation/users/{}/unblock", "/verify/revoke/{}"])
def test_routes_about_an_account_refuse_others_alike_whatever_the_id(client_as, make_user, path):
    """Officers' and administrators' routes about an account refuse others before looking it up: the status
    never tells whether an account with that id exists (was 404 for a missing id, 403 for an existing one)."""
    someone = make_user()
    c, _ = client_as("resident")
    assert c.post(path.format(someone.id), data={}).status_code == 403
    assert c.post(path.format(someone.id + 1000), data={}).status_code == 403
