"""Supports: who may support, the limit, the minimum before supports count, the threshold, unsupport."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from civic.db import db, utcnow
from civic.errors import PermissionDenied, RuleViolation
from proposals import supports
from proposals.models import Proposal, Support, SupportBudget


@pytest.fixture
def caught(published_events):
    """Events published while the test runs, as (name, subject, data)."""
    return published_events


def count_of(proposal: Proposal) -> int:
    return db.session.scalar(select(Proposal.supports_count).where(Proposal.id == proposal.id))


def used_by(user, process) -> int | None:
    return db.session.scalar(select(SupportBudget.used).where(SupportBudget.user_id == user.id,
                                                              SupportBudget.process_id == process.id))


def supports_of(user) -> dict[int, bool]:
    rows = db.session.execute(select(Support.proposal_id, Support.counted).where(Support.user_id == user.id))
    return dict(rows.all())


@pytest.fixture
def world(make_process, make_proposal, make_user):
    def make(n: int = 3, **settings):
        process = make_process(**settings)
        author = make_user("resident")
        proposals = [make_proposal(process, author) for _ in range(n)]
        return process, proposals

    return make


# Supporting and withdrawing ---------------------------------------------------------------------------------


def test_a_verified_resident_supports_and_withdraws(world, make_user):
    process, (proposal, *_) = world()
    user = make_user("verified")
    assert supports.support(user, proposal) is True
    assert count_of(proposal) == 1 and proposal.supports_count == 1
    assert supports_of(user) == {proposal.id: True}
    assert used_by(user, process) == 1

    assert supports.unsupport(user, proposal) is True
    assert count_of(proposal) == 0
    assert supports_of(user) == {}
    assert used_by(user, process) == 0


def test_supporting_twice_gives_one_support(world, make_user):
    process, (proposal, *_) = world()
    user = make_user("verified")
    assert supports.support(user, proposal) is True
    assert supports.support(user, proposal) is False
    assert count_of(proposal) == 1
    assert used_by(user, process) == 1
    assert db.session.scalar(select(func.count()).select_from(Support)
                             .where(Support.proposal_id == proposal.id)) == 1


def test_withdrawing_a_support_never_given_changes_nothing(world, make_user):
    process, (proposal, *_) = world()
    user, other = make_user("verified"), make_user("verified")
    supports.support(other, proposal)
    assert supports.unsupport(user, proposal) is False
    assert count_of(proposal) == 1
    assert used_by(user, process) in (None, 0)


def test_signed_out_people_cannot_support(world):
    _, (proposal, *_) = world()
    with pytest.raises(PermissionDenied):
        supports.support(None, proposal)


# The limit --------------------------------------------------------------------------------------------------


def test_the_support_limit_refuses_one_more_and_frees_a_place_on_withdrawal(world, make_user):
    process, proposals = world(3, support_limit=2)
    user = make_user("verified")
    supports.support(user, proposals[0])
    supports.support(user, proposals[1])
    with pytest.raises(RuleViolation, match=r"^You have used all 2 of your supports in this process\.$"):
        supports.support(user, proposals[2])
    assert count_of(proposals[2]) == 0
    assert used_by(user, process) == 2
    assert set(supports_of(user)) == {proposals[0].id, proposals[1].id}

    supports.unsupport(user, proposals[0])
    assert supports.support(user, proposals[2]) is True
    assert used_by(user, process) == 2
    assert set(supports_of(user)) == {proposals[1].id, proposals[2].id}


def test_a_limit_in_one_process_does_not_touch_another(world, make_user):
    process_a, (a,) = world(1, support_limit=1)
    process_b, (b,) = world(1, support_limit=1)
    user = make_user("verified")
    supports.support(user, a)
    supports.support(user, b)
    assert used_by(user, process_a) == used_by(user, process_b) == 1


def test_a_refused_support_over_the_limit_leaves_nothing_behind(world, client_as):
    """The view turns the refusal into a redirect, which commits: the refused attempt must not have written."""
    process, proposals = world(2, support_limit=1)
    client, user = client_as("verified")
    client.post(f"/proposals/{proposals[0].id}/support")
    response = client.post(f"/proposals/{proposals[1].id}/support", follow_redirects=True)
    assert "You have used all 1 of your supports in this process." in response.text
    db.session.expire_all()
    assert used_by(user, process) == 1
    assert set(supports_of(user)) == {proposals[0].id}
    assert count_of(proposals[1]) == 0


# The minimum before supports count --------------------------------------------------------------------------


def test_supports_count_only_from_the_minimum_and_stop_counting_below_it(world, make_user):
    process, proposals = world(4, min_supports=3)
    user = make_user("verified")
    supports.support(user, proposals[0])
    supports.support(user, proposals[1])
    assert [count_of(p) for p in proposals] == [0, 0, 0, 0]
    assert supports_of(user) == {proposals[0].id: False, proposals[1].id: False}

    supports.support(user, proposals[2])  # the third: all three count now
    assert [count_of(p) for p in proposals] == [1, 1, 1, 0]
    assert set(supports_of(user).values()) == {True}

    supports.support(user, proposals[3])  # beyond the minimum: counts at once
    assert [count_of(p) for p in proposals] == [1, 1, 1, 1]

    supports.unsupport(user, proposals[3])  # still at the minimum
    assert [count_of(p) for p in proposals] == [1, 1, 1, 0]

    supports.unsupport(user, proposals[0])  # below it: none counts any more
    assert [count_of(p) for p in proposals] == [0, 0, 0, 0]
    assert supports_of(user) == {proposals[1].id: False, proposals[2].id: False}


def test_uncounted_supports_do_not_touch_other_peoples_counts(world, make_user):
    process, proposals = world(2, min_supports=2)
    keen, shy = make_user("verified"), make_user("verified")
    supports.support(keen, proposals[0])
    supports.support(keen, proposals[1])
    supports.support(shy, proposals[0])
    assert [count_of(p) for p in proposals] == [1, 1]
    supports.support(shy, proposals[1])
    assert [count_of(p) for p in proposals] == [2, 2]


# The threshold ----------------------------------------------------------------------------------------------


def test_reaching_the_threshold_is_marked_once_and_told(world, make_user, caught):
    process, (proposal,) = world(1, threshold=2)
    first, second, third = (make_user("verified") for _ in range(3))
    supports.support(first, proposal)
    assert db.session.get(Proposal, proposal.id).threshold_reached_at is None
    supports.support(second, proposal)
    reached = db.session.scalar(select(Proposal.threshold_reached_at).where(Proposal.id == proposal.id))
    assert reached is not None
    supports.support(third, proposal)  # supports go on beyond the threshold
    assert count_of(proposal) == 3
    assert db.session.scalar(select(Proposal.threshold_reached_at).where(Proposal.id == proposal.id)) == reached
    db.session.commit()  # events are sent after the commit
    told = [(name, subject.id) for name, subject, _ in caught if name == "proposal.threshold_reached"]
    assert told == [("proposal.threshold_reached", proposal.id)]


def test_closing_at_the_threshold_refuses_further_supports(world, make_user):
    process, (proposal,) = world(1, threshold=1, close_at_threshold=True)
    supports.support(make_user("verified"), proposal)
    with pytest.raises(RuleViolation, match="reached its threshold of 1 supports, so supporting it is closed"):
        supports.support(make_user("verified"), proposal)
    assert count_of(proposal) == 1


def test_reaching_the_minimum_can_reach_the_threshold(world, make_user, caught):
    process, proposals = world(2, min_supports=2, threshold=1)
    user = make_user("verified")
    supports.support(user, proposals[0])
    db.session.commit()  # events are sent after the commit
    assert caught == []
    supports.support(user, proposals[1])
    db.session.commit()
    told = sorted(subject.id for name, subject, _ in caught if name == "proposal.threshold_reached")
    assert told == sorted(p.id for p in proposals)


def test_a_support_waiting_for_the_minimum_never_passes_a_closing_threshold(world, make_user, signed_in):
    """Issue #12, item 14: the proposal closed while the support waited for the minimum: it stays uncounted, and
    withdrawing supports later takes nothing from it."""
    process, (closing, other, third) = world(3, min_supports=2, threshold=1, close_at_threshold=True)
    waiting, early = make_user("verified"), make_user("verified")
    supports.support(waiting, closing)  # 1 of 2: not counted yet
    supports.support(early, third)
    supports.support(early, closing)  # 2 of 2: counts, and closes it
    assert count_of(closing) == 1

    supports.support(waiting, other)  # the minimum: their support of `closing` would count, but it has closed
    assert count_of(closing) == 1 and count_of(other) == 1
    assert supports_of(waiting) == {closing.id: False, other.id: True}
    db.session.commit()
    page = signed_in(waiting).get(f"/proposals/{closing.id}").text
    assert "It reached its threshold before your support counted, so your support does not count." in page

    supports.unsupport(waiting, other)  # below the minimum again: only `other` loses a support
    assert count_of(closing) == 1 and count_of(other) == 0
    supports.unsupport(waiting, closing)
    assert count_of(closing) == 1 and supports_of(waiting) == {}
    assert used_by(waiting, process) == 0


# Who may support --------------------------------------------------------------------------------------------


def test_only_verified_residents_support_unless_the_process_allows_everyone(world, make_user):
    _, (proposal,) = world(1)  # verified_only is the default
    resident = make_user("resident")
    with pytest.raises(RuleViolation, match=r"^Only verified residents can support\. Verify your residency\.$"):
        supports.support(resident, proposal)
    _, (open_to_all,) = world(1, verified_only=False)
    assert supports.support(resident, open_to_all) is True


def test_an_unconfirmed_email_cannot_support(world, make_user):
    _, (proposal,) = world(1, verified_only=False)
    with pytest.raises(RuleViolation, match="confirm your email address"):
        supports.support(make_user("resident", confirmed=False), proposal)


def test_ward_only_supports_come_from_the_proposals_ward(make_process, make_proposal, make_user):
    process = make_process(ward_only=True)
    proposal = make_proposal(process, make_user("resident"), ward="Bayswater")
    with pytest.raises(RuleViolation, match=r"Only residents of Bayswater can support this proposal\."):
        supports.support(make_user("verified", ward="Church Street"), proposal)
    assert supports.support(make_user("verified", ward="Bayswater"), proposal) is True
    assert count_of(proposal) == 1


def test_supporting_outside_the_phase_is_refused_with_when_it_opens(make_process, make_proposal, make_user):
    now = utcnow()
    process = make_process(phases=[
        {"title": "Ideas", "starts_at": now - timedelta(days=2), "ends_at": now + timedelta(days=2),
         "allow_propose": True},
        {"title": "Supports", "starts_at": now + timedelta(days=2), "ends_at": now + timedelta(days=9),
         "allow_support": True},
    ])
    proposal = make_proposal(process, make_user("resident"))
    user = make_user("verified")
    with pytest.raises(RuleViolation, match=r"Supporting proposals is not open in this phase.*It opens on"):
        supports.support(user, proposal)
    with pytest.raises(RuleViolation, match="Supporting proposals is not open"):
        supports.unsupport(user, proposal)
    assert count_of(proposal) == 0


@pytest.mark.parametrize(("state", "hidden", "message"), [
    ("draft", False, "Only published proposals can be supported."),
    ("withdrawn", False, "withdrawn by its author, so it can no longer be supported"),
    ("published", True, "hidden by a moderator"),
])
def test_drafts_withdrawn_and_hidden_proposals_cannot_be_supported(make_process, make_proposal, make_user,
                                                                    state, hidden, message):
    process = make_process()
    proposal = make_proposal(process, make_user("resident"), state=state,
                             **({"hidden_at": utcnow()} if hidden else {}))
    with pytest.raises(RuleViolation, match=message):
        supports.support(make_user("verified"), proposal)
    assert count_of(proposal) == 0


# Through the pages ------------------------------------------------------------------------------------------


def test_support_and_withdraw_through_the_page(world, client_as):
    process, (proposal,) = world(1, threshold=3)
    client, user = client_as("verified")
    response = client.post(f"/proposals/{proposal.id}/support")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/proposals/{proposal.id}#support")
    page = client.get(f"/proposals/{proposal.id}").text
    assert "Thank you: your support is counted." in page
    assert "You support this proposal." in page
    assert "1 of 3 supports" in page
    assert 'max="3" value="1"' in page

    client.post(f"/proposals/{proposal.id}/unsupport")
    page = client.get(f"/proposals/{proposal.id}").text
    assert f"Your support for “{proposal.title}” is withdrawn." in page
    assert "0 of 3 supports" in page
    assert "Support this proposal</button>" in page


def test_the_page_says_why_someone_cannot_support(world, client_as):
    _, (proposal,) = world(1)
    client, _ = client_as("resident")
    page = client.get(f"/proposals/{proposal.id}").text
    assert "Only verified residents can support." in page
    assert '<a href="/verify/">Verify your residency</a>' in page
    assert "Support this proposal</button>" not in page
    response = client.post(f"/proposals/{proposal.id}/support", follow_redirects=True)
    assert "Only verified residents can support. Verify your residency." in response.text
    assert count_of(proposal) == 0


def test_the_page_shows_the_minimum_and_the_budget(world, client_as):
    _, proposals = world(3, min_supports=3, support_limit=5)
    client, user = client_as("verified")
    client.post(f"/proposals/{proposals[0].id}/support")
    response = client.post(f"/proposals/{proposals[1].id}/support", follow_redirects=True)
    assert "Your supports count once you have supported 3 proposals in this process." in response.text
    page = client.get(f"/proposals/{proposals[2].id}").text
    assert "You have given 2 of 3; your supports count from 3." in page
    assert "You have used 2 of your 5 supports in this process; 3 are left." in page


def test_the_page_shows_the_threshold_badge(world, client_as, make_user):
    _, (proposal,) = world(1, threshold=1, close_at_threshold=True)
    supports.support(make_user("verified"), proposal)
    db.session.commit()
    client, _ = client_as("verified")
    page = client.get(f"/proposals/{proposal.id}").text
    assert '<span class="badge">Threshold reached</span>' in page
    assert "1 of 1 support" in page
    assert "so supporting it is closed" in page
    assert "Support this proposal</button>" not in page


def test_signed_out_visitors_are_asked_to_sign_in(world, client):
    _, (proposal,) = world(1)
    page = client.get(f"/proposals/{proposal.id}").text
    assert f'/sign-in?next=/proposals/{proposal.id}">Sign in</a> to support this proposal.' in page
    response = client.post(f"/proposals/{proposal.id}/support")
    assert response.status_code == 302 and "sign-in" in response.headers["Location"]
    assert count_of(proposal) == 0


def test_someone_elses_draft_is_not_found(make_process, make_proposal, client_as, make_user):
    proposal = make_proposal(make_process(), make_user("resident"), state="draft")
    client, _ = client_as("verified")
    assert client.post(f"/proposals/{proposal.id}/support").status_code == 404
    assert client.post(f"/proposals/{proposal.id}/endorse").status_code == 404
