"""The proposal page: what it shows, to whom (drafts, hidden, withdrawn), the resource hooks, fixed queries."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select

from civic import resources
from civic.comments.models import Comment
from civic.db import db, utcnow
from civic.groups.models import Group
from proposals.models import Coauthor, Proposal, ProposalCategoryLink


@pytest.mark.parametrize(("role", "status"), [
    ("anonymous", 404), ("resident", 404), ("verified", 404), ("organiser", 404), ("officer", 200), ("admin", 200),
])
def test_a_draft_is_private_to_its_authors_and_officers(client_as, make_user, make_process, make_proposal,
                                                        role, status):
    process = make_process()
    author = make_user("resident")
    draft = make_proposal(process, author, state="draft", title="My private draft proposal")
    c, _ = client_as(role)
    assert c.get(f"/proposals/{draft.id}").status_code == status
    assert c.get(f"/proposals/{draft.id + 1000}").status_code == 404


def test_the_page_shows_the_proposal(client, make_user, make_process, make_proposal, categories_of):
    process = make_process(categories=["Green space", "Trees"], programme="extraordinary-experiences")
    author = make_user("resident", display_name="Amina Okafor")
    proposal = make_proposal(process, author, title="A pocket park on Church Street", ward="Church Street",
                             body="Turn the **empty lot** into a park.", categories=categories_of(process),
                             address="Church Street market, NW8 8EU", latitude=51.5226, longitude=-0.17,
                             answer_state="evaluating")
    page = client.get(f"/proposals/{proposal.id}")
    assert page.status_code == 200
    text = page.text
    assert "<h1>A pocket park on Church Street</h1>" in text
    assert "Being evaluated" in text
    assert "Amina Okafor" in text and "Extraordinary Experiences" in text
    assert "<dt>Ward</dt><dd>Church Street</dd>" in text
    assert ">Green space</a>" in text and ">Trees</a>" in text
    assert "<strong>empty lot</strong>" in text
    # The location, in words and on a map.
    assert "Church Street market, NW8 8EU, Church Street ward." in text
    assert 'data-map="point"' in text and 'data-lat="51.5226" data-lng="-0.17"' in text
    assert "vendor/leaflet/leaflet.css" in text and "js/map.js" in text
    assert "51.5226" not in text.replace('data-lat="51.5226"', "")  # the place is named, not its numbers
    # A share link: the plain address in a read-only input with a label.
    assert '<label class="label" for="share-link">' in text
    assert f'id="share-link" readonly value="http://civic.test/proposals/{proposal.id}"' in text
    assert "<script>" not in text.replace("<script src=", "")  # no inline script


def test_a_page_without_a_location_loads_no_map(client, make_user, make_process, make_proposal):
    process = make_process()
    proposal = make_proposal(process, make_user("resident"))
    page = client.get(f"/proposals/{proposal.id}")
    assert "leaflet" not in page.text and 'id="location-title"' not in page.text


def test_a_withdrawn_proposal_is_shown_with_a_notice(client, make_user, make_process, make_proposal):
    process = make_process()
    proposal = make_proposal(process, make_user("resident", display_name="Sam Lee"), state="withdrawn")
    page = client.get(f"/proposals/{proposal.id}")
    assert page.status_code == 200
    assert "Sam Lee withdrew this proposal" in page.text and "can no longer be supported" in page.text


def test_a_hidden_proposal(client_as, app, make_user, make_process, make_proposal):
    process = make_process()
    author = make_user("resident")
    proposal = make_proposal(process, author, title="Something the moderators hid", hidden_at=utcnow())
    others = app.test_client().get(f"/proposals/{proposal.id}")
    assert "Proposal hidden by moderation" in others.text
    assert "Something the moderators hid" not in others.text
    author_client = app.test_client()
    with author_client.session_transaction() as sess:
        sess["_user_id"] = author.get_id()
    mine = author_client.get(f"/proposals/{proposal.id}")
    assert "Something the moderators hid" in mine.text
    assert "This proposal is hidden: only its authors and council officers can see it." in mine.text
    officer, _ = client_as("officer")
    assert "Something the moderators hid" in officer.get(f"/proposals/{proposal.id}").text


def test_the_resource_hooks(app, make_user, make_process, make_proposal):
    author = make_user("resident")
    open_process = make_process()
    closed_process = make_process(allow_comment=False)
    rt = resources.get("proposal")
    proposal = make_proposal(open_process, author, title="Hooks proposal for the core")
    assert rt.title(proposal) == "Hooks proposal for the core"
    with app.test_request_context():
        assert rt.url(proposal) == f"/proposals/{proposal.id}"
    assert rt.comments.may_comment(author, proposal) is True
    assert rt.comments.readable(proposal) is True
    assert rt.visible(None, proposal) is True
    closed = make_proposal(closed_process, author)
    assert "Commenting is not open in this phase" in rt.comments.may_comment(author, closed)
    draft = make_proposal(open_process, author, state="draft")
    assert rt.visible(None, draft) is False
    assert rt.visible(author, draft) is True
    assert rt.comments.may_comment(author, draft) != True  # noqa: E712 - it returns a reason
    assert rt.comments.readable(draft) is False
    withdrawn = make_proposal(open_process, author, state="withdrawn")
    assert "withdrawn" in rt.comments.may_comment(author, withdrawn)
    rt.comments.on_count(proposal, 1)
    rt.comments.on_count(proposal, 1)
    rt.comments.on_count(proposal, -1)
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).comments_count == 1
    assert rt.capabilities == {"commentable", "reportable", "followable", "source", "creatable"}
    # Accepted proposals are offered to other domains (a budget's projects) as plain values, through the registry.
    assert rt.sources.accepted(open_process.id) == [] and rt.sources.get(proposal.id) is None
    proposal.answer_state = "accepted"
    db.session.flush()
    offered = rt.sources.accepted(open_process.id)
    assert [(s.resource, s.id, s.title) for s in offered] == [("proposal", proposal.id, proposal.title)]
    assert rt.sources.get(proposal.id) == offered[0] and rt.sources.get(draft.id) is None


def _grow(proposal, author, people, groups, comments: int) -> None:
    """Add categories, co-authors (people and groups) and comments to one proposal."""
    from proposals.models import Category

    process_id = proposal.process_id
    start = db.session.scalar(select(Category.id).order_by(Category.id.desc()).limit(1)) or 0
    cats = [Category(process_id=process_id, slug=f"cat-{start}-{i}", name=f"Category {start}-{i}")
            for i in range(len(people))]
    db.session.add_all(cats)
    db.session.flush()
    db.session.execute(insert(ProposalCategoryLink), [{"proposal_id": proposal.id, "category_id": c.id}
                                                      for c in cats])
    db.session.add_all([Coauthor(proposal_id=proposal.id, user_id=p.id, status="accepted") for p in people])
    db.session.add_all([Coauthor(proposal_id=proposal.id, group_id=g.id, status="accepted") for g in groups])
    db.session.add_all([Comment(resource_type="proposal", resource_id=proposal.id, author_id=people[i % len(people)].id,
                                body=f"Comment {i}") for i in range(comments)])
    db.session.commit()


@pytest.mark.parametrize("viewer", ["anonymous", "author"])
def test_the_page_runs_a_fixed_number_of_queries(client_as, app, make_user, make_people, make_process,
                                                 make_proposal, count_queries, viewer):
    process = make_process(categories=["Trees"])
    author = make_user("resident")

    def client_for():
        if viewer == "anonymous":
            return app.test_client()
        c = app.test_client()
        with c.session_transaction() as sess:
            sess["_user_id"] = author.get_id()
        return c

    small = make_proposal(process, author, title="Small proposal about street trees", latitude=51.5,
                          longitude=-0.15)
    big = make_proposal(process, author, title="Big proposal about street trees", latitude=51.5, longitude=-0.15)
    for n in range(8):
        make_proposal(process, author, title=f"Similar proposal {n} about street trees", commit=False)
    groups = [Group(slug=f"page-group-{viewer}-{i}", name=f"Page group {viewer} {i}") for i in range(12)]
    db.session.add_all(groups)
    db.session.commit()
    _grow(small, author, make_people(2), groups[:1], comments=5)
    _grow(big, author, make_people(30), groups, comments=60)
    c = client_for()
    c.get(f"/proposals/{small.id}")  # warm up (the session's user, the process)
    with count_queries() as few:
        assert c.get(f"/proposals/{small.id}").status_code == 200
    with count_queries() as many:
        response = c.get(f"/proposals/{big.id}")
    assert response.status_code == 200
    assert "Page group" in response.text and "Category" in response.text
    assert many.count == few.count, "\n".join(many.statements)


def test_cached_similar_proposals_never_show_one_hidden_since(app, client, make_user, make_process, make_proposal):
    from proposals import similar
    from proposals.models import Proposal

    process = make_process()
    author = make_user("resident")
    shown = make_proposal(process, author, title="Plant more trees along Harrow Road",
                          body="Trees along Harrow Road would cool the street.")
    other = make_proposal(process, author, title="Plant more trees along Harrow Road please",
                          body="Trees along Harrow Road would cool the street in summer.")
    app.config["SIMILAR_CACHE_SECONDS"] = 300
    similar._similar_cache.clear()
    try:
        assert "Plant more trees along Harrow Road please" in client.get(f"/proposals/{shown.id}").text
        db.session.get(Proposal, other.id).hidden_at = utcnow()
        db.session.commit()
        assert "Plant more trees along Harrow Road please" not in client.get(f"/proposals/{shown.id}").text
    finally:
        app.config["SIMILAR_CACHE_SECONDS"] = 0
        similar._similar_cache.clear()
