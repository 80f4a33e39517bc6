"""Endorsements: public, by a person or by a group through its organiser; one each; only in their phase."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from civic.db import db
from civic.errors import PermissionDenied, RuleViolation
from civic.groups.models import Group, Membership
from proposals import endorsements
from proposals.models import Endorsement, Proposal


def endorsements_count(proposal: Proposal) -> int:
    return db.session.scalar(select(Proposal.endorsements_count).where(Proposal.id == proposal.id))


def keys(proposal: Proposal) -> set[str]:
    return set(db.session.scalars(select(Endorsement.endorser_key).where(Endorsement.proposal_id == proposal.id)))


def group_of(organiser) -> Group:
    return db.session.scalars(select(Group).join(Membership, Membership.group_id == Group.id)
                              .where(Membership.user_id == organiser.id)).one()


@pytest.fixture
def proposal(make_process, make_proposal, make_user):
    return make_proposal(make_process(), make_user("resident"))


def test_a_person_endorses_once_and_withdraws(proposal, make_user):
    user = make_user("resident")
    assert endorsements.endorse(user, proposal) is True
    assert endorsements.endorse(user, proposal) is False
    assert endorsements_count(proposal) == 1 and proposal.endorsements_count == 1
    assert keys(proposal) == {f"u:{user.id}"}
    assert endorsements.unendorse(user, proposal) is True
    assert endorsements.unendorse(user, proposal) is False
    assert endorsements_count(proposal) == 0
    assert keys(proposal) == set()


def test_an_organiser_endorses_as_themself_and_as_their_group(proposal, make_user):
    organiser = make_user("organiser")
    group = group_of(organiser)
    endorsements.endorse(organiser, proposal)
    endorsements.endorse(organiser, proposal, group)
    assert endorsements.endorse(organiser, proposal, group) is False
    assert keys(proposal) == {f"u:{organiser.id}", f"g:{group.id}"}
    assert endorsements_count(proposal) == 2
    endorsements.unendorse(organiser, proposal, group)
    assert keys(proposal) == {f"u:{organiser.id}"}
    assert endorsements_count(proposal) == 1


def test_a_group_endorses_once_whichever_organiser_clicks(proposal, make_user):
    first = make_user("organiser")
    group = group_of(first)
    second = make_user("resident")
    db.session.add(Membership(group_id=group.id, user_id=second.id, role="organiser", status="active"))
    db.session.commit()
    assert endorsements.endorse(first, proposal, group) is True
    assert endorsements.endorse(second, proposal, group) is False
    assert endorsements_count(proposal) == 1
    assert endorsements.unendorse(second, proposal, group) is True  # any organiser may withdraw it
    assert endorsements_count(proposal) == 0


def test_only_organisers_endorse_for_a_group(proposal, make_user):
    group = group_of(make_user("organiser"))
    member = make_user("resident")
    db.session.add(Membership(group_id=group.id, user_id=member.id, role="member", status="active"))
    db.session.commit()
    with pytest.raises(RuleViolation, match=f"Only organisers of {group.name} can endorse"):
        endorsements.endorse(member, proposal, group)
    assert endorsements_count(proposal) == 0


def test_endorsing_needs_a_confirmed_account_and_its_phase(make_process, make_proposal, make_user):
    process = make_process(allow_endorse=False)
    closed = make_proposal(process, make_user("resident"))
    with pytest.raises(RuleViolation, match="Endorsing proposals is not open"):
        endorsements.endorse(make_user("resident"), closed)
    open_one = make_proposal(make_process(), make_user("resident"))
    with pytest.raises(RuleViolation, match="confirm your email address"):
        endorsements.endorse(make_user("resident", confirmed=False), open_one)
    with pytest.raises(PermissionDenied):
        endorsements.endorse(None, open_one)
    withdrawn = make_proposal(make_process(), make_user("resident"), state="withdrawn")
    with pytest.raises(RuleViolation, match="withdrawn by its author"):
        endorsements.endorse(make_user("resident"), withdrawn)


def test_endorsers_are_listed_by_name_on_the_page(proposal, client_as, make_user):
    organiser = make_user("organiser", display_name="Olive Organiser")
    group = group_of(organiser)
    endorsements.endorse(make_user("resident", display_name="Peter Public"), proposal)
    endorsements.endorse(organiser, proposal, group)
    db.session.commit()
    client, _ = client_as("anonymous")
    page = client.get(f"/proposals/{proposal.id}").text
    assert "2 endorsements" in page
    assert "Peter Public</a>" in page
    assert f'<a href="/groups/{group.slug}">{group.name}</a> <span class="tag">Group</span>' in page
    assert "Sign in</a> to endorse this proposal." in page


def test_endorse_through_the_page_as_person_and_group(proposal, app, make_user):
    from tests.conftest import sign_in_client

    organiser = make_user("organiser", display_name="Olive Organiser")
    group = group_of(organiser)
    client = app.test_client()
    sign_in_client(client, organiser)
    page = client.get(f"/proposals/{proposal.id}").text
    assert "Endorse this proposal</button>" in page
    assert f"Endorse as {group.name}</button>" in page

    response = client.post(f"/proposals/{proposal.id}/endorse")
    assert response.headers["Location"].endswith(f"/proposals/{proposal.id}#endorsements")
    response = client.post(f"/proposals/{proposal.id}/endorse", data={"group": str(group.id)}, follow_redirects=True)
    assert f"{group.name} endorses this proposal publicly." in response.text
    assert "Withdraw my endorsement</button>" in response.text
    assert f"Withdraw the endorsement by {group.name}</button>" in response.text
    assert keys(proposal) == {f"u:{organiser.id}", f"g:{group.id}"}

    response = client.post(f"/proposals/{proposal.id}/unendorse", data={"group": str(group.id)},
                           follow_redirects=True)
    assert f"The endorsement by {group.name} is withdrawn." in response.text
    assert keys(proposal) == {f"u:{organiser.id}"}


def test_endorsing_for_someone_elses_group_through_the_page_is_refused(proposal, client_as, make_user):
    group = group_of(make_user("organiser"))
    client, _ = client_as("resident")
    response = client.post(f"/proposals/{proposal.id}/endorse", data={"group": str(group.id)},
                           follow_redirects=True)
    assert f"Only organisers of {group.name} can endorse proposals for it." in response.text
    assert keys(proposal) == set()
    assert client.post(f"/proposals/{proposal.id}/endorse", data={"group": "999999"}).status_code == 404
