"""The rules of community groups, through the services (the views call the same functions)."""

from __future__ import annotations

import pytest

from civic.errors import PermissionDenied, RuleViolation
from civic.groups import services
from tests.groups.helpers import active_members, audit_entries, members_count, membership, status


def test_creator_becomes_the_active_organiser(make_user, make_group):
    founder = make_user("resident")
    group = make_group(founder, name="Lisson Green Gardeners", ward="Church Street",
                       website="https://gardeners.example.org")
    assert group.slug == "lisson-green-gardeners"
    assert group.ward.name == "Church Street"
    assert status(group, founder) == ("active", "organiser")
    assert members_count(group) == 1 == active_members(group)
    assert services.is_organiser(founder, group) and services.is_organiser(founder)


def test_an_unconfirmed_account_cannot_create_a_group(make_user):
    with pytest.raises(PermissionDenied, match="confirm your email"):
        services.create_group(make_user("resident", confirmed=False), name="Nope", description="x")


def test_name_is_unique_whatever_the_case(make_group):
    make_group(name="Pimlico Readers")
    with pytest.raises(RuleViolation) as refused:
        make_group(name="  pimlico   READERS ")
    assert refused.value.field == "name" and "already exists" in refused.value.message


def test_slugs_stay_unique_and_avoid_the_pages_own_addresses(make_group):
    assert make_group(name="Mine").slug == "mine-2"
    assert make_group(name="New!").slug == "new-2"
    assert make_group(name="Café & Co").slug == "cafe-and-co"
    assert make_group(name="Cafe and Co.").slug == "cafe-and-co-2"


@pytest.mark.parametrize("website", ["javascript:alert(1)", "ftp://example.org", "example.org", "https://",
                                     "https://exa mple.org"])
def test_website_must_be_http_or_https(make_group, website):
    with pytest.raises(RuleViolation) as refused:
        make_group(website=website)
    assert refused.value.field == "website"


def test_organiser_is_derived_from_memberships(make_user, make_group):
    someone = make_user("verified")
    other = make_group()
    assert not services.is_organiser(someone)
    assert not services.is_organiser(someone, other)
    mine = make_group(someone)
    assert services.is_organiser(someone) and services.is_organiser(someone, mine)
    assert not services.is_organiser(someone, other)
    assert not services.is_organiser(None)


# Invitations ------------------------------------------------------------------------------------------------


def test_invite_then_accept(make_user, make_group):
    organiser = make_user("verified")
    group = make_group(organiser)
    guest = make_user("resident", nickname="guest_one")
    services.invite(organiser, group, "@Guest_One")
    assert status(group, guest) == ("invited", "member")
    assert membership(group, guest).invited_by_id == organiser.id
    assert members_count(group) == 1  # an invitation is not a member yet
    mine = services.my_groups(guest)
    assert [m.group.name for m in mine.invitations.items] == [group.name]

    services.accept_invitation(guest, membership(group, guest))
    assert status(group, guest) == ("active", "member")
    assert members_count(group) == 2 == active_members(group)
    with pytest.raises(RuleViolation, match="already been answered"):
        services.accept_invitation(guest, membership(group, guest))
    assert members_count(group) == 2


def test_invite_then_decline(make_user, make_group):
    organiser = make_user("verified")
    group = make_group(organiser)
    guest = make_user("resident")
    services.invite(organiser, group, guest.nickname)
    services.decline_invitation(guest, membership(group, guest))
    assert status(group, guest) is None
    assert members_count(group) == 1


def test_nobody_answers_someone_elses_invitation(make_user, make_group):
    organiser = make_user("verified")
    group = make_group(organiser)
    guest, intruder = make_user("resident"), make_user("resident")
    services.invite(organiser, group, guest.nickname)
    with pytest.raises(PermissionDenied):
        services.accept_invitation(intruder, membership(group, guest))
    with pytest.raises(PermissionDenied):
        services.decline_invitation(intruder, membership(group, guest))
    assert status(group, guest) == ("invited", "member")


def test_invitation_refusals_name_the_field(make_user, make_group):
    organiser = make_user("verified")
    group = make_group(organiser)
    with pytest.raises(RuleViolation, match="No one has the nickname @nobody_here") as refused:
        services.invite(organiser, group, "nobody_here")
    assert refused.value.field == "nickname"
    with pytest.raises(RuleViolation, match="already a member"):
        services.invite(organiser, group, organiser.nickname)
    guest = make_user("resident")
    services.invite(organiser, group, guest.nickname)
    with pytest.raises(RuleViolation, match="already been invited"):
        services.invite(organiser, group, guest.nickname)
    asker = make_user("resident")
    services.request_to_join(asker, group)
    with pytest.raises(RuleViolation, match="has asked to join"):
        services.invite(organiser, group, asker.nickname)


def test_only_organisers_of_that_group_invite(make_user, make_group):
    group = make_group()
    other_organiser = make_user("verified")
    make_group(other_organiser)
    member = make_user("resident")
    services.request_to_join(member, group)
    guest = make_user("resident")
    for outsider in (other_organiser, member, make_user("officer")):
        with pytest.raises(PermissionDenied, match="organisers"):
            services.invite(outsider, group, guest.nickname)
    services.invite(make_user("admin"), group, guest.nickname)  # admins may


def test_an_invited_person_asking_to_join_joins_at_once(make_user, make_group):
    organiser = make_user("verified")
    group = make_group(organiser)
    guest = make_user("resident")
    services.invite(organiser, group, guest.nickname)
    assert services.request_to_join(guest, group).status == "active"
    assert members_count(group) == 2


# Join requests ----------------------------------------------------------------------------------------------


def test_request_then_accept(make_user, make_group):
    organiser = make_user("verified")
    group = make_group(organiser)
    asker = make_user("resident")
    services.request_to_join(asker, group)
    assert status(group, asker) == ("requested", "member")
    assert members_count(group) == 1
    assert [m.group.name for m in services.my_groups(asker).requests.items] == [group.name]
    services.accept_request(organiser, membership(group, asker))
    assert status(group, asker) == ("active", "member")
    assert members_count(group) == 2 == active_members(group)
    with pytest.raises(RuleViolation, match="already been answered"):
        services.accept_request(organiser, membership(group, asker))
    assert members_count(group) == 2


def test_request_then_refuse(make_user, make_group):
    organiser = make_user("verified")
    group = make_group(organiser)
    asker = make_user("resident")
    services.request_to_join(asker, group)
    services.refuse_request(organiser, membership(group, asker))
    assert status(group, asker) is None
    assert members_count(group) == 1


def test_request_then_withdraw(make_user, make_group):
    group = make_group()
    asker = make_user("resident")
    services.request_to_join(asker, group)
    with pytest.raises(RuleViolation, match="already asked"):
        services.request_to_join(asker, group)
    services.withdraw_request(asker, group)
    assert status(group, asker) is None
    with pytest.raises(RuleViolation, match="no request"):
        services.withdraw_request(asker, group)


def test_an_unconfirmed_account_cannot_ask_to_join(make_user, make_group):
    group = make_group()
    with pytest.raises(PermissionDenied, match="confirm your email"):
        services.request_to_join(make_user("resident", confirmed=False), group)


def test_organiser_of_another_group_cannot_answer_requests(make_user, make_group):
    group = make_group()
    other_organiser = make_user("verified")
    make_group(other_organiser)
    asker = make_user("resident")
    services.request_to_join(asker, group)
    with pytest.raises(PermissionDenied):
        services.accept_request(other_organiser, membership(group, asker))
    with pytest.raises(PermissionDenied):
        services.refuse_request(asker, membership(group, asker))
    assert status(group, asker) == ("requested", "member")


# Organisers -------------------------------------------------------------------------------------------------


def _with_member(make_user, make_group):
    organiser = make_user("verified")
    group = make_group(organiser)
    member = make_user("resident")
    services.request_to_join(member, group)
    services.accept_request(organiser, membership(group, member))
    return organiser, group, member


def test_promote_and_demote(make_user, make_group):
    organiser, group, member = _with_member(make_user, make_group)
    services.promote(organiser, membership(group, member))
    assert status(group, member) == ("active", "organiser")
    assert services.is_organiser(member, group)
    with pytest.raises(RuleViolation, match="already an organiser"):
        services.promote(organiser, membership(group, member))
    # the new organiser may now manage, including demoting the founder
    services.demote(member, membership(group, organiser))
    assert status(group, organiser) == ("active", "member")
    assert not services.is_organiser(organiser, group)
    with pytest.raises(PermissionDenied):
        services.promote(organiser, membership(group, organiser))
    assert members_count(group) == 2


def test_the_last_organiser_stays(make_user, make_group):
    organiser, group, member = _with_member(make_user, make_group)
    with pytest.raises(RuleViolation, match="at least one organiser"):
        services.demote(organiser, membership(group, organiser))
    with pytest.raises(RuleViolation, match="at least one organiser"):
        services.remove(make_user("admin"), membership(group, organiser))
    with pytest.raises(RuleViolation, match="only organiser, so you cannot leave"):
        services.leave(organiser, group)
    assert status(group, organiser) == ("active", "organiser")
    assert members_count(group) == 2
    # with a second organiser the first may go
    services.promote(organiser, membership(group, member))
    services.leave(organiser, group)
    assert status(group, organiser) is None
    assert members_count(group) == 1 == active_members(group)


def test_remove_member_and_withdraw_invitation(make_user, make_group):
    organiser, group, member = _with_member(make_user, make_group)
    services.remove(organiser, membership(group, member))
    assert status(group, member) is None
    assert members_count(group) == 1
    guest = make_user("resident")
    services.invite(organiser, group, guest.nickname)
    services.remove(organiser, membership(group, guest))
    assert status(group, guest) is None
    assert members_count(group) == 1
    asker = make_user("resident")
    services.request_to_join(asker, group)
    with pytest.raises(RuleViolation, match="Accept"):
        services.remove(organiser, membership(group, asker))


def test_members_leave(make_user, make_group):
    _organiser, group, member = _with_member(make_user, make_group)
    assert members_count(group) == 2
    services.leave(member, group)
    assert status(group, member) is None
    assert members_count(group) == 1
    with pytest.raises(RuleViolation, match="not a member"):
        services.leave(member, group)
    assert members_count(group) == 1


def test_counter_follows_a_long_story(make_user, make_people, make_group):
    organiser = make_user("verified")
    group = make_group(organiser)
    people = make_people(6)
    for p in people[:3]:
        services.request_to_join(p, group)
        services.accept_request(organiser, membership(group, p))
    for p in people[3:]:
        services.invite(organiser, group, p.nickname)
    services.accept_invitation(people[3], membership(group, people[3]))
    services.decline_invitation(people[4], membership(group, people[4]))
    services.leave(people[0], group)
    services.remove(organiser, membership(group, people[1]))
    services.promote(organiser, membership(group, people[2]))
    assert members_count(group) == active_members(group) == 3


# The council's badge ----------------------------------------------------------------------------------------


def test_officer_verifies_and_unverifies_with_audit(make_user, make_group):
    group = make_group()
    officer = make_user("officer")
    services.set_verified(officer, group, True, "Met them at the ward forum.")
    assert group.is_verified and group.verified_by_id == officer.id
    services.set_verified(officer, group, False, "The group has stopped meeting.")
    assert not group.is_verified
    verify, unverify = audit_entries(group)
    assert (verify.action, verify.actor_id, verify.reason) == ("group.verify", officer.id,
                                                              "Met them at the ward forum.")
    assert verify.before["verified"] is False and verify.after["verified"] is True
    assert verify.object_label == group.name
    assert (unverify.action, unverify.reason) == ("group.unverify", "The group has stopped meeting.")
    assert unverify.before["verified"] is True and unverify.after["verified"] is False


def test_verification_needs_an_officer_and_a_reason(make_user, make_group):
    organiser = make_user("verified")
    group = make_group(organiser)
    with pytest.raises(PermissionDenied):
        services.set_verified(organiser, group, True, "We are great")
    with pytest.raises(RuleViolation) as refused:
        services.set_verified(make_user("officer"), group, True, "  ")
    assert refused.value.field == "reason"
    assert not group.is_verified and audit_entries(group) == []
