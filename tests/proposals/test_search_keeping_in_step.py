"""Search keeps in step with proposals and their comments: edits, hiding, withdrawal, deletion, publishing and
unpublishing are reflected; hidden, draft and unpublished things are never found, and a result that went stale in
the index is still not shown. (tests/search/ covers the same for the core's own types.)"""

from __future__ import annotations

from sqlalchemy import select, text

from civic.comments import services as comments
from civic.comments.models import Comment
from civic.db import db, utcnow
from civic.moderation import services as moderation
from civic.search import services
from civic.search.backend import Query
from civic.search.models import SearchQueue
from civic.spaces import services as spaces
from proposals import services as proposal_services
from tests.support.search import keys


def test_an_edit_replaces_the_old_words(make_user, make_process, make_proposal, find):
    author = make_user("resident")
    proposal = make_proposal(make_process(), author, title="Plant cherry trees on Bell Street")
    assert keys(find("cherry")) == [f"proposal:{proposal.id}"]
    proposal.title = "Plant plum trees on Bell Street"
    db.session.commit()
    assert find("cherry").results == []
    assert keys(find("plum")) == [f"proposal:{proposal.id}"]


def test_drafts_are_never_found_until_published(make_user, make_process, make_proposal, find):
    author = make_user("resident")
    draft = make_proposal(make_process(), author, title="Secret rooftop beehives plan", state="draft")
    assert find("beehives").results == []
    proposal_services.publish(author, draft)
    assert keys(find("beehives")) == [f"proposal:{draft.id}"]


def test_a_deleted_draft_and_a_withdrawn_proposal(make_user, make_process, make_proposal, find):
    author = make_user("resident")
    process = make_process()
    published = make_proposal(process, author, title="A water fountain in Paddington Green")
    assert proposal_services.withdraw(author, published) == "withdrawn"
    page = find("fountain")
    assert keys(page) == [f"proposal:{published.id}"]  # still shown, marked
    assert page.results[0].state == "Withdrawn"
    assert keys(find("fountain", state="withdrawn")) == [f"proposal:{published.id}"]
    assert find("fountain", state="not_answered").results == []

    draft = make_proposal(process, author, title="A second water fountain draft", state="draft")
    assert proposal_services.withdraw(author, draft) == "deleted"
    db.session.commit()
    assert keys(find("fountain")) == [f"proposal:{published.id}"]


def test_hiding_takes_the_proposal_and_its_comments_away_and_back(make_user, make_process, make_proposal, find):
    author, officer = make_user("resident"), make_user("officer")
    proposal = make_proposal(make_process(), author, title="Solar canopy over Church Street market")
    comment = comments.post_comment(author, "proposal", proposal.id, "The canopy would keep the stalls dry.")
    assert set(keys(find("canopy"))) == {f"proposal:{proposal.id}", f"comment:{comment.id}"}

    moderation.hide(officer, "proposal", proposal.id, "Spam")
    assert find("canopy").results == []
    assert services.queued() == 0  # the comment followed its proposal in the same drain

    moderation.unhide(officer, "proposal", proposal.id, "Reviewed")
    assert set(keys(find("canopy"))) == {f"proposal:{proposal.id}", f"comment:{comment.id}"}


def test_a_deleted_comment_and_replies_under_a_hidden_one(make_user, make_process, make_proposal, find):
    author, other, officer = make_user("resident"), make_user("resident"), make_user("officer")
    proposal = make_proposal(make_process(), author, title="Benches along the canal towpath")
    first = comments.post_comment(other, "proposal", proposal.id, "Wooden benches would weather badly.")
    reply = comments.reply(author, first, "Recycled plastic benches then, they never rot.")
    deeper = comments.reply(other, reply, "Recycled plastic sounds good to me.")
    gone = comments.post_comment(other, "proposal", proposal.id, "Zinc benches please.")
    assert {f"comment:{c.id}" for c in (reply, deeper)} <= set(keys(find("recycled")))

    assert comments.delete_comment(other, gone)  # a soft delete, written with one UPDATE statement
    assert find("zinc").results == []

    moderation.hide(officer, "comment", first.id, "Off topic")
    assert find("recycled").results == []  # the thread shows the hidden comment's replies as one placeholder
    assert find("wooden").results == []
    moderation.unhide(officer, "comment", first.id, "Fine after all")
    assert {f"comment:{c.id}" for c in (first,)} == set(keys(find("wooden")))
    assert {f"comment:{c.id}" for c in (reply, deeper)} <= set(keys(find("recycled")))


def test_unpublishing_a_process_hides_what_is_in_it(make_user, make_process, make_proposal, find):
    author, officer = make_user("resident"), make_user("officer")
    process = make_process(title="Greener Marylebone streets")
    proposal = make_proposal(process, author, title="Greener bus stops with living roofs")
    comment = comments.post_comment(author, "proposal", proposal.id, "Greener stops please!")
    everything = {f"process:{process.id}", f"proposal:{proposal.id}", f"comment:{comment.id}"}
    assert set(keys(find("greener"))) == everything

    spaces.unpublish(officer, process)
    assert find("greener").results == []
    spaces.publish(officer, process)
    assert set(keys(find("greener"))) == everything


def test_a_stale_index_entry_is_not_shown(make_user, make_process, make_proposal, find):
    """The database is asked again at query time: a change the queue never saw (here written in raw SQL)
    still keeps the result off the page."""
    proposal = make_proposal(make_process(), make_user("resident"), title="Mobile library van for Maida Vale")
    assert keys(find("library")) == [f"proposal:{proposal.id}"]
    db.session.execute(text("UPDATE proposals SET hidden_at = :now WHERE id = :id"),
                       {"now": utcnow().replace(tzinfo=None), "id": proposal.id})
    db.session.commit()
    assert db.session.scalar(select(SearchQueue.id)) is None  # raw SQL: nothing was queued
    page = find("library")  # (no expire_all: the check reads the rows afresh, not the session's copies)
    assert page.results == []
    assert page.total == 0 and {c.name: c.count for c in page.counts}["proposal"] == 0  # nor counted
    if services.backend_name() == "whoosh":  # (PostgreSQL drops the row in the search's own transaction)
        assert services.matching_ids("proposal", "library") == [proposal.id]  # the index is behind...
    db.session.commit()  # (a request commits after the search): the dropped key went back to the queue
    if services.backend_name() == "whoosh":  # (PostgreSQL writes it in that commit itself)
        assert set(db.session.scalars(select(SearchQueue.key))) == {f"proposal:{proposal.id}"}
    services.drain()
    assert find("library").total == 0 and services.queued() == 0
    assert services.matching_ids("proposal", "library") == []  # ...and is put right


def test_a_hidden_comment_is_not_counted_before_the_drain(app, client, make_user, make_process, make_proposal,
                                                          search_index, find):
    """Between a commit and its drain (or after a failed drain) the index still has the comment: the page and
    the API neither list nor count it."""
    author, officer = make_user("resident"), make_user("officer")
    proposal = make_proposal(make_process(), author, title="Bike hangars for Lisson Grove")
    comment = comments.post_comment(author, "proposal", proposal.id, "Hangars keep the pavements clear.")
    assert keys(find("hangars pavements")) == [f"comment:{comment.id}"]
    app.config["SEARCH_DRAIN"] = "off"  # the drainer has not run yet
    moderation.hide(officer, "comment", comment.id, "Spam")
    db.session.commit()
    with app.test_request_context("/search"):
        page = services.search(None, services.Params(q="hangars pavements"))
    assert page.results == [] and page.total == 0
    assert {c.name: c.count for c in page.counts}["comment"] == 0
    html = client.get("/search?q=hangars+pavements").get_data(as_text=True)
    assert "<strong>0 results</strong>" in html and "Comments (" not in html.replace("Comments (0)", "")
    body = client.get("/api/v1/search?q=hangars+pavements").get_json()
    assert body["total"] == 0 and body["counts"]["comment"] == 0 and body["results"] == []


def test_the_drain_reads_rows_afresh(make_user, make_process, make_proposal, search_index, find):
    """Sessions keep their objects after a commit: the drain must not build a document from the copy this
    session loaded before a change it did not make through the ORM."""
    proposal = make_proposal(make_process(), make_user("resident"), title="Drinking fountains in Queen's Park")
    assert keys(find("fountains")) == [f"proposal:{proposal.id}"]
    assert proposal.hidden_at is None  # this session holds the proposal
    db.session.execute(text("UPDATE proposals SET hidden_at = :now WHERE id = :id"),
                       {"now": utcnow().replace(tzinfo=None), "id": proposal.id})
    services.enqueue([f"proposal:{proposal.id}"])
    db.session.commit()
    services.drain()
    assert search_index.query(Query(text="fountains")).counts.get("proposal", 0) == 0


def test_counters_do_not_queue_work(make_user, make_process, make_proposal, search_index):
    """Supports and comment counts change all the time: they are not part of any document."""
    proposal = make_proposal(make_process(), make_user("resident"))
    services.drain()
    proposal_services.on_comment_count(proposal, +1)
    db.session.commit()
    assert services.queued() == 0


def test_a_comment_reaches_the_index_through_the_site(client_as, make_user, make_process, make_proposal,
                                                      search_index, find):
    proposal = make_proposal(make_process(), make_user("resident"), title="Street trees for Harrow Road")
    client, _user = client_as("resident")
    response = client.post(f"/comments/proposal/{proposal.id}", data={"body": "Plane trees grow well here.",
                                                                      "alignment": "1"})
    assert response.status_code in (302, 303)
    comment = db.session.scalar(select(Comment).where(Comment.body == "Plane trees grow well here."))
    page = find("plane")
    assert keys(page) == [f"comment:{comment.id}"]
    assert page.results[0].title.striptags() == "Comment on “Street trees for Harrow Road”"
    assert page.results[0].url.endswith(f"/proposals/{proposal.id}#comment-{comment.id}")
