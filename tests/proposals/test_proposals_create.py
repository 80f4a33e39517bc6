"""Making a proposal: the form, drafts, the preview with similar proposals, publishing, the limits and the phase."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from flask import current_app

from civic import maps
from civic.db import db, utcnow
from civic.errors import RuleViolation
from proposals import services, similar
from tests.proposals.factories import form, proposals_of
from tests.support.images import huge_png
from tests.support.pages import field_error, input_value


def test_anonymous_is_sent_to_sign_in(client, make_process):
    process = make_process()
    response = client.get(f"/processes/{process.slug}/proposals/new")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_unknown_process_is_not_found(client_as):
    c, _ = client_as("resident")
    assert c.get("/processes/no-such-process/proposals/new").status_code == 404


def test_a_resident_saves_a_draft_and_sees_its_preview(client_as, make_process, ward_id, categories_of):
    process = make_process(categories=["Green space", "Cycling"])
    green = categories_of(process)[1]
    c, user = client_as("resident")
    page = c.get(f"/processes/{process.slug}/proposals/new")
    assert page.status_code == 200
    assert "Make a proposal" in page.text and 'name="title"' in page.text
    assert "Green space" in page.text  # the process's categories are offered

    response = c.post(f"/processes/{process.slug}/proposals/new", data=form(
        ward_id, categories=[str(green.id)], address="Church Street market, NW8 8EU",
        latitude="51.5226", longitude="-0.1700"))
    assert response.status_code == 302
    [proposal] = proposals_of(user)
    assert response.headers["Location"].endswith(f"/proposals/{proposal.id}")
    assert proposal.state == "draft" and proposal.published_at is None
    assert proposal.title == "More street trees along Church Street"
    assert proposal.ward.name == "Church Street"
    assert [c.name for c in proposal.categories] == ["Green space"]
    assert (proposal.latitude, proposal.longitude) == (51.5226, -0.17)
    assert proposal.address == "Church Street market, NW8 8EU"

    preview = c.get(f"/proposals/{proposal.id}")
    assert preview.status_code == 200
    assert "This is your draft" in preview.text
    assert f'action="/proposals/{proposal.id}/publish"' in preview.text
    assert "Withdraw the draft" in preview.text
    assert "<strong>twenty</strong>" in preview.text  # Markdown rendered


def test_an_invalid_form_keeps_what_was_typed_and_says_what_is_wrong(client_as, make_process, ward_id):
    process = make_process()
    c, user = client_as("resident")
    response = c.post(f"/processes/{process.slug}/proposals/new", data=form(
        ward_id, title="Trees", ward="", body="My long description stays here", address="Lisson Grove"))
    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert "The title must be between 15 and 150 characters." in response.text
    assert "Choose the ward where your proposal would happen." in response.text
    assert 'value="Trees"' in response.text
    assert "My long description stays here" in response.text
    assert 'value="Lisson Grove"' in response.text
    assert proposals_of(user) == []


def test_a_title_over_150_characters_is_refused(client_as, make_process, ward_id):
    process = make_process()
    c, user = client_as("resident")
    response = c.post(f"/processes/{process.slug}/proposals/new", data=form(ward_id, title="T" * 151))
    assert "The title must be between 15 and 150 characters." in response.text
    assert proposals_of(user) == []


def test_the_ward_must_be_one_of_the_process(client_as, make_process, ward_id):
    process = make_process(wards=["Bayswater", "Lancaster Gate"])
    c, user = client_as("resident")
    page = c.get(f"/processes/{process.slug}/proposals/new")
    assert ">Bayswater</option>" in page.text and ">Church Street</option>" not in page.text
    response = c.post(f"/processes/{process.slug}/proposals/new", data=form(ward_id))  # Church Street
    assert response.status_code == 200
    assert "Select ward from the list" in response.text or "Choose the ward" in response.text
    assert proposals_of(user) == []
    # The service refuses it too, whatever the form says.
    with pytest.raises(RuleViolation) as refused:
        services.create_draft(user, process, services.ProposalFields(
            title="A proposal for Church Street", body="Body", ward_id=ward_id("Church Street")))
    assert refused.value.field == "ward"


def test_a_point_outside_greater_london_is_refused(client_as, make_process, ward_id):
    process = make_process()
    c, user = client_as("resident")
    response = c.post(f"/processes/{process.slug}/proposals/new", data=form(
        ward_id, latitude="48.8566", longitude="2.3522", address="Paris"))
    assert response.status_code == 200
    assert "The point on the map is outside Greater London." in response.text
    assert 'value="Paris"' in response.text
    assert proposals_of(user) == []
    with pytest.raises(RuleViolation):
        maps.parse_point("51.5", "")  # both or neither


def test_an_unconfirmed_account_cannot_propose(client_as, make_process, ward_id):
    process = make_process()
    c, user = client_as("resident", confirmed=False)
    page = c.get(f"/processes/{process.slug}/proposals/new")
    assert "Please confirm your email address before making a proposal." in page.text
    assert 'name="title"' not in page.text
    c.post(f"/processes/{process.slug}/proposals/new", data=form(ward_id))
    assert proposals_of(user) == []


def test_proposing_outside_the_phase_is_refused_with_the_reason(client_as, make_process, ward_id):
    process = make_process(allow_propose=False)
    c, user = client_as("resident")
    page = c.get(f"/processes/{process.slug}/proposals/new")
    assert "Making proposals is not open in this phase" in page.text
    assert 'name="title"' not in page.text
    response = c.post(f"/processes/{process.slug}/proposals/new", data=form(ward_id))
    assert "Making proposals is not open in this phase" in response.text
    assert proposals_of(user) == []
    with pytest.raises(RuleViolation, match="not open"):
        services.create_draft(user, process, services.ProposalFields(
            title="A proposal made too late", body="Body", ward_id=ward_id("Church Street")))


def test_publishing_outside_the_phase_is_refused(client_as, make_process, make_proposal):
    process = make_process(allow_propose=False)
    c, user = client_as("resident")
    draft = make_proposal(process, user, state="draft")
    response = c.post(f"/proposals/{draft.id}/publish", follow_redirects=True)
    assert "Making proposals is not open in this phase" in response.text
    db.session.refresh(draft)
    assert draft.state == "draft"


def test_publishing_makes_it_public_and_tells_the_core(client_as, client, make_process, make_proposal,
                                                       published_events):
    process = make_process()
    c, user = client_as("resident")
    draft = make_proposal(process, user, state="draft", title="A draft nobody else sees yet")
    assert client.get(f"/proposals/{draft.id}").status_code == 404
    assert "A draft nobody else sees yet" not in client.get(f"/processes/{process.slug}/proposals/").text

    response = c.post(f"/proposals/{draft.id}/publish", follow_redirects=True)
    assert "Your proposal is published." in response.text
    db.session.refresh(draft)
    assert draft.state == "published" and draft.published_at is not None
    assert [(name, subject.id) for name, subject, _ in published_events] == [("proposal.published", draft.id)]
    assert client.get(f"/proposals/{draft.id}").status_code == 200
    assert "A draft nobody else sees yet" in client.get(f"/processes/{process.slug}/proposals/").text

    again = c.post(f"/proposals/{draft.id}/publish", follow_redirects=True)
    assert "already published" in again.text


def test_someone_else_cannot_publish_a_draft(client_as, make_user, make_process, make_proposal):
    process = make_process()
    author = make_user("resident")
    draft = make_proposal(process, author, state="draft")
    c, _ = client_as("resident")
    # 404, as for a proposal that does not exist (was 403): the answer never tells that someone's draft exists
    assert c.post(f"/proposals/{draft.id}/publish").status_code == 404
    db.session.refresh(draft)
    assert draft.state == "draft"


def test_the_proposal_limit_counts_published_proposals(client_as, make_process, make_proposal, ward_id):
    process = make_process(proposal_limit=1)
    c, user = client_as("resident")
    # Two drafts are fine while nothing is published...
    first = make_proposal(process, user, state="draft")
    second = make_proposal(process, user, state="draft")
    c.post(f"/proposals/{first.id}/publish")
    # ...but only one may be published.
    response = c.post(f"/proposals/{second.id}/publish", follow_redirects=True)
    assert "You have already published 1 proposal in this process" in response.text
    db.session.refresh(second)
    assert second.state == "draft"
    # And no new draft is started once the limit is reached: the page says why.
    page = c.get(f"/processes/{process.slug}/proposals/new")
    assert "You have already published 1 proposal in this process" in page.text
    c.post(f"/processes/{process.slug}/proposals/new", data=form(ward_id))
    assert len(proposals_of(user)) == 2
    # Withdrawing one makes room again.
    c.post(f"/proposals/{first.id}/withdraw")
    assert "Publish" in c.get(f"/proposals/{second.id}").text
    c.post(f"/proposals/{second.id}/publish")
    db.session.refresh(second)
    assert second.state == "published"


def test_the_preview_shows_similar_published_proposals(client_as, make_user, make_process, make_proposal):
    process = make_process()
    other_process = make_process()
    neighbour = make_user("resident")
    make_proposal(process, neighbour, title="Plant more street trees on Church Street",
                  body="Trees would cool the street market in summer.")
    make_proposal(process, neighbour, title="Street trees for Church Street market",
                  body="Plant trees along the market.")
    make_proposal(process, neighbour, title="A new bus shelter for Harrow Road", body="Rain is cold.")
    make_proposal(process, neighbour, title="Church Street trees, but hidden", body="Plant trees.",
                  hidden_at=utcnow())
    make_proposal(process, neighbour, title="Church Street trees, only a draft", body="Plant trees.",
                  state="draft")
    make_proposal(other_process, neighbour, title="Plant street trees on Church Street", body="Trees.")
    c, user = client_as("resident")
    draft = make_proposal(process, user, state="draft", title="Trees along Church Street",
                          body="Plant street trees by the market to cool it in summer.")

    page = c.get(f"/proposals/{draft.id}")
    assert "2 similar proposals are already published" in page.text
    similar = page.text.split('id="similar-title"')[1].split("</section>")[0]
    assert "Plant more street trees on Church Street" in similar
    assert "Street trees for Church Street market" in similar
    assert "bus shelter" not in similar
    assert "hidden" not in similar and "only a draft" not in similar
    assert similar.count("<li>") == 2  # not the other process's proposal


def test_similarity_tokens_ignore_case_stop_words_and_plurals():
    assert similar.tokens("The TREES of the Street") == {"tree", "street"}
    assert similar.jaccard({"a", "b"}, {"b", "c"}) == pytest.approx(1 / 3)


def test_markdown_is_sanitised_on_the_page(client_as, make_process, make_proposal):
    process = make_process()
    c, user = client_as("resident")
    proposal = make_proposal(process, user, body="<script>alert(1)</script> [click](javascript:alert(1)) *ok*")
    page = c.get(f"/proposals/{proposal.id}")
    assert "<script>alert(1)</script>" not in page.text
    assert "href=\"javascript:" not in page.text
    assert "<em>ok</em>" in page.text


def test_a_photo_is_saved_with_its_description(client_as, make_process, ward_id, png_bytes):
    process = make_process()
    c, user = client_as("resident")
    response = c.post(f"/processes/{process.slug}/proposals/new", data=form(
        ward_id, photo=(BytesIO(png_bytes((640, 480))), "market.png"),
        photo_alt="The empty pavement outside the market"))
    assert response.status_code == 302
    [proposal] = proposals_of(user)
    assert proposal.photo_path.startswith("proposals/") and proposal.photo_path.endswith(".png")
    assert (Path(current_app.instance_path) / "uploads" / proposal.photo_path).is_file()
    page = c.get(f"/proposals/{proposal.id}")
    assert f'src="/uploads/{proposal.photo_path}" alt="The empty pavement outside the market"' in page.text
    image = c.get(f"/uploads/{proposal.photo_path}")
    assert image.status_code == 200 and image.mimetype == "image/png"
    image.close()


def test_a_photo_needs_a_description(client_as, make_process, ward_id, png_bytes):
    process = make_process()
    c, user = client_as("resident")
    response = c.post(f"/processes/{process.slug}/proposals/new", data=form(
        ward_id, photo=(BytesIO(png_bytes()), "market.png")))
    assert response.status_code == 200
    assert "Describe the photo for people who cannot see it." in response.text
    assert "choose it again" in response.text  # the browser does not keep the file
    assert 'value="More street trees along Church Street"' in response.text
    assert proposals_of(user) == []


def test_a_file_that_is_not_an_image_is_refused(client_as, make_process, ward_id):
    process = make_process()
    c, user = client_as("resident")
    response = c.post(f"/processes/{process.slug}/proposals/new", data=form(
        ward_id, photo=(BytesIO(b"%PDF-1.4 not an image at all"), "photo.png"), photo_alt="A photo"))
    assert response.status_code == 200
    assert "This file is not an image we can read." in response.text
    assert proposals_of(user) == []
    assert not list((Path(current_app.instance_path) / "uploads").glob("proposals/*.pdf"))


def test_a_decompression_bomb_is_refused_beside_the_photo_and_the_text_is_kept(client_as, make_process, ward_id):
    process = make_process()
    c, user = client_as("resident")
    response = c.post(f"/processes/{process.slug}/proposals/new", data=form(
        ward_id, photo=(BytesIO(huge_png(8000, 8000)), "market.png"), photo_alt="A photo"))
    assert response.status_code == 200
    assert field_error(response, "photo").startswith("This image is 8,000 × 8,000 pixels, too many to accept. "
                                                     "Choose an image of at most 40 megapixels")
    assert input_value(response, "title") == "More street trees along Church Street"
    assert proposals_of(user) == []


def test_categories_must_belong_to_the_process(client_as, make_process, ward_id, categories_of):
    process = make_process(categories=["Cycling"])
    other = make_process(categories=["Noise"])
    c, user = client_as("resident")
    response = c.post(f"/processes/{process.slug}/proposals/new", data=form(
        ward_id, categories=[str(categories_of(other)[0].id)]))
    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert proposals_of(user) == []


def test_someone_elses_draft_is_answered_like_a_proposal_that_does_not_exist(client_as, make_user, make_process,
                                                                              make_proposal):
    """Every route of a proposal answers 404 for a draft that is not the person's own, exactly as for a proposal
    that does not exist (was 403 on edit, publish, withdraw and co-authors): nothing tells that the draft exists."""
    process = make_process()
    draft = make_proposal(process, make_user("resident"), state="draft", title="A private draft about quinces")
    missing = draft.id + 1000
    c, _ = client_as("resident")
    gets = ("/proposals/{}", "/proposals/{}/edit", "/proposals/{}/withdraw", "/api/v1/proposals/{}",
            "/api/v1/proposals/{}/comments", "/comments/proposal/{}", "/moderation/report/proposal/{}")
    posts = ("/proposals/{}/edit", "/proposals/{}/publish", "/proposals/{}/withdraw", "/proposals/{}/coauthors",
             "/proposals/{}/coauthors/group", "/proposals/{}/coauthors/accept", "/proposals/{}/coauthors/decline",
             "/proposals/{}/coauthors/1/remove", "/proposals/{}/support", "/proposals/{}/unsupport",
             "/proposals/{}/endorse", "/proposals/{}/unendorse", "/comments/proposal/{}")
    for path in gets:
        assert c.get(path.format(draft.id)).status_code == c.get(path.format(missing)).status_code == 404, path
        assert "quinces" not in c.get(path.format(draft.id)).text, path
    for path in posts:
        assert c.post(path.format(draft.id), data={}).status_code == 404, path
        assert c.post(path.format(missing), data={}).status_code == 404, path
    db.session.refresh(draft)
    assert draft.state == "draft"



def test_the_answer_route_refuses_residents_alike_whatever_the_id(client_as, make_user, make_process, make_proposal):
    """The officers' answer route refuses others before it looks the proposal up, so the status never tells
    whether a draft with that id exists (was 404 for a missing id, 403 for an existing one)."""
    draft = make_proposal(make_process(), make_user("resident"), state="draft")
    c, _ = client_as("resident")
    for ident in (draft.id, draft.id + 1000):
        assert c.get(f"/proposals/{ident}/answer").status_code == 403
        assert c.post(f"/proposals/{ident}/answer", data={}).status_code == 403
