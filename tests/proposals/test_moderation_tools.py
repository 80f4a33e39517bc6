"""Moderation tools: searching the queue, deciding many items at once, prepared reasons, and finding content to
hide by its words instead of its number."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from civic import canned
from civic.audit import AuditEntry
from civic.db import db
from civic.moderation.models import Moderation
from proposals.models import Proposal
from tests.support.pages import main_text


@pytest.fixture
def reported(make_process, make_proposal, make_user, report_by):
    process = make_process()
    made = {
        "bridge": make_proposal(process, make_user("resident", nickname="pink_painter"), title="Paint the bridge pink"),
        "bins": make_proposal(process, make_user("resident"), title="More bins on Edgware Road"),
    }
    from civic.moderation import services

    services.report(make_user("resident"), "proposal", made["bins"].id, "other", "Copied from a shop's leaflet")
    report_by(1, "proposal", made["bridge"].id, reason="spam")
    db.session.commit()
    return made


def rows(response) -> str:
    html = response.get_data(as_text=True)
    return html[html.index("<tbody>"):html.index("</tbody>")]


def test_the_queue_searches_report_details_and_authors(reported, client_as):
    client, _officer = client_as("officer")
    found = rows(client.get("/moderation/?q=leaflet"))
    assert "More bins on Edgware Road" in found and "Paint the bridge pink" not in found
    found = rows(client.get("/moderation/?q=@pink_painter"))
    assert "Paint the bridge pink" in found and "More bins" not in found
    assert "Nothing here." in rows(client.get("/moderation/?q=nothing-like-this"))


def test_the_queue_searches_content_words_through_the_index(reported, client_as, search_index):
    client, _officer = client_as("officer")
    from civic.search import services as search

    search.enqueue([f"proposal:{p.id}" for p in reported.values()])
    db.session.commit()
    search.drain()
    found = rows(client.get("/moderation/?q=bridge"))
    assert "Paint the bridge pink" in found and "More bins" not in found


def test_bulk_hide_with_a_prepared_reason_hides_each_audited(reported, client_as):
    admin_client, admin = client_as("admin")
    reason = canned.add(admin, "moderation.hide", "Advertising", "It advertises a business.")
    db.session.commit()
    client, officer = client_as("officer")
    queue = client.get("/moderation/").get_data(as_text=True)
    assert "Hide: Advertising" in queue and 'name="items"' in queue
    response = client.post("/moderation/bulk?status=open", data={
        "action": "hide", "canned": f"moderation.hide:{reason.id}", "note": "Seen twice this week.",
        "items": [f"proposal:{p.id}" for p in reported.values()]}, follow_redirects=True)
    assert "Hidden: 2 items." in main_text(response)
    db.session.expire_all()
    assert all(db.session.get(Proposal, p.id).hidden_at is not None for p in reported.values())
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "moderation.hide")).all()
    assert {e.reason for e in entries} == {"It advertises a business.\n\nSeen twice this week."}
    assert {e.actor_id for e in entries} == {officer.id}


def test_bulk_refuses_by_name_and_goes_on(reported, client_as, make_user, make_proposal):
    client, officer = client_as("officer")
    own = make_proposal(reported["bins"].process, officer, title="An officer's own idea")
    from civic.moderation import services

    services.report(make_user("resident"), "proposal", own.id, "spam")
    db.session.commit()
    response = client.post("/moderation/bulk", data={
        "action": "dismiss", "note": "Nothing wrong here.",
        "items": [f"proposal:{reported['bins'].id}", f"proposal:{own.id}", "proposal:999999", "junk"]},
        follow_redirects=True)
    text = main_text(response)
    assert "Reports dismissed: 1 item." in text
    assert "Not changed: “An officer's own idea”." in text and "another officer must decide" in text
    assert "Not changed: “proposal 999999”." in text
    db.session.expire_all()
    mods = {m.resource_id: m for m in db.session.scalars(select(Moderation))}
    assert mods[reported["bins"].id].reports_count == 0 and mods[own.id].reports_count == 1


def test_bulk_needs_ticks_and_a_note(reported, client_as):
    client, _officer = client_as("officer")
    text = main_text(client.post("/moderation/bulk", data={"action": "hide", "note": "x"}, follow_redirects=True))
    assert "Tick at least one item." in text
    text = main_text(client.post("/moderation/bulk", data={"action": "hide", "note": "",
                                                            "items": [f"proposal:{reported['bins'].id}"]},
                                 follow_redirects=True))
    assert "Write a note saying why." in text
    db.session.expire_all()
    assert db.session.get(Proposal, reported["bins"].id).hidden_at is None


@pytest.mark.parametrize("role", ["resident", "verified", "instructor"])
def test_residents_reach_neither_bulk_nor_find(reported, client_as, role):
    client, _user = client_as(role)
    assert client.post("/moderation/bulk", data={"action": "hide", "note": "x",
                                                 "items": [f"proposal:{reported['bins'].id}"]}).status_code == 403
    assert client.get("/moderation/find?q=bins").status_code == 403
    db.session.expire_all()
    assert db.session.get(Proposal, reported["bins"].id).hidden_at is None


def test_a_prepared_reason_goes_first_in_a_single_hide(reported, client_as):
    admin_client, admin = client_as("admin")
    reason = canned.add(admin, "moderation.hide", "Personal details", "It shows someone's personal details.")
    other = canned.add(admin, "verification.refuse", "Elsewhere", "Not for moderation.")
    db.session.commit()
    client, _officer = client_as("officer")
    url = f"/moderation/proposal/{reported['bins'].id}/hide"
    page = client.get(url).get_data(as_text=True)
    assert "Personal details" in page and "Elsewhere" not in page
    assert client.post(url, data={"canned": str(reason.id), "note": ""}).status_code == 302
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "moderation.hide")).one()
    assert entry.reason == "It shows someone's personal details."
    # A text of another purpose is not taken: the note is still needed.
    url = f"/moderation/proposal/{reported['bridge'].id}/hide"
    response = client.post(url, data={"canned": str(other.id), "note": ""})
    assert response.status_code == 200 and "Write a note saying why." in response.get_data(as_text=True)


def test_officers_find_content_to_hide_by_its_words(reported, client_as, search_index, make_proposal, make_user):
    unreported = make_proposal(reported["bins"].process, make_user("resident"), title="Buy cheap watches here")
    from civic.search import services as search

    search.enqueue([f"proposal:{unreported.id}", f"proposal:{reported['bins'].id}"])
    db.session.commit()
    search.drain()
    client, _officer = client_as("officer")
    response = client.get("/moderation/find?q=watches")
    text = main_text(response)
    assert "1 result for “watches”" in text and "Buy cheap watches here" in text
    assert f'/moderation/proposal/{unreported.id}/hide' in response.get_data(as_text=True)
    assert "0 results" in main_text(client.get("/moderation/find?q=zzzzqqq"))
