"""Reporting content: once per person, a reason (details for "other"), never your own; auto-hide at the threshold."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civic.audit import AuditEntry
from civic.comments.models import Comment
from civic.db import db
from civic.moderation.models import Moderation, Report
from proposals.models import Proposal


@pytest.fixture
def proposal(make_process, make_proposal, make_user):
    return make_proposal(make_process(), make_user("resident"), title="Paint the bridge pink")


def test_a_resident_reports_a_proposal_once(proposal, client_as):
    client, user = client_as("resident")
    page = client.get(f"/moderation/report/proposal/{proposal.id}")
    assert page.status_code == 200
    assert "Paint the bridge pink" in page.text and "Why are you reporting this?" in page.text
    response = client.post(f"/moderation/report/proposal/{proposal.id}", data={"reason": "spam"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/proposals/{proposal.id}")
    report = db.session.scalars(select(Report).where(Report.user_id == user.id)).one()
    assert report.reason == "spam"
    assert db.session.scalars(select(Moderation)).one().reports_count == 1
    again = client.post(f"/moderation/report/proposal/{proposal.id}", data={"reason": "offensive"})
    assert "You have already reported this" in again.text
    assert db.session.scalar(select(func.count()).select_from(Report)) == 1
    assert "You have already reported this" in client.get(f"/moderation/report/proposal/{proposal.id}").text


def test_other_needs_details_and_keeps_what_was_typed(proposal, client_as):
    client, _user = client_as("resident")
    response = client.post(f"/moderation/report/proposal/{proposal.id}", data={"reason": "other", "details": "  "})
    assert response.status_code == 200
    assert "Tell us what is wrong" in response.text
    assert 'id="details-error"' in response.text
    assert db.session.scalar(select(func.count()).select_from(Report)) == 0
    response = client.post(f"/moderation/report/proposal/{proposal.id}",
                           data={"reason": "bogus", "details": "Kept text"})
    assert "Kept text" in response.text and 'id="reason-error"' in response.text
    response = client.post(f"/moderation/report/proposal/{proposal.id}",
                           data={"reason": "other", "details": "It copies another proposal word for word."})
    assert response.status_code == 302
    assert db.session.scalars(select(Report)).one().details == "It copies another proposal word for word."


def test_nobody_reports_their_own_content_and_unconfirmed_people_cannot_report(proposal, signed_in, client_as,
                                                                               make_user):
    own = signed_in(proposal.author)
    assert own.get(f"/moderation/report/proposal/{proposal.id}").status_code == 403
    assert own.post(f"/moderation/report/proposal/{proposal.id}", data={"reason": "spam"}).status_code == 403
    unconfirmed = signed_in(make_user("resident", confirmed=False))
    assert unconfirmed.post(f"/moderation/report/proposal/{proposal.id}", data={"reason": "spam"}).status_code == 403
    anonymous, _ = client_as("anonymous")
    assert "/sign-in" in anonymous.post(f"/moderation/report/proposal/{proposal.id}").headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Report)) == 0


def test_unknown_or_unreportable_things_are_not_found(proposal, client_as):
    client, _user = client_as("resident")
    assert client.get("/moderation/report/proposal/999999").status_code == 404
    assert client.get(f"/moderation/report/process/{proposal.process_id}").status_code == 404


def test_the_third_distinct_report_hides_the_proposal_at_once(proposal, report_by, published_events, client):
    report_by(2, "proposal", proposal.id)
    assert db.session.get(Proposal, proposal.id).hidden_at is None
    assert client.get(f"/proposals/{proposal.id}").status_code == 200
    assert "Paint the bridge pink" in client.get(f"/proposals/{proposal.id}").text
    report_by(1, "proposal", proposal.id)
    db.session.expire_all()
    mod = db.session.scalars(select(Moderation)).one()
    assert mod.reports_count == 3 and mod.hidden_at is not None and mod.hidden_by_id is None
    assert db.session.get(Proposal, proposal.id).hidden_at == mod.hidden_at
    assert [name for name, *_ in published_events if name == "moderation.hidden"] == ["moderation.hidden"]
    assert db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == proposal.id)).all() == [
        "moderation.auto_hide"]
    page = client.get(f"/proposals/{proposal.id}")
    assert "hidden by moderation" in page.text and "Paint the bridge pink" not in page.text


def test_three_reports_hide_a_comment_and_the_count_goes_down(proposal, make_comment, make_user, report_by,
                                                              client):
    comment = make_comment(proposal, make_user("resident"), body="Rude words about the neighbours")
    db.session.execute(Proposal.__table__.update().where(Proposal.id == proposal.id).values(comments_count=1))
    db.session.commit()
    report_by(3, "comment", comment.id, reason="offensive")
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).hidden_at is not None
    assert db.session.get(Proposal, proposal.id).comments_count == 0
    page = client.get(f"/proposals/{proposal.id}")
    assert "Rude words" not in page.text and "This comment was hidden by moderation." in page.text


def test_the_report_links_show_to_signed_in_people_who_are_not_the_author(proposal, make_comment, make_user,
                                                                          signed_in, client):
    commenter = make_user("resident")
    comment = make_comment(proposal, commenter)
    other = signed_in(make_user("resident")).get(f"/proposals/{proposal.id}").text
    assert f"/moderation/report/proposal/{proposal.id}" in other
    assert f"/moderation/report/comment/{comment.id}" in other
    mine = signed_in(commenter).get(f"/proposals/{proposal.id}").text
    assert f"/moderation/report/comment/{comment.id}" not in mine
    assert f"/moderation/report/proposal/{proposal.id}" in mine
    assert f"/moderation/report/proposal/{proposal.id}" not in signed_in(proposal.author).get(
        f"/proposals/{proposal.id}").text
    assert "/moderation/report/" not in client.get(f"/proposals/{proposal.id}").text


def test_the_author_sees_that_it_is_hidden_and_why(proposal, report_by, signed_in):
    report_by(3, "proposal", proposal.id)
    page = signed_in(proposal.author).get(f"/proposals/{proposal.id}").text
    assert "Paint the bridge pink" in page
    assert "Hidden while a moderator checks it" in page and "Hidden automatically after 3 reports" in page
