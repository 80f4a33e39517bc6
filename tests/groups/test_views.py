"""Community group pages, as people use them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from civic.db import db
from civic.groups import services
from civic.groups.models import Group, Membership
from civic.spaces.models import Ward
from tests.groups.helpers import audit_entries, members_count, membership, status


def field_error(page: str, field_id: str) -> str:
    found = re.search(rf'<p class="error-message" id="{field_id}-error">(.*?)</p>', page, re.S)
    return found.group(1) if found else ""


# Creating ---------------------------------------------------------------------------------------------------


def test_create_a_group(client_as):
    client, user = client_as("resident")
    page = client.get("/groups/new").get_data(as_text=True)
    assert "<h1>Create a community group</h1>" in page and 'name="website"' in page
    assert page.count("<option") == 19  # "No particular ward" and the 18 wards
    ward = db.session.scalar(select(Ward).where(Ward.name == "Maida Vale"))
    response = client.post("/groups/new", data={
        "name": "Maida Vale Tree Wardens", "description": "We **water** street trees.", "ward": str(ward.id),
        "website": "https://trees.example.org"})
    assert response.status_code == 302 and response.location.endswith("/groups/maida-vale-tree-wardens")
    page = client.get(response.location).get_data(as_text=True)
    assert "Your group “Maida Vale Tree Wardens” is created" in page
    assert "<strong>water</strong>" in page and "Maida Vale" in page
    assert "You are an organiser of this group" in page and "Manage this group" in page
    group = db.session.scalar(select(Group).where(Group.slug == "maida-vale-tree-wardens"))
    assert status(group, user) == ("active", "organiser") and members_count(group) == 1


def test_bad_input_keeps_what_was_typed(client_as):
    client, _user = client_as("resident")
    response = client.post("/groups/new", data={"name": "", "description": "Our plans", "ward": "",
                                                "website": "javascript:alert(1)"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page and "Error: Create a community group" in page
    assert "Enter the group" in field_error(page, "name")
    assert "Our plans</textarea>" in page
    assert db.session.scalar(select(Group).where(Group.description == "Our plans")) is None


def test_unsafe_website_is_refused_beside_the_field(client_as):
    client, _user = client_as("resident")
    page = client.post("/groups/new", data={"name": "Good name", "description": "Fine",
                                            "website": "javascript:alert(1)"}).get_data(as_text=True)
    assert "http:// or https://" in field_error(page, "website")
    assert 'value="Good name"' in page and 'value="javascript:alert(1)"' in page


def test_duplicate_name_is_explained_beside_the_name(client_as, make_group):
    make_group(name="Soho Litter Pickers")
    client, _user = client_as("resident")
    page = client.post("/groups/new", data={"name": "soho litter pickers", "description": "Us too"}) \
        .get_data(as_text=True)
    assert "already exists" in field_error(page, "name")
    assert 'value="soho litter pickers"' in page and "Us too</textarea>" in page
    assert db.session.scalar(select(Group).where(Group.description == "Us too")) is None


def test_creating_needs_a_confirmed_account(client_as, client):
    unconfirmed, _user = client_as("resident", confirmed=False)
    assert unconfirmed.get("/groups/new").status_code == 403
    assert unconfirmed.post("/groups/new", data={"name": "X group", "description": "x"}).status_code == 403
    response = client.post("/groups/new", data={"name": "X group", "description": "x"})
    assert response.status_code == 302 and "/sign-in" in response.location
    assert db.session.scalar(select(Group).where(Group.name == "X group")) is None


def test_organiser_edits_the_group(client_as, make_group):
    client, organiser = client_as("verified")
    group = make_group(organiser, name="Old name")
    page = client.get(f"/groups/{group.slug}/edit").get_data(as_text=True)
    assert 'value="Old name"' in page and "We meet.</textarea>" in page
    response = client.post(f"/groups/{group.slug}/edit", data={"name": "New name", "description": "We *meet*.",
                                                               "ward": "", "website": ""})
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "<h1>New name</h1>" in page and "<em>meet</em>" in page
    assert response.location.endswith(f"/groups/{group.slug}")  # the address stays


def test_others_cannot_edit(client_as, make_group):
    group = make_group(name="Keep me")
    client, _other = client_as("organiser")  # organiser of another group
    assert client.get(f"/groups/{group.slug}/edit").status_code == 403
    assert client.post(f"/groups/{group.slug}/edit", data={"name": "Taken", "description": "x"}).status_code == 403
    assert db.session.scalar(select(Group.name).where(Group.id == group.id)) == "Keep me"


# The group page ---------------------------------------------------------------------------------------------


def test_group_page_shows_what_a_visitor_needs(client, make_user, make_group):
    organiser = make_user("verified", display_name="Olu Organiser")
    group = make_group(organiser, name="Westbourne Air Watch", ward="Westbourne", website="https://air.example.org",
                       description="We measure air.\n\n<script>alert(1)</script>\n\n[More](javascript:alert(2))")
    member = make_user("resident", display_name="Mo Member")
    services.request_to_join(member, group)
    services.accept_request(organiser, membership(group, member))
    services.set_verified(make_user("officer"), group, True, "Known to the ward team")
    page = client.get(f"/groups/{group.slug}").get_data(as_text=True)
    assert "<h1>Westbourne Air Watch</h1>" in page and "Verified by the council" in page
    assert "We measure air." in page and "<script>alert" not in page and 'href="javascript' not in page
    assert '<a href="https://air.example.org" rel="nofollow noopener">' in page
    assert "Westbourne" in page
    rows = re.findall(r"<tr>\s*<td>(.*?)</tr>", page, re.S)
    assert "Olu Organiser" in rows[0] and "Organiser" in rows[0]
    assert "Mo Member" in rows[1] and "Organiser" not in rows[1]
    assert "Sign in to ask to join" in page and "Manage this group" not in page


def test_group_page_for_member_organiser_and_officer(client_as, make_user, make_group):
    organiser = make_user("verified")
    group = make_group(organiser)
    visitor, _v = client_as("resident")
    page = visitor.get(f"/groups/{group.slug}").get_data(as_text=True)
    assert "Ask to join" in page and "Manage this group" not in page and "Council verification" not in page
    manager, _m = client_as("verified")
    services.invite(organiser, group, _m.nickname)
    services.accept_invitation(_m, membership(group, _m))
    services.promote(organiser, membership(group, _m))
    page = manager.get(f"/groups/{group.slug}").get_data(as_text=True)
    assert "Manage this group" in page and "Send invitation" in page and "Leave the group" in page
    officer, _o = client_as("officer")
    page = officer.get(f"/groups/{group.slug}").get_data(as_text=True)
    assert "Council verification" in page and "Verify this group" in page and "Manage this group" not in page


def test_unknown_group_or_action_is_404(client_as, make_group):
    client, organiser = client_as("verified")
    group = make_group(organiser)
    assert client.get("/groups/no-such-group").status_code == 404
    assert client.post("/groups/no-such-group/join").status_code == 404
    mine = db.session.scalar(select(Membership.id).where(Membership.group_id == group.id))
    assert client.post(f"/groups/{group.slug}/members/{mine}/explode").status_code == 404
    assert client.post(f"/groups/{group.slug}/invitation/explode").status_code == 404


# Joining, leaving, answering --------------------------------------------------------------------------------


def test_ask_to_join_withdraw_and_ask_again(client_as, make_group):
    group = make_group()
    client, user = client_as("resident")
    page = client.post(f"/groups/{group.slug}/join", follow_redirects=True).get_data(as_text=True)
    assert "Your request to join is sent" in page and "You have asked to join" in page
    assert status(group, user) == ("requested", "member")
    page = client.get("/groups/mine").get_data(as_text=True)
    assert "My requests to join" in page and group.name in page
    page = client.post(f"/groups/{group.slug}/withdraw", data={"from": "mine"}, follow_redirects=True) \
        .get_data(as_text=True)
    assert "Your request to join is withdrawn" in page and "You have no request waiting" in page
    assert status(group, user) is None


def test_organiser_accepts_and_refuses_requests(client_as, make_user, make_group):
    client, organiser = client_as("verified")
    group = make_group(organiser)
    yes, no = make_user("resident", display_name="Yasmin Yes"), make_user("resident", display_name="Nat No")
    services.request_to_join(yes, group)
    services.request_to_join(no, group)
    page = client.get(f"/groups/{group.slug}").get_data(as_text=True)
    assert "2 people have asked to join" in page and "Yasmin Yes" in page and "Nat No" in page
    page = client.post(f"/groups/{group.slug}/members/{membership(group, yes).id}/accept",
                       follow_redirects=True).get_data(as_text=True)
    assert "Yasmin Yes is now a member." in page
    page = client.post(f"/groups/{group.slug}/members/{membership(group, no).id}/refuse",
                       follow_redirects=True).get_data(as_text=True)
    assert "The request from Nat No is refused." in page and "No one is waiting for an answer" in page
    assert status(group, yes) == ("active", "member") and status(group, no) is None
    assert members_count(group) == 2


def test_invite_by_nickname_and_the_invitee_accepts(client_as, make_user, make_group):
    client, organiser = client_as("verified")
    group = make_group(organiser, name="Pimlico Bees")
    page = client.post(f"/groups/{group.slug}/invite", data={"nickname": "no_such_person"}).get_data(as_text=True)
    assert "No one has the nickname @no_such_person" in field_error(page, "nickname")
    assert 'value="no_such_person"' in page and "There is a problem" in page
    guest_client, guest = client_as("resident", nickname="bee_keeper")
    page = client.post(f"/groups/{group.slug}/invite", data={"nickname": "@bee_keeper"}, follow_redirects=True) \
        .get_data(as_text=True)
    assert "@bee_keeper is invited" in page and "1 invitation waiting" in page
    page = guest_client.get("/groups/mine").get_data(as_text=True)
    assert "1 group has invited you" in page and "Pimlico Bees" in page
    response = guest_client.post(f"/groups/{group.slug}/invitation/accept", data={"from": "mine"})
    assert response.status_code == 302 and response.location.endswith("/groups/mine")
    page = guest_client.get("/groups/mine").get_data(as_text=True)
    assert "Welcome to Pimlico Bees" in page and "No invitation is waiting for you" in page
    row = re.search(r"<td><a href=\"/groups/pimlico-bees\">Pimlico Bees</a></td>\s*<td>(\w+)</td>", page)
    assert row and row.group(1) == "Member"
    assert members_count(group) == 2


def test_invitee_declines(client_as, make_user, make_group):
    organiser = make_user("verified")
    group = make_group(organiser)
    guest_client, guest = client_as("resident")
    services.invite(organiser, group, guest.nickname)
    page = guest_client.get(f"/groups/{group.slug}").get_data(as_text=True)
    assert "You are invited to join this group" in page
    page = guest_client.post(f"/groups/{group.slug}/invitation/decline", follow_redirects=True) \
        .get_data(as_text=True)
    assert "You declined the invitation" in page and "Ask to join" in page
    assert status(group, guest) is None and members_count(group) == 1


def test_promote_demote_remove_and_the_last_organiser(client_as, make_user, make_group):
    client, organiser = client_as("verified")
    group = make_group(organiser)
    member = make_user("resident", display_name="Pat Member")
    services.request_to_join(member, group)
    services.accept_request(organiser, membership(group, member))
    mine = membership(group, organiser).id

    page = client.post(f"/groups/{group.slug}/members/{mine}/demote", follow_redirects=True).get_data(as_text=True)
    assert "must always have at least one organiser" in page
    page = client.post(f"/groups/{group.slug}/leave", data={"confirm": "yes"},
                       follow_redirects=True).get_data(as_text=True)
    assert "only organiser, so you cannot leave" in page
    assert status(group, organiser) == ("active", "organiser")

    theirs = membership(group, member).id
    page = client.post(f"/groups/{group.slug}/members/{theirs}/promote", follow_redirects=True).get_data(as_text=True)
    assert "Pat Member is now an organiser." in page
    page = client.post(f"/groups/{group.slug}/members/{theirs}/demote", follow_redirects=True).get_data(as_text=True)
    assert "Pat Member is no longer an organiser." in page
    page = client.post(f"/groups/{group.slug}/members/{theirs}/remove").get_data(as_text=True)
    assert "Remove Pat Member from" in page and status(group, member) == ("active", "member")  # asked first
    page = client.post(f"/groups/{group.slug}/members/{theirs}/remove", data={"confirm": "yes"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Pat Member is removed from the group." in page
    assert status(group, member) is None and members_count(group) == 1


def test_member_leaves(client_as, make_group):
    group = make_group()
    client, user = client_as("resident")
    client.post(f"/groups/{group.slug}/join")
    services.accept_request(make_group_organiser(group), membership(group, user))
    assert members_count(group) == 2
    page = client.post(f"/groups/{group.slug}/leave").get_data(as_text=True)
    assert f"Leave {group.name}?" in page and f"Yes, leave {group.name}" in page
    assert members_count(group) == 2  # nothing yet: the page asks first
    page = client.post(f"/groups/{group.slug}/leave", data={"confirm": "yes"},
                       follow_redirects=True).get_data(as_text=True)
    assert f"You have left {group.name}" in page and "Ask to join" in page
    assert members_count(group) == 1


def make_group_organiser(group):
    return db.session.scalar(select(Membership).where(Membership.group_id == group.id,
                                                      Membership.role == "organiser")).user


# Nobody acts on another group's people (IDOR) ---------------------------------------------------------------


@pytest.mark.parametrize("action", ["accept", "refuse", "promote", "demote", "remove"])
def test_other_groups_organiser_gets_403(client_as, make_user, make_group, action):
    target_group = make_group()
    asker = make_user("resident")
    services.request_to_join(asker, target_group)
    if action in ("promote", "demote", "remove"):
        services.accept_request(make_group_organiser(target_group), membership(target_group, asker))
        if action == "demote":
            services.promote(make_group_organiser(target_group), membership(target_group, asker))
    before = status(target_group, asker)
    count = members_count(target_group)
    intruder, _i = client_as("organiser")
    db.session.commit()  # the refused request rolls back its own work only
    response = intruder.post(f"/groups/{target_group.slug}/members/{membership(target_group, asker).id}/{action}")
    assert response.status_code == 403
    assert "Only the group" in response.get_data(as_text=True)
    assert status(target_group, asker) == before and members_count(target_group) == count


def test_a_membership_of_another_group_is_not_found_through_my_group(client_as, make_user, make_group):
    client, organiser = client_as("verified")
    mine = make_group(organiser)
    theirs = make_group()
    asker = make_user("resident")
    services.request_to_join(asker, theirs)
    db.session.commit()  # the refused request rolls back its own work only
    response = client.post(f"/groups/{mine.slug}/members/{membership(theirs, asker).id}/accept")
    assert response.status_code == 404
    assert status(theirs, asker) == ("requested", "member")


def test_members_cannot_manage_and_strangers_cannot_invite(client_as, make_user, make_group):
    group = make_group()
    client, member = client_as("resident")
    services.invite(make_group_organiser(group), group, member.nickname)
    services.accept_invitation(member, membership(group, member))
    organiser_row = membership(group, make_group_organiser(group)).id
    db.session.commit()  # the refused requests roll back their own work only
    assert client.post(f"/groups/{group.slug}/members/{organiser_row}/remove").status_code == 403
    assert client.post(f"/groups/{group.slug}/invite", data={"nickname": member.nickname}).status_code == 403
    assert client.post(f"/groups/{group.slug}/verify", data={"verified": "yes", "reason": "x"}).status_code == 403
    assert members_count(group) == 2


def test_every_post_needs_sign_in(client, make_user, make_group):
    group = make_group()
    asker = make_user("resident")
    services.request_to_join(asker, group)
    mid = membership(group, asker).id
    for path in ("join", "withdraw", "leave", "invite", "verify", "edit", "invitation/accept",
                 "invitation/decline", f"members/{mid}/accept", f"members/{mid}/remove"):
        response = client.post(f"/groups/{group.slug}/{path}")
        assert response.status_code == 302 and "/sign-in" in response.location, path
    assert client.post("/groups/new").status_code == 302
    assert status(group, asker) == ("requested", "member")


def test_posts_without_the_csrf_token_are_refused(app, client_as, make_group, monkeypatch):
    group = make_group()
    client, user = client_as("resident")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post(f"/groups/{group.slug}/join")
    assert response.status_code == 400 and "Your form expired" in response.get_data(as_text=True)
    assert status(group, user) is None


# Verification -----------------------------------------------------------------------------------------------


def test_officer_verifies_through_the_page(client_as, make_group):
    group = make_group()
    client, officer = client_as("officer")
    page = client.post(f"/groups/{group.slug}/verify", data={"verified": "yes", "reason": ""}).get_data(as_text=True)
    assert "Say why, for the audit log." in field_error(page, "reason")
    page = client.post(f"/groups/{group.slug}/verify", data={"verified": "yes", "reason": "Checked at the forum"},
                       follow_redirects=True).get_data(as_text=True)
    assert "now shows the “Verified by the council” badge" in page and "Remove the badge" in page
    page = client.post(f"/groups/{group.slug}/verify", data={"verified": "yes", "reason": "again"},
                       follow_redirects=False).get_data(as_text=True)
    assert "already verified" in page
    client.post(f"/groups/{group.slug}/verify", data={"verified": "no", "reason": "Stopped meeting"})
    entries = audit_entries(group)
    assert [(e.action, e.actor_id, e.reason) for e in entries] == [
        ("group.verify", officer.id, "Checked at the forum"), ("group.unverify", officer.id, "Stopped meeting")]
    assert entries[0].before["verified"] is False and entries[0].after["verified"] is True


# Lists ------------------------------------------------------------------------------------------------------


def test_index_search_and_filters(client, make_user, make_group):
    make_group(name="Church Street Damp Watch", ward="Church Street")
    verified = make_group(name="Soho Noise Counters", ward="West End")
    make_group(name="Harrow Road 100% Readers", ward="Harrow Road")
    services.set_verified(make_user("officer"), verified, True, "known")
    west_end = db.session.scalar(select(Ward.id).where(Ward.name == "West End"))

    page = client.get("/groups/").get_data(as_text=True)
    assert all(n in page for n in ("Church Street Damp Watch", "Soho Noise Counters", "Harrow Road 100% Readers"))

    page = client.get("/groups/?q=damp").get_data(as_text=True)
    assert "Church Street Damp Watch" in page and "Soho Noise Counters" not in page
    assert "1 group matches your search" in page and 'value="damp"' in page

    page = client.get("/groups/?q=100%25").get_data(as_text=True)  # % is a character, not a wildcard
    assert "Harrow Road 100% Readers" in page and "Soho" not in page

    page = client.get(f"/groups/?ward={west_end}").get_data(as_text=True)
    assert "Soho Noise Counters" in page and "Church Street Damp Watch" not in page

    page = client.get("/groups/?verified=y").get_data(as_text=True)
    assert "Soho Noise Counters" in page and "Harrow Road 100% Readers" not in page
    assert "Verified by the council" in page

    page = client.get("/groups/?q=nothing+like+this").get_data(as_text=True)
    assert "No group matches your search" in page


def test_index_is_paginated(client, make_people, make_group):
    founder = make_people(1)[0]
    for n in range(25):
        make_group(founder, name=f"Paged group {n:02d}")
    page = client.get("/groups/?q=paged").get_data(as_text=True)
    assert "Paged group 00" in page and "Paged group 19" in page and "Paged group 20" not in page
    assert "Page 1 of 2" in page and "page=2" in page and "q=paged" in page
    page = client.get("/groups/?q=paged&page=2").get_data(as_text=True)
    assert "Paged group 20" in page and "Paged group 24" in page and "Paged group 19" not in page


@pytest.mark.parametrize("role", ["anonymous", "resident"])
def test_index_queries_do_not_grow(client_as, make_user, make_group, count_queries, role):
    client, _user = client_as(role)
    officer, organiser = make_user("officer"), make_user("verified")
    for _ in range(3):
        services.set_verified(officer, make_group(organiser, ward="Pimlico North"), True, "ok")
    db.session.commit()
    with count_queries() as few:
        assert client.get("/groups/").status_code == 200
    for _ in range(27):
        services.set_verified(officer, make_group(organiser, ward="Pimlico South"), True, "ok")
    db.session.commit()
    with count_queries() as many:
        page = client.get("/groups/").get_data(as_text=True)
    assert "Pimlico South" in page
    assert many.count == few.count


def test_group_page_and_my_groups_queries_do_not_grow(client_as, make_people, make_group, count_queries):
    client, organiser = client_as("verified")
    group = make_group(organiser)
    invitee, asker = make_people(2)
    services.invite(organiser, group, invitee.nickname)
    services.request_to_join(asker, group)
    db.session.commit()
    with count_queries() as few_show:
        client.get(f"/groups/{group.slug}")
    with count_queries() as few_mine:
        client.get("/groups/mine")
    for joiner, invitee, asker in zip(*[iter(make_people(30))] * 3, strict=True):
        services.request_to_join(joiner, group)
        services.accept_request(organiser, membership(group, joiner))
        services.invite(organiser, group, invitee.nickname)
        services.request_to_join(asker, group)
        make_group(organiser)
    db.session.commit()
    with count_queries() as many_show:
        client.get(f"/groups/{group.slug}")
    with count_queries() as many_mine:
        client.get("/groups/mine")
    assert many_show.count == few_show.count
    assert many_mine.count == few_mine.count


def test_my_groups_needs_sign_in_and_shows_roles(client, client_as, make_user, make_group):
    response = client.get("/groups/mine")
    assert response.status_code == 302 and "/sign-in" in response.location
    me_client, me = client_as("verified")
    make_group(me, name="Alpha Organisers")
    other = make_group(name="Beta Members")
    services.request_to_join(me, other)
    services.accept_request(make_group_organiser(other), membership(other, me))
    page = me_client.get("/groups/mine").get_data(as_text=True)
    roles = dict(re.findall(r'<td><a href="/groups/[\w-]+">([\w ]+)</a></td>\s*<td>(\w+)</td>', page))
    assert roles == {"Alpha Organisers": "Organiser", "Beta Members": "Member"}


def test_organisers_see_waiting_join_requests_at_the_top(client_as, make_user, make_group):
    from civic.db import db
    from civic.groups import services

    client, organiser = client_as("verified")
    group = make_group(organiser)
    services.request_to_join(make_user("resident"), group)
    db.session.commit()
    html = client.get(f"/groups/{group.slug}").get_data(as_text=True)
    top = html.index("1 person has asked to join: answer them")
    assert top < html.index("About the group") and 'href="#requests"' in html and 'id="requests"' in html


def test_officers_list_the_groups_waiting_for_the_badge(client_as, make_user, make_group):
    from civic.db import db
    from civic.groups import services

    officer_client, officer = client_as("officer")
    plain = make_group(make_user("verified"), name="Unbadged walkers")
    badged = make_group(make_user("verified"), name="Badged gardeners")
    services.set_verified(officer, badged, True, "Known to the council")
    db.session.commit()
    html = officer_client.get("/groups/?unverified=y").get_data(as_text=True)
    assert plain.name in html and badged.name not in html
    resident_client, _ = client_as("resident")
    html = resident_client.get("/groups/?unverified=y").get_data(as_text=True)
    assert badged.name in html  # residents have no such filter: every group
    assert "Not yet verified by the council" not in html


def test_officers_archive_a_group_off_the_list_and_closed_to_new_members(client_as, make_user, make_group):
    from civic.audit import AuditEntry

    officer_client, officer = client_as("officer")
    group = make_group(make_user("verified"), name="Old allotment society")
    db.session.commit()
    response = officer_client.post(f"/groups/{group.slug}/archive",
                                   data={"archive-verified": "yes", "archive-reason": "Closed in 2025"},
                                   follow_redirects=True)
    assert "The group is archived" in response.get_data(as_text=True)
    resident_client, resident = client_as("resident")
    assert "Old allotment society" not in resident_client.get("/groups/").get_data(as_text=True)
    page = resident_client.get(f"/groups/{group.slug}").get_data(as_text=True)
    assert "Archived by the council on" in page
    page = resident_client.post(f"/groups/{group.slug}/join", follow_redirects=True).get_data(as_text=True)
    assert "archived by the council: it takes no new members" in page and status(group, resident) is None
    assert "Old allotment society" in officer_client.get("/groups/?archived=y").get_data(as_text=True)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "group.archive")).one()
    assert (entry.actor_id, entry.reason) == (officer.id, "Closed in 2025")
    officer_client.post(f"/groups/{group.slug}/archive", data={"archive-verified": "no", "archive-reason": "Back"})
    assert "Old allotment society" in resident_client.get("/groups/").get_data(as_text=True)


def test_only_officers_archive(client_as, make_user, make_group):
    organiser_client, organiser = client_as("verified")
    group = make_group(organiser)
    db.session.commit()
    response = organiser_client.post(f"/groups/{group.slug}/archive",
                                     data={"archive-verified": "yes", "archive-reason": "mine"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(type(group), group.id).archived_at is None


def test_an_organiser_finds_a_person_by_name_to_invite(client_as, make_user, make_group):
    client, organiser = client_as("verified")
    group = make_group(organiser)
    amira = make_user("resident", nickname="amira_k", display_name="Amira Khan")
    make_user("resident", nickname="bob_j", display_name="Bob Jones")
    db.session.commit()
    page = client.post(f"/groups/{group.slug}/invite", data={"nickname": "khan"}).get_data(as_text=True)
    assert "People whose name matches" in page and "Amira Khan" in page and "Bob Jones" not in page
    assert 'name="nickname" value="amira_k"' in page
    client.post(f"/groups/{group.slug}/invite", data={"nickname": "amira_k"})
    assert status(group, amira) == ("invited", "member")
