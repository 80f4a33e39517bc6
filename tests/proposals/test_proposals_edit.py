"""Editing (drafts always; published ones within the window and before the first support) and withdrawing."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import select

from civic.db import db, utcnow
from civic.errors import RuleViolation
from proposals import services
from proposals.models import Coauthor, Proposal, Support


def edit_form(proposal, **overrides):
    data = {"title": proposal.title, "body": proposal.body, "ward": str(proposal.ward_id),
            "address": proposal.address, "latitude": "", "longitude": "", "photo_alt": proposal.photo_alt}
    data.update(overrides)
    return data


def reload(proposal: Proposal) -> Proposal:
    db.session.expire_all()
    return db.session.get(Proposal, proposal.id)


def test_a_draft_is_always_editable(client_as, make_process, make_proposal):
    process = make_process(edit_window_minutes=1)
    c, user = client_as("resident")
    draft = make_proposal(process, user, state="draft", created_at=utcnow() - timedelta(days=30))
    page = c.get(f"/proposals/{draft.id}/edit")
    assert page.status_code == 200
    assert f'value="{draft.title}"' in page.text
    response = c.post(f"/proposals/{draft.id}/edit", data=edit_form(draft, title="A better title for my draft"))
    assert response.status_code == 302
    assert reload(draft).title == "A better title for my draft"
    assert reload(draft).updated_at is None  # drafts are not marked as edited


def test_a_published_proposal_is_editable_within_the_window(client_as, make_process, make_proposal):
    process = make_process(edit_window_minutes=10)
    c, user = client_as("resident")
    proposal = make_proposal(process, user, published_at=utcnow() - timedelta(minutes=3))
    page = c.get(f"/proposals/{proposal.id}")
    assert "Edit the proposal" in page.text and "or until someone supports it" in page.text
    response = c.post(f"/proposals/{proposal.id}/edit", data=edit_form(proposal, body="Corrected: **forty** trees."))
    assert response.status_code == 302
    proposal = reload(proposal)
    assert proposal.body == "Corrected: **forty** trees."
    assert proposal.updated_at is not None
    assert "(edited" in c.get(f"/proposals/{proposal.id}").text


def test_after_the_window_editing_is_refused_with_the_reason(client_as, make_process, make_proposal):
    process = make_process(edit_window_minutes=10)
    c, user = client_as("resident")
    proposal = make_proposal(process, user, published_at=utcnow() - timedelta(minutes=11))
    page = c.get(f"/proposals/{proposal.id}")
    assert "Proposals can be edited for 10 minutes after publishing, and that time has passed." in page.text
    assert f'href="/proposals/{proposal.id}/edit"' not in page.text
    response = c.get(f"/proposals/{proposal.id}/edit", follow_redirects=True)
    assert "that time has passed" in response.text
    response = c.post(f"/proposals/{proposal.id}/edit", data=edit_form(proposal, title="Sneaky late change here"),
                      follow_redirects=True)
    assert "that time has passed" in response.text
    assert reload(proposal).title != "Sneaky late change here"
    with pytest.raises(RuleViolation, match="time has passed"):
        services.update(proposal.author, proposal, services.ProposalFields(
            title="Sneaky late change here", body="x", ward_id=proposal.ward_id))


def test_after_the_first_support_editing_is_refused(client_as, make_user, make_process, make_proposal):
    process = make_process(edit_window_minutes=60)
    c, user = client_as("resident")
    proposal = make_proposal(process, user)
    supporter = make_user("verified")
    db.session.add(Support(proposal_id=proposal.id, user_id=supporter.id, process_id=process.id, counted=False))
    db.session.commit()  # not yet counted (min_supports), but a support all the same
    response = c.post(f"/proposals/{proposal.id}/edit", data=edit_form(proposal, title="Changed after a support"),
                      follow_redirects=True)
    assert "people have started supporting it as it is" in response.text
    assert reload(proposal).title != "Changed after a support"


def test_only_authors_edit(client_as, make_user, make_process, make_proposal):
    process = make_process()
    author = make_user("resident")
    proposal = make_proposal(process, author)
    c, _ = client_as("resident")
    assert c.get(f"/proposals/{proposal.id}/edit").status_code == 403
    assert c.post(f"/proposals/{proposal.id}/edit", data=edit_form(proposal, title="Not my proposal at all")
                  ).status_code == 403
    assert reload(proposal).title != "Not my proposal at all"


def test_an_accepted_coauthor_edits_but_an_invited_one_does_not(client_as, make_user, make_process, make_proposal):
    process = make_process()
    author = make_user("resident")
    proposal = make_proposal(process, author, state="draft")
    c, helper = client_as("resident")
    db.session.add(Coauthor(proposal_id=proposal.id, user_id=helper.id, status="invited"))
    db.session.commit()
    assert c.get(f"/proposals/{proposal.id}/edit").status_code == 403
    db.session.execute(Coauthor.__table__.update().values(status="accepted"))
    db.session.commit()
    response = c.post(f"/proposals/{proposal.id}/edit", data=edit_form(proposal, title="Edited by the co-author"))
    assert response.status_code == 302
    assert reload(proposal).title == "Edited by the co-author"
    # A co-author may publish the draft too, but not withdraw it.
    assert c.get(f"/proposals/{proposal.id}/withdraw").status_code == 403


def test_an_invalid_edit_keeps_what_was_typed(client_as, make_process, make_proposal):
    process = make_process()
    c, user = client_as("resident")
    proposal = make_proposal(process, user, state="draft")
    response = c.post(f"/proposals/{proposal.id}/edit", data=edit_form(proposal, title="Short", body="New words"))
    assert response.status_code == 200
    assert "The title must be between 15 and 150 characters." in response.text
    assert 'value="Short"' in response.text and "New words" in response.text


def test_a_photo_is_replaced_or_removed(client_as, make_process, make_proposal, png_bytes):
    process = make_process()
    c, user = client_as("resident")
    proposal = make_proposal(process, user, state="draft")
    uploads = Path(current_app.instance_path) / "uploads"
    c.post(f"/proposals/{proposal.id}/edit", data=edit_form(
        proposal, photo=(BytesIO(png_bytes()), "one.png"), photo_alt="First photo"))
    first = reload(proposal).photo_path
    assert (uploads / first).is_file()
    # Keeping a photo still needs its description.
    response = c.post(f"/proposals/{proposal.id}/edit", data=edit_form(proposal, photo_alt=""))
    assert "Describe the photo for people who cannot see it." in response.text
    c.post(f"/proposals/{proposal.id}/edit", data=edit_form(
        proposal, photo=(BytesIO(png_bytes(colour="red")), "two.png"), photo_alt="Second photo"))
    second = reload(proposal).photo_path
    assert second != first and (uploads / second).is_file()
    assert not (uploads / first).exists()  # the old file is deleted
    c.post(f"/proposals/{proposal.id}/edit", data=edit_form(reload(proposal), remove_photo="y"))
    proposal = reload(proposal)
    assert proposal.photo_path is None and proposal.photo_alt == ""
    assert not (uploads / second).exists()


def test_withdrawing_a_published_proposal(client_as, client, make_process, make_proposal, published_events):
    process = make_process()
    c, user = client_as("resident")
    proposal = make_proposal(process, user, title="A proposal I change my mind about")
    confirm = c.get(f"/proposals/{proposal.id}/withdraw")
    assert confirm.status_code == 200 and "Withdraw the proposal" in confirm.text
    response = c.post(f"/proposals/{proposal.id}/withdraw", follow_redirects=True)
    assert "Your proposal is withdrawn." in response.text
    proposal = reload(proposal)
    assert proposal.state == "withdrawn" and proposal.withdrawn_at is not None
    assert [name for name, _, _ in published_events] == ["proposal.withdrawn"]
    # Still visible to everyone, marked withdrawn.
    page = client.get(f"/proposals/{proposal.id}")
    assert page.status_code == 200
    assert "withdrew this proposal" in page.text and "Withdrawn by its author" in page.text
    # Listed only when asked for.
    listing = client.get(f"/processes/{process.slug}/proposals/")
    assert "A proposal I change my mind about" not in listing.text
    listing = client.get(f"/processes/{process.slug}/proposals/?state=withdrawn")
    assert "A proposal I change my mind about" in listing.text
    # Not twice, and not editable any more.
    again = c.post(f"/proposals/{proposal.id}/withdraw", follow_redirects=True)
    assert "You have already withdrawn this proposal." in again.text
    edit = c.get(f"/proposals/{proposal.id}/edit", follow_redirects=True)
    assert "This proposal was withdrawn, so it can no longer be edited." in edit.text


def test_withdrawing_a_draft_deletes_it(client_as, make_process, make_proposal):
    process = make_process()
    c, user = client_as("resident")
    draft = make_proposal(process, user, state="draft")
    assert "The draft will be deleted" in c.get(f"/proposals/{draft.id}/withdraw").text
    response = c.post(f"/proposals/{draft.id}/withdraw")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/processes/{process.slug}/proposals/")
    db.session.expire_all()
    assert db.session.scalar(select(Proposal).where(Proposal.id == draft.id)) is None
    assert c.get(f"/proposals/{draft.id}").status_code == 404


def test_only_the_author_withdraws(client_as, make_user, make_process, make_proposal):
    process = make_process()
    proposal = make_proposal(process, make_user("resident"))
    c, _ = client_as("resident")
    assert c.post(f"/proposals/{proposal.id}/withdraw").status_code == 403
    assert reload(proposal).state == "published"


def test_a_published_proposal_is_not_edited_once_the_propose_phase_closed(client_as, make_process, make_proposal):
    process = make_process(allow_propose=False, edit_window_minutes=60)
    c, user = client_as("resident")
    proposal = make_proposal(process, user)
    page = c.get(f"/proposals/{proposal.id}")
    assert "Proposals can be edited only while making proposals is open." in page.text
    response = c.post(f"/proposals/{proposal.id}/edit", data=edit_form(proposal, title="Changed after the phase"),
                      follow_redirects=True)
    assert "Making proposals is not open in this phase" in response.text
    assert reload(proposal).title != "Changed after the phase"
