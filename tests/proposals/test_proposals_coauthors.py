"""Co-authors: people invited by nickname accept on the proposal page; groups the author belongs to are named."""

from __future__ import annotations

from sqlalchemy import select

from civic.db import db
from civic.groups.models import Group, Membership
from proposals.models import Coauthor


def coauthors(proposal) -> list[tuple[str, str]]:
    db.session.expire_all()
    rows = db.session.scalars(select(Coauthor).where(Coauthor.proposal_id == proposal.id).order_by(Coauthor.id))
    return [(r.user.nickname if r.user else r.group.name, r.status) for r in rows]


def test_an_invited_person_accepts_and_is_shown(client_as, app, make_user, make_process, make_proposal,
                                                published_events):
    process = make_process()
    c, author = client_as("resident")
    proposal = make_proposal(process, author, title="A community garden on Lisson Grove")
    friend = make_user("resident", nickname="green_fingers", display_name="Green Fingers")

    response = c.post(f"/proposals/{proposal.id}/coauthors", data={"nickname": "@Green_Fingers"},
                      follow_redirects=True)
    assert "@green_fingers is invited." in response.text
    assert coauthors(proposal) == [("green_fingers", "invited")]
    assert [(name, data["user_id"]) for name, _, data in published_events] == [
        ("proposal.coauthor_invited", friend.id)]
    # Not named yet on the public page.
    anonymous = app.test_client().get(f"/proposals/{proposal.id}")
    assert "Green Fingers" not in anonymous.text

    fc, _ = client_as("resident", nickname="unused_name")  # someone else cannot accept it
    assert "no invitation" in fc.post(f"/proposals/{proposal.id}/coauthors/accept", follow_redirects=True).text

    friend_client = app.test_client()
    with friend_client.session_transaction() as sess:
        sess["_user_id"] = friend.get_id()
    page = friend_client.get(f"/proposals/{proposal.id}")
    assert "You are invited to co-author this proposal" in page.text
    response = friend_client.post(f"/proposals/{proposal.id}/coauthors/accept", follow_redirects=True)
    assert "You are now a co-author of this proposal." in response.text
    assert coauthors(proposal) == [("green_fingers", "accepted")]
    public = app.test_client().get(f"/proposals/{proposal.id}")
    proposed_by = public.text.split("<dt>Proposed by</dt>")[1].split("</dd>")[0]
    assert "Green Fingers" in proposed_by and author.display_name in proposed_by


def test_an_invitation_can_be_declined(client_as, app, make_user, make_process, make_proposal):
    process = make_process()
    author = make_user("resident")
    proposal = make_proposal(process, author)
    c, friend = client_as("resident")
    db.session.add(Coauthor(proposal_id=proposal.id, user_id=friend.id))
    db.session.commit()
    response = c.post(f"/proposals/{proposal.id}/coauthors/decline", follow_redirects=True)
    assert "You are no longer invited" in response.text
    assert coauthors(proposal) == []


def test_unknown_nicknames_and_duplicates_are_refused_beside_the_field(client_as, make_user, make_process,
                                                                       make_proposal):
    process = make_process()
    c, author = client_as("resident")
    proposal = make_proposal(process, author)
    response = c.post(f"/proposals/{proposal.id}/coauthors", data={"nickname": "nobody_here"})
    assert response.status_code == 200
    assert "No one has the nickname @nobody_here." in response.text
    assert 'value="nobody_here"' in response.text
    response = c.post(f"/proposals/{proposal.id}/coauthors", data={"nickname": author.nickname})
    assert "You are already the author of this proposal." in response.text
    friend = make_user("resident")
    c.post(f"/proposals/{proposal.id}/coauthors", data={"nickname": friend.nickname})
    response = c.post(f"/proposals/{proposal.id}/coauthors", data={"nickname": friend.nickname})
    assert f"@{friend.nickname} is already invited." in response.text
    assert coauthors(proposal) == [(friend.nickname, "invited")]


def test_only_the_author_invites_or_removes(client_as, make_user, make_process, make_proposal):
    process = make_process()
    author = make_user("resident")
    proposal = make_proposal(process, author)
    friend = make_user("resident")
    db.session.add(Coauthor(proposal_id=proposal.id, user_id=friend.id, status="accepted"))
    db.session.commit()
    c, _ = client_as("resident")
    assert c.post(f"/proposals/{proposal.id}/coauthors", data={"nickname": friend.nickname}).status_code == 403
    row_id = db.session.scalar(select(Coauthor.id).where(Coauthor.proposal_id == proposal.id))
    assert c.post(f"/proposals/{proposal.id}/coauthors/{row_id}/remove").status_code == 403
    assert coauthors(proposal) == [(friend.nickname, "accepted")]


def test_the_author_removes_a_coauthor(client_as, make_user, make_process, make_proposal):
    process = make_process()
    c, author = client_as("resident")
    proposal = make_proposal(process, author)
    friend = make_user("resident")
    db.session.add(Coauthor(proposal_id=proposal.id, user_id=friend.id, status="accepted"))
    db.session.commit()
    row_id = db.session.scalar(select(Coauthor.id).where(Coauthor.proposal_id == proposal.id))
    response = c.post(f"/proposals/{proposal.id}/coauthors/{row_id}/remove", follow_redirects=True)
    assert f"@{friend.nickname} is no longer a co-author." in response.text
    assert coauthors(proposal) == []


def test_the_author_names_a_group_they_belong_to(client_as, make_user, make_process, make_proposal):
    process = make_process()
    c, organiser = client_as("organiser")  # an organiser of "Group n"
    [own] = db.session.scalars(select(Group).join(Membership).where(Membership.user_id == organiser.id)).all()
    stranger_group = Group(slug="not-mine", name="Not my group", members_count=0)
    db.session.add(stranger_group)
    db.session.commit()
    proposal = make_proposal(process, organiser)
    page = c.get(f"/proposals/{proposal.id}")
    assert "Name one of your groups" in page.text and own.name in page.text
    assert "Not my group" not in page.text

    response = c.post(f"/proposals/{proposal.id}/coauthors/group", data={"group": str(stranger_group.id)})
    assert "You can only name a group you are a member of." in response.text
    response = c.post(f"/proposals/{proposal.id}/coauthors/group", data={"group": str(own.id)},
                      follow_redirects=True)
    assert f"{own.name} is named as a co-author." in response.text
    assert coauthors(proposal) == [(own.name, "accepted")]
    proposed_by = response.text.split("<dt>Proposed by</dt>")[1].split("</dd>")[0]
    assert own.name in proposed_by
    response = c.post(f"/proposals/{proposal.id}/coauthors/group", data={"group": str(own.id)})
    assert "is already a co-author" in response.text


def test_an_invited_coauthor_sees_the_draft_but_others_do_not(client_as, make_user, make_process, make_proposal):
    process = make_process()
    author = make_user("resident")
    draft = make_proposal(process, author, state="draft", title="A private draft to work on")
    c, friend = client_as("resident")
    assert c.get(f"/proposals/{draft.id}").status_code == 404
    db.session.add(Coauthor(proposal_id=draft.id, user_id=friend.id))
    db.session.commit()
    page = c.get(f"/proposals/{draft.id}")
    assert page.status_code == 200 and "A private draft to work on" in page.text
    assert "You are invited to co-author this proposal" in page.text
