"""The officers' answering queue across processes: over-threshold first then oldest, "Save and next" with the
filters kept, answer templates, bulk actions, the staff export, and the officers' home counting what waits."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from civic import canned
from civic.audit import AuditEntry
from civic.db import db, utcnow
from proposals.models import Proposal
from tests.support.pages import main_text


@pytest.fixture
def two_processes(make_process, make_proposal, make_user):
    """Two processes open for answers with proposals of different ages, one over its threshold."""
    author = make_user("resident")
    now = utcnow()
    cycling = make_process(title="Cycling lanes", allow_answer=True, threshold=2, categories=["Safety", "Parks"])
    air = make_process(title="Clean air", allow_answer=True)
    made = {
        "old": make_proposal(air, author, title="Old idea about air", published_at=now - timedelta(days=9)),
        "new": make_proposal(cycling, author, title="New idea about lanes", published_at=now - timedelta(days=1)),
        "over": make_proposal(cycling, author, title="Popular lane idea", published_at=now - timedelta(days=2),
                              supports_count=2, threshold_reached_at=now - timedelta(days=1)),
        "answered": make_proposal(air, author, title="Answered idea", published_at=now - timedelta(days=20),
                                  answer_state="accepted", answer_text="Yes"),
        "draft": make_proposal(air, author, title="Draft idea", state="draft"),
    }
    return cycling, air, made


def titles_in(response) -> list[str]:
    html = response.get_data(as_text=True)
    return re.findall(r'<td><a href="/proposals/\d+">([^<]+)</a>', html)


def test_the_queue_spans_processes_over_threshold_first_then_oldest(client_as, two_processes):
    client, _officer = client_as("officer")
    response = client.get("/proposals/awaiting-answer")
    assert response.status_code == 200
    assert titles_in(response) == ["Popular lane idea", "Old idea about air", "New idea about lanes"]
    assert "Over the threshold" in main_text(response)
    assert titles_in(client.get("/proposals/awaiting-answer?over=1")) == ["Popular lane idea"]
    cycling, _air, _made = two_processes
    assert titles_in(client.get(f"/proposals/awaiting-answer?process={cycling.slug}")) == [
        "Popular lane idea", "New idea about lanes"]
    assert titles_in(client.get("/proposals/awaiting-answer?q=air")) == ["Old idea about air"]


def test_save_and_next_keeps_the_filters_and_walks_the_queue(client_as, two_processes):
    client, _officer = client_as("officer")
    cycling, _air, made = two_processes
    queue = client.get(f"/proposals/awaiting-answer?process={cycling.slug}").get_data(as_text=True)
    answer_link = f'/proposals/{made["over"].id}/answer?queue=1&amp;process={cycling.slug}'
    assert answer_link in queue
    page = client.get(answer_link.replace("&amp;", "&")).get_data(as_text=True)
    assert "Save and next" in page and f'href="/proposals/awaiting-answer?process={cycling.slug}"' in page
    response = client.post(answer_link.replace("&amp;", "&"),
                           data={"state": "evaluating", "text": "We are looking at it.", "then": "next"})
    assert response.status_code == 302
    assert response.headers["Location"] == f'/proposals/{made["new"].id}/answer?queue=1&process={cycling.slug}'
    response = client.post(response.headers["Location"],
                           data={"state": "rejected", "text": "Not this year.", "then": "next"},
                           follow_redirects=True)
    assert "That was the last proposal in the queue with these filters." in main_text(response)
    assert response.request.path == "/proposals/awaiting-answer"
    assert response.request.args["process"] == cycling.slug  # the filters stayed set
    db.session.expire_all()
    assert db.session.get(Proposal, made["over"].id).answer_state == "evaluating"
    assert db.session.get(Proposal, made["new"].id).answer_state == "rejected"


def test_save_from_the_queue_goes_back_to_it_with_its_filters(client_as, two_processes):
    client, _officer = client_as("officer")
    _cycling, _air, made = two_processes
    response = client.post(f'/proposals/{made["old"].id}/answer?queue=1&over=1',
                           data={"state": "evaluating", "text": "Looking.", "then": "stay"})
    assert response.headers["Location"] == "/proposals/awaiting-answer?over=1"
    # Outside the queue the answer still goes back to the proposal's page.
    response = client.post(f'/proposals/{made["new"].id}/answer', data={"state": "evaluating", "text": "Looking."})
    assert response.headers["Location"] == f'/proposals/{made["new"].id}#answer'


def test_an_answer_template_fills_the_answer_to_edit(client_as, two_processes):
    admin_client, admin = client_as("admin")
    template = canned.add(admin, "proposal.answer", "Under review",
                          "Thank you. Our highways team is reviewing this proposal.")
    db.session.commit()
    client, _officer = client_as("officer")
    _cycling, _air, made = two_processes
    page = client.get(f'/proposals/{made["old"].id}/answer').get_data(as_text=True)
    assert "Use this template" in page and "Under review" in page
    page = client.get(f'/proposals/{made["old"].id}/answer?template={template.id}').get_data(as_text=True)
    assert "Thank you. Our highways team is reviewing this proposal.</textarea>" in page
    assert "starts from the template “Under review”" in page


def test_bulk_evaluating_answers_each_ticked_proposal_audited(client_as, two_processes):
    client, _officer = client_as("officer")
    _cycling, _air, made = two_processes
    ids = [made["old"].id, made["new"].id]
    response = client.post("/proposals/awaiting-answer/bulk?over=",
                           data={"action": "evaluating", "text": "Our team is looking at it.", "ids": ids},
                           follow_redirects=True)
    assert "Done for 2 proposals." in main_text(response)
    db.session.expire_all()
    for pid in ids:
        stored = db.session.get(Proposal, pid)
        assert (stored.answer_state, stored.answer_text) == ("evaluating", "Our team is looking at it.")
    entries = db.session.scalars(select(AuditEntry.object_id).where(AuditEntry.action == "proposal.answer")).all()
    assert sorted(entries) == sorted(ids)
    assert db.session.get(Proposal, made["over"].id).answer_state == "not_answered"  # not ticked


def test_bulk_needs_ticks_and_a_text(client_as, two_processes):
    client, _officer = client_as("officer")
    _cycling, _air, made = two_processes
    page = main_text(client.post("/proposals/awaiting-answer/bulk", data={"action": "evaluating", "text": "x"}))
    assert "Tick at least one proposal." in page
    page = main_text(client.post("/proposals/awaiting-answer/bulk",
                                 data={"action": "evaluating", "text": "", "ids": [made["old"].id]}))
    assert "Write the text residents will read on each proposal." in page
    db.session.expire_all()
    assert db.session.get(Proposal, made["old"].id).answer_state == "not_answered"


def test_bulk_category_only_within_its_process(client_as, two_processes, categories_of):
    client, _officer = client_as("officer")
    cycling, _air, made = two_processes
    safety = next(c for c in categories_of(cycling) if c.name == "Safety")
    page = client.get(f"/proposals/awaiting-answer?process={cycling.slug}").get_data(as_text=True)
    assert f'<option value="{safety.id}">Safety</option>' in page
    response = client.post(f"/proposals/awaiting-answer/bulk?process={cycling.slug}",
                           data={"action": "category", "category": str(safety.id),
                                 "ids": [made["new"].id, made["over"].id]}, follow_redirects=True)
    assert "Done for 2 proposals." in main_text(response)
    db.session.expire_all()
    assert [c.name for c in db.session.get(Proposal, made["new"].id).categories] == ["Safety"]
    # A proposal of another process is refused by name; the others go on.
    response = client.post(f"/proposals/awaiting-answer/bulk?process={cycling.slug}",
                           data={"action": "category", "category": str(safety.id), "ids": [made["old"].id]},
                           follow_redirects=True)
    assert "Not changed: “Old idea about air”." in main_text(response)


def test_the_queue_costs_a_fixed_number_of_queries(client_as, make_process, make_proposal, make_user,
                                                   count_queries):
    client, _officer = client_as("officer")
    author = make_user("resident")
    process = make_process(allow_answer=True)
    make_proposal(process, author)
    with count_queries() as few:
        assert client.get("/proposals/awaiting-answer").status_code == 200
    other = make_process(allow_answer=True)
    for i in range(30):
        make_proposal(process if i % 2 else other, make_user("resident"), commit=False)
    db.session.commit()
    with count_queries() as many:
        assert client.get("/proposals/awaiting-answer").status_code == 200
    assert many.count == few.count


@pytest.mark.parametrize("role", ["resident", "verified", "instructor"])
def test_residents_reach_neither_the_queue_nor_bulk_nor_the_staff_export(client_as, two_processes, role):
    client, _user = client_as(role)
    cycling, _air, made = two_processes
    assert client.get("/proposals/awaiting-answer").status_code == 403
    assert client.post("/proposals/awaiting-answer/bulk",
                       data={"action": "evaluating", "text": "x", "ids": [made["old"].id]}).status_code == 403
    assert client.get(f"/processes/{cycling.slug}/proposals/staff-export.csv").status_code == 403
    db.session.expire_all()
    assert db.session.get(Proposal, made["old"].id).answer_state == "not_answered"


def test_the_staff_export_has_answers_costs_delivery_and_officers(client_as, two_processes):
    client, officer = client_as("officer", nickname="olga_officer")
    cycling, _air, made = two_processes
    client.post(f'/proposals/{made["over"].id}/answer',
                data={"state": "accepted", "text": "We will paint it.", "cost": "12,500.50",
                      "delivery": "Spring"})
    response = client.get(f"/processes/{cycling.slug}/proposals/staff-export.csv")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert "Access-Control-Allow-Origin" not in response.headers
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert sorted(r["title"] for r in rows) == ["New idea about lanes", "Popular lane idea"]  # not the other process
    over = next(r for r in rows if r["title"] == "Popular lane idea")
    assert (over["answer_state"], over["answer_text"], over["answer_cost_gbp"], over["answer_delivery"],
            over["answered_by"]) == ("accepted", "We will paint it.", "12500.50", "Spring", "olga_officer")
    assert over["answered_at"].endswith("Z") and over["threshold_reached_at"]
    excel = client.get(f"/processes/{cycling.slug}/proposals/staff-export.csv?excel=1")
    assert excel.get_data().startswith(b"\xef\xbb\xbf")
    assert Decimal(over["answer_cost_gbp"]) == Decimal("12500.50")


def test_the_officers_home_counts_proposals_over_threshold_awaiting_an_answer(client_as, two_processes):
    client, _officer = client_as("officer")
    page = client.get("/admin/")
    assert "1 proposal over its threshold awaiting an answer" in main_text(page)
    assert 'href="/proposals/awaiting-answer?over=1"' in page.get_data(as_text=True)


def test_a_cost_on_a_rejected_answer_is_not_silently_dropped(client_as, two_processes):
    client, _officer = client_as("officer")
    _cycling, _air, made = two_processes
    response = client.post(f'/proposals/{made["old"].id}/answer',
                           data={"state": "rejected", "text": "No budget.", "cost": "500"}, follow_redirects=True)
    assert "The cost and the delivery note are kept only for accepted proposals, so they were not saved." in \
        main_text(response)
    db.session.expire_all()
    assert db.session.get(Proposal, made["old"].id).answer_cost is None
