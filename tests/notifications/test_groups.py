"""Community groups tell people: an invitation, a join request, an accepted request and an accepted invitation
each reach the right person, in the centre and by mail (the kinds default to mail straight away)."""

from __future__ import annotations

from civic.db import db
from civic.groups import services
from tests.groups.helpers import membership
from tests.notifications.conftest import kinds_of, told


def test_an_invitation_tells_the_invitee_and_accepting_tells_the_organisers(make_user, make_group, smtp_server):
    organiser = make_user("verified")
    group = make_group(organiser, name="Lisson Green Gardeners")
    guest = make_user("resident", nickname="guest_one")
    services.invite(organiser, group, "guest_one")
    db.session.commit()
    (notice,) = told(guest)
    assert notice.kind == "group_invite"
    assert smtp_server.to(guest.email), "the invitation is mailed straight away"
    assert "invited you to join “Lisson Green Gardeners”" in smtp_server.to(guest.email)[-1]["Subject"]
    services.accept_invitation(guest, membership(group, guest))
    db.session.commit()
    assert kinds_of(organiser) == ["group_member_joined"]
    assert kinds_of(guest) == ["group_invite"]  # not told about their own acceptance


def test_a_join_request_tells_the_organisers_and_its_acceptance_the_person(make_user, make_group):
    organiser, co_organiser = make_user("verified"), make_user("verified")
    group = make_group(organiser)
    services.invite(organiser, group, co_organiser.nickname)
    services.accept_invitation(co_organiser, membership(group, co_organiser))
    services.promote(organiser, membership(group, co_organiser))
    asker, bystander = make_user("resident"), make_user("resident")
    services.request_to_join(asker, group)
    db.session.commit()
    assert "group_request" in kinds_of(organiser) and "group_request" in kinds_of(co_organiser)
    assert kinds_of(bystander) == [] and "group_request" not in kinds_of(asker)
    services.accept_request(organiser, membership(group, asker))
    db.session.commit()
    assert kinds_of(asker) == ["group_accepted"]


def test_a_refused_request_tells_nobody_it_was_accepted(make_user, make_group):
    organiser = make_user("verified")
    group = make_group(organiser)
    asker = make_user("resident")
    services.request_to_join(asker, group)
    services.refuse_request(organiser, membership(group, asker))
    db.session.commit()
    assert kinds_of(asker) == []
