"""What the proposal page shows of supports, endorsements and answers: fixed queries, supporters never named."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from civic.db import db
from civic.groups.models import Group, Membership
from proposals import answers, endorsements, pages, supports
from proposals import settings as proposal_settings
from proposals.models import Proposal
from tests.conftest import sign_in_client


def organise(user, n: int) -> list[Group]:
    """Make ``user`` the organiser of n new groups."""
    groups = []
    for _ in range(n):
        k = len(db.session.scalars(select(Group.id)).all()) + 1
        group = Group(slug=f"page-group-{user.id}-{k}", name=f"Page group {user.id}-{k}", members_count=1)
        db.session.add(group)
        db.session.flush()
        db.session.add(Membership(group_id=group.id, user_id=user.id, role="organiser", status="active"))
        groups.append(group)
    db.session.commit()
    return groups


@pytest.fixture
def busy(make_process, make_proposal, make_user, make_people):
    """A proposal, and a function adding n supporters and n endorsers (people and groups) to it."""
    process = make_process(threshold=1000, min_supports=0, verified_only=False)
    proposal = make_proposal(process, make_user("resident"))

    def add(n: int) -> None:
        for person in make_people(n, prefix="supporter"):
            supports.support(person, proposal)
        for person in make_people(n, prefix="endorser"):
            endorsements.endorse(person, proposal)
        organiser = make_user("resident")
        for group in organise(organiser, n):
            endorsements.endorse(organiser, proposal, group)
        db.session.commit()

    return proposal, add


def test_page_context_uses_a_fixed_number_of_queries(busy, make_user, count_queries):
    proposal, add = busy
    viewer = make_user("organiser")
    add(1)

    def measure(user) -> int:
        db.session.expire_all()
        p = db.session.get(Proposal, proposal.id)
        u = db.session.get(type(viewer), user.id) if user else None
        if u is not None:
            assert u.is_verified is not None  # roles loaded before counting
        with count_queries() as counted:
            context = pages.page_context(u, p)
            assert context["endorse_panel"].page.items
        return counted.count

    few_signed_in, few_visitor = measure(viewer), measure(None)
    add(25)
    organise(viewer, 5)
    supports.support(viewer, proposal)
    endorsements.endorse(viewer, proposal)
    db.session.commit()
    assert measure(viewer) == few_signed_in == 5
    assert measure(None) == few_visitor == 3


def test_the_proposal_page_does_not_grow_with_supports_and_endorsements(busy, app, make_user, count_queries):
    proposal, add = busy
    viewer = make_user("verified")
    client = app.test_client()
    sign_in_client(client, viewer)
    add(1)
    client.get(f"/proposals/{proposal.id}")
    with count_queries() as few:
        assert client.get(f"/proposals/{proposal.id}").status_code == 200
    add(30)
    with count_queries() as many:
        page = client.get(f"/proposals/{proposal.id}").text
    assert "31 of 1,000 supports" in page
    assert many.count == few.count


def test_endorsers_are_paginated(busy, client):
    proposal, add = busy
    add(30)  # 60 endorsements
    page = client.get(f"/proposals/{proposal.id}").text
    assert "Page 1 of 2 (60 in all)" in page
    second = client.get(f"/proposals/{proposal.id}?endorsements_page=2").text
    assert "Page 2 of 2 (60 in all)" in second
    listed = second.split('<ul class="endorsers">', 1)[1].split("</ul>", 1)[0]
    assert listed.count("<li>") == 10


@pytest.mark.parametrize("role", ["anonymous", "resident", "verified", "officer", "admin"])
def test_supporters_are_never_named_on_the_page(make_process, make_proposal, make_user, client_as, role):
    process = make_process(verified_only=False)
    author = make_user("resident", display_name="Alice Author")
    proposal = make_proposal(process, author)
    secret = make_user("verified", display_name="Zebedee Quietsupporter", nickname="zebedee_quiet")
    public = make_user("resident", display_name="Petra Endorser", nickname="petra_endorser")
    supports.support(secret, proposal)
    supports.support(public, proposal)
    endorsements.endorse(public, proposal)
    db.session.commit()
    client, _ = client_as(role)
    page = client.get(f"/proposals/{proposal.id}").text
    assert "2 supports" in page
    assert "Zebedee" not in page and "zebedee_quiet" not in page
    assert "Petra Endorser" in page  # endorsements are public
    assert "supporters" not in page.lower()


def test_the_answer_is_public_and_officers_get_a_link(make_process, make_proposal, make_user, client_as):
    proposal = make_proposal(make_process(allow_answer=True), make_user("resident"))
    answers.answer(make_user("officer"), proposal, "evaluating", "Our engineers are *looking*.")
    db.session.commit()
    client, _ = client_as("resident")
    page = client.get(f"/proposals/{proposal.id}").text
    assert "Being evaluated</span>" in page
    assert "Our engineers are <em>looking</em>." in page
    assert f"/proposals/{proposal.id}/answer" not in page
    officer, _ = client_as("officer")
    assert f'<a href="/proposals/{proposal.id}/answer">Change the answer</a>' in officer.get(
        f"/proposals/{proposal.id}").text


def test_officers_see_why_they_cannot_answer_now(make_process, make_proposal, make_user, client_as):
    proposal = make_proposal(make_process(), make_user("resident"))
    client, _ = client_as("officer")
    page = client.get(f"/proposals/{proposal.id}").text
    assert "Answer this proposal</a> <span class=\"muted\">(not now: Answering proposals is not open" in page


def test_the_support_state_alone_takes_one_query(busy, make_user, count_queries):
    proposal, add = busy
    add(3)
    viewer = make_user("verified")
    supports.support(viewer, proposal)
    settings = proposal_settings.settings_for(proposal.process)
    with count_queries() as counted:
        panel = supports.support_panel(viewer, proposal, settings)
    assert counted.count == 1
    assert (panel.supported, panel.counted, panel.used, panel.count_text) == (True, True, 1, "4 of 1,000 supports")
