"""Draft answers: officers save an answer without publishing it (residents never see it: not in the page, the API,
the exports or search; nobody is told) and publish many drafted answers together from the answering queue, each
audited and told as a single answer is."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from civic.audit import AuditEntry
from civic.db import db
from civic.notifications import services as notifications
from civic.spaces.models import Phase, PhaseAction
from proposals.models import AnswerDraft, Proposal
from tests.conftest import sign_in_client
from tests.notifications.conftest import kinds_of
from tests.support.pages import main_text
from tests.support.search import keys

SECRET = "Draft wording: we will build the zebra crossing in March"


@pytest.fixture
def drafted(client_as, make_process, make_proposal, make_user):
    """A proposal with a follower, and an officer who saved an accepted answer to it as a draft."""
    author, follower = make_user("resident"), make_user("resident")
    process = make_process(title="Safer streets", allow_answer=True)
    proposal = make_proposal(process, author, title="A zebra crossing on Mill Lane")
    notifications.follow(follower, "proposal", proposal.id)
    db.session.commit()
    officer_client, officer = client_as("officer")
    response = officer_client.post(f"/proposals/{proposal.id}/answer",
                                   data={"state": "accepted", "text": SECRET, "cost": "12500", "delivery": "Spring",
                                         "then": "draft"}, follow_redirects=True)
    assert "is saved as a draft" in main_text(response)
    return process, proposal, author, follower, officer_client, officer


def test_a_draft_changes_nothing_residents_see_and_tells_nobody(drafted, client, smtp_server, find):
    process, proposal, author, follower, _officer_client, _officer = drafted
    db.session.expire_all()
    stored = db.session.get(Proposal, proposal.id)
    assert (stored.answer_state, stored.answer_text, stored.answer_cost) == ("not_answered", "", None)
    draft = db.session.get(AnswerDraft, proposal.id)
    assert (draft.state, draft.text, str(draft.cost), draft.delivery) == ("accepted", SECRET, "12500.00", "Spring")
    assert kinds_of(author) == [] and kinds_of(follower) == []
    assert smtp_server.to(author.email) == [] and smtp_server.to(follower.email) == []
    # The page, the API, the exports and search: nothing of the draft.
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "Draft wording" not in page and "Not answered yet" in page
    api = client.get(f"/api/v1/proposals/{proposal.id}")
    assert api.status_code == 200 and "Draft wording" not in api.get_data(as_text=True)
    assert "accepted" not in api.get_data(as_text=True)
    for export in ("export.csv", "export.json"):
        body = client.get(f"/processes/{process.slug}/proposals/{export}").get_data(as_text=True)
        assert "A zebra crossing on Mill Lane" in body and "Draft wording" not in body, export
        assert "12500" not in body, export
    assert keys(find("zebra crossing")) == [f"proposal:{proposal.id}"]
    assert find("zebra crossing", state="accepted").results == []
    assert find("March").results == []


def test_the_resident_author_cannot_read_or_make_a_draft(drafted, client_as):
    _process, proposal, author, _follower, _officer_client, _officer = drafted
    client, _user = client_as("resident")
    sign_in_client(client, author)
    assert "Draft wording" not in client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert client.get(f"/proposals/{proposal.id}/answer").status_code == 403
    response = client.post(f"/proposals/{proposal.id}/answer",
                           data={"state": "rejected", "text": "No", "then": "draft"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(AnswerDraft, proposal.id).state == "accepted"


def test_the_answer_page_starts_from_the_draft_and_a_published_answer_ends_it(drafted):
    _process, proposal, author, _follower, officer_client, _officer = drafted
    page = officer_client.get(f"/proposals/{proposal.id}/answer").get_data(as_text=True)
    assert "A draft answer is waiting to be published: Accepted" in page
    assert f"{SECRET}</textarea>" in page and 'value="12500.00"' in page
    officer_client.post(f"/proposals/{proposal.id}/answer",
                        data={"state": "evaluating", "text": "Looking at it.", "then": "stay"})
    db.session.expire_all()
    assert db.session.get(AnswerDraft, proposal.id) is None
    assert db.session.get(Proposal, proposal.id).answer_state == "evaluating"
    assert kinds_of(author) == ["proposal_answered"]


def test_a_refused_draft_is_refused_beside_its_field(drafted):
    _process, proposal, _author, _follower, officer_client, _officer = drafted
    page = main_text(officer_client.post(f"/proposals/{proposal.id}/answer",
                                         data={"state": "rejected", "text": "", "then": "draft"}))
    assert "Write the answer: residents see it on the proposal's page." in page
    db.session.expire_all()
    assert db.session.get(AnswerDraft, proposal.id).text == SECRET


def test_publishing_drafts_together_answers_each_audited_and_tells_each_author_once(
        client_as, make_process, make_proposal, make_user, smtp_server):
    process = make_process(title="Parks", allow_answer=True)
    author = make_user("resident")
    other_author = make_user("resident")
    mine = [make_proposal(process, author, title=f"Benches in park {n}") for n in range(3)]
    theirs = make_proposal(process, other_author, title="A pond in the park")
    plain = make_proposal(process, other_author, title="No draft for this one")
    client, _officer = client_as("officer")
    for n, proposal in enumerate([*mine, theirs]):
        r = client.post(f"/proposals/{proposal.id}/answer?queue=1",
                        data={"state": "rejected" if n % 2 else "evaluating", "text": f"Answer {n}",
                              "then": "draft_next"})
        assert r.status_code == 302
    queue = main_text(client.get("/proposals/awaiting-answer"))
    assert "4 draft answers are waiting to be published." in queue
    assert "Draft: Rejected" in queue and "Draft: Being evaluated" in queue
    assert kinds_of(author) == [] and smtp_server.to(author.email) == []

    ids = [p.id for p in (*mine, theirs, plain)]
    response = client.post("/proposals/awaiting-answer/bulk?drafts=1", data={"action": "publish", "ids": ids},
                           follow_redirects=True)
    text = main_text(response)
    assert "Done for 4 proposals." in text
    assert "Not changed: “No draft for this one”. It has no draft answer to publish." in text
    assert "draft answers are waiting" not in text
    db.session.expire_all()
    assert [db.session.get(Proposal, p.id).answer_state for p in mine] == ["evaluating", "rejected", "evaluating"]
    assert db.session.get(Proposal, theirs.id).answer_text == "Answer 3"
    assert db.session.get(Proposal, plain.id).answer_state == "not_answered"
    assert db.session.scalar(select(func.count()).select_from(AnswerDraft)) == 0
    audited = db.session.scalars(select(AuditEntry.object_id).where(AuditEntry.action == "proposal.answer")).all()
    assert sorted(audited) == sorted(p.id for p in (*mine, theirs))
    # One notice a proposal, as a single answer: the author of three is told three times, once each.
    assert kinds_of(author) == ["proposal_answered"] * 3
    assert kinds_of(other_author) == ["proposal_answered"]
    assert len(smtp_server.to(other_author.email)) == 1  # so the drafts' silence above was real


def test_a_draft_whose_phase_closed_is_named_and_the_others_go_on(client_as, make_process, make_proposal,
                                                                  make_user):
    open_process = make_process(allow_answer=True)
    closing = make_process(allow_answer=True)
    author = make_user("resident")
    ok = make_proposal(open_process, author, title="Stays answerable")
    late = make_proposal(closing, author, title="Its phase closes")
    client, _officer = client_as("officer")
    for p in (ok, late):
        client.post(f"/proposals/{p.id}/answer", data={"state": "evaluating", "text": "Soon.", "then": "draft"})
    db.session.execute(delete(PhaseAction).where(PhaseAction.action == "answer", PhaseAction.phase_id.in_(
        select(Phase.id).where(Phase.process_id == closing.id))))
    db.session.commit()
    db.session.expire_all()
    text = main_text(client.post("/proposals/awaiting-answer/bulk", data={"action": "publish", "ids": [ok.id, late.id]},
                                 follow_redirects=True))
    assert "Done for 1 proposal." in text and "Not changed: “Its phase closes”." in text
    db.session.expire_all()
    assert db.session.get(Proposal, ok.id).answer_state == "evaluating"
    assert db.session.get(Proposal, late.id).answer_state == "not_answered"
    assert db.session.get(AnswerDraft, late.id) is not None  # kept for when answers open again


@pytest.mark.parametrize("role", ["resident", "verified", "instructor"])
def test_residents_cannot_publish_drafts(drafted, client_as, role):
    _process, proposal, _author, _follower, _officer_client, _officer = drafted
    client, _user = client_as(role)
    response = client.post("/proposals/awaiting-answer/bulk", data={"action": "publish", "ids": [proposal.id]})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).answer_state == "not_answered"
    assert db.session.get(AnswerDraft, proposal.id) is not None


def test_the_drafts_filter_shows_drafts_whatever_the_answer(drafted, make_proposal, make_user):
    process, proposal, _author, _follower, officer_client, _officer = drafted
    answered = make_proposal(process, make_user("resident"), title="Already accepted idea",
                             answer_state="accepted", answer_text="Yes")
    officer_client.post(f"/proposals/{answered.id}/answer",
                        data={"state": "accepted", "text": "Yes, and sooner.", "then": "draft"})
    listed = main_text(officer_client.get("/proposals/awaiting-answer?drafts=1"))
    assert "A zebra crossing on Mill Lane" in listed and "Already accepted idea" in listed
    assert "Already accepted idea" not in main_text(officer_client.get("/proposals/awaiting-answer"))
