"""The officer queue: reported and hidden items; hide, unhide and dismiss, each with a note, audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from civic.audit import AuditEntry
from civic.comments.models import Comment
from civic.db import db
from civic.moderation.models import Moderation, Report
from proposals.models import Proposal


@pytest.fixture
def proposal(make_process, make_proposal, make_user):
    return make_proposal(make_process(), make_user("resident", nickname="queue_author"), title="Paint the bridge pink")


@pytest.mark.parametrize("role", ["resident", "verified", "organiser", "instructor"])
def test_residents_never_see_the_queue_or_reports(proposal, report_by, client_as, role):
    report_by(1, "proposal", proposal.id)
    client, _user = client_as(role)
    assert client.get("/moderation/").status_code == 403
    assert client.get(f"/moderation/proposal/{proposal.id}/hide").status_code == 403
    assert client.post(f"/moderation/proposal/{proposal.id}/hide", data={"note": "x"}).status_code == 403
    assert db.session.get(Proposal, proposal.id).hidden_at is None


def test_the_queue_lists_reports_with_counts_reasons_and_author(proposal, make_user, signed_in, report_by,
                                                                make_comment, client_as):
    from civic.moderation import services

    services.report(make_user("resident"), "proposal", proposal.id, "other", "It is a copy of another one.")
    report_by(1, "proposal", proposal.id, reason="spam")
    comment = make_comment(proposal, make_user("resident", nickname="rude_one"), body="You are all fools")
    report_by(1, "comment", comment.id, reason="offensive")
    client, _officer = client_as("officer")
    page = client.get("/moderation/").text
    assert "Paint the bridge pink" in page and "@queue_author" in page
    assert "Something else: 1" in page and "Spam or advertising: 1" in page
    assert "It is a copy of another one." in page
    assert "You are all fools" in page and "@rude_one" in page
    assert "2 items" in page
    assert "Nothing here." in client.get("/moderation/?status=hidden").text


def test_hide_needs_a_note_then_hides_audits_and_publishes(proposal, client_as, published_events, client):
    officer_client, officer = client_as("officer")
    url = f"/moderation/proposal/{proposal.id}/hide"
    assert "Paint the bridge pink" in officer_client.get(url).text
    response = officer_client.post(url, data={"note": "  "})
    assert response.status_code == 200
    assert 'id="note-error"' in response.text and "Write a note saying why." in response.text
    assert db.session.get(Proposal, proposal.id).hidden_at is None
    response = officer_client.post(url, data={"note": "Advertises a business"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).hidden_at is not None
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "moderation.hide")).one()
    assert (entry.actor_id, entry.object_id, entry.reason) == (officer.id, proposal.id, "Advertises a business")
    assert entry.before["hidden"] is False and entry.after["hidden"] is True
    assert "moderation.hidden" in [name for name, *_ in published_events]
    assert "hidden by moderation" in client.get(f"/proposals/{proposal.id}").text
    hidden = officer_client.get("/moderation/?status=hidden").text
    assert "Paint the bridge pink" in hidden and "Advertises a business" in hidden
    again = officer_client.post(url, data={"note": "Twice"})
    assert "This is already hidden." in again.text


def test_unhide_restores_and_settles_the_reports(proposal, report_by, client_as, published_events, client):
    report_by(3, "proposal", proposal.id)
    officer_client, _officer = client_as("officer")
    assert "Paint the bridge pink" in officer_client.get("/moderation/?status=hidden").text
    response = officer_client.post(f"/moderation/proposal/{proposal.id}/unhide", data={"note": "Fair comment"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).hidden_at is None
    mod = db.session.scalars(select(Moderation)).one()
    assert (mod.hidden_at, mod.reports_count, mod.status) == (None, 0, "decided")
    assert all(r.dismissed_at for r in db.session.scalars(select(Report)))
    assert "moderation.restored" in [name for name, *_ in published_events]
    assert db.session.scalars(select(AuditEntry.reason).where(AuditEntry.action == "moderation.unhide")).one() == \
        "Fair comment"
    assert "Paint the bridge pink" in client.get(f"/proposals/{proposal.id}").text
    assert "Nothing here." in officer_client.get("/moderation/").text


def test_dismiss_keeps_the_content_and_clears_the_queue(proposal, report_by, client_as, published_events):
    report_by(2, "proposal", proposal.id)
    officer_client, _officer = client_as("admin")
    assert officer_client.post(f"/moderation/proposal/{proposal.id}/dismiss", data={}).status_code == 200
    response = officer_client.post(f"/moderation/proposal/{proposal.id}/dismiss", data={"note": "Not a problem"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).hidden_at is None
    assert db.session.scalars(select(Moderation)).one().reports_count == 0
    assert "moderation.dismissed" in [name for name, *_ in published_events]
    assert "Nothing here." in officer_client.get("/moderation/").text
    assert db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == proposal.id)).all() == [
        "moderation.dismiss"]


def test_officers_hide_a_comment_nobody_reported(proposal, make_comment, make_user, client_as):
    comment = make_comment(proposal, make_user("resident"))
    officer_client, _officer = client_as("officer")
    response = officer_client.get(f"/moderation/lookup?resource_type=comment&resource_id={comment.id}")
    assert response.headers["Location"].endswith(f"/moderation/comment/{comment.id}/hide")
    assert officer_client.get("/moderation/lookup?resource_type=comment&resource_id=").status_code == 400
    officer_client.post(f"/moderation/comment/{comment.id}/hide", data={"note": "Personal data"})
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).hidden_at is not None


def test_the_queue_loads_in_a_fixed_number_of_queries(make_process, make_proposal, make_comment, make_user,
                                                      report_by, client_as, count_queries):
    process = make_process()
    officer_client, _officer = client_as("officer")

    def add(n):
        for _ in range(n):
            p = make_proposal(process, make_user("resident"))
            report_by(1, "proposal", p.id)
            report_by(1, "comment", make_comment(p, make_user("resident")).id)

    add(1)
    with count_queries() as few:
        officer_client.get("/moderation/")
    add(6)
    with count_queries() as many:
        page = officer_client.get("/moderation/")
    assert page.text.count("Keep showing<") == 14
    assert many.count == few.count


def test_the_queue_filters_by_kind_and_sorts(proposal, make_user, report_by, make_comment, client_as):
    comment = make_comment(proposal, make_user("resident", nickname="loud_one"), body="Shouting in capitals")
    report_by(2, "comment", comment.id, reason="offensive")
    report_by(1, "proposal", proposal.id, reason="spam")
    client, _officer = client_as("officer")
    only_comments = client.get("/moderation/?kind=comment").text
    assert "Shouting in capitals" in only_comments and "Paint the bridge pink" not in only_comments
    most = client.get("/moderation/?sort=reports").text
    assert most.index("Shouting in capitals") < most.index("Paint the bridge pink")
    oldest = client.get("/moderation/?sort=oldest").text
    assert oldest.index("Shouting in capitals") < oldest.index("Paint the bridge pink")
    assert "Paint the bridge pink" in client.get("/moderation/?kind=nonsense").text  # unknown kind: all kinds
